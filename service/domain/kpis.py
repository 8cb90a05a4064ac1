"""Relationship KPIs of a region (関係人口 measured by continuing involvement).

Computed from approved claims: each person credited for a claim (the contributor and
every co-contributor who confirmed) counts as active in the month the work happened
(``occurredAt``, in the region's time zone, Japan by default). Per month:

- ``activeContributors``: distinct people active that month;
- ``continuing``: people active in at least two of the three months ending that month;
- ``new`` (first active month ever) and ``returning`` (active in an earlier month);
- ``residents``, ``fromElsewhere``, ``residenceUnknown``: the active people by the
  ``resident`` attribute of their profile;
- ``minutesByCategory`` and ``claims``.

:func:`compute` is pure; :func:`region_kpis` reads the rows.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from . import tables as t

JST = 9 * 3600


def month_of(ts: int, offset: int = JST) -> str:
    return (datetime.fromtimestamp(ts, UTC) + timedelta(seconds=offset)).strftime("%Y-%m")


def _month_index(month: str) -> int:
    year, mon = month.split("-")
    return int(year) * 12 + int(mon) - 1


def _month_name(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def compute(activities: Iterable[tuple[str, str, str, int, str]],
            residence: dict[str, bool | None], *, months: int, until: str) -> list[dict[str, Any]]:
    """``activities``: ``(claim, person, month, minutes, category)`` rows; returns the
    KPIs of the ``months`` months ending with ``until`` (``YYYY-MM``), oldest first."""
    active: dict[int, set[str]] = defaultdict(set)
    minutes: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    claims: dict[int, set[str]] = defaultdict(set)
    first: dict[str, int] = {}
    for claim, person, month, mins, category in activities:
        idx = _month_index(month)
        active[idx].add(person)
        if claim not in claims[idx]:
            claims[idx].add(claim)
            minutes[idx][category] += mins
        first[person] = min(first.get(person, idx), idx)
    end = _month_index(until)
    out = []
    for idx in range(end - months + 1, end + 1):
        people = active.get(idx, set())
        window = [active.get(i, set()) for i in (idx - 2, idx - 1, idx)]
        seen: dict[str, int] = defaultdict(int)
        for group in window:
            for person in group:
                seen[person] += 1
        new = sum(1 for p in people if first[p] == idx)
        out.append({
            "month": _month_name(idx),
            "activeContributors": len(people),
            "continuing": sum(1 for n in seen.values() if n >= 2),
            "new": new,
            "returning": len(people) - new,
            "residents": sum(1 for p in people if residence.get(p) is True),
            "fromElsewhere": sum(1 for p in people if residence.get(p) is False),
            "residenceUnknown": sum(1 for p in people if residence.get(p) is None),
            "claims": len(claims.get(idx, ())),
            "minutesByCategory": dict(sorted(minutes.get(idx, {}).items())),
        })
    return out


def region_kpis(conn: Connection, region: str, *, months: int, until: str,
                offset: int = JST) -> dict[str, Any]:
    c, p, m = t.claims.c, t.claim_people.c, t.members.c
    rows = conn.execute(
        select(c.id, p.address, c.occurred_at, c.minutes, c.category)
        .join(t.claim_people, (p.region == c.region) & (p.claim == c.id))
        .where(c.region == region, c.status == "approved", p.confirmed_seq.is_not(None))
    ).all()
    residence = {a: r for a, r in conn.execute(
        select(m.address, m.resident).where(m.region == region)).all()}
    activities = [(cid, who, month_of(int(ts), offset), int(mins), cat)
                  for cid, who, ts, mins, cat in rows]
    return {"region": region, "timeZoneOffsetSeconds": offset,
            "months": compute(activities, residence, months=months, until=until)}
