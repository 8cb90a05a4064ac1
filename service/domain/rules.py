"""The recognition rules: whether a signed message may be appended now.

Each ``check_<type>`` reads the region's projections through
:class:`~.state.Projections` and raises :class:`DomainError` with a stable code when
the message must be refused. The checks
common to every message (region, time window, nonce, field sizes) are in
:func:`check_common`. Signatures are checked before, by the caller.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ledger.cosignature import parse_cosigner_vkey
from ledger.entry import ORIGIN_PREFIX, origin_for
from ledger.errors import EntryError, LedgerError
from ledger.messages import MESSAGE_TYPES
from ledger.note import parse_vkey
from ledger.verify import RegionFacts

from . import governance as g
from . import tables as t
from .errors import DomainError
from .policy import parse_policy
from .state import Projections

ROLES = ("admin", "verifier", "auditor")
ZERO32 = "0x" + "00" * 32
MAX_CO_CONTRIBUTORS = 20
MAX_PAST_DAYS = 400
MAX_INVITATION_DAYS = 90
MAX_RECOVERY_DAYS = 30

#: Longest allowed value of each string field, in characters.
STRING_LIMITS: dict[str, int] = {
    "displayName": 64, "category": 32, "title": 200, "reason": 500, "note": 280,
    "role": 16, "policy": 8192, "region": 32, "text": 8000, "method": 16,
    "description": 4000, "place": 200, "geo": 40, "tags": 200, "status": 16, "reading": 64,
}
#: Fields that must not be empty (or only spaces).
REQUIRED_TEXT = frozenset({"displayName", "title", "category"})


@dataclass(frozen=True)
class Limits:
    """Limits passed in from settings."""

    window: int = 900
    """``issuedAt`` must be within this many seconds of the server time."""


@dataclass
class Check:
    """What a rule needs: the projections, region facts, server time and limits."""

    state: Projections
    facts: RegionFacts
    now: int
    limits: Limits
    grouped: bool = False
    """In a group commit a reused nonce is caught by the nonces table's primary key
    (the group is then redone one by one, where this check names it), saving a read."""


def check_common(c: Check, type_: str, m: dict[str, Any], signer: str, region: str) -> None:
    if m["region"] != region:
        raise DomainError("wrong-region", named=m["region"], region=region)
    issued = m["issuedAt"]
    if abs(issued - c.now) > c.limits.window:
        raise DomainError("stale", issued_at=issued, now=c.now, window=c.limits.window)
    if not c.grouped and c.state.nonce_used(signer, m["nonce"]):
        raise DomainError("nonce-reused", nonce=m["nonce"], signer=signer)
    for name in _text_fields(type_):
        if "\x00" in m[name]:  # PostgreSQL can't store it in text: refused on every backend
            raise DomainError("bad-character", field=name)
    for name, limit, required in _limited_text(type_):
        value = m.get(name)
        if isinstance(value, str):
            if len(value) > limit:
                raise DomainError("too-long", field=name, limit=limit,
                                  unit="characters", got=len(value))
            if required and not value.strip():
                raise DomainError("empty", field=name)


@functools.cache
def _text_fields(type_: str) -> tuple[str, ...]:
    """The ``string`` fields of ``type_``."""
    mtype = MESSAGE_TYPES.get(type_)
    return tuple(n for n, kind in mtype.fields if kind == "string") if mtype else ()


@functools.cache
def _limited_text(type_: str) -> tuple[tuple[str, int, bool], ...]:
    """The string fields of ``type_`` that have a limit, in the type's field order:
    ``(name, limit, must not be empty)``."""
    mtype = MESSAGE_TYPES.get(type_)
    names = [name for name, _ in mtype.fields] if mtype is not None else list(STRING_LIMITS)
    return tuple((n, STRING_LIMITS[n], n in REQUIRED_TEXT) for n in names if n in STRING_LIMITS)


# -- who may act --------------------------------------------------------------------------


def need_member(c: Check, who: str) -> None:
    if not c.state.is_member(who):
        raise DomainError("not-member", who=who, region=c.facts.region)


def need_admin(c: Check, who: str) -> None:
    if not c.state.has_role(who, "admin"):
        raise DomainError("not-admin", who=who, region=c.facts.region)


def need_claim(c: Check, claim_id: str) -> Mapping[str, Any]:
    row = c.state.claim(claim_id)
    if row is None:
        raise DomainError("unknown-claim", claim=claim_id, region=c.facts.region)
    return row


def not_involved(c: Check, claim_id: str, who: str, action: str) -> None:
    if any(p["address"] == who for p in c.state.people(claim_id)):
        raise DomainError("own-claim", who=who, claim=claim_id, action=action)


# -- per type -----------------------------------------------------------------------------


def check_join(c: Check, m: dict[str, Any]) -> None:
    if c.state.is_member(m["member"]):
        raise DomainError("already-member", who=m["member"], region=c.facts.region)


def check_profile(c: Check, m: dict[str, Any]) -> None:
    need_member(c, m["member"])


#: A reading: hiragana, katakana (full- or half-width), the long-vowel mark, middle dots
#: and spaces; or nothing, which removes it.
READING_RE = re.compile(r"^[\u3041-\u3096\u309d\u309e\u30a1-\u30fa\u30fc-\u30fe"
                        r"\uff66-\uff9f\u30fb\uff65\u3099-\u309c\u3000 ]*$")


def check_reading(c: Check, m: dict[str, Any]) -> None:
    need_member(c, m["member"])
    if not READING_RE.fullmatch(m["reading"]):
        raise DomainError("bad-reading", reading=m["reading"])


def check_role(c: Check, m: dict[str, Any]) -> None:
    need_admin(c, m["admin"])
    if m["role"] not in ROLES:
        raise DomainError("unknown-role", role=m["role"], roles=", ".join(ROLES))
    if m["granted"]:
        need_member(c, m["member"])
    elif m["role"] == "admin" and c.state.has_role(m["member"], "admin") and \
            c.state.count_role("admin") <= 1:
        raise DomainError("last-admin", who=m["member"], region=c.facts.region)


def check_claim(c: Check, m: dict[str, Any]) -> None:
    need_member(c, m["contributor"])
    policy = c.state.policy
    if m["category"] not in policy.categories:
        raise DomainError("unknown-category", category=m["category"],
                          categories=", ".join(sorted(policy.categories)))
    if not 1 <= m["minutes"] <= policy.maxMinutes:
        raise DomainError("out-of-range", field="minutes",
                          expected=f"between 1 and {policy.maxMinutes}", got=m["minutes"])
    occurred = m["occurredAt"]
    earliest = c.now - MAX_PAST_DAYS * 86400
    if not earliest <= occurred <= c.now + c.limits.window:
        raise DomainError("out-of-range", field="occurredAt",
                          expected=f"a time between {earliest} and now", got=occurred)
    others = m["coContributors"]
    if others:
        known = c.state.members_among(others)
    if len(others) > MAX_CO_CONTRIBUTORS:
        raise DomainError("bad-co-contributors",
                          reason=f"A claim may name at most {MAX_CO_CONTRIBUTORS} co-contributors.")
    if len(set(others)) != len(others):
        raise DomainError("bad-co-contributors", reason="A co-contributor is named twice.")
    if m["contributor"] in others:
        raise DomainError("bad-co-contributors",
                          reason="You can't name yourself as your own co-contributor.")
    for other in others:
        if other not in known:
            raise DomainError("bad-co-contributors",
                              reason=f"{other} is not a member of region '{c.facts.region}'.")
    if m["detailsHash"] != ZERO32:
        claimant = c.state.details_claimant(m["detailsHash"])
        if claimant is not None and claimant != m["contributor"]:
            raise DomainError("details-taken", details_hash=m["detailsHash"])
    if m["quest"] != ZERO32:
        quest = c.state.one(t.quests, id=m["quest"])
        if quest is None:
            raise DomainError("unknown-quest", quest=m["quest"], region=c.facts.region)
        if quest["status"] != "open":
            raise DomainError("quest-not-open", quest=m["quest"], status=quest["status"])
        if not quest["opens_at"] <= occurred <= quest["closes_at"]:
            raise DomainError("quest-closed", quest=m["quest"], opens_at=quest["opens_at"],
                              closes_at=quest["closes_at"], occurred_at=occurred)


def check_confirmation(c: Check, m: dict[str, Any]) -> None:
    claim = need_claim(c, m["claim"])
    row = c.state.one(t.claim_people, claim=m["claim"], address=m["coContributor"])
    if row is None or row["contributor"]:
        raise DomainError("not-co-contributor", who=m["coContributor"], claim=m["claim"])
    if row["confirmed_seq"] is not None:
        raise DomainError("already-confirmed", who=m["coContributor"], claim=m["claim"])
    if claim["status"] in ("rejected", "revoked"):
        raise DomainError("claim-decided", claim=m["claim"], status=claim["status"],
                          action="confirmed")


def check_review(c: Check, m: dict[str, Any]) -> None:
    who = m["reviewer"]
    if not c.state.has_role(who, "verifier"):
        raise DomainError("not-verifier", who=who, region=c.facts.region)
    claim = need_claim(c, m["claim"])
    not_involved(c, m["claim"], who, "review")
    if claim["status"] != "pending":
        raise DomainError("claim-decided", claim=m["claim"], status=claim["status"],
                          action="reviewed")
    if c.state.reviewed_by(m["claim"], who):
        raise DomainError("already-reviewed", who=who, claim=m["claim"])
    if not m["approve"] and not m["reason"].strip():
        raise DomainError("reason-required", action="rejection")


def check_endorsement(c: Check, m: dict[str, Any]) -> None:
    who = m["endorser"]
    need_member(c, who)
    claim = need_claim(c, m["claim"])
    not_involved(c, m["claim"], who, "endorse")
    if claim["status"] not in ("pending", "approved"):
        raise DomainError("claim-decided", claim=m["claim"], status=claim["status"],
                          action="endorsed")
    policy = c.state.policy
    amount = m["amount"]
    if amount < 1:
        raise DomainError("out-of-range", field="amount", expected="at least 1", got=amount)
    used = c.state.endorsed_in_epoch(who, policy.epoch(c.now))
    left = max(policy.endorsementBudget - used, 0)
    if amount > left:
        raise DomainError("budget-exceeded", who=who, left=left, budget=policy.endorsementBudget,
                          amount=amount, epoch_end=policy.epoch_end(c.now))


def check_quest(c: Check, m: dict[str, Any]) -> None:
    need_admin(c, m["admin"])
    if m["category"] not in c.state.policy.categories:
        raise DomainError("unknown-category", category=m["category"],
                          categories=", ".join(sorted(c.state.policy.categories)))
    if m["points"] > 10_000:
        raise DomainError("out-of-range", field="points", expected="at most 10000",
                          got=m["points"])
    if m["closesAt"] <= m["opensAt"]:
        raise DomainError("out-of-range", field="closesAt", expected="after opensAt",
                          got=m["closesAt"])


def check_policy(c: Check, m: dict[str, Any]) -> None:
    need_admin(c, m["admin"])
    expected = c.state.policy_version + 1
    if m["version"] != expected:
        raise DomainError("policy-version", region=c.facts.region, expected=expected,
                          got=m["version"])
    parse_policy(m["policy"])


def _check_revocation(c: Check, m: dict[str, Any]) -> None:
    need_admin(c, m["admin"])
    claim = need_claim(c, m["claim"])
    if not m["reason"].strip():
        raise DomainError("reason-required", action="revocation")
    if claim["status"] not in ("pending", "approved"):
        raise DomainError("claim-decided", claim=m["claim"], status=claim["status"],
                          action="revoked")


def check_reinstatement(c: Check, m: dict[str, Any]) -> None:
    need_admin(c, m["admin"])
    claim = need_claim(c, m["claim"])
    if not m["reason"].strip():
        raise DomainError("reason-required", action="reinstatement")
    if claim["status"] != "revoked":
        raise DomainError("not-revoked", claim=m["claim"], status=claim["status"])


def check_erasure(c: Check, m: dict[str, Any]) -> None:
    who = m["requester"]
    if c.state.has_role(who, "admin"):
        return
    # Details belong to whoever first claimed with them (only they could store them):
    # a later claim naming the same hash by someone else gives no right to erase them.
    if c.state.details_claimant(m["detailsHash"]) != who:
        raise DomainError(
            "not-allowed",
            reason="Only the contributor of the claim with these details, or an admin, can "
                   "have them erased.",
        )


def check_invitation(c: Check, m: dict[str, Any]) -> None:
    need_admin(c, m["admin"])
    if c.state.one(t.invitations, code_hash=m["codeHash"]) is not None or \
            c.state.one(t.recoveries, code_hash=m["codeHash"]) is not None:
        raise DomainError("invitation-exists")
    latest = c.now + MAX_INVITATION_DAYS * 86400
    if not c.now < m["expiresAt"] <= latest:
        raise DomainError("out-of-range", field="expiresAt",
                          expected=f"a time within {MAX_INVITATION_DAYS} days from now",
                          got=m["expiresAt"])


def check_invitation_revocation(c: Check, m: dict[str, Any]) -> None:
    need_admin(c, m["admin"])
    row = c.state.one(t.invitations, code_hash=m["codeHash"])
    if row is None:
        raise DomainError("unknown-invitation", region=c.facts.region)
    if row["member"] is not None:
        raise DomainError("invitation-used")
    if row["revoked_seq"] is not None:
        raise DomainError("invitation-revoked")


def check_recovery(c: Check, m: dict[str, Any]) -> None:
    need_admin(c, m["admin"])
    held = c.state.one(t.custody, member=m["member"])
    if held is None or not held["held"]:
        raise DomainError("not-managed", who=m["member"])
    if c.state.one(t.recoveries, code_hash=m["codeHash"]) is not None or \
            c.state.one(t.invitations, code_hash=m["codeHash"]) is not None:
        raise DomainError("invitation-exists")
    latest = c.now + MAX_RECOVERY_DAYS * 86400
    if not c.now < m["expiresAt"] <= latest:
        raise DomainError("out-of-range", field="expiresAt",
                          expected=f"a time within {MAX_RECOVERY_DAYS} days from now",
                          got=m["expiresAt"])


# -- quests people can join, check-in, perks (issue 14) ----------------------------------

ZERO_ADDRESS = "0x" + "00" * 20
MAX_QUEST_POINTS = 10_000
MAX_CAPACITY = 100_000
MAX_TAGS = 10
MAX_CHECK_IN_SECONDS = 24 * 3600
MAX_PERK_COST = 1_000_000
MAX_PERK_STOCK = 100_000
REDEMPTION_STATUSES = ("handed-over", "cancelled")


def need_quest(c: Check, quest_id: str) -> Mapping[str, Any]:
    row = c.state.one(t.quests, id=quest_id)
    if row is None:
        raise DomainError("unknown-quest", quest=quest_id, region=c.facts.region)
    return row


def _quest_fields(c: Check, m: dict[str, Any]) -> None:
    """The public fields a `QuestPost` and a `QuestEdit` share."""
    categories = c.state.policy.categories
    if m["category"] not in categories:
        raise DomainError("unknown-category", category=m["category"],
                          categories=", ".join(sorted(categories)))
    if m["points"] > MAX_QUEST_POINTS:
        raise DomainError("out-of-range", field="points", expected=f"at most {MAX_QUEST_POINTS}",
                          got=m["points"])
    if m["closesAt"] <= m["opensAt"]:
        raise DomainError("out-of-range", field="closesAt", expected="after opensAt",
                          got=m["closesAt"])
    if m["capacity"] > MAX_CAPACITY:
        raise DomainError("out-of-range", field="capacity", expected=f"at most {MAX_CAPACITY}",
                          got=m["capacity"])
    if m["geo"] and not _is_geo(m["geo"]):
        raise DomainError("out-of-range", field="geo",
                          expected='"latitude,longitude" in degrees, or empty', got=m["geo"])
    tags = [x.strip() for x in m["tags"].split(",")] if m["tags"].strip() else []
    if len(tags) > MAX_TAGS or any(not x or len(x) > 32 for x in tags):
        raise DomainError("out-of-range", field="tags",
                          expected=f"at most {MAX_TAGS} comma-separated tags of 1-32 characters",
                          got=m["tags"])
    if m["contact"] != ZERO_ADDRESS:
        need_member(c, m["contact"])


def _is_geo(text: str) -> bool:
    parts = text.split(",")
    try:
        lat, lon = (float(x) for x in parts) if len(parts) == 2 else (999.0, 999.0)
    except ValueError:
        return False
    return -90 <= lat <= 90 and -180 <= lon <= 180


def check_quest_post(c: Check, m: dict[str, Any]) -> None:
    who = m["author"]
    need_member(c, who)
    _quest_fields(c, m)
    if not c.state.has_role(who, "admin"):
        member = c.state.member(who)
        assert member is not None
        needed = c.state.policy.questProposalLevel
        if int(member["level"]) < needed:
            raise DomainError("level-too-low", who=who, level=member["level"], needed=needed,
                              action="propose a quest")


def check_quest_decision(c: Check, m: dict[str, Any]) -> None:
    who = m["reviewer"]
    if not (c.state.has_role(who, "admin") or c.state.has_role(who, "verifier")):
        raise DomainError("not-verifier", who=who, region=c.facts.region)
    quest = need_quest(c, m["quest"])
    if quest["status"] != "proposed":
        raise DomainError("quest-decided", quest=m["quest"], status=quest["status"])
    if quest["admin"] == who:
        raise DomainError("own-quest", who=who, quest=m["quest"])
    if not m["publish"] and not m["reason"].strip():
        raise DomainError("reason-required", action="decline")


def check_quest_edit(c: Check, m: dict[str, Any]) -> None:
    need_admin(c, m["admin"])
    quest = need_quest(c, m["quest"])
    if quest["status"] in ("closed", "declined"):
        raise DomainError("quest-not-open", quest=m["quest"], status=quest["status"])
    _quest_fields(c, m)


def check_quest_closure(c: Check, m: dict[str, Any]) -> None:
    need_admin(c, m["admin"])
    quest = need_quest(c, m["quest"])
    if quest["status"] in ("closed", "declined"):
        raise DomainError("quest-not-open", quest=m["quest"], status=quest["status"])


def check_sign_up(c: Check, m: dict[str, Any]) -> None:
    who = m["member"]
    need_member(c, who)
    quest = need_quest(c, m["quest"])
    row = c.state.one(t.signups, quest=m["quest"], member=who)
    joined = row is not None and row["joined"]
    if not m["joined"]:
        if not joined:
            raise DomainError("not-signed-up", who=who, quest=m["quest"])
        return
    if quest["status"] != "open":
        raise DomainError("quest-not-open", quest=m["quest"], status=quest["status"])
    if c.now > quest["closes_at"]:
        raise DomainError("quest-not-open", quest=m["quest"], status="over")
    if joined:
        raise DomainError("already-signed-up", who=who, quest=m["quest"])
    capacity = int(quest["capacity"])
    if capacity and int(quest["signups"]) >= capacity:
        raise DomainError("quest-full", quest=m["quest"], capacity=capacity)


def is_organiser(c: Check, quest: Mapping[str, Any], who: str) -> bool:
    """The quest's author, its contact person, or an admin."""
    return who in (quest["admin"], quest["contact"]) or c.state.has_role(who, "admin")


