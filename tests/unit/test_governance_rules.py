"""The rules of who and how much (``service/domain/governance.py``), as pure functions:
the electorate under each voting power and a cap, quorum (abstaining counts), the
support threshold, ties, and the health of a decision."""

from __future__ import annotations

import json
from typing import Any

from service.domain.governance import count, electorate, health
from service.domain.policy import Governance

MEMBERS = [  # (address, lifetime points, level)
    ("0xa", 0, 1), ("0xb", 15, 2), ("0xc", 100, 4), ("0xd", 400, 6), ("0xe", 3, 1),
]


def test_each_voting_power() -> None:
    assert electorate(MEMBERS, Governance()) == dict.fromkeys(["0xa", "0xb", "0xc", "0xd",
                                                               "0xe"], 1)
    assert electorate(MEMBERS, Governance(power="level")) == {
        "0xa": 1, "0xb": 2, "0xc": 4, "0xd": 6, "0xe": 1}
    # ⌊√points⌋; a member with no points has no power and is left out
    assert electorate(MEMBERS, Governance(power="sqrtPoints")) == {
        "0xb": 3, "0xc": 10, "0xd": 20, "0xe": 1}
    # below the level to vote: not in the electorate at all
    assert electorate(MEMBERS, Governance(power="level", voteLevel=4)) == {"0xc": 4, "0xd": 6}


def test_a_cap_on_any_one_members_share() -> None:
    # total √points 34; 25 % of it is 8: the two biggest are cut to 8
    assert electorate(MEMBERS, Governance(power="sqrtPoints", capPercent=25)) == {
        "0xb": 3, "0xc": 8, "0xd": 8, "0xe": 1}
    # the cap is at least 1, however small the share
    assert set(electorate(MEMBERS, Governance(power="level", capPercent=1)).values()) == {1}


def _proposal(method: str, eligible: int, *, quorum: int = 10, support: int = 50,
              choices: list[str] | None = None, votes: int = 0) -> dict[str, Any]:
    return {"method": method, "choices": json.dumps(choices or []), "costs": "[]",
            "budget": 0, "eligible_power": eligible, "eligible_voters": eligible,
            "votes": votes,
            "rules": json.dumps({"quorumPercent": quorum, "supportPercent": support})}


def test_quorum_counts_abstaining_and_the_support_threshold_is_strict() -> None:
    row = _proposal("for-against", 20, quorum=25)  # 5 of 20 needed
    four = [("0x1", 1, [0]), ("0x2", 1, [0]), ("0x3", 1, [1]), ("0x4", 1, [2])]
    r = count(row, four)
    assert r["quorum"] == {"power": 5, "reached": False} and not r["passed"]
    r = count(row, [*four, ("0x5", 1, [2])])  # one more abstains: quorum reached
    assert r["quorum"]["reached"] and r["passed"] and r["winners"] == [0]
    # 2 for, 2 against: for must be MORE than 50 % of for + against
    tied = [*four[:3], ("0x4", 1, [1]), ("0x5", 1, [2])]
    assert not count(row, tied)["passed"]
    # with a 60 % threshold, 3 of 5 (60 %) is not enough, 4 of 6 is
    strict = _proposal("for-against", 10, support=60)
    three = [(f"0x{i}", 1, [0 if i < 3 else 1]) for i in range(5)]
    assert not count(strict, three)["passed"]
    assert count(strict, [*three, ("0x9", 1, [0])])["passed"]


def test_nobody_voting_and_ties() -> None:
    row = _proposal("single", 4, quorum=0, choices=["a", "b"])
    r = count(row, [])
    assert r["quorum"] == {"power": 0, "reached": False} and not r["passed"]
    r = count(row, [("0x1", 1, [0]), ("0x2", 1, [1])])
    assert r["winners"] == [0, 1] and not r["passed"]  # a tie passes nothing
    r = count(row, [("0x1", 2, [0]), ("0x2", 1, [1])])  # power, not heads
    assert r["winners"] == [0] and r["passed"] and r["totals"] == [2, 1]


def test_the_health_of_a_decision() -> None:
    # ten voters: one holds 10 of 19; top 10 % (one voter) holds 52.63 %
    powers = [10, 1, 1, 1, 1, 1, 1, 1, 1, 1]
    h = health(powers, 40)
    assert h == {"turnoutPercent": 47.5, "top10Percent": 52.63, "nakamoto": 1}
    # equal power: more than half takes 3 of 5; the top 10 % is still one voter
    assert health([1] * 5, 5) == {"turnoutPercent": 100.0, "top10Percent": 20.0,
                                  "nakamoto": 3}
    assert health([], 7) == {"turnoutPercent": 0.0, "top10Percent": 0.0, "nakamoto": 0}


def test_the_kpi_csv_carries_the_health_of_each_decision() -> None:
    import csv
    import io

    from service.domain.kpis import _COLUMNS, to_csv

    period = {"from": "2026-04", "to": "2026-04", "minutesByCategory": {},
              **{k: 0 for k, _, _ in _COLUMNS}}
    decision = {"proposal": "0x" + "ab" * 32, "title": "夏祭りの会場", "method": "ranked",
                "closesAt": 1_790_000_000, "passed": True, "turnoutPercent": 83.33,
                "top10Percent": 20.0, "nakamoto": 3, "changedLast24h": 1}
    for lang, header, result in (("ja", "決定した提案", "可決"),
                                 ("en", "Decided proposal", "Passed")):
        text = to_csv({"months": [], "period": {**period, "month": "2026-04"},
                       "decisions": [decision]}, lang)
        rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline="")))
        at = rows.index([])  # a blank line, then the decisions' table
        assert rows[at + 1][0] == header and len(rows) == at + 3
        assert rows[at + 2] == ["夏祭りの会場", "ranked", "2026-09-21 23:13", result, "83.33",
                                "20.0", "3", "1", "0x" + "ab" * 32]
    # no decision yet: the KPI table alone, as before
    assert [] not in list(csv.reader(io.StringIO(to_csv({"months": [], "period": period}))))
