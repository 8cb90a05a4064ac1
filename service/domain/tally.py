"""Counting votes: pure functions from weighted ballots to results.

A ballot is a tuple of choice indices (``0 … n-1``) and the voter's power, a positive
integer. What a ballot means depends on the method:

- **single** — exactly one index: the choice;
- **approval** — a set of indices, in ascending order, possibly empty;
- **ranked** — distinct indices, most preferred first; any prefix of a full ranking
  (a *partial* ballot), possibly empty;
- **budget** — a set of projects (ascending, possibly empty) whose costs together fit
  the budget.

Every function is deterministic and uses integers and exact fractions only (GMP's, through
``gmpy2``: ten times quicker than :mod:`fractions`), so an
auditor's recount equals the service's to the last digit. Ties are broken as
documented at each function, never at random. ``service/domain/governance.py`` turns
a proposal's votes into these ballots and the result into a decision; the offline
audit (``kakawari audit verify``) runs the very same functions, beside the points
(which are recomputed in this package too, :mod:`.policy` and :mod:`.apply`): nothing
here imports the web service, a database or a clock.

``tests/unit/test_tally.py`` holds the budgeting rules to ``pabutools`` and the
instant runoff to ``pyrankvote`` on thousands of random elections.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from gmpy2 import mpq

__all__ = [
    "Ballot",
    "IrvResult",
    "IrvRound",
    "approval",
    "equal_shares",
    "greedy",
    "instant_runoff",
    "plurality",
]


@dataclass(frozen=True)
class Ballot:
    """One voter's counted ballot: their ``power`` and the chosen indices."""

    power: int
    choices: tuple[int, ...]


def _totals(n: int, ballots: Sequence[Ballot]) -> list[int]:
    totals = [0] * n
    for b in ballots:
        for c in b.choices:
            totals[c] += b.power
    return totals


def plurality(n: int, ballots: Sequence[Ballot]) -> tuple[list[int], list[int]]:
    """Single choice: each choice's power, and the choices with the most (all of them
    when tied — a tie has no winner; none when nobody chose anything)."""
    totals = _totals(n, ballots)
    return totals, _top(totals)


def approval(n: int, ballots: Sequence[Ballot]) -> tuple[list[int], list[int]]:
    """Approval: each choice's approving power, and the most approved (as
    :func:`plurality`)."""
    return plurality(n, ballots)


def _top(totals: list[int]) -> list[int]:
    best = max(totals, default=0)
    return [i for i, v in enumerate(totals) if v == best] if best > 0 else []


# -- instant runoff ---------------------------------------------------------------------


@dataclass
class IrvRound:
    """One round: the power behind each continuing choice (``None`` for a choice out
    of the race), the power of ballots with no continuing choice left, and the choice
    eliminated after this round (``None`` in the last round). ``tie`` names the tie-break
    that decided the elimination, when one was needed."""

    counts: list[int | None]
    exhausted: int
    eliminated: int | None = None
    tie: str | None = None


@dataclass
class IrvResult:
    winner: int | None
    rounds: list[IrvRound] = field(default_factory=list)


def instant_runoff(n: int, ballots: Sequence[Ballot]) -> IrvResult:
    """Instant runoff with partial ballots.

    Each round every ballot counts, with its power, for its most preferred choice still
    in the race; a ballot with none left is *exhausted* and counts for nobody from then
    on. A choice with more than half of the power counted in a round wins. Otherwise
    the choice with the least power is eliminated and the next round begins; when only
    one choice is left in the race, it wins if any power counts for it.

    Ties for the least power (deterministic, documented in ``docs/governance.md``):
    among the tied, the one with less power in the round before — going back a round at
    a time to the first (``tie: "earlier-rounds"``); still tied, the one listed last
    on the proposal (``tie: "listed-last"``). Nobody wins when no ballot counts for
    anyone (no voter, or only empty ballots).
    """
    alive = set(range(n))
    # ballots with the same preferences move together: group them, then keep each
    # choice's pile of groups; an eliminated choice's pile moves to the next choices
    groups: dict[tuple[int, ...], int] = {}
    for b in ballots:
        groups[b.choices] = groups.get(b.choices, 0) + b.power
    piles: list[list[tuple[tuple[int, ...], int]]] = [[] for _ in range(n)]
    live = dict.fromkeys(range(n), 0)
    exhausted = 0
    for prefs, power in groups.items():
        if prefs:
            piles[prefs[0]].append((prefs, power))
            live[prefs[0]] += power
        else:
            exhausted += power
    result = IrvResult(None)
    history: list[list[int | None]] = []
    while True:
        counts: list[int | None] = [live[i] if i in alive else None for i in range(n)]
        round_ = IrvRound(counts, exhausted)
        result.rounds.append(round_)
        history.append(counts)
        counted = sum(live.values())
        if counted == 0:
            return result
        leader = max(live, key=lambda i: (live[i], -i))
        if 2 * live[leader] > counted or len(alive) == 1:
            result.winner = leader
            return result
        out, round_.tie = _weakest(live, history)
        round_.eliminated = out
        alive.discard(out)
        del live[out]
        for prefs, power in piles[out]:
            nxt = next((c for c in prefs if c in alive), None)
            if nxt is None:
                exhausted += power
            else:
                piles[nxt].append((prefs, power))
                live[nxt] += power
        piles[out] = []