def check_check_in_window(c: Check, m: dict[str, Any]) -> None:
    who = m["organiser"]
    quest = need_quest(c, m["quest"])
    if not is_organiser(c, quest, who):
        raise DomainError("not-organiser", who=who, quest=m["quest"])
    if quest["status"] != "open":
        raise DomainError("quest-not-open", quest=m["quest"], status=quest["status"])
    opens, closes = m["opensAt"], m["closesAt"]
    if not opens < closes <= opens + MAX_CHECK_IN_SECONDS or closes <= c.now:
        raise DomainError("out-of-range", field="closesAt",
                          expected="later than now and opensAt, at most 24 hours after opensAt",
                          got=closes)


def check_perk(c: Check, m: dict[str, Any]) -> None:
    need_admin(c, m["admin"])
    if m["perk"] != ZERO32 and c.state.one(t.perks, id=m["perk"]) is None:
        raise DomainError("unknown-perk", perk=m["perk"], region=c.facts.region)
    if not 1 <= m["cost"] <= MAX_PERK_COST:
        raise DomainError("out-of-range", field="cost",
                          expected=f"between 1 and {MAX_PERK_COST}", got=m["cost"])
    if m["stock"] > MAX_PERK_STOCK:
        raise DomainError("out-of-range", field="stock", expected=f"at most {MAX_PERK_STOCK}",
                          got=m["stock"])
    if m["validUntil"] <= c.now:
        raise DomainError("out-of-range", field="validUntil", expected="a time after now",
                          got=m["validUntil"])


