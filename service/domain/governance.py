"""Deciding together: who may vote on a proposal, with what power, and its result.

Pure functions over rows the projections hold (no database, no clock), used by the
rules (:mod:`.rules`), the projection updates (:mod:`.apply`), the service when it
writes a ``Decision`` entry (:mod:`.core`) and the auditor who recounts it
(``service/audit/replay.py``) — one implementation for all four. The counting itself
is :mod:`.tally`. ``docs/governance.md`` describes the rules in words.

- **Electorate**, fixed when the proposal is applied, i.e. at its own position in the
  log: every member whose level then is at least ``governance.voteLevel`` of the
  policy then in force, with power 1 (``member``), their level (``level``) or
  ``isqrt(lifetime points)`` (``sqrtPoints``; a member with power 0 can't vote), each
  at most ``capPercent`` % of the total (at least 1).
- **Result**: each voter's last ballot counts, with their power. Quorum: the power of
  those who voted (abstaining and empty ballots included) is at least ``quorumPercent``
  % of the eligible power. ``for-against`` passes when, with quorum, ``for`` is more
  than ``supportPercent`` % of for + against; ``single`` and ``approval`` when one
  choice has the most power (a tie passes nothing); ``ranked`` when instant runoff
  finds a winner; ``budget`` whenever quorum is reached (what MES funds, completed).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ledger.canonical import canonical_bytes

from . import tally
from .policy import Governance

if TYPE_CHECKING:
    from .state import Projections

METHODS = ("for-against", "single", "approval", "ranked", "budget")
FOR_AGAINST = ("for", "against", "abstain")
MAX_CHOICES = 20
MAX_CHOICE_CHARS = 100
MAX_TEXT_CHARS = 8000


def labels(method: str, choices: Sequence[str]) -> list[str]:
    """The choices a ballot's indices refer to."""
    return list(FOR_AGAINST) if method == "for-against" else list(choices)