def _weakest(live: dict[int, int], history: list[list[int | None]]) -> tuple[int, str | None]:
    least = min(live.values())
    tied = [i for i, v in live.items() if v == least]
    if len(tied) == 1:
        return tied[0], None
    for counts in reversed(history[:-1]):
        fewest = min(counts[i] or 0 for i in tied)
        tied = [i for i in tied if (counts[i] or 0) == fewest]
        if len(tied) == 1:
            return tied[0], "earlier-rounds"
    return max(tied), "listed-last"


# -- participatory budgeting ------------------------------------------------------------


def greedy(costs: Sequence[int], budget: int, ballots: Sequence[Ballot],
           chosen: Sequence[int] = ()) -> list[int]:
    """Greedy by votes: projects in order of approving power (ties: listed first), each
    funded if it still fits what is left of ``budget``. Projects nobody approved are
    never funded. ``chosen``: projects funded already (kept, and paid from the budget),
    to complete another rule's outcome."""
    totals = _totals(len(costs), ballots)
    out = list(chosen)
    left = budget - sum(costs[i] for i in out)
    for i in sorted(range(len(costs)), key=lambda i: (-totals[i], i)):
        if totals[i] > 0 and i not in out and costs[i] <= left:
            out.append(i)
            left -= costs[i]
    return out


Affine = tuple[Any, Any]
"""``(a, b)``: the value ``a + b·e`` at endowment ``e`` (exact rationals)."""


def _mes_run(costs: Sequence[int], voters: list[tuple[int, frozenset[int]]],
             supporters: dict[int, list[int]], endowment: Any, candidates: list[int],
             ) -> tuple[list[int], Any]:
    """One run of the Method of Equal Shares with cost utilities: every unit of power
    starts with ``endowment``; repeatedly fund the affordable project whose supporters
    pay the least per unit of its cost (ties: listed first), each paying an equal share
    or all they have left.

    Returns what it funds, in order, and ``limit``: every endowment from ``endowment``
    up to (not including) ``limit`` makes exactly the same run (``None``: no bound was
    found). The completion needs many runs at endowments a small step apart, and most
    of them decide as the one before: this is what lets it skip them.

    How: every balance is an affine function ``a + b·e`` of the endowment ``e`` as long
    as each decision of the run stays the same — which projects are affordable, which
    supporters pay all they have left, which project is cheapest per unit of cost — and
    each decision is a comparison of two such functions, true at ``endowment``. The
    first endowment above it where one of them could turn is ``limit``. Supporters who
    backed the same funded projects have the same balance: they are counted as one
    class, so a round costs a pass over the ballots and a few rational operations per
    class, however many voters.
    """
    e0 = endowment
    limit: Any = None

    def keep(da: Any, db: Any) -> None:
        """``da + db·e`` is ≥ 0 at ``e0`` (> 0 where it must stay strictly positive):
        lower ``limit`` to where it reaches 0, if it falls. (Stopping at the root
        also for a weak inequality is merely cautious.)"""
        nonlocal limit
        if db < 0:
            root = -da / db
            if limit is None or root < limit:
                limit = root

    klass = [0] * len(voters)
    balance: list[Affine] = [(mpq(0), mpq(1))]  # class -> balance; class 0: all of e
    alive = list(candidates)
    funded: list[int] = []
    while True:
        rated = []  # (rho at e0, project, rho, share, capped classes)
        still = []
        for p in alive:
            weights: dict[int, int] = {}
            for v in supporters[p]:
                c = klass[v]
                weights[c] = weights.get(c, 0) + voters[v][0]
            cost = costs[p]
            ta = sum(w * balance[c][0] for c, w in weights.items())
            tb = sum(w * balance[c][1] for c, w in weights.items())
            if ta + tb * e0 < cost:
                keep(cost - ta, -tb)  # stays unaffordable; balances only fall: for good
                continue
            keep(ta - cost, tb)  # stays affordable
            still.append(p)
            # the share: the least q with Σ power·min(balance, q) = cost; supporters with
            # less than q pay all they have (capped)
            order = sorted(weights.items(), key=lambda cw: balance[cw[0]][0] +
                           balance[cw[0]][1] * e0)
            paid_a, paid_b, weight = mpq(0), mpq(0), sum(weights.values())
            capped: set[int] = set()
            for c, w in order:
                qa, qb = (cost - paid_a) / weight, -paid_b / weight
                ba, bb = balance[c]
                if qa + qb * e0 <= ba + bb * e0:
                    break
                capped.add(c)
                paid_a, paid_b, weight = paid_a + w * ba, paid_b + w * bb, weight - w
            else:
                raise AssertionError("the supporters could not afford the project")
            for c in weights:
                ba, bb = balance[c]
                if c in capped:
                    keep(qa - ba, qb - bb)
                else:
                    keep(ba - qa, bb - qb)
            ra, rb = qa / cost, qb / cost
            rated.append((ra + rb * e0, p, (ra, rb), (qa, qb), capped))
        alive = still
        if not rated:
            return funded, limit
        best = min(rated, key=lambda r: (r[0], r[1]))
        _, p, (ra, rb), (qa, qb), capped = best
        for other in rated:
            if other is not best:
                keep(other[2][0] - ra, other[2][1] - rb)  # stays the dearer (or tied, later)
        funded.append(p)
        alive.remove(p)
        moved: dict[int, int] = {}
        for v in supporters[p]:
            c = klass[v]
            n = moved.get(c)
            if n is None:
                n = moved[c] = len(balance)
                ba, bb = balance[c]
                balance.append((mpq(0), mpq(0)) if c in capped else (ba - qa, bb - qb))
            klass[v] = n