def spendable(state: Projections, member: str) -> int:
    """Points ``member`` may still redeem: lifetime points minus points redeemed (not
    cancelled). Redeeming never lowers lifetime points or the level."""
    row = state.member(member)
    spent = state.one(t.balances, member=member)
    return (int(row["points"]) if row else 0) - (int(spent["redeemed"]) if spent else 0)


def check_redemption(c: Check, m: dict[str, Any]) -> None:
    who = m["member"]
    need_member(c, who)
    perk = c.state.one(t.perks, id=m["perk"])
    if perk is None:
        raise DomainError("unknown-perk", perk=m["perk"], region=c.facts.region)
    if c.now > perk["valid_until"]:
        raise DomainError("perk-expired", perk=m["perk"], valid_until=perk["valid_until"])
    if int(perk["redeemed"]) >= int(perk["stock"]):
        raise DomainError("perk-out-of-stock", perk=m["perk"], stock=perk["stock"])
    if m["cost"] != perk["cost"]:
        raise DomainError("perk-changed", perk=m["perk"], cost=perk["cost"], got=m["cost"])
    balance = spendable(c.state, who)
    if balance < m["cost"]:
        raise DomainError("balance-too-low", who=who, balance=balance, cost=m["cost"])


def check_redemption_status(c: Check, m: dict[str, Any]) -> None:
    who = m["actor"]
    row = c.state.one(t.redemptions, id=m["redemption"])
    if row is None:
        raise DomainError("unknown-redemption", redemption=m["redemption"],
                          region=c.facts.region)
    if m["status"] not in REDEMPTION_STATUSES:
        raise DomainError("out-of-range", field="status",
                          expected=" or ".join(REDEMPTION_STATUSES), got=m["status"])
    if row["status"] != "requested":
        raise DomainError("redemption-decided", redemption=m["redemption"], status=row["status"])
    admin = c.state.has_role(who, "admin")
    if m["status"] == "handed-over" and not admin:
        raise DomainError("not-admin", who=who, region=c.facts.region)
    if m["status"] == "cancelled" and not admin and who != row["member"]:
        raise DomainError("not-allowed", reason="Only the member who redeemed it, or an admin, "
                          "can cancel a redemption.")
