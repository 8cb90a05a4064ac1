"""Governance benchmark for issue 15.

1. **Tally**: counting 10³, 10⁴ and 10⁵ votes of each method (for-against, single of 5,
   approval of 10, ranked of 6 with partial ballots, budget of 10 projects by Method of
   Equal Shares completed, with greedy beside it) — the whole decision as the service
   writes it and the audit recomputes it (:func:`service.domain.governance.count` and its
   RFC 8785 text) — and its ratio to raw coincurve recovery of as many signatures, timed
   right after on the same machine. The tally must never be the slow part of an audit:
   the ratio should stay well under 1.
2. **Vote POSTs per second beside claim POSTs per second**, in the same run: one
   ``kakawari serve`` on SQLite, 32 clients, pre-signed requests, alternating rounds
   (``scripts/bench_service.py``'s load generator).

Run: ``.venv/bin/python scripts/bench_governance.py [--quick] [--no-http]`` (or
``scripts/bench governance``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))

from bench_service import REGION, ZERO32, database, drive, encode, server, signed  # noqa: E402

from ledger import eip712  # noqa: E402
from service.domain import governance  # noqa: E402

METHODS = ("for-against", "single", "approval", "ranked", "budget")


def _election(method: str, n_votes: int, rng: random.Random) -> tuple[dict[str, Any], list[Any]]:
    n = {"for-against": 3, "single": 5, "approval": 10, "ranked": 6, "budget": 10}[method]
    costs = [rng.randint(10, 100) * 1000 for _ in range(n)] if method == "budget" else []
    budget = sum(costs) * 2 // 5 if costs else 0
    popular = [rng.random() for _ in range(n)]
    ballots = []
    for v in range(n_votes):
        if method in ("for-against", "single"):
            b = [rng.choices(range(n), weights=popular)[0]]
        elif method == "ranked":
            b = sorted(range(n), key=lambda i: -popular[i] * rng.random())[:rng.randint(0, n)]
        else:
            b = sorted(i for i in range(n) if rng.random() < popular[i] * 0.5)
            while method == "budget" and sum(costs[i] for i in b) > budget:
                b.pop(rng.randrange(len(b)))
        ballots.append((f"0x{v:040x}", 1, b))
    row = {"id": ZERO32, "method": method, "choices": json.dumps(
        [] if method == "for-against" else [f"c{i}" for i in range(n)]),
        "costs": json.dumps(costs), "budget": budget, "eligible_power": n_votes,
        "eligible_voters": n_votes, "votes": n_votes,
        "rules": json.dumps({"quorumPercent": 10, "supportPercent": 50})}
    return row, ballots


def _signatures(count: int) -> list[tuple[bytes, bytes]]:
    import coincurve

    keys = [coincurve.PrivateKey(secrets.token_bytes(32)) for _ in range(64)]
    out = []
    for i in range(count):
        digest = secrets.token_bytes(32)
        out.append((keys[i % 64].sign_recoverable(digest, hasher=None), digest))
    return out


def _recover(sigs: list[tuple[bytes, bytes]]) -> float:
    import coincurve

    t = time.perf_counter()
    for sig, digest in sigs:
        coincurve.PublicKey.from_signature_and_message(sig, digest, hasher=None)
    return time.perf_counter() - t


def tally_part(sizes: list[int]) -> None:
    rng = random.Random(15)
    sigs = _signatures(max(sizes))
    for size in sizes:
        for method in METHODS:
            row, ballots = _election(method, size, rng)
            t = time.perf_counter()
            governance.result_text(governance.count(row, ballots))
            tally = time.perf_counter() - t
            raw = _recover(sigs[:size])
            print(f"tally {method:12} {size:>7} votes {tally * 1000:9.1f} ms   raw recovery of "
                  f"{size} signatures {raw * 1000:8.1f} ms   ratio {tally / raw:6.3f}",
                  flush=True)


def http_part(seconds: float, rounds: int, clients: int) -> None:
    with tempfile.TemporaryDirectory() as d, database("sqlite", Path(d)) as url, \
            server(url, Path(d), 1) as base:
        env = {**os.environ, "KAKAWARI_DATA_DIR": str(Path(d) / "data"),
               "KAKAWARI_DATABASE_URL": url, "KAKAWARI_PASSPHRASE": "bench-pass",
               "KAKAWARI_KEY_PASSPHRASE": "bench-key"}
        key_file = Path(d) / "admin.json"
        subprocess.run([str(Path(sys.executable).with_name("kakawari")), "key", "from-region",
                        "--region", REGION, "--key", str(key_file)], env=env, check=True,
                       capture_output=True)
        from service.client import load_key

        admin = load_key(key_file, "bench-key")
        typed = httpx.get(base + "/v1/typed-data", params={"region": REGION}).json()
        chain_id = int(typed["domain"]["chainId"])
        keys = [secrets.token_bytes(32) for _ in range(clients * 2)]
        with httpx.Client(base_url=base, timeout=60) as http:
            for i, key in enumerate(keys):
                http.post(f"/v1/regions/{REGION}/members", json=signed(
                    key, chain_id, "Join", {"displayName": f"m{i}"})).raise_for_status()
            now = int(time.time())
            r = http.post(f"/v1/regions/{REGION}/proposals", json=signed(
                admin, chain_id, "Proposal", {
                "title": "bench", "text": "bench", "method": "for-against", "choices": [],
                "costs": [], "budget": 0, "opensAt": now, "closesAt": now + 7 * 86400,
                "hideTotals": False}))
            r.raise_for_status()
            proposal = r.json()["id"]
        host = httpx.URL(base).netloc.decode()
        per_client = int(seconds * 1500 / clients) + 100
        claim_rates, vote_rates = [], []
        for n in range(rounds):
            now = int(time.time())
            claims = [[encode("POST", f"/v1/regions/{REGION}/claims", signed(
                keys[c], chain_id, "Claim", {
                    "category": "cleanup", "title": f"#{n}.{i}", "minutes": 60,
                    "occurredAt": now - 3600, "quest": ZERO32, "coContributors": [
                        eip712.address_of(keys[c + clients])], "detailsHash": ZERO32}), host)
                for i in range(per_client)] for c in range(clients)]
            votes = [[encode("POST", f"/v1/regions/{REGION}/proposals/{proposal}/votes", signed(
                keys[c], chain_id, "Vote", {"proposal": proposal, "ballot": [i % 3]}), host)
                for i in range(per_client)] for c in range(clients)]
            done, _ = asyncio.run(drive(base, clients, seconds, claims))
            claim_rates.append(done / seconds)
            done, _ = asyncio.run(drive(base, clients, seconds, votes))
            vote_rates.append(done / seconds)
        ratio = statistics.median(v / c for v, c in zip(vote_rates, claim_rates, strict=True))
        print(f"sqlite    votes {statistics.median(vote_rates):7.1f}/s beside claims "
              f"{statistics.median(claim_rates):7.1f}/s = {ratio:.3f} "
              f"({clients} clients, {rounds} alternating rounds of {seconds:g} s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="10^3 and 10^4 votes only")
    parser.add_argument("--no-http", action="store_true", help="skip the HTTP part")
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--clients", type=int, default=32)
    args = parser.parse_args()
    tally_part([1000, 10_000] if args.quick else [1000, 10_000, 100_000])
    if not args.no_http:
        http_part(args.seconds, args.rounds, args.clients)


if __name__ == "__main__":
    main()
