"""Pure parts of the recognition domain: the points policy, KPIs, refusal messages."""

from __future__ import annotations

import json

import pytest

from service.domain.details import details_hash
from service.domain.errors import MESSAGES, DomainError
from service.domain.kpis import compute, month_of
from service.domain.policy import DEFAULT_POLICY, parse_policy


def test_claim_points_follow_category_rate_quest_and_cap() -> None:
    p = parse_policy(json.dumps({
        "categories": {"cleanup": {"base": 5, "perHour": 10}},
        "caps": {"claim": 40, "endorsementsPerClaim": 10},
    }))
    assert p.claim_points("cleanup", 90) == 5 + 15
    assert p.claim_points("cleanup", 59) == 5 + 9  # floor, integers only
    assert p.claim_points("cleanup", 90, quest_points=30) == 40  # capped


def test_approvals_levels_epochs_and_decay() -> None:
    p = parse_policy(json.dumps({
        "categories": {"a": {"base": 1, "perHour": 0}}, "levels": [10, 20],
        "review": {"threshold": 50, "approvals": 3}, "epochDays": 7, "decayHalfLifeDays": 10,
    }))
    assert (p.approvals_needed(49), p.approvals_needed(50)) == (1, 3)
    assert (p.level(0), p.level(10), p.level(25)) == (1, 2, 3)
    assert p.epoch(7 * 86400 - 1) == 0 and p.epoch(7 * 86400) == 1
    assert p.epoch_end(0) == 7 * 86400
    assert p.decayed(100, 10 * 86400) == pytest.approx(50)
    assert DEFAULT_POLICY.decayed(100, 10**9) == 100


@pytest.mark.parametrize("text, fragment", [
    ("[]", "JSON object"),
    ("{", "not JSON"),
    ('{"categories": {}}', "categories"),
    ('{"categories": {"Bad Name": {"base": 1, "perHour": 1}}}', "category"),
    ('{"categories": {"a": {"base": -1, "perHour": 1}}}', "base"),
    ('{"categories": {"a": {"base": 1, "perHour": 1}}, "levels": [5, 5]}', "ascending"),
    ('{"categories": {"a": {"base": 1, "perHour": 1}}, "surprise": 1}', "surprise"),
])
def test_bad_policies_are_refused_with_a_reason(text: str, fragment: str) -> None:
    with pytest.raises(DomainError) as exc:
        parse_policy(text)
    assert exc.value.code == "bad-policy"
    assert fragment in str(exc.value)


def test_kpis_count_continuing_new_returning_and_residence() -> None:
    rows = [
        ("c1", "alice", "2026-01", 60, "cleanup"),
        ("c2", "alice", "2026-02", 30, "festival"),
        ("c2", "bob", "2026-02", 30, "festival"),  # co-contributor of c2
        ("c3", "carol", "2026-03", 90, "cleanup"),
        ("c4", "bob", "2026-03", 10, "cleanup"),
    ]
    months = compute(rows, {"alice": True, "bob": False}, months=3, until="2026-03")
    jan, feb, mar = months
    assert [m["month"] for m in months] == ["2026-01", "2026-02", "2026-03"]
    assert (jan["activeContributors"], jan["new"], jan["returning"]) == (1, 1, 0)
    assert (feb["activeContributors"], feb["new"], feb["returning"]) == (2, 1, 1)
    assert feb["minutesByCategory"] == {"festival": 30}  # a claim's minutes count once
    assert feb["continuing"] == 1  # alice: Jan and Feb
    assert mar["continuing"] == 2  # alice (Jan, Feb) and bob (Feb, Mar)
    assert (mar["residents"], mar["fromElsewhere"], mar["residenceUnknown"]) == (0, 1, 1)


def test_months_are_in_japan_time() -> None:
    assert month_of(1_767_193_200) == "2026-01"  # 2025-12-31T15:00Z = 2026-01-01 00:00 JST


def test_every_refusal_has_a_member_readable_message() -> None:
    assert set(MESSAGES["ja"]) == set(MESSAGES["en"])
    for language, catalogue in MESSAGES.items():
        for code, (title, detail) in catalogue.items():
            assert title and detail, (language, code)
    err = DomainError("not-member", who="0xabc", region="ama")
    assert err.text() == ("You are not a member of this region yet",
                          "0xabc has not joined region 'ama'. Join the region first.")
    assert err.text("ja")[1] == "0xabc は地域「ama」に参加していません。先に参加してください。"
    assert err.text("fr") == err.text()  # no such catalogue: English
    with pytest.raises(KeyError):
        DomainError("no-such-code")


def test_details_hash_is_salted_and_checks_salt_length() -> None:
    a = details_hash(b"a" * 16, {"text": "x"})
    assert a != details_hash(b"b" * 16, {"text": "x"})
    assert a == details_hash(b"a" * 16, {"text": "x"})
    with pytest.raises(DomainError):
        details_hash(b"short", {"text": "x"})
