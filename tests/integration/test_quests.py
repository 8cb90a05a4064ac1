"""Quests people can join, residents' proposals, admin edits and closure, sign-ups,
check-in windows and perks (issue 14), through the domain on SQLite: each rule refuses
with its code, words exist in Japanese and English, and a rebuild and an auditor's
replay give exactly the live projections."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ledger.entry import Entry, origin_for
from service.audit.replay import Replay
from service.domain import DomainError, snapshot
from service.domain import tables as t
from service.domain.errors import MESSAGES
from tests.integration.quest_fixtures import (
    edit_fields,
    joined,
    perk_fields,
    quest_fields,
    submit_id,
)
from tests.integration.service_fixtures import ZERO32, World, database, world


@pytest.fixture
def w(tmp_path: Path) -> Iterator[World]:
    with database("sqlite", tmp_path) as url, world(tmp_path, url) as w:
        yield w


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def both(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    with database(request.param, tmp_path) as url, world(tmp_path, url) as w:
        yield w


def refused(w: World, signed: Any, code: str) -> DomainError:
    with pytest.raises(DomainError) as exc:
        w.domain.submit(w.region, [signed])
    assert exc.value.code == code, exc.value
    assert code in MESSAGES["ja"] and code in MESSAGES["en"]
    return exc.value


def row(w: World, table: Any, **key: Any) -> dict[str, Any]:
    with w.regions.store.engine.connect() as conn:  # type: ignore[attr-defined]
        c = table.c
        cond = [c.region == w.region] + [c[k] == v for k, v in key.items()]
        found = conn.execute(table.select().where(*cond)).mappings().first()
    assert found is not None
    return dict(found)


def test_an_admins_quest_is_open_and_sign_ups_respect_capacity_and_closure(w: World) -> None:
    admin = w.admin
    hana, ken, yui = joined(w, "花", "健", "結")
    w.domain.submit(w.region, [admin.sign("Join", displayName="役場")])
    fields = quest_fields(w, contact=hana.address)
    quest = submit_id(w, admin.sign("QuestPost", **fields))
    q = row(w, t.quests, id=quest)
    assert (q["status"], q["place"], q["capacity"], q["contact"]) == ("open", "菱浦港", 2,
                                                                      hana.address)
    w.domain.submit(w.region, [hana.sign("SignUp", quest=quest, joined=True)])
    refused(w, hana.sign("SignUp", quest=quest, joined=True), "already-signed-up")
    w.domain.submit(w.region, [ken.sign("SignUp", quest=quest, joined=True)])
    err = refused(w, yui.sign("SignUp", quest=quest, joined=True), "quest-full")
    assert "定員" in err.text("ja")[0] and "full" in err.text("en")[0]
    w.domain.submit(w.region, [ken.sign("SignUp", quest=quest, joined=False)])  # cancels
    refused(w, ken.sign("SignUp", quest=quest, joined=False), "not-signed-up")
    w.domain.submit(w.region, [yui.sign("SignUp", quest=quest, joined=True)])  # room again
    assert row(w, t.quests, id=quest)["signups"] == 2
    # an admin edits it (more room) and closes it; sign-ups after that are refused
    refused(w, hana.sign("QuestEdit", quest=quest, **edit_fields(fields)), "not-admin")
    w.domain.submit(w.region, [admin.sign("QuestEdit", quest=quest,
                                          **edit_fields(fields, capacity=5, place="福井港"))])
    q = row(w, t.quests, id=quest)
    assert (q["capacity"], q["place"], q["signups"]) == (5, "福井港", 2)
    w.domain.submit(w.region, [admin.sign("QuestClosure", quest=quest, reason="雨天中止")])
    err = refused(w, ken.sign("SignUp", quest=quest, joined=True), "quest-not-open")
    assert "closed" in err.text()[1]
    refused(w, admin.sign("QuestClosure", quest=quest, reason="again"), "quest-not-open")
    refused(w, admin.sign("QuestEdit", quest=quest, **edit_fields(fields)), "quest-not-open")
    claim = hana.sign("Claim", category="cleanup", title="清掃", minutes=60,
                      occurredAt=w.regions.clock() - 60, quest=quest, coContributors=[],
                      detailsHash=ZERO32)
    refused(w, claim, "quest-not-open")


def test_fields_are_checked(w: World) -> None:
    w.domain.submit(w.region, [w.admin.sign("Join", displayName="役場")])
    for over, field in (({"geo": "north"}, "geo"), ({"geo": "91,0"}, "geo"),
                        ({"tags": ",".join("abcdefghijk")}, "tags"),
                        ({"capacity": 100_001}, "capacity"),
                        ({"closesAt": 1, "opensAt": 2}, "closesAt")):
        err = refused(w, w.admin.sign("QuestPost", **quest_fields(w, **over)), "out-of-range")
        assert err.params["field"] == field
    refused(w, w.admin.sign("QuestPost", **quest_fields(w, contact="0x" + "12" * 20)),
            "not-member")
    refused(w, w.admin.sign("QuestPost", **quest_fields(w, category="nope")),
            "unknown-category")
    refused(w, w.admin.sign("QuestPost", **quest_fields(w, title="  ")), "empty")


def test_a_residents_proposal_is_published_or_declined_by_someone_else(w: World) -> None:
    admin = w.admin
    hana, vera = joined(w, "花", "Vera")
    w.domain.submit(w.region, [admin.sign("Join", displayName="役場"),
                               admin.sign("Role", member=vera.address, role="verifier",
                                          granted=True)])
    proposal = submit_id(w, hana.sign("QuestPost", **quest_fields(w, title="古民家の片付け")))
    assert row(w, t.quests, id=proposal)["status"] == "proposed"
    refused(w, hana.sign("SignUp", quest=proposal, joined=True), "quest-not-open")
    refused(w, hana.sign("QuestDecision", quest=proposal, publish=True, reason=""),
            "not-verifier")
    refused(w, vera.sign("QuestDecision", quest=proposal, publish=False, reason=" "),
            "reason-required")
    w.domain.submit(w.region, [vera.sign("QuestDecision", quest=proposal, publish=True,
                                         reason="")])
    assert row(w, t.quests, id=proposal)["status"] == "open"
    refused(w, admin.sign("QuestDecision", quest=proposal, publish=True, reason=""),
            "quest-decided")
    w.domain.submit(w.region, [hana.sign("SignUp", quest=proposal, joined=True)])
    # a verifier's own proposal needs someone else; a decline keeps its reason
    own = submit_id(w, vera.sign("QuestPost", **quest_fields(w, title="夜の見回り")))
    refused(w, vera.sign("QuestDecision", quest=own, publish=True, reason=""), "own-quest")
    w.domain.submit(w.region, [admin.sign("QuestDecision", quest=own, publish=False,
                                          reason="安全のため昼にしましょう")])
    q = row(w, t.quests, id=own)
    assert (q["status"], q["reason"]) == ("declined", "安全のため昼にしましょう")


def test_proposals_need_the_policys_level(w: World) -> None:
    (hana,) = joined(w, "花")
    policy = {"categories": {"cleanup": {"base": 5, "perHour": 10}}, "levels": [10],
              "questProposalLevel": 2}
    w.domain.submit(w.region, [w.admin.sign("Join", displayName="役場"),
                               w.admin.sign("Policy", version=1, policy=json.dumps(policy))])
    err = refused(w, hana.sign("QuestPost", **quest_fields(w)), "level-too-low")
    assert err.params["needed"] == 2
    submit_id(w, w.admin.sign("QuestPost", **quest_fields(w)))  # admins post at any level


def test_check_in_windows_are_for_organisers(w: World) -> None:
    admin = w.admin
    hana, ken = joined(w, "花", "健")
    w.domain.submit(w.region, [admin.sign("Join", displayName="役場")])
    quest = submit_id(w, admin.sign("QuestPost", **quest_fields(w, contact=hana.address)))
    now = w.regions.clock()
    refused(w, ken.sign("CheckInWindow", quest=quest, opensAt=now, closesAt=now + 3600),
            "not-organiser")
    refused(w, hana.sign("CheckInWindow", quest=quest, opensAt=now, closesAt=now + 2 * 86400),
            "out-of-range")
    w.domain.submit(w.region, [hana.sign("CheckInWindow", quest=quest, opensAt=now,
                                         closesAt=now + 3600)])
    assert row(w, t.checkins, quest=quest)["organiser"] == hana.address


def earn(w: World, member: Any, verifier: Any, minutes: int = 60) -> None:
    claim = member.sign("Claim", category="cleanup", title="清掃", minutes=minutes,
                        occurredAt=w.regions.clock() - 60, quest=ZERO32, coContributors=[],
                        detailsHash=ZERO32)
    w.domain.submit(w.region, [claim])
    w.domain.submit(w.region, [verifier.sign("Review", claim=member.claim_id(claim),
                                             approve=True, reason="ok")])


def test_redeeming_spends_the_balance_never_lifetime_points(w: World) -> None:
    admin = w.admin
    hana, ken = joined(w, "花", "健")
    w.domain.submit(w.region, [admin.sign("Join", displayName="役場"),
                               admin.sign("Role", member=admin.address, role="verifier",
                                          granted=True)])
    earn(w, hana, admin)  # 5 + 10 = 15 points
    refused(w, hana.sign("Perk", **perk_fields(w)), "not-admin")
    perk = submit_id(w, admin.sign("Perk", **perk_fields(w, cost=10, stock=1)))
    refused(w, ken.sign("Redemption", perk=perk, cost=10), "balance-too-low")
    refused(w, hana.sign("Redemption", perk=perk, cost=5), "perk-changed")
    first = submit_id(w, hana.sign("Redemption", perk=perk, cost=10))
    member = row(w, t.members, address=hana.address)
    assert (member["points"], row(w, t.balances, member=hana.address)["redeemed"]) == (15, 10)
    level = member["level"]
    refused(w, hana.sign("Redemption", perk=perk, cost=10), "perk-out-of-stock")
    # the member cancels: points and stock return; a cancelled one is settled
    refused(w, ken.sign("RedemptionStatus", redemption=first, status="cancelled", reason=""),
            "not-allowed")
    w.domain.submit(w.region, [hana.sign("RedemptionStatus", redemption=first,
                                         status="cancelled", reason="行けなくなりました")])
    assert row(w, t.balances, member=hana.address)["redeemed"] == 0
    assert row(w, t.perks, id=perk)["redeemed"] == 0
    refused(w, admin.sign("RedemptionStatus", redemption=first, status="handed-over",
                          reason=""), "redemption-decided")
    # redeemed again and handed over by the office, never by the member
    second = submit_id(w, hana.sign("Redemption", perk=perk, cost=10))
    refused(w, hana.sign("RedemptionStatus", redemption=second, status="handed-over",
                         reason=""), "not-admin")
    refused(w, admin.sign("RedemptionStatus", redemption=second, status="lost", reason=""),
            "out-of-range")
    w.domain.submit(w.region, [admin.sign("RedemptionStatus", redemption=second,
                                          status="handed-over", reason="")])
    member = row(w, t.members, address=hana.address)
    assert (member["points"], member["level"]) == (15, level)
    # an admin changes the perk: more stock, but it has expired meanwhile for new ones
    now = w.regions.clock()
    w.domain.submit(w.region, [admin.sign("Perk", **perk_fields(w, perk=perk, stock=3,
                                                                validUntil=now + 1))])
    assert row(w, t.perks, id=perk)["stock"] == 3
    late = hana.sign("Redemption", clock=now, perk=perk, cost=10)
    w.regions.clock = lambda: now + 5  # type: ignore[method-assign]
    refused(w, late, "perk-expired")


def replay_equals_live(w: World) -> None:
    origin = origin_for(w.region)
    with w.regions.store.engine.connect() as conn:  # type: ignore[attr-defined]
        live = snapshot(conn, w.region)
    for strict in (True, False):
        with Replay(w.region, strict=strict) as replay:
            for _, data in w.regions.store.iter_entries(origin):
                replay.add(Entry.from_bytes(data))
            replay.end()
            assert replay.problem is None
            mine = replay.memory.snapshot() if replay.memory else snapshot(replay.conn, w.region)
        for name in live:
            if name != "svc_heads":
                assert mine[name] == live[name], (strict, name)
    w.domain.rebuild(w.region)
    with w.regions.store.engine.connect() as conn:  # type: ignore[attr-defined]
        assert snapshot(conn, w.region) == live


def test_replay_and_rebuild_equal_live_for_every_new_type(both: World) -> None:
    w = both
    admin = w.admin
    hana, vera = joined(w, "花", "Vera")
    w.domain.submit(w.region, [admin.sign("Join", displayName="役場"),
                               admin.sign("Role", member=vera.address, role="verifier",
                                          granted=True)])
    fields = quest_fields(w)
    quest = submit_id(w, admin.sign("QuestPost", **fields))
    proposal = submit_id(w, hana.sign("QuestPost", **quest_fields(w, title="提案")))
    declined = submit_id(w, hana.sign("QuestPost", **quest_fields(w, title="見送り")))
    w.domain.submit(w.region, [vera.sign("QuestDecision", quest=proposal, publish=True,
                                         reason="")])
    w.domain.submit(w.region, [vera.sign("QuestDecision", quest=declined, publish=False,
                                         reason="時期が合いません")])
    w.domain.submit(w.region, [hana.sign("SignUp", quest=quest, joined=True)])
    w.domain.submit(w.region, [hana.sign("SignUp", quest=quest, joined=False)])
    w.domain.submit(w.region, [hana.sign("SignUp", quest=quest, joined=True)])
    now = w.regions.clock()
    w.domain.submit(w.region, [admin.sign("CheckInWindow", quest=quest, opensAt=now,
                                          closesAt=now + 600)])
    claim = hana.sign("Claim", category="cleanup", title="清掃", minutes=60,
                      occurredAt=now - 60, quest=quest, coContributors=[], detailsHash=ZERO32)
    w.domain.submit(w.region, [claim])
    w.domain.submit(w.region, [vera.sign("Review", claim=hana.claim_id(claim), approve=True,
                                         reason="出席を確認")])
    w.domain.submit(w.region, [admin.sign("QuestEdit", quest=quest,
                                          **edit_fields(fields, title="浜の清掃（日曜）"))])
    w.domain.submit(w.region, [admin.sign("QuestClosure", quest=quest, reason="終了")])
    perk = submit_id(w, admin.sign("Perk", **perk_fields(w, stock=2)))
    w.domain.submit(w.region, [admin.sign("Perk", **perk_fields(w, perk=perk, stock=3))])
    one = submit_id(w, hana.sign("Redemption", perk=perk, cost=10))
    two = submit_id(w, hana.sign("Redemption", perk=perk, cost=10))
    w.domain.submit(w.region, [hana.sign("RedemptionStatus", redemption=one,
                                         status="cancelled", reason="")])
    w.domain.submit(w.region, [admin.sign("RedemptionStatus", redemption=two,
                                          status="handed-over", reason="")])
    assert row(w, t.balances, member=hana.address)["redeemed"] == 10
    replay_equals_live(w)
