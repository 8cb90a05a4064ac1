"""Projection updates: what each entry does to the tables, given the tables before it.

:func:`apply` is the only code that writes projections, on the live path (right after
an entry is appended) and in ``kakawari rebuild`` (for every entry in log order), so a
rebuild gives the same rows as the live service by construction. It reads nothing but
the entry and the projections, never a clock: time-dependent views (decay) are
computed when read.

Rules are not checked here — an entry in the log was checked when it was appended.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from ledger import eip712
from ledger.entry import Entry
from ledger.messages import MESSAGE_TYPES
from ledger.verify import RegionFacts

from . import governance
from . import tables as t
from .policy import parse_policy
from .state import Projections

ZERO32 = "0x" + "00" * 32


def entry_id(facts: RegionFacts, entry: Entry) -> str:
    """The id of a claim, quest or proposal: the 0x-hex EIP-712 signing digest of its message."""
    if entry.digest is not None:  # a verifier computed it already
        return "0x" + entry.digest.hex()
    mtype = MESSAGE_TYPES[entry.type]
    return "0x" + eip712.signing_digest(facts.domain, mtype, entry.message).hex()


def apply(state: Projections, facts: RegionFacts, entry: Entry) -> None:
    """Update ``state``'s projections for ``entry`` (already in the log at ``entry.seq``)."""
    m = entry.message
    state.insert(t.nonces, signer=entry.signer, nonce=m["nonce"], seq=entry.seq)
    handler = _HANDLERS.get(entry.type)
    if handler is not None:
        handler(state, facts, entry, m)


def _region(state: Projections, facts: RegionFacts, entry: Entry, m: dict[str, Any]) -> None:
    state.insert(t.roles, address=m["admin"], role="admin", seq=entry.seq)


def _join(state: Projections, facts: RegionFacts, entry: Entry, m: dict[str, Any]) -> None:
    held = state.one(t.custody, member=m["member"])
    state.insert(
        t.members, address=m["member"], display_name=m["displayName"], resident=None,
        joined_seq=entry.seq, joined_at=entry.time, points=0, level=state.policy.level(0),
        managed=bool(held and held["held"]), number=state.next_member_number(),
    )


def _profile(state: Projections, facts: RegionFacts, entry: Entry, m: dict[str, Any]) -> None:
    state.update(t.members, {"address": m["member"]}, display_name=m["displayName"],
                 resident=m["resident"])


def _reading(state: Projections, facts: RegionFacts, entry: Entry, m: dict[str, Any]) -> None:
    state.update(t.members, {"address": m["member"]}, reading=m["reading"].strip() or None)


def _role(state: Projections, facts: RegionFacts, entry: Entry, m: dict[str, Any]) -> None:
    held = state.has_role(m["member"], m["role"])
    if m["granted"] and not held:
        state.insert(t.roles, address=m["member"], role=m["role"], seq=entry.seq)
    elif not m["granted"] and held:
        state.delete(t.roles, address=m["member"], role=m["role"])


def _claim(state: Projections, facts: RegionFacts, entry: Entry, m: dict[str, Any]) -> None:
    claim_id = entry_id(facts, entry)
    quest = m["quest"] if m["quest"] != ZERO32 else None
    state.insert(
        t.claims, id=claim_id, seq=entry.seq, contributor=m["contributor"],
        category=m["category"], title=m["title"], minutes=m["minutes"],
        occurred_at=m["occurredAt"], quest=quest, details_hash=m["detailsHash"],
        status="pending", status_before=None, approvals=0, points=None, endorsed=0,
        decided_seq=None, created_at=entry.time,
    )
    state.insert(t.claim_people, claim=claim_id, address=m["contributor"], contributor=True,
                 confirmed_seq=entry.seq)
    for other in m["coContributors"]:
        state.insert(t.claim_people, claim=claim_id, address=other, contributor=False,
                     confirmed_seq=None)
    if quest is not None:
        row = state.one(t.quests, id=quest)
        if row is not None:
            state.update(t.quests, {"id": quest}, claims=int(row["claims"]) + 1)


def _confirmation(state: Projections, facts: RegionFacts, entry: Entry, m: dict[str, Any]) -> None:
    state.update(t.claim_people, {"claim": m["claim"], "address": m["coContributor"]},
                 confirmed_seq=entry.seq)


def claim_points(state: Projections, claim: Mapping[str, Any]) -> int:
    """What the claim is worth per person under the policy in force now."""
    quest_points = 0
    if claim["quest"]:
        quest = state.one(t.quests, id=claim["quest"])
        quest_points = int(quest["points"]) if quest else 0
    return state.policy.claim_points(claim["category"], int(claim["minutes"]), quest_points)