# -- proposals and votes (see governance.py) ----------------------------------------------


def _bad_proposal(en: str, ja: str) -> DomainError:
    return DomainError("bad-proposal", reason=en, reason_ja=ja)


def check_proposal(c: Check, m: dict[str, Any]) -> None:
    who = m["proposer"]
    gov = c.state.policy.governance
    if not c.state.has_role(who, "admin"):  # admins always may
        need_member(c, who)
        member = c.state.member(who)
        level = int(member["level"]) if member else 0
        if level < gov.proposeLevel:
            raise DomainError("level-too-low", who=who, level=level, needed=gov.proposeLevel)
    if not m["text"].strip():
        raise DomainError("empty", field="text")
    method, choices, costs = m["method"], m["choices"], m["costs"]
    if method not in g.METHODS:
        raise _bad_proposal(f"The method must be one of {', '.join(g.METHODS)}.",
                            f"投票方式は {', '.join(g.METHODS)} のどれかです。")
    if method == "for-against":
        if choices:
            raise _bad_proposal("A for / against proposal has no choices of its own.",
                                "賛否を問う提案には選択肢を付けません（賛成・反対・棄権）。")
    elif not 2 <= len(choices) <= g.MAX_CHOICES:
        raise _bad_proposal(f"Give between 2 and {g.MAX_CHOICES} choices.",
                            f"選択肢は 2〜{g.MAX_CHOICES} 個にしてください。")
    if any(not x.strip() or len(x) > g.MAX_CHOICE_CHARS for x in choices) or \
            len({x.strip() for x in choices}) != len(choices):
        raise _bad_proposal(f"Each choice needs 1 to {g.MAX_CHOICE_CHARS} characters, and no "
                            "two may be the same.",
                            f"選択肢はそれぞれ 1〜{g.MAX_CHOICE_CHARS} 文字で、同じものを2つ"
                            "にはできません。")
    if method == "budget":
        if m["budget"] < 1 or len(costs) != len(choices) or \
                any(not 1 <= x <= m["budget"] for x in costs):
            raise _bad_proposal("A budget proposal needs a budget, and for each project a "
                                "cost between 1 and the budget.",
                                "予算の提案には総予算と、事業ごとに 1 から総予算までの費用が"
                                "必要です。")
    elif costs or m["budget"]:
        raise _bad_proposal("Only a budget proposal has costs and a budget.",
                            "費用と予算を付けられるのは予算の提案だけです。")
    opens, closes = m["opensAt"], m["closesAt"]
    if not c.now - c.limits.window <= opens <= c.now + 90 * 86400:
        raise DomainError("out-of-range", field="opensAt",
                          expected="from now to 90 days ahead", got=opens)
    shortest, longest = gov.minHours * 3600, gov.maxDays * 86400
    if not shortest <= closes - opens <= longest:
        raise DomainError("out-of-range", field="closesAt",
                          expected=f"between {gov.minHours} hours and {gov.maxDays} days "
                          "after opensAt", got=closes)