def equal_shares(costs: Sequence[int], budget: int, ballots: Sequence[Ballot],
                 ) -> tuple[list[int], list[int]]:
    """Participatory budgeting by the Method of Equal Shares (MES, equalshares.net),
    completed: returns ``(mes, funded)`` — what MES itself funds, in the order it
    funds them, and the final outcome after completion.

    - Every unit of voting power gets an equal share of the budget,
      ``budget / total power`` (empty ballots count: their share goes unspent), with
      cost utilities (a voter values a funded project they approved at its cost).
    - **Completion** (``Add1`` as equalshares.net recommends, with a step of 1% of the
      first share): run MES again with each unit's share raised by the step, as long
      as the outcome still fits the real budget and is not exhaustive (some supported
      project would still fit); take the last outcome that fits.
    - Then fill what is left greedily by votes (:func:`greedy`).

    Projects with no approval are never funded. ``pabutools``' ``method_of_equal_shares``
    (``Cost_Sat``, ``voter_budget_increment`` = the step) followed by
    ``greedy_utilitarian_welfare`` gives the same outcome (``tests/unit/test_tally.py``).
    """
    # voters with the same ballot hold the same balance throughout: count them as one
    grouped: dict[tuple[int, ...], int] = {}
    for b in ballots:
        key = tuple(sorted(set(b.choices)))
        grouped[key] = grouped.get(key, 0) + b.power
    voters = [(w, frozenset(key)) for key, w in sorted(grouped.items())]
    power = sum(w for w, _ in voters)
    if power == 0:
        return [], []
    supported = sorted({p for _, ballot in voters for p in ballot})
    supporters = {p: [v for v, (_, ballot) in enumerate(voters) if p in ballot]
                  for p in supported}
    first = mpq(budget, power)
    step = first / 100 if first > 0 else mpq(1)
    endowment = first
    outcome, limit = _mes_run(costs, voters, supporters, endowment, supported)
    mes = list(outcome)
    while True:
        spent = sum(costs[p] for p in outcome)
        if all(p in outcome or spent + costs[p] > budget for p in supported):
            break  # exhaustive
        endowment += step
        if limit is not None and endowment < limit:
            # every step below the limit runs as the last one did (the same outcome, which
            # fits and is not exhaustive): go straight to the first step at or above it
            endowment += -((endowment - limit) // step) * step
        bigger, limit = _mes_run(costs, voters, supporters, endowment, supported)
        if sum(costs[p] for p in bigger) > budget:
            break
        outcome = bigger
    return mes, greedy(costs, budget, ballots, outcome)
