"""Relationship KPIs of a region (関係人口 measured by continuing involvement).

Computed from approved claims: each person credited for a claim (the contributor and
every co-contributor who confirmed) counts as active in the month the work happened
(``occurredAt``, in the region's time zone, Japan by default). Per month:

- ``activeContributors``: distinct people active that month;
- ``continuing``: people active in at least two of the three months ending that month
  (so it counts people who were active the two months before but not this one, and can
  exceed ``activeContributors``);
- ``new`` (first active month ever) and ``returning`` (active in an earlier month);
- ``residents``, ``fromElsewhere``, ``residenceUnknown``: the active people by the
  ``resident`` attribute of their profile;
- ``minutesByCategory`` and ``claims``.

Over a whole period (a fiscal year, 年度 April–March, or any range of months) the
``period`` figures count each person once: ``activeContributors`` active in any month
of it, ``continuing`` active in two or more of its months, ``new`` whose first active
month ever falls in it.

Across partner regions (issue 16, ``partners``), from the records of partner regions
this region has verified and shows (a member's ``RecordLink`` here and the partner's
record receipt, ``docs/witnessing.md``) — so a person counts once she has linked her
records, and with what her latest verified record says:

- ``activeInBoth``: people active here that month (as above) whose partner record has
  recognised work in the same month (its ``months``: the months in which the work of
  her recognised, unrevoked claims there happened, in JST); over the period, people
  active in both regions in at least one same month of it;
- ``newThroughPartner``: people new here that month (their first active month here)
  who had joined a partner region before joining this one (the partner's ``Join``
  entry is earlier than hers here) — people who first came through the partner; over
  the period, those whose first active month here falls in it;
- ``linkedMembers``: members here showing a verified record of a partner region.

Each office sees its own side: Tabayama counts the Ama records its members show there,
Ama the Tabayama records its members show in Ama.

:func:`compute`, :func:`summarise` and :func:`to_csv` are pure; :func:`region_kpis`
reads the rows.
"""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from . import tables as t

JST = 9 * 3600
MAX_MONTHS = 60
"""The longest range of months one request may ask for."""

Activity = tuple[str, str, str, int, str]
"""``(claim, person, month, minutes, category)``."""


def month_of(ts: int, offset: int = JST) -> str:
    return (datetime.fromtimestamp(ts, UTC) + timedelta(seconds=offset)).strftime("%Y-%m")


def _month_index(month: str) -> int:
    year, mon = month.split("-")
    return int(year) * 12 + int(mon) - 1


