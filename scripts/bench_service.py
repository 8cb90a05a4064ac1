"""Service benchmark for issue 5: claims accepted per second over HTTP with 32
concurrent clients, divided by the rate of a trivial endpoint (``GET /v1/ping``) of the
same server in the same run (target ≥ 0.3), with p50/p99 latency; on SQLite and on
PostgreSQL.

Each run starts ``kakawari serve`` (one worker) on a fresh database, has 64 members
join, pre-signs every claim (client signing is not timed), then drives the trivial
endpoint and the claims endpoint with 32 concurrent clients for the same duration,
alternating, over several rounds.

Run: ``.venv/bin/python scripts/bench_service.py [--seconds 4] [--rounds 3]
[--clients 32] [--workers 1] [--engine sqlite|postgres ...]`` (or ``scripts/bench
service``). The ratio printed is the median over rounds that alternate the two sides.
PostgreSQL comes from ``KAKAWARI_TEST_PG_URL`` (default the local server; a fresh schema
is made and dropped).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from ledger import eip712  # noqa: E402
from ledger.messages import MESSAGE_TYPES  # noqa: E402

PG_URL = os.environ.get("KAKAWARI_TEST_PG_URL",
                        "postgresql+psycopg://postgres@127.0.0.1:5432/test")
ZERO32 = "0x" + "00" * 32
REGION = "bench"


@contextmanager
def database(engine: str, tmp: Path) -> Iterator[str]:
    if engine == "sqlite":
        yield f"sqlite:///{tmp / 'bench.db'}"
        return
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    admin = create_engine(PG_URL)
    schema = "bench_" + uuid.uuid4().hex[:10]
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    url = make_url(PG_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def server(url: str, tmp: Path, workers: int) -> Iterator[str]:
    env = {**os.environ, "KAKAWARI_DATA_DIR": str(tmp / "data"), "KAKAWARI_DATABASE_URL": url,
           "KAKAWARI_PASSPHRASE": "bench-pass", "KAKAWARI_SCRYPT_N": "1024"}
    kakawari = str(Path(sys.executable).with_name("kakawari"))
    subprocess.run([kakawari, "init", "--region", REGION, "--name", "Bench"], env=env,
                   check=True, capture_output=True)
    port = free_port()
    proc = subprocess.Popen(
        [kakawari, "serve", "--port", str(port), "--workers", str(workers)], env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(base + "/v1/ping").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the server did not start")
            time.sleep(0.1)
        yield base
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)


def signed(key: bytes, chain_id: int, type_: str, fields: dict[str, Any]) -> dict[str, Any]:
    mtype = MESSAGE_TYPES[type_]
    message = eip712.normalize_message(mtype, {
        "region": REGION, "nonce": secrets.randbits(53), "issuedAt": int(time.time()),
        mtype.signer_field: eip712.address_of(key), **fields})
    return {"message": message,
            "signature": eip712.sign_message(key, eip712.Domain(chain_id), mtype, message)}


class Connection:
    """A minimal HTTP/1.1 keep-alive client on asyncio streams: pre-encoded requests,
    responses read by Content-Length. Much lighter than a general client, so the
    load generator (sharing the machine's cores) does not cap the trivial endpoint."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, raw: bytes) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        self.writer.write(raw)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        body = await self.reader.readexactly(length) if length else b""
        return status, body

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


def encode(method: str, path: str, body: Any, host: str) -> bytes:
    data = json.dumps(body).encode() if body is not None else b""
    head = f"{method} {path} HTTP/1.1\r\nHost: {host}\r\n"
    if body is not None:
        head += f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n"
    return (head + "\r\n").encode() + data


async def drive(base: str, clients: int, seconds: float, requests: list[list[bytes]]
                ) -> tuple[int, list[float]]:
    """``clients`` concurrent keep-alive connections, each sending its requests in turn
    for ``seconds``; returns (accepted, latencies)."""
    url = httpx.URL(base)
    latencies: list[float] = []
    ok = 0
    stop = time.perf_counter() + seconds

    async def loop(c: int) -> None:
        nonlocal ok
        conn = Connection(url.host, url.port or 80)
        try:
            for raw in requests[c]:
                if time.perf_counter() >= stop:
                    return
                t = time.perf_counter()
                status, body = await conn.request(raw)
                latencies.append(time.perf_counter() - t)
                if status not in (200, 201):
                    raise RuntimeError(f"HTTP {status}: {body[:300]!r}")
                ok += 1
            raise RuntimeError("ran out of pre-signed requests; raise per_client")
        finally:
            conn.close()

    await asyncio.gather(*(loop(c) for c in range(clients)))
    return ok, latencies


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] * 1000 if len(values) > 1 else 0.0


