"""Anchoring by itself, and the chain's faults (issue 13), on a private anvil node.

- ``kakawari serve``'s scheduler (service/scheduler.py): one anchorer at a time per
  database (a second one skips the round while the lock is held: PostgreSQL advisory
  lock, SQLite lock file), waits for the minimum of new entries, and /v1/health shows
  the last anchor and the last failure.
- The RPC endpoint goes down right after the anchor transaction was sent: the run fails
  and records nothing; once the node is back the next run records the mined anchor
  (never sends it twice).
- A reorg (anvil ``evm_snapshot``/``evm_revert``) removes a mined, recorded anchor: the
  next run sees the recorded transaction is gone and anchors again; ``kakawari
  anchors`` says so.
- ``kakawari anchor`` killed (SIGKILL) while its transaction waits to be mined: the
  next run records it; killed and its transaction dropped: the next run anchors anew.
  Either way exactly one ``Anchor`` entry per anchored tree.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from ledger.anchoring import recorded_anchors
from ledger.chain import log_id_for
from ledger.integrity import verify_stored_log
from service.api.app import create_app
from service.chain import anchor_client, anchor_region, connect, deploy
from service.cli import main
from service.scheduler import AnchorScheduler, scheduler_for
from tests.integration.databases import SQL_ENGINES, database
from tests.integration.ops_fixtures import (  # noqa: F401 (fixture)
    KAKAWARI,
    funded_key,
    own_anvil_fixture,
    proxy_for,
    rpc,
    run,
    service_env,
)
from tests.integration.service_fixtures import ZERO32, Person, World, world

pytestmark = pytest.mark.anvil
ORIGIN = "kakawari/ama"


@contextmanager
def chained(tmp_path: Path, url: str, rpc_url: str, **extra: Any) -> Iterator[World]:
    """A region on ``url`` whose settings name the chain at ``rpc_url``, contracts
    deployed there by a funded key, and two members."""
    key = funded_key(rpc_url)
    with world(tmp_path, url, chain_rpc_url=rpc_url, chain_private_key=key, **extra) as w:
        deploy(w.settings, connect(w.settings, None))
        yield w


def claims(w: World, n: int) -> None:
    people = [Person(w.region) for _ in range(2)]
    w.domain.submit(w.region, [p.sign("Join", displayName=f"P{i}") for i, p in enumerate(people)])
    now = int(time.time())
    for i in range(n):
        w.domain.submit(w.region, [people[i % 2].sign(
            "Claim", category="cleanup", title=f"Work {i}", minutes=30, occurredAt=now - 60,
            quest=ZERO32, coContributors=[], detailsHash=ZERO32)])


def size(w: World) -> int:
    return w.regions.store.log_info(ORIGIN).size


def anchors_of(w: World) -> list[tuple[int, int]]:
    """(seq, anchored size) of every Anchor entry."""
    return [(a.seq, a.record.size) for a in recorded_anchors(w.regions.store, ORIGIN)]


def health(w: World, status: str | None = None) -> dict[str, Any]:
    """/v1/health's anchoring part; its overall ``status`` checked when given."""
    with TestClient(create_app(w.settings, w.regions)) as client:
        whole = client.get("/v1/health").json()
    if status is not None:
        assert whole["status"] == status, whole
    body: dict[str, Any] = whole["anchoring"]
    return body


def scheduler(w: World) -> AnchorScheduler:
    found = scheduler_for(w.settings, w.regions, w.domain)
    assert found is not None
    return found


@pytest.mark.parametrize("kind", SQL_ENGINES)
def test_one_anchorer_waits_for_new_entries_and_shows_its_state(
        kind: str, tmp_path: Path, own_anvil: str) -> None:
    with database(kind, tmp_path) as url, \
            chained(tmp_path, url, own_anvil, anchor_min_entries=3) as w:
        claims(w, 2)
        first, second = scheduler(w), scheduler(w)  # two workers on one database
        with second.lock.held() as mine:
            assert mine
            assert first.run_once() is None  # the other holds the lock: this one skips
        assert first.run_once() == {"ama": "anchored"}
        anchored = size(w) - 1  # the Anchor entry follows the tree it records
        client = anchor_client(w.settings, connect(w.settings, None))
        assert client.latest(log_id_for(ORIGIN))[0] == anchored

        claims(w, 0)  # two Join entries: fewer than the minimum of 3
        assert second.run_once() == {"ama": "waiting"}
        state = health(w)
        assert state["scheduled"] is True and state["minEntries"] == 3
        ama = state["regions"]["ama"]
        assert ama["outcome"] == "waiting" and ama["error"] is None
        assert ama["lastAnchor"]["size"] == anchored and ama["behind"] == 3
        with TestClient(create_app(w.settings, w.regions)) as http:
            latest = http.get("/v1/regions/ama/anchors/latest").json()
        assert latest["anchor"]["size"] == anchored and latest["behind"] == 3
        assert latest["anchor"]["seq"] == ama["lastAnchor"]["seq"]

        claims(w, 1)  # three new entries now
        assert second.run_once() == {"ama": "anchored"}
        assert [s for _, s in anchors_of(w)] == [anchored, size(w) - 1]
        verify_stored_log(w.regions.store, ORIGIN)