def need_proposal(c: Check, proposal: str) -> Mapping[str, Any]:
    row = c.state.one(t.proposals, id=proposal)
    if row is None:
        raise DomainError("unknown-proposal", proposal=proposal, region=c.facts.region)
    if row["status"] != "open":
        raise DomainError("proposal-ended", proposal=proposal, status=row["status"])
    return row


def check_vote(c: Check, m: dict[str, Any]) -> None:
    who = m["voter"]
    row = c.state.one(t.proposals, id=m["proposal"])
    if row is not None and (row["status"] == "decided" or c.now >= row["closes_at"]):
        raise DomainError("voting-closed", closes_at=row["closes_at"])
    row = need_proposal(c, m["proposal"])
    if c.now < row["opens_at"]:
        raise DomainError("voting-not-open", opens_at=row["opens_at"], now=c.now)
    if c.state.one(t.electorate, proposal=m["proposal"], address=who) is None:
        rules = json.loads(row["rules"])
        raise DomainError(
            "not-eligible",
            reason=f"{who} was not a member at level {rules['voteLevel']} or above when the "
                   "proposal was made; who may vote is fixed then.",
            reason_ja=f"{who} は、提案が出された時点でレベル {rules['voteLevel']} 以上の"
                      "メンバーではありませんでした。投票できる人は提案の時点で決まります。")
    problem = g.ballot_problem(row["method"], len(g.labels(row["method"],
                               json.loads(row["choices"]))), json.loads(row["costs"]),
                               int(row["budget"]), m["ballot"])
    if problem is not None:
        raise DomainError("bad-ballot", reason=problem[0], reason_ja=problem[1])