def _month_name(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def months_between(first: str, last: str) -> int:
    """How many months ``first`` to ``last`` (``YYYY-MM``, both included) spans."""
    return _month_index(last) - _month_index(first) + 1


def add_months(month: str, n: int) -> str:
    return _month_name(_month_index(month) + n)


def fiscal_year(year: int) -> tuple[str, str]:
    """The first and last month of Japan's fiscal year ``year`` (年度): April of
    ``year`` to March of the next."""
    return f"{year:04d}-04", f"{year + 1:04d}-03"


def fiscal_year_of(month: str) -> int:
    year, mon = (int(p) for p in month.split("-"))
    return year if mon >= 4 else year - 1


def compute(activities: Iterable[Activity],
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


def summarise(activities: Iterable[Activity], residence: dict[str, bool | None], *,
              first: str, last: str) -> dict[str, Any]:
    """The KPIs of the whole period ``first``–``last`` (``YYYY-MM``, both included),
    each person counted once (see the module docstring)."""
    lo, hi = _month_index(first), _month_index(last)
    months_of: dict[str, set[int]] = defaultdict(set)
    earliest: dict[str, int] = {}
    claims: set[str] = set()
    minutes: dict[str, int] = defaultdict(int)
    for claim, person, month, mins, category in activities:
        idx = _month_index(month)
        earliest[person] = min(earliest.get(person, idx), idx)
        if not lo <= idx <= hi:
            continue
        months_of[person].add(idx)
        if claim not in claims:
            claims.add(claim)
            minutes[category] += mins
    people = set(months_of)
    new = sum(1 for p in people if earliest[p] >= lo)
    return {
        "from": first, "to": last,
        "activeContributors": len(people),
        "continuing": sum(1 for p in people if len(months_of[p]) >= 2),
        "new": new,
        "returning": len(people) - new,
        "residents": sum(1 for p in people if residence.get(p) is True),
        "fromElsewhere": sum(1 for p in people if residence.get(p) is False),
        "residenceUnknown": sum(1 for p in people if residence.get(p) is None),
        "claims": len(claims),
        "minutesByCategory": dict(sorted(minutes.items())),
    }


PartnerLinks = dict[str, tuple[frozenset[str], bool]]
"""``person -> (months active in a partner region, joined a partner region first)``."""


def cross_region(activities: Iterable[Activity], links: PartnerLinks, *, first: str,
                 last: str) -> dict[str, Any]:
    """The cross-region KPIs (module docstring) of the months ``first``–``last``."""
    here: dict[str, set[int]] = defaultdict(set)
    for _, person, month, _, _ in activities:
        here[person].add(_month_index(month))
    earliest = {p: min(months) for p, months in here.items()}
    partner = {p: {_month_index(m) for m in months} for p, (months, _) in links.items()}
    came = {p for p, (_, first_there) in links.items() if first_there}
    lo, hi = _month_index(first), _month_index(last)
    rows = []
    for idx in range(lo, hi + 1):
        rows.append({
            "month": _month_name(idx),
            "activeInBoth": sum(1 for p in partner if idx in here.get(p, ()) and idx in partner[p]),
            "newThroughPartner": sum(1 for p in came if earliest.get(p) == idx),
        })
    both = sum(1 for p in partner
               if any(lo <= i <= hi for i in here.get(p, set()) & partner[p]))
    new = sum(1 for p in came if p in earliest and lo <= earliest[p] <= hi)
    return {"linkedMembers": len(links), "months": rows,
            "period": {"from": first, "to": last, "activeInBoth": both,
                       "newThroughPartner": new}}


def partner_links(conn: Connection, region: str) -> PartnerLinks:
    """The verified partner records shown here (as ``GET …/members/{address}`` shows
    them): each member's months active in any partner region, and whether she joined a
    partner region before this one."""
    c, lk, p, m = t.partner_records.c, t.record_links.c, t.partners.c, t.members.c
    rows = conn.execute(
        select(c.member, c.months, c.joined_at, m.joined_at)
        .join(t.record_links, (lk.region == c.region) & (lk.member == c.member)
              & (lk.partner == c.partner) & (lk.partner_member == c.partner_member))
        .join(t.partners, (p.region == c.region) & (p.partner == c.partner))
        .join(t.members, (m.region == c.region) & (m.address == c.member))
        .where(c.region == region, lk.shown.is_(True), p.active.is_(True))).all()
    out: dict[str, tuple[set[str], bool]] = {}
    for member, months, there, here in rows:
        seen, first_there = out.get(member, (set(), False))
        out[member] = (seen | set(json.loads(months)), first_there or int(there) < int(here))
    return {k: (frozenset(v[0]), v[1]) for k, v in out.items()}


def region_kpis(conn: Connection, region: str, *, first: str, last: str,
                offset: int = JST, current: str | None = None) -> dict[str, Any]:
    """The KPIs of ``region`` for the months ``first`` to ``last`` (``YYYY-MM``, both
    included, at most :data:`MAX_MONTHS`): per month — none after ``current``, the month
    it is now, as a fiscal year still under way has no figures for them yet — and over
    the whole period."""
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
    span = months_between(first, last)
    lo = _month_index(first)
    fiscal = fiscal_year_of(first) if first[5:] == "04" and span == 12 else None
    months = compute(activities, residence, months=span, until=_month_name(lo + span - 1))
    partners = cross_region(activities, partner_links(conn, region), first=first, last=last)
    partners["partnerRegions"] = int(conn.execute(
        select(func.count()).select_from(t.partners).where(
            t.partners.c.region == region, t.partners.c.active.is_(True))).scalar() or 0)
    if current is not None:
        months = [row for row in months if row["month"] <= current]
        partners["months"] = [row for row in partners["months"] if row["month"] <= current]
    return {"region": region, "timeZoneOffsetSeconds": offset, "from": first, "to": last,
            "fiscalYear": fiscal, "months": months,
            "period": summarise(activities, residence, first=first, last=last),
            "partners": partners}


# -- CSV for spreadsheets ---------------------------------------------------------------

#: Names of the default policy's categories (a region's own categories keep their id).
CATEGORY_NAMES: dict[str, dict[str, str]] = {
    "festival": {"ja": "お祭り・行事", "en": "Festival"},
    "cleanup": {"ja": "清掃・美化", "en": "Clean-up"},
    "promotion": {"ja": "発信・PR", "en": "Promotion"},
    "disaster-relief": {"ja": "災害支援", "en": "Disaster relief"},
    "pro-bono": {"ja": "プロボノ", "en": "Pro bono"},
    "farming": {"ja": "農業・漁業", "en": "Farming & fishing"},
    "other": {"ja": "その他", "en": "Other"},
}

_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("activeContributors", "活動した人", "Active contributors"),
    ("continuing", "継続して関わる人", "Continuing"),
    ("new", "新規", "New"),
    ("returning", "再訪", "Returning"),
    ("residents", "住民", "Residents"),
    ("fromElsewhere", "地域外", "From elsewhere"),
    ("residenceUnknown", "居住地不明", "Residence unknown"),
    ("claims", "承認された活動", "Approved activities"),
)


_PARTNER_COLUMNS: tuple[tuple[str, str, str], ...] = (  # only for a region with partners
    ("activeInBoth", "パートナー地域でも活動した人", "Active in a partner region too"),
    ("newThroughPartner", "パートナー地域から来た新規", "New, through a partner region"),
)


def _month_label(month: str, lang: str) -> str:
    year, mon = month.split("-")
    return f"{int(year)}年{int(mon)}月" if lang == "ja" else month


def _hours(minutes: int) -> str:
    return f"{minutes / 60:.1f}"


def to_csv(kpis: dict[str, Any], lang: str = "ja") -> str:
    """The KPI table of :func:`region_kpis` as CSV text for spreadsheets: a header, one
    row per month, then the whole period (each person counted once); hours to one
    decimal, per category after the totals. With ``decisions`` (the health of every
    decision), a blank line and their table after it. Starts with a byte order mark so that Excel
    in Japan reads it as UTF-8; lines end with CRLF (RFC 4180)."""
    ja = lang == "ja"
    categories = sorted({c for row in [*kpis["months"], kpis["period"]]
                         for c in row["minutesByCategory"]})

    def name(category: str) -> str:
        return CATEGORY_NAMES.get(category, {}).get(lang, category)

    columns = _COLUMNS
    partners = kpis.get("partners")
    cross: dict[str, dict[str, Any]] = {}
    if partners and partners.get("partnerRegions"):
        columns = (*_COLUMNS, *_PARTNER_COLUMNS)
        cross = {row["month"]: row for row in partners["months"]}
        cross["period"] = partners["period"]
    header = ["月" if ja else "Month", *(j if ja else e for _, j, e in columns),
              "活動時間（時間）" if ja else "Hours",
              *((f"{name(c)}（時間）" if ja else f"{name(c)} (hours)") for c in categories)]

    def line(label: str, row: dict[str, Any], key: str) -> list[str]:
        by = row["minutesByCategory"]
        values = {**row, **cross.get(key, {})}
        return [label, *(str(values.get(k, 0)) for k, _, _ in columns),
                _hours(sum(by.values())), *(_hours(by.get(c, 0)) for c in categories)]

    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in kpis["months"]:
        writer.writerow(line(_month_label(row["month"], lang), row, row["month"]))
    period = kpis["period"]
    span = f"{_month_label(period['from'], lang)}–{_month_label(period['to'], lang)}"
    if kpis.get("fiscalYear") is not None:
        total = f"{kpis['fiscalYear']}年度 計" if ja else f"Fiscal year {kpis['fiscalYear']}"
    else:
        total = f"期間計（{span}）" if ja else f"Period {span}"
    writer.writerow(line(total, period, "period"))
    decisions = kpis.get("decisions")
    if decisions:
        # the health of every decision (issue 15), as a second table below the first
        writer.writerow([])
        writer.writerow([j if ja else e for _, j, e in _DECISION_COLUMNS])
        for d in decisions:
            closes = datetime.fromtimestamp(d["closesAt"] + JST, UTC).strftime("%Y-%m-%d %H:%M")
            passed = ("可決" if d["passed"] else "否決") if ja else \
                ("Passed" if d["passed"] else "Not passed")
            writer.writerow([d["title"], d["method"], closes, passed, str(d["turnoutPercent"]),
                             str(d["top10Percent"]), str(d["nakamoto"]),
                             str(d["changedLast24h"]), d["proposal"]])
    return out.getvalue()


_DECISION_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("title", "決定した提案", "Decided proposal"),
    ("method", "方式", "Method"),
    ("closesAt", "締切（日本時間）", "Closed (JST)"),
    ("passed", "結果", "Result"),
    ("turnoutPercent", "投票率（%）", "Turnout (%)"),
    ("top10Percent", "上位10%の票の割合（%）", "Top 10% share (%)"),
    ("nakamoto", "ナカモト係数", "Nakamoto coefficient"),
    ("changedLast24h", "直近24時間の票の変更", "Votes changed in the last 24 h"),
    ("proposal", "提案ID", "Proposal id"),
)