def test_rpc_down_mid_anchor_then_back(tmp_path: Path, own_anvil: str) -> None:
    with database("sqlite", tmp_path) as url, proxy_for(own_anvil) as proxy, \
            chained(tmp_path, url, proxy.url) as w:
        claims(w, 2)
        s = scheduler(w)
        assert s.run_once() == {"ama": "anchored"}  # registers the log, anchors
        claims(w, 1)
        before, sent = size(w), proxy.methods.count("eth_sendRawTransaction")
        proxy.down_after = "eth_sendRawTransaction"  # lost right after sending the anchor
        result = s.run_once()
        assert result is not None and result["ama"].startswith("failed: ChainUnavailableError")
        assert size(w) == before  # nothing recorded
        ama = health(w, "degraded")["regions"]["ama"]  # an office must see it
        assert ama["outcome"] == "failed" and ama["failures"] == 1
        assert "did not answer" in ama["error"]

        result = s.run_once()  # still down: can't even connect
        assert result is not None and result["ama"].startswith("failed:")
        assert health(w)["regions"]["ama"]["failures"] == 2

        proxy.down = False  # the node is back; it had mined the anchor
        assert s.run_once() == {"ama": "recovered"}
        sizes = [s for _, s in anchors_of(w)]
        assert sizes == [sizes[0], before]  # recorded once, never sent twice
        assert proxy.methods.count("eth_sendRawTransaction") == sent + 1
        ama = health(w, "ok")["regions"]["ama"]
        assert ama["outcome"] == "recovered" and ama["error"] is None and ama["failures"] == 0
        verify_stored_log(w.regions.store, ORIGIN)


def test_a_reorg_removes_a_recorded_anchor(tmp_path: Path, own_anvil: str) -> None:
    with database("sqlite", tmp_path) as url, chained(tmp_path, url, own_anvil) as w:
        claims(w, 2)
        s = scheduler(w)
        assert s.run_once() == {"ama": "anchored"}
        claims(w, 1)
        snapshot = rpc(own_anvil, "evm_snapshot")
        assert s.run_once() == {"ama": "anchored"}
        (_, kept), (lost_seq, lost_size) = anchors_of(w)
        assert rpc(own_anvil, "evm_revert", snapshot) is True  # the block is gone
        client = anchor_client(w.settings, connect(w.settings, None))
        assert client.latest(log_id_for(ORIGIN))[0] == kept

        assert s.run_once() == {"ama": "anchored"}  # no new entry, but the anchor is lost
        again = anchors_of(w)[-1]
        assert again[1] == size(w) - 1 > lost_size
        assert client.latest(log_id_for(ORIGIN))[0] == again[1]
        note = health(w)["regions"]["ama"]["note"]
        assert "no longer on chain" in note and f"entry {lost_seq}" in note

        env = service_env(w.settings.data_dir, url)
        result = CliRunner().invoke(main, ["anchors", "--region", "ama", "--rpc",
                                                    own_anvil], env=env)
        assert result.exit_code == 0, result.output
        line = next(ln for ln in result.output.splitlines() if ln.startswith(f"entry {lost_seq}:"))
        assert "no longer on chain" in line and f"anchored again by entry {again[0]}" in line
        verify_stored_log(w.regions.store, ORIGIN)


def _pending(url: str) -> int:
    block = rpc(url, "eth_getBlockByNumber", "pending", False)
    return len(block["transactions"])


def _killed_anchor(env: dict[str, str], anvil: str) -> None:
    """Start ``kakawari anchor`` with mining off, SIGKILL it once its transaction
    waits in the node's pool."""
    rpc(anvil, "evm_setAutomine", False)
    proc = subprocess.Popen([KAKAWARI, "anchor", "--region", "ama", "--rpc", anvil], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while _pending(anvil) == 0:
            assert proc.poll() is None, "kakawari anchor ended before sending"
            assert time.monotonic() < deadline, "no anchor transaction was sent"
            time.sleep(0.05)
        proc.kill()
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()


def test_anchor_killed_midway_is_recorded_or_retried_never_twice(
        tmp_path: Path, own_anvil: str) -> None:
    with database("sqlite", tmp_path) as url, chained(tmp_path, url, own_anvil) as w:
        claims(w, 2)
        assert scheduler(w).run_once() == {"ama": "anchored"}  # registered, anchored once
        key = w.settings.chain_private_key
        assert key is not None
        env = service_env(w.settings.data_dir, url,
                          KAKAWARI_CHAIN_PRIVATE_KEY=key.get_secret_value())
        for mined in (True, False):
            claims(w, 1)
            target = size(w)
            try:
                _killed_anchor(env, own_anvil)
                assert size(w) == target  # killed before recording anything
                rpc(own_anvil, "evm_mine" if mined else "anvil_dropAllTransactions")
            finally:
                rpc(own_anvil, "evm_setAutomine", True)
            done = run(env, "anchor", "--region", "ama", "--rpc", own_anvil)
            assert done.returncode == 0, done.stderr
            if mined:  # its transaction made it: recorded now, not sent again
                assert "recorded an anchor that was on chain but not in the log" in done.stdout
                assert f"size {target}" in done.stdout
            else:  # its transaction never made it: anchored now
                assert f"anchored kakawari/ama at size {target}" in done.stdout, done.stdout
            assert [s for _, s in anchors_of(w)].count(target) == 1
        client = anchor_client(w.settings, connect(w.settings, None))
        assert anchor_region(w.regions, w.domain, client, "ama").status == "already-anchored"
        assert len(anchors_of(w)) == 3
        verify_stored_log(w.regions.store, ORIGIN)