def check_withdrawal(c: Check, m: dict[str, Any]) -> None:
    row = need_proposal(c, m["proposal"])
    if row["proposer"] != m["proposer"]:
        raise DomainError("not-proposer", who=m["proposer"], proposal=m["proposal"])
    if row["votes"]:
        raise DomainError("proposal-has-votes", proposal=m["proposal"], votes=row["votes"])


def check_cancellation(c: Check, m: dict[str, Any]) -> None:
    need_admin(c, m["admin"])
    need_proposal(c, m["proposal"])
    if not m["reason"].strip():
        raise DomainError("reason-required", action="cancellation")
def check_partnership(c: Check, m: dict[str, Any]) -> None:
    """An admin names a partner region: its origin (not this region), checkpoint key
    (whose key name is that origin), witness key and log URL."""
    need_admin(c, m["admin"])
    partner = m["partner"]
    try:
        origin_for(partner.removeprefix(ORIGIN_PREFIX))
        if not partner.startswith(ORIGIN_PREFIX) or partner == origin_for(c.facts.region):
            raise EntryError("not another region's origin")
        if parse_vkey(m["logKey"]).name != partner:
            raise EntryError(f"the log key is not named {partner}")
        parse_cosigner_vkey(m["witnessKey"])
    except LedgerError as exc:
        raise DomainError("bad-message", reason=f"Partnership with {partner!r:.80}: {exc}"
                          ) from None
    if not m["url"].startswith(("https://", "http://")) or not m["partnerName"].strip():
        raise DomainError("bad-message", reason="A partnership needs the partner's name and "
                          "an http(s) URL of its log.")
    row = c.state.one(t.partners, partner=partner)
    if row is not None and row["active"]:
        raise DomainError("not-allowed", reason=f"{partner} is already a partner.")


