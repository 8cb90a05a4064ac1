"""Proposals and votes end to end on SQLite and PostgreSQL: the rules (window,
eligibility fixed at the proposal's position, last vote counts, ballots that fit,
withdrawal, cancellation), the service's decision after closing, replay == live, the
audit naming a forged, missing or second decision and a vote dropped from a bundle, and
a voter's receipt checked against the decision."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ledger.audit.bundle import ANCHORS, CHECKPOINT, ENTRIES, MANIFEST
from ledger.entry import Entry, origin_for
from ledger.merkle import leaf_hash, root_hash
from service.audit.replay import Replay
from service.audit.verify import audit_bundle
from service.domain import DomainError, snapshot
from service.domain import tables as t
from tests.integration.audit_fixtures import export_to
from tests.integration.databases import SQL_ENGINES
from tests.integration.service_fixtures import Person, World, database, world
from tests.unit.audit_log import (
    anchors_for,
    entry_lines,
    fails_both_ways,
    joined,
    manifest_for,
    renumbered,
    rewrite,
)

T0 = 1_790_000_000
HOUR, DAY = 3600, 86400


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> int:
        return self.now


@pytest.fixture(params=SQL_ENGINES)
def w(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    with database(request.param, tmp_path) as url, world(tmp_path, url) as w:
        w.regions.clock = Clock()
        yield w


def now(w: World) -> int:
    return int(w.regions.clock())


def advance(w: World, seconds: int) -> None:
    w.regions.clock.now += seconds  # type: ignore[attr-defined]


def sign(w: World, who: Person, type_: str, **fields: Any) -> Any:
    return who.sign(type_, clock=now(w), **fields)


def submit(w: World, who: Person, type_: str, **fields: Any) -> Any:
    return w.domain.submit(w.region, [sign(w, who, type_, **fields)])


def refused(w: World, who: Person, type_: str, code: str, **fields: Any) -> DomainError:
    with pytest.raises(DomainError) as info:
        submit(w, who, type_, **fields)
    assert info.value.code == code, info.value
    return info.value


def join(w: World, *names: str) -> list[Person]:
    people = [w.person() for _ in names]
    w.domain.submit(w.region, [sign(w, p, "Join", displayName=n) for p, n in zip(
        people, names, strict=True)])
    return people


def proposal(w: World, who: Person, method: str = "for-against", **fields: Any) -> str:
    body = {"title": "浜の清掃用具を買う", "text": "清掃用具を地域で共同購入します。",
            "method": method, "choices": [], "costs": [], "budget": 0,
            "opensAt": now(w), "closesAt": now(w) + 2 * DAY, "hideTotals": False, **fields}
    receipts = submit(w, who, "Proposal", **body)
    return str(receipts[0].id)


def row(w: World, proposal_id: str) -> dict[str, Any]:
    with w.regions.store.engine.connect() as conn:  # type: ignore[attr-defined]
        found = conn.execute(t.proposals.select().where(
            t.proposals.c.region == w.region, t.proposals.c.id == proposal_id)).mappings().one()
    return dict(found)


def vote(w: World, who: Person, proposal_id: str, *ballot: int) -> Any:
    return submit(w, who, "Vote", proposal=proposal_id, ballot=list(ballot))


def test_who_may_propose_and_vote_is_fixed_at_the_proposal(w: World) -> None:
    admin = w.admin
    (alice, _bob) = join(w, "花子", "Bob")
    w.domain.submit(w.region, [sign(w, admin, "Join", displayName="admin")])
    # default policy: proposing needs level 2 (admins always may)
    err = refused(w, alice, "Proposal", "level-too-low", title="t", text="x",
                  method="for-against", choices=[], costs=[], budget=0, opensAt=now(w),
                  closesAt=now(w) + DAY, hideTotals=False)
    assert "level 2" in err.text()[1] and "レベル 2" in err.text("ja")[1]
    pid = proposal(w, admin)
    assert row(w, pid)["eligible_voters"] == 3  # admin, alice, bob
    (carol,) = join(w, "Carol")  # joins after the proposal
    err = refused(w, carol, "Vote", "not-eligible", proposal=pid, ballot=[0])
    assert "fixed" in err.text()[1] and "提案の時点" in err.text("ja")[1]
    vote(w, alice, pid, 0)


def test_the_window_the_ballot_and_the_last_vote(w: World) -> None:
    alice, bob = join(w, "花子", "Bob")
    pid = proposal(w, w.admin, "single", choices=["春", "夏", "秋"], opensAt=now(w) + HOUR,
                   closesAt=now(w) + HOUR + DAY)
    refused(w, alice, "Vote", "voting-not-open", proposal=pid, ballot=[0])
    advance(w, HOUR)
    refused(w, alice, "Vote", "bad-ballot", proposal=pid, ballot=[0, 1])
    err = refused(w, alice, "Vote", "bad-ballot", proposal=pid, ballot=[5])
    assert "does not exist" in err.text()[1] and "存在しない" in err.text("ja")[1]
    vote(w, alice, pid, 0)
    vote(w, bob, pid, 1)
    vote(w, alice, pid, 1)  # changes her mind: the last vote counts
    refused(w, alice, "Withdrawal", "not-proposer", proposal=pid, reason="x")
    refused(w, w.admin, "Withdrawal", "proposal-has-votes", proposal=pid, reason="x")
    advance(w, DAY)
    refused(w, bob, "Vote", "voting-closed", proposal=pid, ballot=[2])
    decided = row(w, pid)
    assert decided["status"] == "decided" and decided["votes"] == 3
    result = json.loads(decided["result"])
    assert result["totals"] == [0, 2, 0] and result["winners"] == [1]
    assert result["turnout"] == {"voters": 2, "power": 2}
    assert result["eligible"] == {"voters": 2, "power": 2}  # the admin has not joined
    with w.regions.store.engine.connect() as conn:  # type: ignore[attr-defined]
        votes = conn.execute(t.votes.select().where(t.votes.c.region == w.region)).all()
    assert len(votes) == 3  # every vote stays in the log


def test_withdrawal_and_cancellation(w: World) -> None:
    (alice,) = join(w, "花子")
    first = proposal(w, w.admin)
    submit(w, w.admin, "Withdrawal", proposal=first, reason="出し直します")
    assert row(w, first)["status"] == "withdrawn"
    refused(w, alice, "Vote", "proposal-ended", proposal=first, ballot=[0])
    second = proposal(w, w.admin)
    refused(w, w.admin, "Cancellation", "reason-required", proposal=second, reason=" ")
    refused(w, alice, "Cancellation", "not-admin", proposal=second, reason="x")
    submit(w, w.admin, "Cancellation", proposal=second, reason="重複していました")
    assert row(w, second)["status"] == "cancelled"
    advance(w, 3 * DAY)
    assert w.domain.decide_due(w.region) == []  # nothing to decide


def test_a_proposal_that_does_not_fit_is_refused_with_a_reason(w: World) -> None:
    base = {"title": "予算", "text": "本文", "opensAt": now(w), "closesAt": now(w) + DAY,
            "hideTotals": False}
    for fields in (
        {"method": "vote", "choices": ["a", "b"], "costs": [], "budget": 0},
        {"method": "single", "choices": ["a"], "costs": [], "budget": 0},
        {"method": "single", "choices": ["a", "a"], "costs": [], "budget": 0},
        {"method": "budget", "choices": ["a", "b"], "costs": [1], "budget": 5},
        {"method": "budget", "choices": ["a", "b"], "costs": [1, 6], "budget": 5},
        {"method": "approval", "choices": ["a", "b"], "costs": [1, 1], "budget": 0},
        {"method": "for-against", "choices": ["yes", "no"], "costs": [], "budget": 0},
    ):
        err = refused(w, w.admin, "Proposal", "bad-proposal", **{**base, **fields})
        assert err.text("ja")[1] != err.text()[1]
    refused(w, w.admin, "Proposal", "out-of-range", **{
        **base, "method": "for-against", "choices": [], "costs": [], "budget": 0,
        "closesAt": now(w) + HOUR})  # shorter than the policy's 24 hours


def governed(w: World) -> tuple[list[Person], dict[str, str]]:
    """Several proposals of every method, voted on, closed and decided."""
    people = join(w, *(f"m{i}" for i in range(7)))
    w.domain.submit(w.region, [sign(w, w.admin, "Join", displayName="admin")])
    made = {
        "for-against": proposal(w, w.admin),
        "approval": proposal(w, w.admin, "approval", choices=["a", "b", "c"]),
        "ranked": proposal(w, w.admin, "ranked", choices=["a", "b", "c", "d"]),
        "budget": proposal(w, w.admin, "budget", choices=["道", "港", "畑"],
                           costs=[50, 30, 40], budget=80),
    }
    ballots = {
        "for-against": [[0], [0], [1], [2], [0]],
        "approval": [[0, 1], [1], [1, 2], [], [0]],
        "ranked": [[0, 1], [1, 0], [2, 1, 0], [3], [2], []],
        "budget": [[0, 1], [1], [2], [1, 2], [0]],
    }
    for method, pid in made.items():
        for who, ballot in zip(people, ballots[method], strict=False):
            vote(w, who, pid, *ballot)
    vote(w, people[0], made["ranked"], 3)  # a change of mind
    advance(w, 2 * DAY)
    w.domain.submit(w.region, [sign(w, people[6], "Profile", displayName="m6", resident=True)])
    return people, made


def test_decisions_after_closing_hold_the_full_result(w: World) -> None:
    _, made = governed(w)
    results = {m: json.loads(row(w, pid)["result"]) for m, pid in made.items()}
    fa = results["for-against"]
    assert fa["totals"] == [3, 1, 1] and fa["passed"] and fa["quorum"]["reached"]
    assert results["approval"]["totals"] == [2, 3, 1] and results["approval"]["winners"] == [1]
    ranked = results["ranked"]
    assert ranked["rounds"][0]["counts"] == [0, 1, 2, 2]  # people[0] now ranks d only
    assert ranked["winners"] and ranked["votes"] == 7
    budget = results["budget"]
    assert budget["spent"] <= 80 and budget["greedy"] and set(budget["winners"]) <= {0, 1, 2}
    # the decision entries are the service's, one per proposal, after closing
    entries = [Entry.from_bytes(d) for _, d in w.regions.store.iter_entries(
        origin_for(w.region))]
    decisions = [e for e in entries if e.type == "Decision"]
    assert sorted(e.message["proposal"] for e in decisions) == sorted(made.values())
    assert all(e.time >= row(w, e.message["proposal"])["closes_at"] for e in decisions)


def test_replay_gives_the_live_decisions_and_the_audit_passes(w: World, tmp_path: Path) -> None:
    governed(w)
    origin = origin_for(w.region)
    with Replay(w.region, strict=True) as replay:
        for _, data in w.regions.store.iter_entries(origin):
            replay.add(Entry.from_bytes(data))
        replay.end()
        assert replay.memory is not None
        mine = replay.memory.snapshot()
    with w.regions.store.engine.connect() as conn:  # type: ignore[attr-defined]
        live = snapshot(conn, w.region)
    for name in ("svc_proposals", "svc_electorate", "svc_votes", "svc_ballots"):
        assert live[name] and mine[name] == live[name], name
    report = audit_bundle(export_to(w, tmp_path / "b.zip"))
    assert report.points.decisions == 4


def test_audit_names_a_forged_decision(w: World, tmp_path: Path) -> None:
    people, _made = governed(w)
    pid = proposal(w, w.admin)
    vote(w, people[0], pid, 1)
    advance(w, 2 * DAY + 1)
    # whoever holds the service key writes a decision of their own liking, around the rules
    forged = json.loads(json.dumps({"passed": True}))
    [(seq, _)] = w.regions.append(w.region, [w.regions.service_signed(
        w.region, "Decision", {"proposal": pid, "result": json.dumps(forged)})])
    err = fails_both_ways(audit_bundle, export_to(w, tmp_path / "b.zip"), seq,
                          "differs from the recount")
    assert pid in err.reason


def test_audit_names_the_decision_when_a_vote_is_dropped_from_the_bundle(
        w: World, tmp_path: Path) -> None:
    _people, made = governed(w)
    path = export_to(w, tmp_path / "b.zip")
    lines = entry_lines(path)
    entries = [Entry.from_bytes(x) for x in lines]
    dropped = next(e.seq for e in entries if e.type == "Vote"
                   and e.message["proposal"] == made["for-against"])
    decision = next(e.seq for e in entries if e.type == "Decision"
                    and e.message["proposal"] == made["for-against"])
    # the operator drops a vote and signs a checkpoint over what is left
    kept = renumbered([x for i, x in enumerate(lines) if i != dropped])
    cp = w.regions.checkpoint_signer(w.region)(len(kept), root_hash([leaf_hash(x) for x in kept]))
    forged = rewrite(path, tmp_path / "forged.zip", {
        ENTRIES: joined(kept), CHECKPOINT: cp.encode(), MANIFEST: manifest_for(path, kept),
        ANCHORS: anchors_for(kept)})
    fails_both_ways(audit_bundle, forged, decision - 1, "differs from the recount")


def test_a_voters_receipt_proves_their_votes_and_the_decision(w: World) -> None:
    from ledger.audit.receipt import build_receipt, latest_anchor, verify_receipt
    from ledger.errors import VerificationError
    from service.domain.proposals import vote_seqs

    people, made = governed(w)
    origin = origin_for(w.region)
    store = w.regions.store
    with store.engine.connect() as conn:  # type: ignore[attr-defined]
        seqs = vote_seqs(conn, w.region, made["ranked"], people[0].address)
        other = vote_seqs(conn, w.region, made["ranked"], people[1].address)
    receipt = build_receipt(store, origin, seqs, anchor=latest_anchor(store, origin), about={
        "proposal": made["ranked"], "voter": people[0].address})
    summary = verify_receipt(receipt, vkey=w.regions.facts(w.region).checkpoint_key)
    kinds = [e.type for e in summary.entries]
    assert kinds == ["Region", "Proposal", "Vote", "Vote", "Decision"]  # both votes stay
    assert summary.vote is not None and summary.vote.ballot == [3]  # her last vote counts
    assert summary.vote.votes == 2 and summary.vote.decision is not None
    # a receipt that slips in someone else's vote is refused, naming it
    forged = build_receipt(store, origin, sorted({*seqs, other[1]}),
                           anchor=latest_anchor(store, origin),
                           about={"proposal": made["ranked"], "voter": people[0].address})
    with pytest.raises(VerificationError, match=r"not .*'s vote on proposal"):
        verify_receipt(forged, vkey=w.regions.facts(w.region).checkpoint_key)


def _without(w: World, path: Path, out: Path, dropped: int) -> Path:
    """The bundle at ``path`` with entry ``dropped`` left out, renumbered, under a
    checkpoint the operator signs over what is left."""
    lines = entry_lines(path)
    kept = renumbered([x for i, x in enumerate(lines) if i != dropped])
    cp = w.regions.checkpoint_signer(w.region)(len(kept), root_hash([leaf_hash(x) for x in kept]))
    return rewrite(path, out, {ENTRIES: joined(kept), CHECKPOINT: cp.encode(),
                               MANIFEST: manifest_for(path, kept), ANCHORS: anchors_for(kept)})


def test_audit_names_the_first_entry_after_a_closing_with_no_decision(
        w: World, tmp_path: Path) -> None:
    _people, made = governed(w)
    path = export_to(w, tmp_path / "b.zip")
    entries = [Entry.from_bytes(x) for x in entry_lines(path)]
    decision = next(e for e in entries if e.type == "Decision"
                    and e.message["proposal"] == made["approval"])
    after = next(e for e in entries if e.seq > decision.seq and e.type != "Decision")
    assert after.type == "Profile"
    forged = _without(w, path, tmp_path / "forged.zip", decision.seq)
    err = fails_both_ways(audit_bundle, forged, after.seq - 1, "no Decision of it precedes")
    assert made["approval"] in err.reason


def test_audit_fails_when_the_last_decision_is_dropped(w: World, tmp_path: Path) -> None:
    join(w, "花子")
    first, second = proposal(w, w.admin), proposal(w, w.admin, "single", choices=["a", "b"])
    advance(w, 2 * DAY)
    assert [r.type for r in w.domain.decide_due(w.region)] == ["Decision", "Decision"]
    path = export_to(w, tmp_path / "b.zip")
    entries = [Entry.from_bytes(x) for x in entry_lines(path)]
    assert entries[-1].type == "Decision" and entries[-1].message["proposal"] == second
    # the log ends after both closed: the second proposal's decision is owed
    forged = _without(w, path, tmp_path / "forged.zip", entries[-1].seq)
    proposed = next(e.seq for e in entries if e.type == "Proposal"
                    and entry_id_of(w, e) == second)
    err = fails_both_ways(audit_bundle, forged, proposed, "holds no Decision of it")
    assert second in err.reason and first not in err.reason


def test_audit_names_a_second_decision_of_a_proposal(w: World, tmp_path: Path) -> None:
    _people, made = governed(w)
    again = row(w, made["ranked"])["result"]  # the very result, signed by the service again
    [(seq, _)] = w.regions.append(w.region, [w.regions.service_signed(
        w.region, "Decision", {"proposal": made["ranked"], "result": again})])
    fails_both_ways(audit_bundle, export_to(w, tmp_path / "b.zip"), seq, "already decided")


def entry_id_of(w: World, e: Entry) -> str:
    from service.domain.apply import entry_id

    return entry_id(w.regions.facts(w.region), e)


def test_a_service_entry_after_closing_comes_after_the_decision(
        w: World, tmp_path: Path) -> None:
    from tests.integration.audit_fixtures import anchor_record

    join(w, "花子")
    pid = proposal(w, w.admin)
    advance(w, 2 * DAY)
    record = anchor_record(w)  # the anchoring command reads receipts[0] as its entry
    entries = [Entry.from_bytes(d) for _, d in w.regions.store.iter_entries(
        origin_for(w.region))]
    assert entries[record["seq"]].type == "Anchor"
    assert entries[record["seq"] - 1].type == "Decision"
    assert entries[record["seq"] - 1].message["proposal"] == pid
    assert audit_bundle(export_to(w, tmp_path / "b.zip")).points.decisions == 1


def test_a_voter_checks_from_the_command_line_that_the_decision_counts_her_vote(
        w: World, tmp_path: Path) -> None:
    from tests.integration.audit_fixtures import cli_env, run

    people, made = governed(w)
    env, path = cli_env(w), tmp_path / "vote.json"
    run(env, "receipt", "--region", w.region, "--proposal", made["ranked"], "--voter",
        people[0].address, "--out", str(path))
    out = run(env, "audit", "verify-receipt", str(path)).stdout
    assert f"vote by {people[0].address.lower()}: a > b" in out  # her first vote, in the log
    assert "decision — her last vote (d) is among the 7 votes counted" in out
    shown = json.loads(run(env, "audit", "verify-receipt", str(path), "--json").stdout)
    assert shown["ballot"] == [3] and shown["decided"] and shown["votes"] == 2
    # the receipt's title must be the proposal's
    receipt = json.loads(path.read_text())
    receipt["title"] = "別の提案"
    path.write_text(json.dumps(receipt))
    assert "title differs" in run(env, "audit", "verify-receipt", str(path), code=1).stderr
    assert run(env, "receipt", "--region", w.region, "--proposal", made["ranked"],
               code=2).exit_code == 2  # a voter's receipt needs the voter


def test_a_voters_receipt_refuses_a_decision_that_left_her_vote_out(w: World) -> None:
    from ledger.audit.receipt import build_receipt, verify_receipt
    from ledger.errors import VerificationError
    from service.domain.proposals import vote_seqs

    alice, bob = join(w, "花子", "Bob")
    pid = proposal(w, w.admin, "single", choices=["海", "山"])
    vote(w, alice, pid, 1)
    vote(w, bob, pid, 0)
    advance(w, 2 * DAY)
    # before any append since closing, the holder of the service key writes a decision
    # that counts only Bob's vote
    forged = {"method": "single", "choices": ["海", "山"], "totals": [1, 0], "winners": [0],
              "votes": 2, "passed": True, "turnout": {"voters": 1, "power": 1},
              "eligible": {"voters": 2, "power": 2}, "quorum": {"power": 1, "reached": True}}
    [(seq, _)] = w.regions.append(w.region, [w.regions.service_signed(
        w.region, "Decision", {"proposal": pid, "result": json.dumps(forged)})])
    store, origin = w.regions.store, origin_for(w.region)
    with store.engine.connect() as conn:  # type: ignore[attr-defined]
        seqs = vote_seqs(conn, w.region, pid, alice.address)
    receipt = build_receipt(store, origin, [*seqs, seq], about={
        "proposal": pid, "voter": alice.address.lower()})
    with pytest.raises(VerificationError, match="her vote was not counted") as info:
        verify_receipt(receipt)
    assert info.value.seq == seq


def test_hidden_totals_stay_hidden_until_closing(w: World) -> None:
    from service.domain.proposals import proposal_detail

    alice, bob = join(w, "花子", "Bob")
    pid = proposal(w, w.admin, "single", choices=["海", "山"], hideTotals=True)
    vote(w, alice, pid, 1)
    vote(w, bob, pid, 1)

    def shown(**kw: Any) -> dict[str, Any]:
        with w.regions.store.engine.connect() as conn:  # type: ignore[attr-defined]
            return proposal_detail(conn, w.region, pid, now(w), **kw)

    before = shown(voter=alice.address)
    assert before["result"] is None and before["provisional"]
    assert before["participation"] == {"voters": 2, "power": 2, "votes": 2}  # how many, only
    assert before["myBallot"] == [1]  # her own ballot, to her
    assert shown(admin=True)["result"] is None  # not even to an admin
    advance(w, 2 * DAY)
    w.domain.decide_due(w.region)
    after = shown()
    assert not after["provisional"] and after["result"]["totals"] == [0, 2]
    assert after["result"]["winners"] == [1] and after["health"]["nakamoto"] == 2


def test_power_by_points_is_fixed_at_the_proposal_and_so_are_its_rules(w: World) -> None:
    from tests.integration.audit_fixtures import claim_fields

    alice, vera = join(w, "花子", "Vera")
    submit(w, w.admin, "Role", member=vera.address, role="verifier", granted=True)
    policy = {"categories": {"cleanup": {"base": 7, "perHour": 12}}, "levels": [20, 100],
              "governance": {"power": "sqrtPoints", "proposeLevel": 1}}
    submit(w, w.admin, "Policy", version=1, policy=json.dumps(policy))

    def earn(minutes: int) -> None:  # a clean-up claim, approved
        claim = sign(w, alice, "Claim", **{**claim_fields(w, minutes=minutes),
                                           "occurredAt": now(w) - 60})
        w.domain.submit(w.region, [claim])
        submit(w, vera, "Review", claim=w.admin.claim_id(claim), approve=True, reason="確認")

    earn(120)  # 7 + 24 = 31 points: power ⌊√31⌋ = 5
    first = proposal(w, alice)
    with w.regions.store.engine.connect() as conn:  # type: ignore[attr-defined]
        powers = dict(conn.execute(t.electorate.select().with_only_columns(
            t.electorate.c.address, t.electorate.c.power).where(
            t.electorate.c.proposal == first)).all())
    assert powers == {alice.address.lower(): 5}  # Vera has no points (the admin never joined)
    earn(600)  # 7 + 120 more: √158 → 12, but not for the proposal already made
    policy["governance"] = {"power": "member", "proposeLevel": 1, "quorumPercent": 0}
    submit(w, w.admin, "Policy", version=2, policy=json.dumps(policy))
    vote(w, alice, first, 0)
    second = proposal(w, alice)
    vote(w, alice, second, 0)
    advance(w, 2 * DAY)
    w.domain.decide_due(w.region)
    one, two = row(w, first), row(w, second)
    assert json.loads(one["rules"])["power"] == "sqrtPoints"
    assert json.loads(one["result"])["turnout"] == {"voters": 1, "power": 5}
    assert json.loads(two["rules"])["policyVersion"] == 2
    assert json.loads(two["result"])["eligible"] == {"voters": 2, "power": 2}  # one each
