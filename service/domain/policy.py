"""The points policy: a versioned, signed ``Policy`` entry turns work into points.

A policy is a JSON object (the ``policy`` string of a ``Policy`` message)::

    {"categories": {"cleanup": {"base": 5, "perHour": 10}, ...},
     "endorsementWeight": 1, "endorsementBudget": 20, "epochDays": 30,
     "caps": {"claim": 500, "endorsementsPerClaim": 50},
     "decayHalfLifeDays": null, "levels": [50, 150, 400, 1000],
     "review": {"threshold": 100, "approvals": 2},
     "maxMinutes": 1440, "questProposalLevel": 1,
     "governance": {"proposeLevel": 2, "voteLevel": 1, "power": "member",
                    "capPercent": null, "quorumPercent": 10, "supportPercent": 50,
                    "minHours": 24, "maxDays": 60}}

- a claim earns ``base + floor(minutes * perHour / 60)`` of its category, plus the
  points of the quest it answers, at most ``caps.claim``; each confirmed co-contributor
  earns the same;
- an endorsement of ``amount`` gives the contributor ``amount * endorsementWeight``,
  at most ``caps.endorsementsPerClaim`` in all for one claim; each member may give
  ``endorsementBudget`` per epoch of ``epochDays`` days (epochs count from the Unix
  epoch, by entry time);
- a claim worth ``review.threshold`` points or more needs ``review.approvals``
  approvals, others one;
- with ``decayHalfLifeDays``, a point line is worth ``points * 2^(-age/half-life)``
  when shown (levels follow lifetime points and never decay);
- ``levels`` are ascending thresholds of lifetime points: level = 1 + thresholds reached;
- a member of level ``questProposalLevel`` or more may propose a quest.
- ``governance``: who may propose and vote and with how much power, quorum, support
  and voting periods (:class:`Governance`; applied in :mod:`.governance`).

The module is pure: no clock, no database. Until a region publishes a policy,
:data:`DEFAULT_POLICY` applies (version 0).
"""

from __future__ import annotations

import itertools
import json
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .errors import DomainError

CATEGORY_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,31}$")
MAX_POLICY_BYTES = 8192