def check_partnership_end(c: Check, m: dict[str, Any]) -> None:
    need_admin(c, m["admin"])
    row = c.state.one(t.partners, partner=m["partner"])
    if row is None or not row["active"]:
        raise DomainError("not-allowed", reason=f"{m['partner']!r:.80} is not a partner.")
    if not m["reason"].strip():
        raise DomainError("reason-required", action="partnership end")


def check_record_link(c: Check, m: dict[str, Any]) -> None:
    """A member consents that her record travels to, or shows here from, an active
    partner region (issue 16); withdrawing (``shown`` false) needs no active partner."""
    need_member(c, m["member"])
    row = c.state.one(t.partners, partner=m["partner"])
    if m["shown"] and (row is None or not row["active"]):
        raise DomainError("not-allowed", reason=f"{m['partner']!r:.80} is not a partner "
                          "region, so no record travels to or from it.")
    if int(m["partnerMember"], 16) == 0:
        raise DomainError("bad-message", reason="partnerMember must be the member's "
                          "address in the partner region, not the zero address.")
    if not m["shown"] and c.state.one(t.record_links, member=m["member"],
                                      partner=m["partner"]) is None:
        raise DomainError("not-allowed", reason="There is no consent to withdraw.")


def check_service(c: Check, m: dict[str, Any]) -> None:
    """Service-written types are made by the service itself, never submitted."""
    raise DomainError("not-allowed", reason="Only the service writes this kind of entry.")


