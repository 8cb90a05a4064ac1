"""Audit benchmark (issue 6), measured side by side in one run on this machine:

- ``audit verify`` of a bundle of ≥ N entries (default 100,000, a ``demo seed`` region:
  claims, confirmations, endorsements, reviews, recognitions) ÷ raw coincurve signer
  recovery on one core over the same entries' signatures (target ≥ 0.5). The machine is
  shared and its speed drifts by a third within minutes, so the verification runs
  ``--rounds`` times (default 5), each between two passes of raw recovery over all the
  bundle's signatures, and each run is divided by the mean of the two passes around it:
  the median of those ratios is the figure; then the same for the whole command as a
  user runs it (Python's start and imports included). Also shown: raw recovery as the
  best of 3 passes over 20,000 signatures (the machine's quickest moments, a harsher
  yardstick); the command in one process; and the ledger checks alone (signatures,
  authority, tree, checkpoint; no points). Each per second of wall-clock time and per
  CPU second of all its processes (CPU time does not count a neighbour's load);
- peak memory of the export and of the verification, each in a child process (its peak
  RSS from ``wait4``), with the resident set sampled as the entries stream: the export's
  stays flat; the verifier's grows with the projections it recomputes in memory.

Run: ``.venv/bin/python scripts/bench_audit.py [--entries N] [--quick] [--keep DIR]
[--rounds N]``.
``--keep DIR`` keeps (and reuses) the seeded region there; seeding 100k entries takes
about two minutes.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
KAKAWARI = [sys.executable, "-c", "from service.cli import main; main()"]
REGION = "bench"


def env_for(data: Path) -> dict[str, str]:
    return {**os.environ, "KAKAWARI_DATA_DIR": str(data), "KAKAWARI_PASSPHRASE": "bench",
            "KAKAWARI_SCRYPT_N": "1024", "PYTHONPATH": str(REPO)}


def kakawari(data: Path, *args: str) -> str:
    out = subprocess.run([*KAKAWARI, *args], env=env_for(data), check=True,
                         capture_output=True, text=True)
    return out.stdout


def log_size(data: Path) -> int:
    return int(json.loads(kakawari(data, "region", "show", REGION, "--json"))["size"])


def seed(data: Path, entries: int) -> int:
    """A demo region of at least ``entries`` entries (reused if it is there)."""
    if not (data / "kakawari.db").exists():
        kakawari(data, "init", "--region", REGION, "--name", "ベンチ町")
    size = log_size(data)
    while size < entries:
        claims = max(200, (entries - size) // 4 + 50)
        print(f"  seeding: {size} entries, adding ~{claims} claims ...", file=sys.stderr)
        kakawari(data, "demo", "seed", "--region", REGION, "--members",
                 str(max(20, claims // 70)), "--claims", str(claims),
                 "--seed", str(size))
        size = log_size(data)
    return size


# -- child processes: one measured step each -------------------------------------------


def _rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _cpu() -> float:
    """CPU seconds of this process and of its finished children (worker processes)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def child(step: str, path: str, data: str | None) -> None:
    """Run one step in this (child) process and print its figures as JSON."""
    samples: list[tuple[int, float]] = []

    def progress(done: int, total: int) -> None:
        if not samples or done - samples[-1][0] >= total // 10 or done == total:
            samples.append((done, round(_rss_mb(), 1)))

    if step.startswith("export"):
        from ledger.store.sql import open_store
        from service.audit.export import export_region
        from service.domain.details import DetailsStore
        from service.regions import verify_note

        store = open_store(f"sqlite:///{Path(data or '') / 'kakawari.db'}", verify_note)
        base = _rss_mb()
        t, cpu = time.perf_counter(), time.process_time()
        with open(path, "wb") as f:
            at = int(step.split(":")[1]) if ":" in step else None
            for chunk in export_region(store, REGION, now=int(time.time()),
                                       details=DetailsStore(Path(data or "") / "details"),
                                       progress=progress, size=at):
                f.write(chunk)
        seconds, cpu = time.perf_counter() - t, time.process_time() - cpu
        store.close()
        size = samples[-1][0]
    else:
        from ledger.audit.bundle import BundleReader
        from ledger.audit.verifier import verify_bundle
        from service.audit.verify import audit_bundle

        name, jobs = step.split(":")
        base = _rss_mb()
        t, cpu = time.perf_counter(), _cpu()
        if name == "verify":
            size = audit_bundle(path, progress=progress, jobs=int(jobs)).log.size
        else:  # ledger checks only
            with BundleReader(path) as bundle:
                size = verify_bundle(bundle, progress=progress, jobs=int(jobs)).size
        seconds, cpu = time.perf_counter() - t, _cpu() - cpu
    print(json.dumps({"seconds": seconds, "cpu": cpu, "size": size,
                      "rss_after_imports": round(base, 1), "samples": samples}))