def measure(engine: str = "sqlite", clients: int = 32, seconds: float = 5.0,
            workers: int = 1, rounds: int = 3) -> dict[str, Any]:
    """``rounds`` alternating runs of the trivial endpoint and of claims, ``seconds``
    each, on one server over ``engine``. Returns medians over the rounds (rates per
    second, their ratio) and latency percentiles over every request (ms). Alternating
    keeps a neighbour's load from landing on one side of the ratio only."""
    with tempfile.TemporaryDirectory() as d, database(engine, Path(d)) as url, \
            server(url, Path(d), workers) as base:
        typed = httpx.get(base + "/v1/typed-data", params={"region": REGION}).json()
        chain_id = int(typed["domain"]["chainId"])
        keys = [secrets.token_bytes(32) for _ in range(clients * 2)]
        with httpx.Client(base_url=base, timeout=60) as http:
            for i, key in enumerate(keys):
                r = http.post(f"/v1/regions/{REGION}/members",
                              json=signed(key, chain_id, "Join", {"displayName": f"m{i}"}))
                r.raise_for_status()
        host = httpx.URL(base).netloc.decode()
        path = f"/v1/regions/{REGION}/claims"
        ping = encode("GET", "/v1/ping", None, host)
        # Pre-sign more claims than can be sent (signing is the client's work, untimed).
        per_client = int(seconds * 1500 / clients) + 100
        trivial_rates: list[float] = []
        claim_rates: list[float] = []
        trivial_lat: list[float] = []
        claim_lat: list[float] = []
        for r in range(rounds):
            now = int(time.time())
            claims_raw = [[encode("POST", path, signed(keys[c], chain_id, "Claim", {
                "category": "cleanup", "title": f"Beach clean-up #{r}.{i}", "minutes": 60,
                "occurredAt": now - 3600, "quest": ZERO32,
                "coContributors": [eip712.address_of(keys[c + clients])],
                "detailsHash": ZERO32}), host) for i in range(per_client)]
                for c in range(clients)]
            n, lat = asyncio.run(drive(base, clients, seconds,
                                       [[ping] * 100_000 for _ in range(clients)]))
            trivial_rates.append(n / seconds)
            trivial_lat += lat
            n, lat = asyncio.run(drive(base, clients, seconds, claims_raw))
            claim_rates.append(n / seconds)
            claim_lat += lat
    ratios = [c / t for c, t in zip(claim_rates, trivial_rates, strict=True)]
    return {
        "engine": engine, "clients": clients, "workers": workers, "seconds": seconds,
        "rounds": rounds,
        "claims_per_s": round(statistics.median(claim_rates), 1),
        "trivial_per_s": round(statistics.median(trivial_rates), 1),
        "ratio": round(statistics.median(ratios), 3),
        "ratios": [round(x, 3) for x in ratios],
        "claim_p50_ms": round(pct(claim_lat, 50), 1), "claim_p99_ms": round(pct(claim_lat, 99), 1),
        "trivial_p50_ms": round(pct(trivial_lat, 50), 1),
        "trivial_p99_ms": round(pct(trivial_lat, 99), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--engine", action="append", choices=["sqlite", "postgres"])
    args = parser.parse_args()
    for engine in args.engine or ["sqlite", "postgres"]:
        r = measure(engine, args.clients, args.seconds, args.workers, args.rounds)
        print(f"{engine:9} claims {r['claims_per_s']:7.1f}/s ÷ trivial {r['trivial_per_s']:7.1f}/s"
              f" = {r['ratio']:.3f} (target ≥ 0.3; rounds {r['ratios']})"
              f"  claim p50 {r['claim_p50_ms']} ms p99 {r['claim_p99_ms']} ms"
              f"  (trivial p50 {r['trivial_p50_ms']} ms p99 {r['trivial_p99_ms']} ms;"
              f" {r['clients']} clients, {r['workers']} worker(s))")


if __name__ == "__main__":
    main()