def electorate(members: Iterable[tuple[str, int, int]], gov: Governance) -> dict[str, int]:
    """``{address: power}`` of the members ``(address, lifetime points, level)`` who may
    vote under ``gov`` (power 0 left out)."""
    raw: dict[str, int] = {}
    for address, points, level in members:
        if level < gov.voteLevel:
            continue
        power = 1 if gov.power == "member" else level if gov.power == "level" else \
            math.isqrt(max(points, 0))
        if power > 0:
            raw[address] = power
    if gov.capPercent is not None and raw:
        cap = max(1, sum(raw.values()) * gov.capPercent // 100)
        raw = {a: min(p, cap) for a, p in raw.items()}
    return dict(sorted(raw.items()))


def rules_of(gov: Governance, policy_version: int) -> dict[str, Any]:
    """What a proposal keeps of the policy in force when it was made."""
    return {"policyVersion": policy_version, "voteLevel": gov.voteLevel, "power": gov.power,
            "capPercent": gov.capPercent, "quorumPercent": gov.quorumPercent,
            "supportPercent": gov.supportPercent}


def ballot_problem(method: str, n: int, costs: Sequence[int], budget: int,
                   ballot: Sequence[int]) -> tuple[str, str] | None:
    """Why ``ballot`` does not fit the method, in plain English and Japanese (None when
    it fits)."""
    if any(c >= n for c in ballot):
        return (f"The ballot names a choice that does not exist (there are {n}).",
                f"存在しない選択肢が含まれています（選択肢は {n} 個です）。")
    if len(set(ballot)) != len(ballot):
        return "The ballot names a choice twice.", "同じ選択肢が2回含まれています。"
    if method in ("for-against", "single"):
        if len(ballot) != 1:
            return "Choose exactly one option.", "選択肢を1つだけ選んでください。"
    elif method in ("approval", "budget"):
        if list(ballot) != sorted(ballot):
            return ("List the chosen options in ascending order.",
                    "選んだ選択肢を番号の小さい順に並べてください。")
        if method == "budget":
            total = sum(costs[c] for c in ballot)
            if total > budget:
                return (f"The chosen projects cost {total} together, more than the budget "
                        f"of {budget}.",
                        f"選んだ事業の合計は {total} で、予算 {budget} を超えています。")
    return None


def count(proposal: Mapping[str, Any], ballots: Sequence[tuple[str, int, Sequence[int]]],
          ) -> dict[str, Any]:
    """The full result of ``proposal`` (a ``svc_proposals`` row) from each voter's
    ballot that counts: ``(voter, power, choice indices)``."""
    method = proposal["method"]
    rules = json.loads(proposal["rules"])
    choices = labels(method, json.loads(proposal["choices"]))
    costs = json.loads(proposal["costs"])
    n = len(choices)
    counted = [tally.Ballot(power, tuple(b)) for _, power, b in sorted(ballots)]
    eligible = int(proposal["eligible_power"])
    turnout = sum(b.power for b in counted)
    needed = -(-rules["quorumPercent"] * eligible // 100)
    quorum = turnout >= needed and turnout > 0
    out: dict[str, Any] = {
        "method": method, "choices": choices,
        "eligible": {"voters": int(proposal["eligible_voters"]), "power": eligible},
        "turnout": {"voters": len(counted), "power": turnout},
        "quorum": {"power": needed, "reached": quorum},
        "votes": int(proposal["votes"]),
    }
    if method == "ranked":
        irv = tally.instant_runoff(n, counted)
        out["totals"] = [c or 0 for c in irv.rounds[0].counts]
        out["rounds"] = [{"counts": r.counts, "exhausted": r.exhausted,
                          "eliminated": r.eliminated, "tie": r.tie} for r in irv.rounds]
        out["winners"] = [irv.winner] if irv.winner is not None else []
        out["passed"] = quorum and irv.winner is not None
    elif method == "budget":
        budget = int(proposal["budget"])
        mes, funded = tally.equal_shares(costs, budget, counted)
        greedy = tally.greedy(costs, budget, counted)
        out["totals"] = tally.approval(n, counted)[0]
        out.update(budget=budget, costs=costs, mes=mes, winners=funded,
                   spent=sum(costs[i] for i in funded), greedy=greedy,
                   greedySpent=sum(costs[i] for i in greedy), passed=quorum)
    else:
        totals, top = tally.plurality(n, counted)
        out["totals"] = totals
        if method == "for-against":
            yes, no = totals[0], totals[1]
            passed = quorum and yes * 100 > rules["supportPercent"] * (yes + no)
            out["winners"] = [0] if passed else []
            out["passed"] = passed
        else:
            out["winners"] = top
            out["passed"] = quorum and len(top) == 1
    return out


def result_text(result: Mapping[str, Any]) -> str:
    """The ``result`` string of a ``Decision`` entry: RFC 8785 JSON."""
    return canonical_bytes(dict(result)).decode("utf-8")


def decision_text(state: Projections, proposal: Mapping[str, Any]) -> str:
    """The ``result`` the ``Decision`` of ``proposal`` (its row) must hold, counted from
    the projections' ballots."""
    return result_text(count(proposal, state.proposal_ballots(proposal["id"])))


def health(powers: Sequence[int], eligible_power: int) -> dict[str, Any]:
    """How concentrated a decision is, from the powers of those who voted: turnout (% of
    eligible power), the share (%) of the voted power held by the top 10 % of voters
    (at least one), and the Nakamoto coefficient (fewest voters holding more than half
    of the voted power; 0 when nobody voted)."""
    ordered = sorted(powers, reverse=True)
    total = sum(ordered)
    top = ordered[:max(1, math.ceil(len(ordered) / 10))] if ordered else []
    nakamoto, running = 0, 0
    for p in ordered:
        running += p
        nakamoto += 1
        if 2 * running > total:
            break
    return {
        "turnoutPercent": round(100 * total / eligible_power, 2) if eligible_power else 0.0,
        "top10Percent": round(100 * sum(top) / total, 2) if total else 0.0,
        "nakamoto": nakamoto if total else 0,
    }