CHECKS: dict[str, Callable[[Check, dict[str, Any]], None]] = {
    "Join": check_join,
    "Profile": check_profile,
    "Reading": check_reading,
    "Role": check_role,
    "Claim": check_claim,
    "Confirmation": check_confirmation,
    "Review": check_review,
    "Endorsement": check_endorsement,
    "Quest": check_quest,
    "Policy": check_policy,
    "Revocation": _check_revocation,
    "Reinstatement": check_reinstatement,
    "Erasure": check_erasure,
    "Invitation": check_invitation,
    "InvitationRevocation": check_invitation_revocation,
    "Recovery": check_recovery,


    "QuestPost": check_quest_post,
    "QuestDecision": check_quest_decision,
    "QuestEdit": check_quest_edit,
    "QuestClosure": check_quest_closure,
    "SignUp": check_sign_up,
    "CheckInWindow": check_check_in_window,
    "Perk": check_perk,
    "Redemption": check_redemption,
    "RedemptionStatus": check_redemption_status,
    "Proposal": check_proposal,
    "Vote": check_vote,
    "Withdrawal": check_withdrawal,
    "Cancellation": check_cancellation,
    "Partnership": check_partnership,
    "PartnershipEnd": check_partnership_end,
    "RecordLink": check_record_link,
}
"""Member- and admin-signed types a client may submit, with their rules."""
