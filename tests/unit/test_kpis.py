"""The KPI arithmetic that needs no database: fiscal years (年度), whole periods, CSV."""

from __future__ import annotations

import csv
import io

from service.domain.kpis import compute, fiscal_year, fiscal_year_of, summarise, to_csv


def test_a_fiscal_year_runs_from_april_to_march() -> None:
    assert fiscal_year(2026) == ("2026-04", "2027-03")
    assert [fiscal_year_of(m) for m in ("2026-03", "2026-04", "2027-03", "2027-04")] == [
        2025, 2026, 2026, 2027]


ROWS = [("c1", "ann", "2026-03", 60, "cleanup"), ("c2", "ann", "2026-05", 30, "festival"),
        ("c3", "ben", "2026-05", 45, "cleanup"), ("c3", "cat", "2026-05", 45, "cleanup"),
        ("c4", "ann", "2026-07", 15, "my-own")]


def test_a_period_counts_each_person_once() -> None:
    p = summarise(ROWS, {"ann": True, "ben": False}, first="2026-04", last="2026-07")
    assert p["activeContributors"] == 3
    assert p["continuing"] == 1  # ann in May and July
    assert (p["new"], p["returning"]) == (2, 1)  # ann began in March
    assert (p["residents"], p["fromElsewhere"], p["residenceUnknown"]) == (1, 1, 1)
    # c3 is one claim of two people: its minutes count once
    assert p["claims"] == 3 and p["minutesByCategory"] == {
        "cleanup": 45, "festival": 30, "my-own": 15}
    # continuing per month may exceed the month's active people
    spring = [("x", "ann", "2026-04", 10, "other"), ("y", "ann", "2026-05", 10, "other")]
    june = compute(spring, {}, months=1, until="2026-06")[0]
    assert (june["activeContributors"], june["continuing"]) == (0, 1)


def test_the_csv_names_categories_and_ends_with_the_period() -> None:
    residence: dict[str, bool | None] = {}
    kpis = {"fiscalYear": None, "months": compute(ROWS, residence, months=2, until="2026-07"),
            "period": summarise(ROWS, residence, first="2026-06", last="2026-07")}
    text = to_csv(kpis)
    assert text.startswith("\ufeff") and text.endswith("\r\n")
    rows = list(csv.reader(io.StringIO(text[1:], newline="")))
    # only the categories of the period, a region's own one under its id
    assert rows[0][-2:] == ["活動時間（時間）", "my-own（時間）"]
    assert [r[0] for r in rows[1:]] == ["2026年6月", "2026年7月", "期間計（2026年6月–2026年7月）"]
    assert rows[2][-2:] == ["0.2", "0.2"]  # 15 minutes
    assert to_csv({**kpis, "fiscalYear": 2026}).splitlines()[-1].startswith("2026年度 計,")


def test_cross_region_counts_same_months_and_who_came_through_a_partner() -> None:
    from service.domain.kpis import cross_region

    acts = [("c1", "hanako", "2026-05", 60, "cleanup"), ("c2", "hanako", "2026-07", 60, "x"),
            ("c3", "taro", "2026-05", 30, "x"), ("c4", "jiro", "2026-04", 30, "x"),
            ("c5", "jiro", "2026-06", 30, "x")]
    links = {"hanako": (frozenset({"2026-04", "2026-07"}), True),
             "jiro": (frozenset({"2026-06"}), True),  # new before the period
             "ume": (frozenset({"2026-05"}), True)}  # linked, never active here
    out = cross_region(acts, links, first="2026-05", last="2026-07")
    assert out["linkedMembers"] == 3
    assert out["months"] == [
        {"month": "2026-05", "activeInBoth": 0, "newThroughPartner": 1},  # hanako's first
        {"month": "2026-06", "activeInBoth": 1, "newThroughPartner": 0},  # jiro
        {"month": "2026-07", "activeInBoth": 1, "newThroughPartner": 0},  # hanako
    ]
    assert out["period"] == {"from": "2026-05", "to": "2026-07", "activeInBoth": 2,
                             "newThroughPartner": 1}
    # joined here first: active in both still counts, not as come through the partner
    out = cross_region(acts, {"hanako": (frozenset({"2026-07"}), False)},
                       first="2026-05", last="2026-07")
    assert out["period"] == {"from": "2026-05", "to": "2026-07", "activeInBoth": 1,
                             "newThroughPartner": 0}