def checkpoint_near(data: Path, size: int) -> int:
    """The size of a signed checkpoint at or below ``size`` (one per append batch)."""
    from ledger.store.sql import open_store
    from service.regions import verify_note

    store = open_store(f"sqlite:///{data / 'kakawari.db'}", verify_note)
    try:
        while store.checkpoint_at(f"kakawari/{REGION}", size) is None:
            size -= 1
        return size
    finally:
        store.close()


def measured(step: str, path: Path, data: Path | None = None) -> dict[str, Any]:
    """Run ``step`` in a child process; its figures plus its peak RSS (MB)."""
    args = [sys.executable, __file__, "--child", step, str(path)]
    if data is not None:
        args += ["--data", str(data)]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, env=env_for(data or path.parent),
                            text=True)
    assert proc.stdout is not None
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    if status != 0:
        raise SystemExit(f"bench: the {step} step failed")
    result: dict[str, Any] = json.loads(out)
    result["peak_rss"] = usage.ru_maxrss / 1024
    return result


# -- raw recovery over the bundle's own signatures -----------------------------------------


_WORK: dict[Path, list[tuple[bytes, bytes]]] = {}


def _signatures(path: Path) -> list[tuple[bytes, bytes]]:
    """(recoverable signature, signing digest) of every entry of the bundle, shuffled."""
    if path not in _WORK:
        from ledger import eip712
        from ledger.audit.bundle import ENTRIES, BundleReader
        from ledger.entry import Entry
        from ledger.messages import MESSAGE_TYPES

        work: list[tuple[bytes, bytes]] = []
        domain = None
        with BundleReader(path) as bundle:
            for line in bundle.lines(ENTRIES):
                e = Entry.from_bytes(line)
                if domain is None:
                    domain = eip712.Domain(chain_id=e.message["chainId"])
                sig = bytes.fromhex(e.signature[2:])
                digest = eip712.signing_digest(domain, MESSAGE_TYPES[e.type], e.message)
                work.append((sig[:64] + bytes([sig[64] - 27]), digest))
        random.Random(1).shuffle(work)
        _WORK[path] = work
    return _WORK[path]


def raw_recovery_rate(path: Path, limit: int = 20_000) -> tuple[float, float]:
    """coincurve recoveries per second (of wall-clock time, of CPU time): the best of 3
    passes over ``limit`` of the bundle's signatures (the machine's quickest moments)."""
    import coincurve

    work = _signatures(path)[:limit]
    best, best_cpu = 0.0, 0.0
    for _ in range(3):
        t, cpu = time.perf_counter(), time.process_time()
        for sig, digest in work:
            coincurve.PublicKey.from_signature_and_message(sig, digest, hasher=None)
        best = max(best, len(work) / (time.perf_counter() - t))
        best_cpu = max(best_cpu, len(work) / max(time.process_time() - cpu, 1e-9))
    return best, best_cpu


