"""Ledger benchmarks for issue 3, each a ratio measured side by side in one run.

- signer recovery: the fast EIP-712 path ÷ raw coincurve recovery on the same
  signatures (target ≥ 0.6), with eth-account's ratio beside it;
- appends in batches through the store ÷ a bare SQLite insert of the same entry bytes
  with the same PRAGMAs (target ≥ 0.25);
- inclusion-proof latency from the store at 10^3 and 10^6 entries (target ratio ≤ 3);
- ``verify`` of a stored log of signed entries ÷ raw coincurve (target ≥ 0.5).

Run: ``.venv/bin/python scripts/bench_ledger.py [--quick]`` (or ``scripts/bench``).
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import coincurve

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ledger import eip712
from ledger.entry import Entry
from ledger.messages import MESSAGE_TYPES

DOMAIN = eip712.Domain(chain_id=31337)
CLAIM = MESSAGE_TYPES["Claim"]


def rate(fn: Callable[[], int], repeat: int = 3) -> float:
    """Best-of-``repeat`` items per second of ``fn`` (which returns its item count)."""
    best = 0.0
    for _ in range(repeat):
        t = time.perf_counter()
        n = fn()
        best = max(best, n / (time.perf_counter() - t))
    return best


def claim_message(rng: random.Random, key: bytes) -> dict[str, Any]:
    return eip712.normalize_message(CLAIM, {
        "region": "bench", "contributor": eip712.address_of(key), "category": "festival",
        "title": rng.choice(["海岸清掃に参加しました", "Set up stalls for the summer festival"]),
        "minutes": rng.randrange(1, 600), "occurredAt": 1_790_000_000, "quest": "0x" + "00" * 32,
        "coContributors": ["0x" + secrets.token_hex(20) for _ in range(rng.randrange(3))],
        "detailsHash": "0x" + secrets.token_hex(32), "nonce": rng.randrange(2**53),
        "issuedAt": 1_790_000_000,
    })


def bench_recovery(n: int) -> dict[str, float]:
    from eth_account import Account
    from eth_account.messages import encode_typed_data

    rng = random.Random(1)
    keys = [secrets.token_bytes(32) for _ in range(16)]
    msgs = [claim_message(rng, keys[i % 16]) for i in range(n)]
    sigs = [eip712.sign_message(keys[i % 16], DOMAIN, CLAIM, m) for i, m in enumerate(msgs)]
    digests = [eip712.signing_digest(DOMAIN, CLAIM, m) for m in msgs]
    raw_sigs = [bytes.fromhex(s[2:]) for s in sigs]
    cc_sigs = [s[:64] + bytes([s[64] - 27]) for s in raw_sigs]

    def raw() -> int:
        for d, s in zip(digests, cc_sigs, strict=True):
            coincurve.PublicKey.from_signature_and_message(s, d, hasher=None)
        return n

    def fast() -> int:
        for m, s in zip(msgs, sigs, strict=True):
            eip712.check_canonical(CLAIM, m)
            eip712.recover_signer(eip712.signing_digest(DOMAIN, CLAIM, m), s)
        return n

    sample = min(n, 500)

    def reference() -> int:
        for m, s in zip(msgs[:sample], raw_sigs[:sample], strict=True):
            Account.recover_message(
                encode_typed_data(full_message=eip712.typed_data(DOMAIN, CLAIM, m)), signature=s
            )
        return sample

    r_raw, r_fast, r_eth = rate(raw), rate(fast), rate(reference, 1)
    return {"raw_per_s": r_raw, "fast_per_s": r_fast, "eth_account_per_s": r_eth,
            "fast_ratio": r_fast / r_raw, "eth_account_ratio": r_eth / r_raw}


def synthetic_entry(origin: str, seq: int) -> bytes:
    return Entry(origin, seq, 1_790_000_000, "Join", "0x" + "11" * 20,
                 {"region": origin[9:], "member": "0x" + "11" * 20, "displayName": f"m{seq}",
                  "nonce": seq, "issuedAt": 1_790_000_000},
                 "0x" + "22" * 64 + "1c").to_bytes()


Signer = Callable[[int, bytes], str]
NoteCheck = Callable[[str, str], tuple[int, bytes]]


def _fake_note(origin: str) -> tuple[Signer, NoteCheck]:
    """Real Ed25519 checkpoint signing, as the service does it."""
    from ledger.checkpoint import Checkpoint, sign_checkpoint
    from ledger.note import new_signer_keys, parse_skey
    from service.regions import verify_note

    skey, vkey = new_signer_keys(origin)
    signer = parse_skey(skey)

    def sign(size: int, root: bytes) -> str:
        return sign_checkpoint(Checkpoint(origin, size, root), signer)

    sign.vkey = vkey  # type: ignore[attr-defined]
    return sign, verify_note


def open_bench_store(path: Path, origin: str) -> tuple[Any, Callable[[int, bytes], str]]:
    from ledger.store.sql import open_store

    sign, verify = _fake_note(origin)
    store = open_store(f"sqlite:///{path}", verify)
    store.create_log(origin, sign.vkey)  # type: ignore[attr-defined]
    return store, sign


def fill(store: Any, sign: Callable[[int, bytes], str], origin: str, n: int, batch: int,
         start: int = 0, progress: bool = False) -> None:
    seq = start
    while seq < n:
        with store.appending(origin, sign) as tx:
            for _ in range(min(batch, n - seq)):
                tx.append(synthetic_entry(origin, tx.size))
            seq = tx.size
        if progress and seq % 100_000 < batch:
            print(f"  … {seq:,} entries", file=sys.stderr)


def bench_append(tmp: Path, n: int, batch: int) -> dict[str, float]:
    from ledger.store.sql import SQLITE_PRAGMAS

    origin = "kakawari/bench-append"
    data = [synthetic_entry(origin, i) for i in range(n)]

    def bare() -> int:
        path = tmp / f"bare-{secrets.token_hex(4)}.db"
        conn = sqlite3.connect(path, isolation_level=None)
        for name, value in SQLITE_PRAGMAS:
            conn.execute(f"PRAGMA {name}={value}")
        conn.execute("CREATE TABLE t (seq INTEGER PRIMARY KEY, data BLOB NOT NULL)")
        for i in range(0, n, batch):
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany("INSERT INTO t VALUES (?, ?)",
                             [(j, data[j]) for j in range(i, min(n, i + batch))])
            conn.execute("COMMIT")
        conn.close()
        return n

    def store() -> int:
        s, sign = open_bench_store(tmp / f"store-{secrets.token_hex(4)}.db", origin)
        for i in range(0, n, batch):
            with s.appending(origin, sign) as tx:
                for j in range(i, min(n, i + batch)):
                    tx.append(data[j])
        s.close()
        return n

    r_bare, r_store = rate(bare), rate(store)
    return {"bare_per_s": r_bare, "store_per_s": r_store, "ratio": r_store / r_bare,
            "batch": batch, "entries": n}


def bench_proofs(tmp: Path, big: int) -> dict[str, float]:
    results = {}
    for n in (1000, big):
        origin = f"kakawari/bench-proof-{n}"
        store, sign = open_bench_store(tmp / f"proof-{n}.db", origin)
        t = time.perf_counter()
        fill(store, sign, origin, n, 20_000, progress=n > 100_000)
        build = time.perf_counter() - t
        rng = random.Random(7)
        samples = []
        for _ in range(2000):
            index = rng.randrange(n)
            t = time.perf_counter()
            store.inclusion_proof(origin, index, n)
            samples.append(time.perf_counter() - t)
        store.close()
        results[n] = (statistics.median(samples), build)
    small, large = results[1000][0], results[big][0]
    return {"small_entries": 1000, "large_entries": big, "p50_small_us": small * 1e6,
            "p50_large_us": large * 1e6, "ratio": large / small,
            "large_build_s": results[big][1]}


def bench_verify(tmp: Path, n: int) -> dict[str, float]:
    from ledger.integrity import verify_stored_log
    from ledger.parallel import default_jobs
    from ledger.store.sql import open_store
    from service.config import Settings
    from service.keyring import Keyring
    from service.regions import Regions, Signed, verify_note

    settings = Settings(data_dir=tmp / "verify-data", scrypt_n=1024)
    store = open_store(f"sqlite:///{tmp / 'verify.db'}", verify_note)
    regions = Regions(store, Keyring(settings, b"bench"))
    regions.create("bench", "Bench")
    rng = random.Random(3)
    keys = [secrets.token_bytes(32) for _ in range(64)]
    items: list[Signed] = []
    digests: list[bytes] = []
    sigs: list[bytes] = []
    for i in range(n - 1):
        key = keys[i % 64]
        m = claim_message(rng, key)
        m["region"] = "bench"
        s = eip712.sign_message(key, DOMAIN, CLAIM, m)
        items.append(Signed("Claim", m, s))
        digests.append(eip712.signing_digest(DOMAIN, CLAIM, m))
        raw = bytes.fromhex(s[2:])
        sigs.append(raw[:64] + bytes([raw[64] - 27]))
    for i in range(0, len(items), 5000):
        regions.append("bench", items[i : i + 5000])

    def raw() -> int:
        for d, s in zip(digests, sigs, strict=True):
            coincurve.PublicKey.from_signature_and_message(s, d, hasher=None)
        return len(digests)

    jobs = default_jobs()

    def verify() -> int:
        return verify_stored_log(store, "kakawari/bench").size

    def verify_parallel() -> int:
        return verify_stored_log(store, "kakawari/bench", jobs=jobs).size

    r_raw, r_verify, r_par = rate(raw, 2), rate(verify, 2), rate(verify_parallel, 2)
    store.close()
    return {"entries": n, "raw_per_s": r_raw, "verify_per_s": r_verify,
            "ratio": r_verify / r_raw, "jobs": jobs, "parallel_per_s": r_par,
            "parallel_ratio": r_par / r_raw}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="smaller sizes (10^5 proofs log, 10^4 verify) for a fast look")
    args = parser.parse_args(argv)
    big, nverify = (100_000, 10_000) if args.quick else (1_000_000, 100_000)
    with tempfile.TemporaryDirectory(prefix="kakawari-bench-") as d:
        tmp = Path(d)
        r = bench_recovery(3000)
        print(f"signer recovery   raw coincurve {r['raw_per_s']:>9,.0f}/s  "
              f"fast path {r['fast_per_s']:>9,.0f}/s  ratio {r['fast_ratio']:.2f} (target ≥ 0.6)  "
              f"eth-account {r['eth_account_per_s']:,.0f}/s ratio {r['eth_account_ratio']:.2f}")
        a = bench_append(tmp, 20_000, 1000)
        print(f"append (batch {a['batch']:.0f})  bare SQLite {a['bare_per_s']:>9,.0f}/s  "
              f"store {a['store_per_s']:>9,.0f}/s  ratio {a['ratio']:.2f} (target ≥ 0.25)")
        v = bench_verify(tmp, nverify)
        print(f"verify {v['entries']:,.0f} signed  raw coincurve {v['raw_per_s']:>9,.0f}/s  "
              f"verify {v['verify_per_s']:>9,.0f}/s  ratio {v['ratio']:.2f} (target ≥ 0.5)  "
              f"with --jobs {v['jobs']:.0f}: {v['parallel_per_s']:,.0f}/s "
              f"ratio {v['parallel_ratio']:.2f}")
        p = bench_proofs(tmp, big)
        print(f"inclusion proof   p50 {p['p50_small_us']:.0f} µs at 10^3, "
              f"{p['p50_large_us']:.0f} µs at {p['large_entries']:,.0f}  "
              f"ratio {p['ratio']:.2f} (target ≤ 3; built in {p['large_build_s']:.0f} s)")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    sys.exit(main(sys.argv[1:]))