class CategoryRate(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    base: int = Field(ge=0, le=10_000, description="Points for any claim of the category")
    perHour: int = Field(ge=0, le=10_000, description="Points per hour of work "
                         "(floor(minutes × perHour / 60))")


class Caps(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    claim: int = Field(default=500, ge=1, le=1_000_000,
                       description="Most points one claim earns each person")
    endorsementsPerClaim: int = Field(default=50, ge=0, le=1_000_000,
                                      description="Most endorsement points one claim earns")


class ReviewRule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    threshold: int = Field(default=100, ge=0, le=1_000_000,
                           description="Claims worth this many points or more need "
                           "`approvals` approvals; others one")
    approvals: int = Field(default=2, ge=1, le=5, description="Approvals a claim over the "
                           "threshold needs")


class Governance(BaseModel):
    """Who decides, and how much each counts. Fixed for a proposal at its own position
    in the log: a later policy changes nothing for proposals made before it."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    proposeLevel: int = Field(default=2, ge=1, le=21, description="Level a member needs "
                              "to propose (admins always may)")
    voteLevel: int = Field(default=1, ge=1, le=21, description="Level a member needs to vote")
    power: Literal["member", "level", "sqrtPoints"] = Field(
        default="member", description="Voting power: one member one vote; the member's "
        "level; or the square root of lifetime points, rounded down")
    capPercent: int | None = Field(default=None, ge=1, le=100, description="Most of the "
                                   "eligible power one member may hold, in percent (at "
                                   "least 1); null: no cap")
    quorumPercent: int = Field(default=10, ge=0, le=100, description="Share of the eligible "
                               "power that must take part (abstaining counts) for a result")
    supportPercent: int = Field(default=50, ge=0, le=99, description="For / against: `for` "
                                "must be more than this share of for + against")
    minHours: int = Field(default=24, ge=1, le=24 * 366, description="Shortest voting period")
    maxDays: int = Field(default=60, ge=1, le=366, description="Longest voting period")


class Policy(BaseModel):
    """One version of a region's points policy: what work, endorsements and reviews are
    worth (see the module docstring)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    categories: dict[str, CategoryRate] = Field(
        min_length=1, max_length=50, description="Categories a claim may name, with their rates")
    endorsementWeight: int = Field(default=1, ge=0, le=100,
                                   description="Points per endorsement unit")
    endorsementBudget: int = Field(default=20, ge=0, le=10_000,
                                   description="Units each member may give per epoch")
    epochDays: int = Field(default=30, ge=1, le=366, description="Length of a budget epoch")
    caps: Caps = Caps()
    decayHalfLifeDays: int | None = Field(
        default=None, ge=1, le=36_500,
        description="Half-life of shown points in days; null: points don't decay")
    levels: list[int] = Field(default_factory=lambda: [50, 150, 400, 1000], max_length=20,
                              description="Ascending lifetime-points thresholds; level = 1 + "
                              "thresholds reached")
    review: ReviewRule = ReviewRule()
    maxMinutes: int = Field(default=1440, ge=1, le=10_080,
                            description="Most minutes one claim may state")
    questProposalLevel: int = Field(default=1, ge=1, le=100,
                                    description="Lowest level at which a member may propose "
                                    "a quest (かかわりしろ) for an admin or verifier to publish")
    governance: Governance = Governance()

    @field_validator("categories")
    @classmethod
    def _names(cls, value: dict[str, CategoryRate]) -> dict[str, CategoryRate]:
        for name in value:
            if not CATEGORY_RE.fullmatch(name):
                raise ValueError(
                    f"category {name!r}: 1-32 characters of a-z, 0-9 and '-'"
                )
        return value

    @field_validator("levels")
    @classmethod
    def _ascending(cls, value: list[int]) -> list[int]:
        if any(b <= a for a, b in itertools.pairwise(value)) or any(v < 1 for v in value):
            raise ValueError("level thresholds must be positive and strictly ascending")
        return value

    # -- arithmetic (integers only, so every recomputation agrees to the point) ----------

    def claim_points(self, category: str, minutes: int, quest_points: int = 0) -> int:
        rate = self.categories.get(category)
        if rate is None:
            return min(quest_points, self.caps.claim)
        return min(rate.base + minutes * rate.perHour // 60 + quest_points, self.caps.claim)

    def approvals_needed(self, points: int) -> int:
        return self.review.approvals if points >= self.review.threshold else 1

    def level(self, lifetime_points: int) -> int:
        return 1 + sum(1 for t in self.levels if lifetime_points >= t)

    def epoch(self, time: int) -> int:
        return time // (self.epochDays * 86400)

    def epoch_end(self, time: int) -> int:
        return (self.epoch(time) + 1) * self.epochDays * 86400

    def decayed(self, points: int, age_seconds: int) -> float:
        if not self.decayHalfLifeDays or points == 0:
            return float(points)
        return float(points * 0.5 ** (max(age_seconds, 0) / (self.decayHalfLifeDays * 86400)))

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


DEFAULT_CATEGORIES = (
    "festival", "cleanup", "promotion", "disaster-relief", "pro-bono", "farming", "other",
)
DEFAULT_POLICY = Policy(
    categories={c: CategoryRate(base=5, perHour=10) for c in DEFAULT_CATEGORIES},
)
"""Version 0: applies until a region publishes a ``Policy`` entry."""


def parse_policy(text: str) -> Policy:
    """The policy in a ``Policy`` message's JSON text; DomainError ``bad-policy``."""
    if len(text.encode("utf-8", "surrogatepass")) > MAX_POLICY_BYTES:
        raise DomainError("bad-policy", reason=f"A policy may be at most {MAX_POLICY_BYTES} bytes.")
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise DomainError("bad-policy", reason=f"The policy is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise DomainError("bad-policy", reason="The policy must be a JSON object.")
    try:
        return Policy.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ())) or "policy"
        raise DomainError("bad-policy", reason=f"{where}: {first.get('msg', 'invalid')}") from None
