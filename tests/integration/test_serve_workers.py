"""``kakawari serve --workers 3`` on PostgreSQL: concurrent requests landing on
different worker processes keep every rule (an endorsement budget raced from many
clients is spent exactly once), the log verifies, and the projections equal a rebuild."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from ledger.entry import origin_for
from ledger.integrity import verify_stored_log
from service.domain import snapshot
from tests.integration.service_fixtures import ZERO32, Person, database, world

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_several_workers_on_postgres_keep_the_rules(tmp_path: Path) -> None:
    with database("postgres", tmp_path) as url, world(tmp_path, url) as w:
        people = [Person(w.region) for _ in range(8)]
        endorser = Person(w.region)
        w.domain.submit(w.region, [p.sign("Join", displayName=f"P{i}")
                                   for i, p in enumerate([*people, endorser])])
        port = free_port()
        env = {**os.environ, "KAKAWARI_DATABASE_URL": url,
               "KAKAWARI_DATA_DIR": str(w.settings.data_dir), "KAKAWARI_PASSPHRASE": "test-pass",
               "KAKAWARI_SCRYPT_N": "1024"}
        server = subprocess.Popen(
            [str(Path(sys.executable).with_name("kakawari")), "serve", "--port", str(port),
             "--workers", "3"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
        base = f"http://127.0.0.1:{port}/v1/regions/{w.region}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/v1/health").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert server.poll() is None, server.stderr.read() if server.stderr else ""
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.2)
            now = int(time.time())

            def claim(i: int) -> tuple[int, str]:
                who = people[i % len(people)]
                body = who.body("Claim", category="cleanup", title=f"Work {i}", minutes=30,
                                occurredAt=now - 60, quest=ZERO32, coContributors=[],
                                detailsHash=ZERO32)
                with httpx.Client(timeout=60) as c:
                    r = c.post(f"{base}/claims", json=body)
                return r.status_code, r.json().get("id", "")

            with ThreadPoolExecutor(16) as pool:
                results = list(pool.map(claim, range(64)))
            assert [s for s, _ in results] == [201] * 64
            target = results[0][1]

            def endorse(_: int) -> int:
                body = endorser.body("Endorsement", claim=target, amount=5, note="")
                with httpx.Client(timeout=60) as c:
                    r = c.post(f"{base}/claims/{target}/endorsements", json=body)
                assert r.status_code in (201, 409), r.text
                return r.status_code

            with ThreadPoolExecutor(12) as pool:
                statuses = list(pool.map(endorse, range(12)))
            assert statuses.count(201) == 4  # the budget of 20 spent exactly once
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
        verify_stored_log(w.regions.store, origin_for(w.region))
        engine = w.regions.store.engine  # type: ignore[attr-defined]
        with engine.connect() as conn:
            live = snapshot(conn, w.region)
        assert len(live["svc_claims"]) == 64
        w.domain.rebuild(w.region)
        with engine.connect() as conn:
            assert snapshot(conn, w.region) == live
