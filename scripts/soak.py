"""Soak test (issue 13; not part of CI): many signing clients against ``kakawari serve
--workers N`` on PostgreSQL for a set time, while a reader checks inclusion proofs of
what was written against the signed checkpoint; then ``kakawari verify``.

Prints claims per second, the latency of answered claims (p50, p99, max), errors by
kind, the inclusion proofs checked, and the final verify result. Exit 1 when anything
failed (an error answer, a proof that does not verify, verify failing).

    scripts/soak [--seconds 60] [--clients 16] [--workers 4] [--pg URL]
"""

from __future__ import annotations

import argparse
import base64
import os
import random
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ledger import eip712, merkle  # noqa: E402
from ledger.checkpoint import open_checkpoint  # noqa: E402
from ledger.messages import MESSAGE_TYPES  # noqa: E402
from ledger.note import parse_vkey  # noqa: E402

KAKAWARI = str(ROOT / ".venv" / "bin" / "kakawari")
REGION = "soak"
ZERO32 = "0x" + "00" * 32
CHAIN_ID = 31337


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Client:
    """A member with a key of their own, signing on this machine."""

    def __init__(self) -> None:
        self.key = secrets.token_bytes(32)
        self.address = eip712.address_of(self.key)

    def body(self, type_: str, **fields: Any) -> dict[str, Any]:
        mtype = MESSAGE_TYPES[type_]
        message = eip712.normalize_message(mtype, {
            "region": REGION, "nonce": secrets.randbits(53), "issuedAt": int(time.time()),
            mtype.signer_field: self.address, **fields})
        signature = eip712.sign_message(self.key, eip712.Domain(CHAIN_ID), mtype, message)
        return {"message": message, "signature": signature}


class Results:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latencies: list[float] = []
        self.errors: Counter[str] = Counter()
        self.written: list[int] = []  # seqs of claims answered 201
        self.proofs_ok = 0
        self.proofs_bad: list[str] = []


def writer(base: str, client: Client, until: float, out: Results) -> None:
    with httpx.Client(base_url=base, timeout=60) as http:
        i = 0
        while time.monotonic() < until:
            body = client.body("Claim", category="cleanup", title=f"soak {i}", minutes=30,
                               occurredAt=int(time.time()) - 60, quest=ZERO32,
                               coContributors=[], detailsHash=ZERO32)
            i += 1
            start = time.perf_counter()
            try:
                r = http.post(f"/v1/regions/{REGION}/claims", json=body)
            except httpx.HTTPError as exc:
                with out.lock:
                    out.errors[type(exc).__name__] += 1
                continue
            took = time.perf_counter() - start
            with out.lock:
                if r.status_code == 201:
                    out.latencies.append(took)
                    out.written.append(int(r.json()["entries"][0]["seq"]))
                else:
                    out.errors[f"{r.status_code} {r.json().get('code', '')}"] += 1


