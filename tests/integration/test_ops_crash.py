"""kill -9 (issue 13): of ``kakawari serve`` while many clients post signed claims at
once, and of ``kakawari demo seed`` midway, on SQLite and PostgreSQL. After a restart
``kakawari verify`` passes, the projections equal a rebuild from the log (nothing is
half-written), and every claim that was answered 201 is in the log: the test keeps the
id each answer gave and looks every one up."""

from __future__ import annotations

import subprocess
import threading
import time
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from service.api.app import create_app
from service.domain import snapshot
from tests.integration.databases import SQL_ENGINES, database
from tests.integration.ops_fixtures import KAKAWARI, Server, run, service_env
from tests.integration.service_fixtures import ZERO32, Person, World, world

pytestmark = pytest.mark.slow
CLIENTS = 16


def _post_until_stopped(base: str, who: Person, stop: threading.Event,
                        answered: list[str], lock: threading.Lock) -> None:
    """Post claims until ``stop`` or until the server is gone; keep each 201's id."""
    now = int(time.time())
    with httpx.Client(timeout=30) as client:
        i = 0
        while not stop.is_set():
            body = who.body("Claim", category="cleanup", title=f"Work {i}", minutes=30,
                            occurredAt=now - 60, quest=ZERO32, coContributors=[],
                            detailsHash=ZERO32)
            i += 1
            try:
                r = client.post(f"{base}/v1/regions/ama/claims", json=body)
            except httpx.TransportError:
                return  # killed under us: this answer never came
            if r.status_code == 201:
                with lock:
                    answered.append(r.json()["id"])


def _intact(env: dict[str, str], w: World) -> None:
    """``kakawari verify`` passes and the projections equal a rebuild from the log."""
    verified = run(env, "verify", "--region", "ama")
    assert verified.returncode == 0, verified.stderr
    engine = w.regions.store.engine  # type: ignore[attr-defined]
    with engine.connect() as conn:
        live = snapshot(conn, w.region)
    w.domain.rebuild(w.region)
    with engine.connect() as conn:
        assert snapshot(conn, w.region) == live


def _check_after_restart(env: dict[str, str], w: World, answered: list[str]) -> None:
    """Verify, then start the service anew (its app, opening the database as ``serve``
    does) and look up every claim that was answered 201."""
    _intact(env, w)
    with TestClient(create_app(w.settings)) as client:
        missing = [cid for cid in answered
                   if client.get(f"/v1/regions/ama/claims/{cid}").status_code != 200]
    assert missing == [], f"{len(missing)} of {len(answered)} claims answered 201 are gone"


@pytest.mark.parametrize("kind", SQL_ENGINES)
def test_kill_9_while_clients_post_claims(kind: str, tmp_path: Path) -> None:
    workers = 1
    with database(kind, tmp_path) as url, world(tmp_path, url) as w:
        people = [Person(w.region) for _ in range(CLIENTS)]
        w.domain.submit(w.region, [p.sign("Join", displayName=f"P{i}")
                                   for i, p in enumerate(people)])
        env = service_env(w.settings.data_dir, url)
        log = tmp_path / "serve.log"
        server = Server(env, workers, log)
        answered: list[str] = []
        stop, lock = threading.Event(), threading.Lock()
        try:
            server.wait_ready()
            threads = [threading.Thread(target=_post_until_stopped,
                                        args=(server.base, p, stop, answered, lock))
                       for p in people]
            for th in threads:
                th.start()
            deadline = time.monotonic() + 20
            while len(answered) < 30 and time.monotonic() < deadline:
                time.sleep(0.05)
            server.kill()  # SIGKILL, with requests in flight
            stop.set()
            for th in threads:
                th.join(timeout=30)
        finally:
            stop.set()
            server.kill()
        assert len(answered) >= 10, server.output()
        _check_after_restart(env, w, list(answered))


@pytest.mark.parametrize("kind", SQL_ENGINES)
def test_kill_9_of_demo_seed(kind: str, tmp_path: Path) -> None:
    with database(kind, tmp_path) as url, world(tmp_path, url) as w:
        env = service_env(w.settings.data_dir, url)
        proc = subprocess.Popen([KAKAWARI, "demo", "seed", "--region", "ama", "--members", "4",
                                 "--claims", "400"], env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE)
        try:
            deadline = time.monotonic() + 60
            while w.regions.store.log_info("kakawari/ama").size < 30:
                assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
                assert time.monotonic() < deadline, "demo seed wrote too little"
                time.sleep(0.05)
            proc.kill()
            proc.wait(timeout=10)
        finally:
            if proc.poll() is None:
                proc.kill()
        _intact(env, w)