def raw_recovery_pass(path: Path) -> float:
    """coincurve recoveries per second over all the bundle's signatures in one pass:
    as many as the verifier checks, over a comparable stretch of time."""
    import coincurve

    work = _signatures(path)
    t = time.perf_counter()
    for sig, digest in work:
        coincurve.PublicKey.from_signature_and_message(sig, digest, hasher=None)
    return len(work) / (time.perf_counter() - t)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--entries", type=int, default=100_000)
    ap.add_argument("--quick", action="store_true", help="10,000 entries")
    ap.add_argument("--keep", type=Path, help="keep (and reuse) the seeded region here")
    ap.add_argument("--rounds", type=int, default=5,
                    help="runs of audit verify, each between two raw recovery passes")
    ap.add_argument("--child", nargs=2, metavar=("STEP", "PATH"), help=argparse.SUPPRESS)
    ap.add_argument("--data", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child[0], args.child[1], args.data)
        return
    entries = 10_000 if args.quick else args.entries
    from ledger.parallel import default_jobs

    jobs = default_jobs()
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        data = args.keep or tmp_path / "data"
        data.mkdir(parents=True, exist_ok=True)
        size = seed(data, entries)
        bundle = tmp_path / "bench.zip"
        export = measured("export", bundle, data)
        # raw recovery measured between the others, so that a change in the machine's
        # load shows in both
        raws, passes, runs = [raw_recovery_rate(bundle)], [raw_recovery_pass(bundle)], {}

        def paired(rate: float) -> float:
            """``rate`` ÷ the mean of the raw passes just before and just after it."""
            passes.append(raw_recovery_pass(bundle))
            return rate / statistics.mean(passes[-2:])

        steps: list[float] = []  # the default command's step, each between passes
        for step in dict.fromkeys((f"verify:{jobs}", "verify:1", f"ledger:{jobs}", "ledger:1")):
            runs[step] = measured(step, bundle)
            raws.append(raw_recovery_rate(bundle))
            ratio = paired(_rate(runs[step]))
            if step == f"verify:{jobs}":
                steps.append(ratio)
        steps += [paired(_rate(measured(f"verify:{jobs}", bundle)))
                  for _ in range(args.rounds - 1)]
        # the command as a user runs it: Python's start and the imports included
        whole: list[float] = []
        for _ in range(args.rounds):
            t = time.perf_counter()
            subprocess.run([*KAKAWARI, "audit", "verify", str(bundle)], check=True,
                           capture_output=True, env=env_for(tmp_path))
            whole.append(paired(size / (time.perf_counter() - t)))
        raw = statistics.median(r[0] for r in raws), statistics.median(r[1] for r in raws)
        report(size, bundle.stat().st_size, raw, export, runs, jobs)
        print(f"raw recovery over all {size:,} signatures in one pass: "
              f"{', '.join(f'{p:,.0f}' for p in passes)}/s (in order, between the runs)")
        print(f"audit verify ({jobs} processes) ÷ the mean of the raw passes before and after "
              f"it, {len(steps)} runs: {', '.join(f'{r:.2f}' for r in steps)} -> median "
              f"ratio {statistics.median(steps):.2f}   (target >= 0.5)")
        print(f"`kakawari audit verify` as a command (start and imports included), the same "
              f"way, {len(whole)} runs: {', '.join(f'{r:.2f}' for r in whole)} -> median "
              f"ratio {statistics.median(whole):.2f}")
        # the same steps on a quarter of the log: flat memory means the same peaks
        quarter = checkpoint_near(data, size // 4)
        small = tmp_path / "quarter.zip"
        small_export = measured(f"export:{quarter}", small, data)
        small_verify = measured("verify:1", small)
        print(f"peak RSS, {quarter} entries -> {size} entries: export "
              f"{small_export['peak_rss']:.0f} -> {export['peak_rss']:.0f} MB, verify "
              f"(one process) {small_verify['peak_rss']:.0f} -> "
              f"{runs['verify:1']['peak_rss']:.0f} MB")


def _rate(run: dict[str, Any]) -> float:
    return float(run["size"] / run["seconds"])


def report(size: int, nbytes: int, raw: tuple[float, float], export: dict[str, Any],
           runs: dict[str, dict[str, Any]], jobs: int) -> None:
    def rates(r: dict[str, Any]) -> str:
        wall, cpu = r["size"] / r["seconds"], r["size"] / r["cpu"]
        return (f"{wall:,.0f} entries/s in {r['seconds']:.1f} s -> ratio {wall / raw[0]:.2f}; "
                f"per CPU second (all processes) {cpu:,.0f} -> {cpu / raw[1]:.2f}")

    def rss(r: dict[str, Any]) -> str:
        curve = ", ".join(f"{mb:.0f}" for _, mb in r["samples"])
        return (f"peak {r['peak_rss']:.0f} MB (after imports {r['rss_after_imports']:.0f} MB; "
                f"resident at each tenth of the entries: {curve} MB)")

    print(f"region: {size} entries; bundle {nbytes / 1e6:.1f} MB; load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(f"raw coincurve recovery, one core, best of 3 passes over 20,000 of the same "
          f"signatures (median of the runs between the others): {raw[0]:,.0f}/s; per CPU "
          f"second {raw[1]:,.0f}; ratios below are to this")
    print(f"audit verify, everything, {jobs} processes (the command's default: one per CPU): "
          f"{rates(runs[f'verify:{jobs}'])}")
    if jobs > 1:
        print(f"audit verify, everything, one process: {rates(runs['verify:1'])}")
    print(f"ledger checks only (signatures, authority, tree, checkpoint), {jobs} "
          f"processes: {rates(runs[f'ledger:{jobs}'])}")
    if jobs > 1:
        print(f"ledger checks only, one process: {rates(runs['ledger:1'])}")
    print(f"export: {export['size'] / export['seconds']:,.0f} entries/s in "
          f"{export['seconds']:.1f} s; {rss(export)}")
    for step, r in runs.items():
        print(f"{step.replace(':', ', jobs ')}: {rss(r)}")


if __name__ == "__main__":
    main()
