"""Signed quest, sign-up, check-in and perk messages for tests (issue 14)."""

from __future__ import annotations

from typing import Any

from tests.integration.service_fixtures import ZERO32, Person, World

ZERO_ADDRESS = "0x" + "00" * 20


def quest_fields(w: World, **over: Any) -> dict[str, Any]:
    now = w.regions.clock()
    out: dict[str, Any] = {
        "title": "浜の清掃（土曜の朝）", "category": "cleanup", "points": 20,
        "opensAt": now - 3600, "closesAt": now + 7 * 86400,
        "description": "軍手とごみ袋はこちらで用意します。", "place": "菱浦港",
        "geo": "36.0937,133.0981", "online": False, "capacity": 2,
        "contact": ZERO_ADDRESS, "tags": "海,清掃", "detailsHash": ZERO32,
    }
    out.update(over)
    return out


def edit_fields(fields: dict[str, Any], **over: Any) -> dict[str, Any]:
    out = {k: v for k, v in fields.items() if k != "detailsHash"}
    out.update(over)
    return out


def perk_fields(w: World, **over: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "perk": ZERO32, "title": "温泉入浴券", "description": "さざなみの湯で一回",
        "cost": 10, "stock": 1, "validUntil": w.regions.clock() + 30 * 86400,
        "place": "役場 2階 窓口",
    }
    out.update(over)
    return out


def submit_id(w: World, signed: Any) -> str:
    receipts = w.domain.submit(w.region, [signed])
    ident = receipts[0].id
    assert ident is not None
    return ident


def joined(w: World, *names: str) -> list[Person]:
    people = [w.person() for _ in names]
    w.domain.submit(w.region, [p.sign("Join", displayName=n) for p, n in zip(people, names,
                                                                             strict=True)])
    return people