def _review(state: Projections, facts: RegionFacts, entry: Entry, m: dict[str, Any]) -> None:
    claim = state.claim(m["claim"])
    assert claim is not None, "a review of an unknown claim was appended"
    state.insert(t.reviews, seq=entry.seq, claim=m["claim"], reviewer=m["reviewer"],
                 approve=m["approve"], reason=m["reason"], time=entry.time)
    if not m["approve"]:
        state.update(t.claims, {"id": m["claim"]}, status="rejected", decided_seq=entry.seq)
        return
    approvals = int(claim["approvals"]) + 1
    points = claim_points(state, claim)
    if approvals < state.policy.approvals_needed(points):
        state.update(t.claims, {"id": m["claim"]}, approvals=approvals)
        return
    state.update(t.claims, {"id": m["claim"]}, approvals=approvals, status="approved",
                 points=points, decided_seq=entry.seq)
    _credit_endorsements(state, m["claim"], entry)


def _credit_endorsements(state: Projections, claim_id: str, via: Entry) -> None:
    """Credit the endorsements of a claim that has just been approved, in log order."""
    for seq in state.uncredited_endorsements(claim_id):
        _credit_endorsement(state, seq, via)


def _credit_endorsement(state: Projections, seq: int, via: Entry) -> None:
    row = state.one(t.endorsements, seq=seq)
    assert row is not None
    claim = state.claim(row["claim"])
    assert claim is not None
    policy = state.policy
    room = max(policy.caps.endorsementsPerClaim - int(claim["endorsed"]), 0)
    points = min(int(row["amount"]) * policy.endorsementWeight, room)
    state.update(t.endorsements, {"seq": seq}, credited=True)
    state.update(t.claims, {"id": row["claim"]}, endorsed=int(claim["endorsed"]) + points)
    state.add_line(row["recipient"], seq=seq, via_seq=via.seq, kind="endorsement",
                   claim=row["claim"], points=points, time=via.time)


def _endorsement(state: Projections, facts: RegionFacts, entry: Entry, m: dict[str, Any]) -> None:
    claim = state.claim(m["claim"])
    assert claim is not None, "an endorsement of an unknown claim was appended"
    state.insert(t.endorsements, seq=entry.seq, claim=m["claim"], endorser=m["endorser"],
                 recipient=claim["contributor"], amount=m["amount"], note=m["note"],
                 epoch=state.policy.epoch(entry.time), time=entry.time, credited=False)
    if claim["status"] == "approved":
        _credit_endorsement(state, entry.seq, entry)


def _recognition(state: Projections, facts: RegionFacts, entry: Entry, m: dict[str, Any]) -> None:
    state.insert(t.recognitions, claim=m["claim"], member=m["member"], seq=entry.seq,
                 points=m["points"], time=entry.time)
    state.add_line(m["member"], seq=entry.seq, via_seq=entry.seq, kind="recognition",
                   claim=m["claim"], points=m["points"], time=entry.time)


