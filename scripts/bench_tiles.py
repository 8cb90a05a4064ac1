"""Tiles and witnessing benchmark (issue 16), measured side by side in one run:

- requests per second, one keep-alive client against ``kakawari serve``: random full
  level-0 tiles (``GET /logs/<region>/tile/0/<N>``) beside random inclusion proofs from
  the API (``GET /v1/regions/<region>/proofs/inclusion``), in alternating rounds (the
  machine is shared; the median of each is reported, and their ratio);
- mirroring the whole log from its tiles (``kakawari audit fetch URL``) ÷ exporting the
  same bundle (``kakawari export --no-details``), both the full commands, alternating;
- cosigning latency between two local servers: a second ``kakawari serve`` whose witness
  trusts the first log is sent the log's stored checkpoints in order, each with its
  consistency proof (``POST /witness/add-checkpoint``): p50 and p99.

Run: ``.venv/bin/python scripts/bench_tiles.py [--entries N] [--keep DIR] [--rounds N]``.
``--keep DIR`` keeps (and reuses) the seeded region; seeding 100k entries takes a few
minutes.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
KAKAWARI = [sys.executable, "-c", "from service.cli import main; main()"]
REGION = "bench"


def env_for(data: Path) -> dict[str, str]:
    return {**os.environ, "KAKAWARI_DATA_DIR": str(data), "KAKAWARI_PASSPHRASE": "bench",
            "KAKAWARI_SCRYPT_N": "1024", "KAKAWARI_WITNESS_INTERVAL": "0",
            "PYTHONPATH": str(REPO)}


def kakawari(data: Path, *args: str) -> str:
    out = subprocess.run([*KAKAWARI, *args], env=env_for(data), check=True,
                         capture_output=True, text=True)
    return out.stdout


def show(data: Path, region: str) -> dict[str, object]:
    return dict(json.loads(kakawari(data, "region", "show", region, "--json")))


def seed(data: Path, entries: int) -> int:
    if not (data / "kakawari.db").exists():
        kakawari(data, "init", "--region", REGION, "--name", "ベンチ町")
    size = int(str(show(data, REGION)["size"]))
    while size < entries:
        # small batches: demo seed signs a batch before appending it, and a signed message
        # must be appended within the message window (15 minutes) of its issuedAt
        claims = min(2000, max(200, (entries - size) // 4 + 50))
        print(f"  seeding: {size} entries, adding ~{claims} claims ...", file=sys.stderr)
        kakawari(data, "demo", "seed", "--region", REGION, "--members",
                 str(max(20, claims // 70)), "--claims", str(claims), "--seed", str(size))
        size = int(str(show(data, REGION)["size"]))
    return size


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(data: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    proc = subprocess.Popen([*KAKAWARI, "serve", "--port", str(port)], env=env_for(data),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/v1/health").status_code == 200:
                return proc, url
        except httpx.TransportError:
            time.sleep(0.2)
    raise SystemExit("the server did not start")


def stop(proc: subprocess.Popen[bytes]) -> None:
    os.killpg(proc.pid, signal.SIGTERM)
    proc.wait(timeout=30)


def rate(client: httpx.Client, paths: list[str]) -> float:
    start = time.perf_counter()
    for path in paths:
        r = client.get(path)
        assert r.status_code == 200, (path, r.status_code)
    return len(paths) / (time.perf_counter() - start)


def bench_reads(url: str, size: int, rounds: int, n: int) -> None:
    from ledger.tiles import Tile

    rng = random.Random(1)
    full = size // 256
    with httpx.Client(base_url=url, timeout=30) as client:
        tiles_rps, proof_rps = [], []
        for _ in range(rounds):
            tiles_rps.append(rate(client, [f"/logs/{REGION}/{Tile(0, rng.randrange(full)).path()}"
                                           for _ in range(n)]))
            proof_rps.append(rate(client, [
                f"/v1/regions/{REGION}/proofs/inclusion?index={rng.randrange(size)}"
                for _ in range(n)]))
    t, p = statistics.median(tiles_rps), statistics.median(proof_rps)
    print(f"reads ({n} requests x {rounds} rounds, one keep-alive client):")
    print(f"  full level-0 tiles      {t:8.0f} req/s  (rounds: "
          f"{', '.join(f'{x:.0f}' for x in tiles_rps)})")
    print(f"  inclusion-proof route   {p:8.0f} req/s  (rounds: "
          f"{', '.join(f'{x:.0f}' for x in proof_rps)})")
    print(f"  tiles / proofs          {t / p:8.2f}")


def timed(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, env=env, check=True, capture_output=True)
    return time.perf_counter() - start


def bench_mirror(data: Path, url: str, rounds: int, work: Path) -> None:
    env = env_for(data)
    fetch, export = [], []
    for i in range(rounds):
        fetch.append(timed([*KAKAWARI, "audit", "fetch", f"{url}/logs/{REGION}", "--out",
                            str(work / f"fetched{i}.zip")], env))
        export.append(timed([*KAKAWARI, "export", "--region", REGION, "--out",
                             str(work / f"exported{i}.zip"), "--no-details"], env))
    f, e = statistics.median(fetch), statistics.median(export)
    print(f"mirror vs export ({rounds} rounds each, alternating; whole commands):")
    print(f"  audit fetch (tiles over HTTP)  {f:6.2f} s  ({', '.join(f'{x:.2f}' for x in fetch)})")
    print(f"  export --no-details            {e:6.2f} s  ({', '.join(f'{x:.2f}' for x in export)})")
    print(f"  fetch / export                 {f / e:6.2f}")


def bench_cosign(data: Path, witness_data: Path, count: int) -> None:
    from ledger.witness import format_request
    from service.db import open_database

    vkey = str(show(data, REGION)["vkey"])
    if not (witness_data / "kakawari.db").exists():
        kakawari(witness_data, "init", "--region", "witness", "--name", "証人村")
    kakawari(witness_data, "witness", "trust", "--region", "witness", "--vkey", vkey)
    store = open_database(f"sqlite:///{data / 'kakawari.db'}")
    origin = f"kakawari/{REGION}"
    try:
        sizes = store.checkpoint_sizes(origin)
        step = max(1, len(sizes) // count)
        chosen = sizes[::step][:count]
        bodies: list[bytes] = []
        old = 0
        for size in chosen:
            cp = store.checkpoint_at(origin, size)
            assert cp is not None
            proof = store.consistency_proof(origin, old, size) if old else []
            bodies.append(format_request(old, proof, cp.note))
            old = size
        grown = len(bodies)
        while len(bodies) < count:  # the latest checkpoint again: checked and cosigned anew
            bodies.append(bodies[-1] if len(bodies) > grown else format_request(old, [], cp.note))
    finally:
        store.close()
    proc, url = serve(witness_data)
    try:
        latencies = []
        with httpx.Client(base_url=url, timeout=30) as client:
            first = client.post("/witness/add-checkpoint", content=format_request(0, [], "x\n"))
            del first  # warm the connection
            for body in bodies:
                start = time.perf_counter()
                r = client.post("/witness/add-checkpoint", content=body)
                latencies.append(time.perf_counter() - start)
                if r.status_code != 200:
                    raise SystemExit(f"witness answered {r.status_code}: {r.text}")
    finally:
        stop(proc)
    latencies.sort()
    p50 = latencies[len(latencies) // 2] * 1000
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000
    print(f"cosigning ({len(latencies)} requests to a second local server: the log's "
          f"{grown} stored checkpoints in order, each with its consistency proof, then the "
          "latest again):")
    print(f"  add-checkpoint latency  p50 {p50:.1f} ms   p99 {p99:.1f} ms")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--entries", type=int, default=100_000)
    ap.add_argument("--keep", type=Path, help="keep (and reuse) the seeded region here")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--requests", type=int, default=1000)
    ap.add_argument("--cosign", type=int, default=300, help="checkpoints to cosign")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = args.keep or Path(tmp)
        data, witness = base / "log", base / "witness"
        size = seed(data, args.entries)
        print(f"log: {size} entries ({REGION})")
        proc, url = serve(data)
        try:
            bench_reads(url, size, args.rounds, args.requests)
            bench_mirror(data, url, args.rounds, Path(tmp))
        finally:
            stop(proc)
        bench_cosign(data, witness, args.cosign)


if __name__ == "__main__":
    main()