def reader(base: str, vkey: str, until: float, out: Results) -> None:
    """Check inclusion proofs of written claims against the signed checkpoint."""
    verifier = parse_vkey(vkey)
    with httpx.Client(base_url=base, timeout=60) as http:
        while time.monotonic() < until:
            with out.lock:
                seq = random.choice(out.written) if out.written else None
            if seq is None:
                time.sleep(0.1)
                continue
            try:
                cp = open_checkpoint(http.get(f"/v1/regions/{REGION}/checkpoint").text,
                                     verifier, f"kakawari/{REGION}")
                entry = http.get(f"/v1/regions/{REGION}/entries",
                                 params={"start": seq, "limit": 1}).json()["entries"][0]
                proof = http.get(f"/v1/regions/{REGION}/proofs/inclusion",
                                 params={"index": seq, "size": cp.size}).json()
                merkle.verify_inclusion(merkle.leaf_hash(entry["entry"].encode()), seq, cp.size,
                                        [base64.b64decode(p) for p in proof["proof"]], cp.root)
                with out.lock:
                    out.proofs_ok += 1
            except Exception as exc:  # a proof that fails is the finding
                with out.lock:
                    out.proofs_bad.append(f"entry {seq}: {type(exc).__name__}: {exc}")


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] if len(values) > 1 else values[0]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--pg", default=os.environ.get(
        "KAKAWARI_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
    args = ap.parse_args()

    schema = "soak_" + uuid.uuid4().hex[:10]
    admin = create_engine(args.pg)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    url = make_url(args.pg).update_query_dict({"options": f"-csearch_path={schema}"})
    data = Path(tempfile.mkdtemp(prefix="kakawari-soak-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("KAKAWARI_")}
    env.update(KAKAWARI_DATA_DIR=str(data), KAKAWARI_PASSPHRASE=secrets.token_hex(16),
               KAKAWARI_DATABASE_URL=url.render_as_string(hide_password=False),
               KAKAWARI_LOG_FORMAT="json")
    server = None
    try:
        subprocess.run([KAKAWARI, "init", "--region", REGION, "--name", "Soak"], env=env,
                       check=True, capture_output=True)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        log = open(data / "serve.log", "wb")  # noqa: SIM115
        server = subprocess.Popen([KAKAWARI, "serve", "--port", str(port), "--workers",
                                   str(args.workers)], env=env, stdout=log, stderr=log,
                                  start_new_session=True)
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/v1/health").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                print("soak: the server did not start; see", data / "serve.log")
                return 1
            time.sleep(0.2)
        vkey = next(r["vkey"] for r in httpx.get(f"{base}/v1/regions").json()
                    if r["region"] == REGION)

        out = Results()
        clients = [Client() for _ in range(args.clients)]
        for c in clients:  # members first; the clock starts when all have joined
            r = httpx.post(f"{base}/v1/regions/{REGION}/members", timeout=60,
                           json=c.body("Join", displayName="soak"))
            if r.status_code != 201:
                print(f"soak: join refused: {r.status_code} {r.text[:200]}")
                return 1
        start = time.monotonic()
        until = start + args.seconds
        threads = [threading.Thread(target=writer, args=(base, c, until, out))
                   for c in clients]
        threads.append(threading.Thread(target=reader, args=(base, vkey, until, out)))
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        elapsed = time.monotonic() - start
        counted = sum(float(line.rsplit(" ", 1)[1])
                      for line in httpx.get(f"{base}/metrics").text.splitlines()
                      if line.startswith("kakawari_http_requests_total{")
                      and 'route="/v1/regions/{region}/claims"' in line
                      and 'method="POST"' in line and 'status="201"' in line)
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=60)
        server = None
        verified = subprocess.run([KAKAWARI, "verify", "--region", REGION], env=env,
                                  capture_output=True, text=True)

        lat = sorted(out.latencies)
        print(f"soak: {args.clients} signing clients + 1 proof reader, {args.seconds:g} s, "
              f"kakawari serve --workers {args.workers} on PostgreSQL")
        print(f"claims answered 201: {len(lat)}  ({len(lat) / elapsed:.1f} claims/s)")
        if lat:
            print(f"latency: p50 {pct(lat, 50) * 1000:.0f} ms, p99 {pct(lat, 99) * 1000:.0f} ms, "
                  f"max {lat[-1] * 1000:.0f} ms")
        print(f"/metrics counted {counted:.0f} claims answered 201 over all workers")
        print(f"errors: {sum(out.errors.values())}"
              + (f"  {dict(out.errors)}" if out.errors else ""))
        print(f"inclusion proofs checked against the signed checkpoint: {out.proofs_ok} ok, "
              f"{len(out.proofs_bad)} failed")
        for bad in out.proofs_bad[:5]:
            print(f"    {bad}")
        print(f"kakawari verify: exit {verified.returncode}: "
              f"{(verified.stdout or verified.stderr).strip().splitlines()[-1]}")
        failed = (out.errors or out.proofs_bad or verified.returncode != 0 or not lat
                  or counted != len(lat))
        return 1 if failed else 0
    finally:
        if server is not None and server.poll() is None:
            os.killpg(server.pid, signal.SIGKILL)
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


if __name__ == "__main__":
    sys.exit(main())