def _net_by_member(state: Projections, claim_id: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for member, points, _, _ in state.claim_lines(claim_id):
        out[member] = out.get(member, 0) + points
    return out


def _revocation(state: Projections, facts: RegionFacts, entry: Entry, m: dict[str, Any]) -> None:
    claim = state.claim(m["claim"])
    assert claim is not None
    state.update(t.claims, {"id": m["claim"]}, status="revoked", status_before=claim["status"],
                 decided_seq=entry.seq)
    for member, net in sorted(_net_by_member(state, m["claim"]).items()):
        state.add_line(member, seq=entry.seq, via_seq=entry.seq, kind="revocation",
                       claim=m["claim"], points=-net, time=entry.time)


def _reinstatement(state: Projections, facts: RegionFacts, entry: Entry, m: dict[str, Any]) -> None:
    claim = state.claim(m["claim"])
    assert claim is not None
    state.update(t.claims, {"id": m["claim"]}, status=claim["status_before"] or "pending",
                 status_before=None, decided_seq=entry.seq)
    revoked = [(member, points) for member, points, kind, seq in state.claim_lines(m["claim"])
               if kind == "revocation" and seq == claim["decided_seq"]]
    for member, points in revoked:
        state.add_line(member, seq=entry.seq, via_seq=entry.seq, kind="reinstatement",
                       claim=m["claim"], points=-points, time=entry.time)


def _quest(state: Projections, facts: RegionFacts, entry: Entry, m: dict[str, Any]) -> None:
    state.insert(t.quests, id=entry_id(facts, entry), seq=entry.seq, admin=m["admin"],
                 title=m["title"], category=m["category"], points=m["points"],
                 opens_at=m["opensAt"], closes_at=m["closesAt"],
                 details_hash=m["detailsHash"], claims=0, **_QUEST_DEFAULTS)


# -- quests people can join, check-in, perks (issue 14) ------------------------------------

ZERO_ADDRESS = "0x" + "00" * 20
_QUEST_DEFAULTS: dict[str, Any] = {
    "status": "open", "description": "", "place": "", "geo": "", "online": False,
    "capacity": 0, "contact": None, "tags": "", "signups": 0, "decided_seq": None,
    "reason": "", "edited_seq": None,
}


def _public(m: dict[str, Any]) -> dict[str, Any]:
    """The quest columns of a `QuestPost`'s or `QuestEdit`'s public fields."""
    return {
        "title": m["title"], "category": m["category"], "points": m["points"],
        "opens_at": m["opensAt"], "closes_at": m["closesAt"], "description": m["description"],
        "place": m["place"], "geo": m["geo"], "online": m["online"],
        "capacity": m["capacity"], "tags": m["tags"],
        "contact": m["contact"] if m["contact"] != ZERO_ADDRESS else None,
    }


def _quest_post(state: Projections, facts: RegionFacts, entry: Entry, m: dict[str, Any]) -> None:
    status = "open" if state.has_role(m["author"], "admin") else "proposed"
    state.insert(t.quests, id=entry_id(facts, entry), seq=entry.seq, admin=m["author"],
                 details_hash=m["detailsHash"], claims=0,
                 **{**_QUEST_DEFAULTS, **_public(m), "status": status})


def _quest_decision(state: Projections, facts: RegionFacts, entry: Entry,
                    m: dict[str, Any]) -> None:
    state.update(t.quests, {"id": m["quest"]}, status="open" if m["publish"] else "declined",
                 decided_seq=entry.seq, reason=m["reason"])


def _quest_edit(state: Projections, facts: RegionFacts, entry: Entry, m: dict[str, Any]) -> None:
    state.update(t.quests, {"id": m["quest"]}, edited_seq=entry.seq, **_public(m))


def _quest_closure(state: Projections, facts: RegionFacts, entry: Entry,
                   m: dict[str, Any]) -> None:
    state.update(t.quests, {"id": m["quest"]}, status="closed", decided_seq=entry.seq,
                 reason=m["reason"])


def _sign_up(state: Projections, facts: RegionFacts, entry: Entry, m: dict[str, Any]) -> None:
    key = {"quest": m["quest"], "member": m["member"]}
    row = state.one(t.signups, **key)
    was = bool(row is not None and row["joined"])
    if row is None:
        state.insert(t.signups, **key, joined=m["joined"], seq=entry.seq, time=entry.time)
    else:
        state.update(t.signups, key, joined=m["joined"], seq=entry.seq, time=entry.time)
    quest = state.one(t.quests, id=m["quest"])
    if quest is not None and was != m["joined"]:
        state.update(t.quests, {"id": m["quest"]},
                     signups=int(quest["signups"]) + (1 if m["joined"] else -1))


def _check_in_window(state: Projections, facts: RegionFacts, entry: Entry,
                     m: dict[str, Any]) -> None:
    values = {"seq": entry.seq, "organiser": m["organiser"], "opens_at": m["opensAt"],
              "closes_at": m["closesAt"]}
    if state.one(t.checkins, quest=m["quest"]) is None:
        state.insert(t.checkins, quest=m["quest"], **values)
    else:
        state.update(t.checkins, {"quest": m["quest"]}, **values)


def perk_id(facts: RegionFacts, entry: Entry) -> str:
    """The perk a `Perk` entry lists or changes."""
    m = entry.message
    return m["perk"] if m["perk"] != ZERO32 else entry_id(facts, entry)


def _perk(state: Projections, facts: RegionFacts, entry: Entry, m: dict[str, Any]) -> None:
    values = {"updated_seq": entry.seq, "title": m["title"], "description": m["description"],
              "cost": m["cost"], "stock": m["stock"], "valid_until": m["validUntil"],
              "place": m["place"]}
    if m["perk"] == ZERO32:
        state.insert(t.perks, id=entry_id(facts, entry), seq=entry.seq, admin=m["admin"],
                     redeemed=0, **values)
    else:
        state.update(t.perks, {"id": m["perk"]}, **values)


def _spend(state: Projections, member: str, points: int, perk: str, count: int) -> None:
    row = state.one(t.balances, member=member)
    if row is None:
        state.insert(t.balances, member=member, redeemed=points)
    else:
        state.update(t.balances, {"member": member}, redeemed=int(row["redeemed"]) + points)
    found = state.one(t.perks, id=perk)
    if found is not None:
        state.update(t.perks, {"id": perk}, redeemed=int(found["redeemed"]) + count)


def _redemption(state: Projections, facts: RegionFacts, entry: Entry, m: dict[str, Any]) -> None:
    state.insert(t.redemptions, id=entry_id(facts, entry), seq=entry.seq, member=m["member"],
                 perk=m["perk"], cost=m["cost"], status="requested", status_seq=None,
                 reason="", time=entry.time)
    _spend(state, m["member"], m["cost"], m["perk"], 1)


def _redemption_status(state: Projections, facts: RegionFacts, entry: Entry,
                       m: dict[str, Any]) -> None:
    row = state.one(t.redemptions, id=m["redemption"])
    assert row is not None, "a status of an unknown redemption was appended"
    state.update(t.redemptions, {"id": m["redemption"]}, status=m["status"],
                 status_seq=entry.seq, reason=m["reason"])
    if m["status"] == "cancelled":
        _spend(state, row["member"], -int(row["cost"]), row["perk"], -1)


def _policy(state: Projections, facts: RegionFacts, entry: Entry, m: dict[str, Any]) -> None:
    policy = parse_policy(m["policy"])
    state.insert(t.policies, version=m["version"], seq=entry.seq, admin=m["admin"],
                 policy=m["policy"], time=entry.time)
    state.set_policy(m["version"], policy)
    for address, points, level in state.member_points():
        new = policy.level(points)
        if new != level:
            state.update(t.members, {"address": address}, level=new)


def _erasure(state: Projections, facts: RegionFacts, entry: Entry, m: dict[str, Any]) -> None:
    if state.one(t.erasures, details_hash=m["detailsHash"]) is None:
        state.insert(t.erasures, details_hash=m["detailsHash"], seq=entry.seq,
                     requester=m["requester"], reason=m["reason"], time=entry.time)


def _invitation(state: Projections, facts: RegionFacts, entry: Entry, m: dict[str, Any]) -> None:
    state.insert(t.invitations, code_hash=m["codeHash"], seq=entry.seq, admin=m["admin"],
                 expires_at=m["expiresAt"], member=None, revoked_seq=None)


def _invitation_revocation(state: Projections, facts: RegionFacts, entry: Entry,
                           m: dict[str, Any]) -> None:
    state.update(t.invitations, {"code_hash": m["codeHash"]}, revoked_seq=entry.seq)


def _recovery(state: Projections, facts: RegionFacts, entry: Entry, m: dict[str, Any]) -> None:
    state.insert(t.recoveries, code_hash=m["codeHash"], seq=entry.seq, admin=m["admin"],
                 member=m["member"], expires_at=m["expiresAt"])


def _custody(state: Projections, facts: RegionFacts, entry: Entry, m: dict[str, Any]) -> None:
    if state.one(t.custody, member=m["member"]) is None:
        state.insert(t.custody, member=m["member"], invitation=m["invitation"],
                     held=m["held"], seq=entry.seq)
        state.update(t.invitations, {"code_hash": m["invitation"]}, member=m["member"])
    else:
        state.update(t.custody, {"member": m["member"]}, held=m["held"], seq=entry.seq)
    state.update(t.members, {"address": m["member"]}, managed=m["held"])


def _badge(state: Projections, facts: RegionFacts, entry: Entry, m: dict[str, Any]) -> None:
    state.insert(t.badges, claim=m["claim"], member=m["member"], seq=entry.seq,
                 chain_id=m["chainId"], contract=m["contract"], token_id=m["tokenId"],
                 leaf_hash=m["leafHash"])


def _proposal(state: Projections, facts: RegionFacts, entry: Entry, m: dict[str, Any]) -> None:
    proposal = entry_id(facts, entry)
    gov = state.policy.governance
    powers = governance.electorate(state.member_points(), gov)
    for address, power in powers.items():
        state.insert(t.electorate, proposal=proposal, address=address, power=power)
    state.insert(
        t.proposals, id=proposal, seq=entry.seq, proposer=m["proposer"], title=m["title"],
        text=m["text"], method=m["method"], choices=_json(m["choices"]),
        costs=_json(m["costs"]), budget=m["budget"], opens_at=m["opensAt"],
        closes_at=m["closesAt"], hide_totals=m["hideTotals"],
        rules=_json(governance.rules_of(gov, state.policy_version)),
        eligible_voters=len(powers), eligible_power=sum(powers.values()), votes=0,
        status="open", ended_seq=None, reason=None, result=None, created_at=entry.time)


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def _vote(state: Projections, facts: RegionFacts, entry: Entry, m: dict[str, Any]) -> None:
    proposal, voter, ballot = m["proposal"], m["voter"], _json(m["ballot"])
    before = state.one(t.ballots, proposal=proposal, voter=voter)
    state.insert(t.votes, seq=entry.seq, proposal=proposal, voter=voter, ballot=ballot,
                 time=entry.time, change=before is not None)
    if before is None:
        state.insert(t.ballots, proposal=proposal, voter=voter, seq=entry.seq, ballot=ballot,
                     votes=1)
    else:
        state.update(t.ballots, {"proposal": proposal, "voter": voter}, seq=entry.seq,
                     ballot=ballot, votes=int(before["votes"]) + 1)
    row = state.one(t.proposals, id=proposal)
    assert row is not None, "a vote on an unknown proposal was appended"
    state.update(t.proposals, {"id": proposal}, votes=int(row["votes"]) + 1)


def _ended(status: str) -> Callable[[Projections, RegionFacts, Entry, dict[str, Any]], None]:
    def handler(state: Projections, facts: RegionFacts, entry: Entry, m: dict[str, Any]) -> None:
        state.update(t.proposals, {"id": m["proposal"]}, status=status, ended_seq=entry.seq,
                     reason=m["reason"])
    return handler


def _decision(state: Projections, facts: RegionFacts, entry: Entry, m: dict[str, Any]) -> None:
    state.update(t.proposals, {"id": m["proposal"]}, status="decided", ended_seq=entry.seq,
                 result=m["result"])
def _partnership(state: Projections, facts: RegionFacts, entry: Entry,
                 m: dict[str, Any]) -> None:
    values = {"seq": entry.seq, "name": m["partnerName"], "log_key": m["logKey"],
              "witness_key": m["witnessKey"], "url": m["url"], "active": True,
              "ended_seq": None, "time": entry.time}
    if state.one(t.partners, partner=m["partner"]) is None:
        state.insert(t.partners, partner=m["partner"], **values)
    else:  # partners again after an end
        state.update(t.partners, {"partner": m["partner"]}, **values)


def _partnership_end(state: Projections, facts: RegionFacts, entry: Entry,
                     m: dict[str, Any]) -> None:
    state.update(t.partners, {"partner": m["partner"]}, active=False, ended_seq=entry.seq)


def _record_link(state: Projections, facts: RegionFacts, entry: Entry,
                 m: dict[str, Any]) -> None:
    values = {"partner_member": m["partnerMember"], "shown": m["shown"], "seq": entry.seq,
              "time": entry.time, "summary_seq": None}
    if state.one(t.record_links, member=m["member"], partner=m["partner"]) is None:
        state.insert(t.record_links, member=m["member"], partner=m["partner"], **values)
    else:
        state.update(t.record_links, {"member": m["member"], "partner": m["partner"]},
                     **values)


def _record_summary(state: Projections, facts: RegionFacts, entry: Entry,
                    m: dict[str, Any]) -> None:
    state.update(t.record_links, {"member": m["member"], "partner": m["partner"]},
                 summary_seq=entry.seq)


_HANDLERS: dict[str, Callable[[Projections, RegionFacts, Entry, dict[str, Any]], None]] = {
    "Region": _region,
    "Join": _join,
    "Profile": _profile,
    "Reading": _reading,
    "Role": _role,
    "Claim": _claim,
    "Confirmation": _confirmation,
    "Review": _review,
    "Endorsement": _endorsement,
    "Recognition": _recognition,
    "Revocation": _revocation,
    "Reinstatement": _reinstatement,
    "Quest": _quest,
    "Policy": _policy,
    "Erasure": _erasure,
    "Invitation": _invitation,
    "InvitationRevocation": _invitation_revocation,
    "Recovery": _recovery,
    "Custody": _custody,
    "Badge": _badge,
    "QuestPost": _quest_post,
    "QuestDecision": _quest_decision,
    "QuestEdit": _quest_edit,
    "QuestClosure": _quest_closure,
    "SignUp": _sign_up,
    "CheckInWindow": _check_in_window,
    "Perk": _perk,
    "Redemption": _redemption,
    "RedemptionStatus": _redemption_status,
    "Proposal": _proposal,
    "Vote": _vote,
    "Withdrawal": _ended("withdrawn"),
    "Cancellation": _ended("cancelled"),
    "Decision": _decision,
    "Partnership": _partnership,
    "PartnershipEnd": _partnership_end,
    "RecordLink": _record_link,
    "RecordSummary": _record_summary,
}
