"""The recognition domain on SQLite (PostgreSQL for rebuild too): projections, rebuild
identical to live, erasure keeping the log verifiable, policy versions."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from ledger.entry import origin_for
from ledger.integrity import verify_stored_log
from service.cli.demo import seed
from service.domain import DomainError, snapshot
from service.domain.details import details_hash
from tests.integration.service_fixtures import ZERO32, World, database, world

ENGINES = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(params=ENGINES)
def w(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    with database(request.param, tmp_path) as url, world(tmp_path, url) as w:
        yield w


def live(w: World) -> dict[str, list[tuple[object, ...]]]:
    with w.regions.store.engine.connect() as conn:  # type: ignore[attr-defined]
        return snapshot(conn, w.region)


def test_rebuild_of_a_large_seeded_region_is_identical_to_live(w: World) -> None:
    # The seeder needs the operator's admin key in the keyring to review.
    w.regions.keyring.store(w.region, "admin", w.admin.key)  # type: ignore[union-attr]
    seed(w.domain, w.region, members=60, claims=700, rng=random.Random(5))
    before = live(w)
    assert len(before["svc_points"]) > 500 and len(before["svc_claims"]) == 700
    assert {r[10] for r in before["svc_claims"]} >= {"approved", "rejected"}
    applied = w.domain.rebuild(w.region)
    assert applied == w.regions.store.log_info(origin_for(w.region)).size
    assert live(w) == before
    verify_stored_log(w.regions.store, origin_for(w.region))


def test_a_rebuild_repairs_a_damaged_projection(w: World) -> None:
    m = w.person()
    w.domain.submit(w.region, [m.sign("Join", displayName="Hana")])
    before = live(w)
    with w.regions.store.engine.begin() as conn:  # type: ignore[attr-defined]
        from sqlalchemy import text
        conn.execute(text("UPDATE svc_members SET points = 999"))
    assert live(w) != before
    w.domain.rebuild(w.region)
    assert live(w) == before


def test_erasure_removes_the_details_and_the_log_still_verifies(w: World) -> None:
    m = w.person()
    salt = b"s" * 16
    details = {"text": "住所: 海士町1-2-3"}
    digest = details_hash(salt, details)
    assert w.domain.details is not None
    w.domain.details.put(w.region, digest, salt, details, owner=m.address)
    claim = m.sign("Claim", category="cleanup", title="Beach", minutes=60,
                   occurredAt=w.regions.clock() - 60, quest=ZERO32, coContributors=[],
                   detailsHash=digest)
    w.domain.submit(w.region, [m.sign("Join", displayName="Hana"), claim])
    assert w.domain.details.get(w.region, digest) is not None
    w.domain.submit(w.region, [m.sign("Erasure", detailsHash=digest, reason="APPI request")])
    assert w.domain.details.get(w.region, digest) is None
    assert (w.settings.data_dir / "details" / w.region).exists()
    assert not any((w.settings.data_dir / "details" / w.region).iterdir())
    verify_stored_log(w.regions.store, origin_for(w.region))
    other = w.person()
    w.domain.submit(w.region, [other.sign("Join", displayName="X")])
    with pytest.raises(DomainError) as exc:
        w.domain.submit(w.region, [other.sign("Erasure", detailsHash=digest, reason="x")])
    assert exc.value.code == "not-allowed"


def test_a_refused_item_appends_nothing_of_its_batch(w: World) -> None:
    m = w.person()
    size = w.regions.store.log_info(origin_for(w.region)).size
    with pytest.raises(DomainError) as exc:
        w.domain.submit(w.region, [m.sign("Join", displayName="Hana"),
                                   m.sign("Join", displayName="Hana again")])
    assert exc.value.code == "already-member"
    assert w.regions.store.log_info(origin_for(w.region)).size == size
    assert live(w)["svc_members"] == []


def test_a_member_read_in_a_rolled_back_batch_is_not_remembered(w: World) -> None:
    # The domain remembers members across transactions; one who joined in a batch that
    # was then refused must not be taken for a member afterwards.
    m = w.person()
    claim = {"category": "cleanup", "title": "t", "minutes": 30, "quest": ZERO32,
             "coContributors": [], "detailsHash": ZERO32}
    with pytest.raises(DomainError) as exc:
        w.domain.submit(w.region, [
            m.sign("Join", displayName="Hana"),
            m.sign("Claim", occurredAt=w.regions.clock() - 60, **claim),
            m.sign("Join", displayName="Hana again")])
    assert exc.value.code == "already-member"
    with pytest.raises(DomainError) as exc:
        w.domain.submit(w.region, [m.sign("Claim", occurredAt=w.regions.clock() - 60, **claim)])
    assert exc.value.code == "not-member"


def test_a_group_commit_refuses_only_the_bad_submissions(w: World) -> None:
    from service.domain.core import _Pending

    people = [w.person() for _ in range(3)]
    w.domain.submit(w.region, [p.sign("Join", displayName=f"P{i}") for i, p in enumerate(people)])
    now = w.regions.clock()
    claim = people[0].sign("Claim", category="cleanup", title="t", minutes=30,
                           occurredAt=now - 60, quest=ZERO32, coContributors=[],
                           detailsHash=ZERO32)
    stranger = w.person().sign("Claim", category="cleanup", title="t", minutes=30,
                               occurredAt=now - 60, quest=ZERO32, coContributors=[],
                               detailsHash=ZERO32)
    other = people[1].sign("Profile", displayName="P1", resident=True)
    # The same signed claim twice (a replay inside one group), a non-member, a good one.
    group = [_Pending([claim]), _Pending([claim]), _Pending([stranger]), _Pending([other])]
    w.domain._group(w.region, group)
    assert all(p.done for p in group)
    assert group[0].result is not None and group[0].error is None
    # the replay answers with the entry already written, not a second one
    assert group[1].error is None and group[1].result == group[0].result
    assert isinstance(group[2].error, DomainError) and group[2].error.code == "not-member"
    assert group[3].result is not None
    assert len(live(w)["svc_claims"]) == 1
    verify_stored_log(w.regions.store, origin_for(w.region))
    before = live(w)
    w.domain.rebuild(w.region)
    assert live(w) == before


def test_submissions_waiting_for_the_writer_go_out_as_one_group(w: World) -> None:
    import threading
    import time

    people = [w.person() for _ in range(6)]
    w.domain.submit(w.region, [p.sign("Join", displayName=f"P{i}") for i, p in enumerate(people)])
    now = w.regions.clock()
    fields = {"category": "cleanup", "minutes": 30, "occurredAt": now - 60, "quest": ZERO32,
              "coContributors": [], "detailsHash": ZERO32}
    items = [p.sign("Claim", title=f"t{i}", **fields) for i, p in enumerate(people)]
    items.append(w.person().sign("Claim", title="stranger", **fields))
    outcome: dict[int, object] = {}

    def submit(i: int) -> None:
        try:
            outcome[i] = w.domain.submit(w.region, [items[i]])
        except DomainError as exc:
            outcome[i] = exc.code

    size = w.regions.store.log_info(origin_for(w.region)).size
    threads = [threading.Thread(target=submit, args=(i,)) for i in range(len(items))]
    with w.domain._serial(w.region):  # the writer waits here while the others queue
        for t in threads:
            t.start()
        deadline = time.monotonic() + 30
        while len(w.domain._queues.get(w.region, ())) < len(items):
            assert time.monotonic() < deadline, "the submissions did not queue"
            time.sleep(0.01)
    for t in threads:
        t.join(30)
    assert [v for v in outcome.values() if isinstance(v, str)] == ["not-member"]
    accepted = [v for v in outcome.values() if not isinstance(v, str)]
    assert len(accepted) == len(people)
    # One transaction: one new checkpoint, of the tree with every accepted claim.
    cp = w.regions.store.latest_checkpoint(origin_for(w.region))
    assert cp is not None and cp.size == size + len(people)
    assert w.regions.store.checkpoint_at(origin_for(w.region), size + 1) is None
    verify_stored_log(w.regions.store, origin_for(w.region))
