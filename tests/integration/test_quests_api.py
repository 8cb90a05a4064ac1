"""Quests, rotating check-in codes, attendance reviews and perks over HTTP (issue 14)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from service import checkin
from service.accounts import code_hash
from service.api.app import create_app
from tests.integration.quest_fixtures import perk_fields, quest_fields
from tests.integration.service_fixtures import ZERO32, Person, database, world
from tests.integration.test_api import Api, grant, setup_people


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Api]:
    with database("sqlite", tmp_path) as url, world(tmp_path, url) as w, \
            TestClient(create_app(w.settings, w.regions)) as client:
        yield Api(client, w)


def bearer(api: Api, who: Person) -> dict[str, str]:
    token = api.client.app.state.services.auth.new_session(who.address)[0]  # type: ignore[attr-defined]
    return {"Authorization": f"Bearer {token}"}


def claim_fields(quest: str, minutes: int = 90) -> dict[str, Any]:
    return {"category": "cleanup", "title": "浜の清掃", "minutes": minutes,
            "occurredAt": int(time.time()) - 60, "quest": quest, "coContributors": [],
            "detailsHash": ZERO32}


def open_quest(api: Api, organiser: Person, **over: Any) -> str:
    quest = api.post("/quest-posts", api.w.admin, "QuestPost",
                     **quest_fields(api.w, contact=organiser.address, **over))["id"]
    now = int(time.time())
    api.post(f"/quests/{quest}/checkin-windows", organiser, "CheckInWindow", quest=quest,
             opensAt=now - 5, closesAt=now + 3600)
    return str(quest)


def test_a_full_quest_is_refused_in_japanese_and_english(api: Api) -> None:
    api.join(api.w.admin, "事務局")
    a, b = setup_people(api, 2)
    quest = api.post("/quest-posts", api.w.admin, "QuestPost",
                     **quest_fields(api.w, capacity=1))["id"]
    api.post(f"/quests/{quest}/signups", a, "SignUp", quest=quest, joined=True)
    for lang, words in (("ja", "定員"), ("en", "full")):
        r = api.client.post(api.url(f"/quests/{quest}/signups"), headers={
            "Accept-Language": lang}, json=b.body("SignUp", quest=quest, joined=True))
        assert r.status_code == 409 and r.json()["type"].endswith(":quest-full")
        assert words in r.json()["title"]
    # the organiser (here its author) hears of the sign-up; nobody hears of a proposal
    # before it is published
    proposal = api.post("/quest-posts", b, "QuestPost", **quest_fields(api.w, title="提案"))["id"]
    notices = api.client.get(api.url("/notices"), headers=bearer(api, api.w.admin)).json()
    signups = [n for n in notices["items"] if n["kind"] == "signup"]
    assert [(n["quest"], n["by"]) for n in signups] == [(quest, a.address)]
    seen = api.client.get(api.url("/notices"), headers=bearer(api, a)).json()["items"]
    assert proposal not in {n.get("quest") for n in seen}
    listed = api.get(f"/quests/{quest}/signups")
    assert listed["full"] and [x["member"] for x in listed["items"]] == [a.address]
    found = api.get("/quests", q="菱浦", tag="清掃", status="open")["items"]
    assert [x["id"] for x in found] == [quest] and found[0]["full"] is True
    assert api.get("/quests", tag="山")["items"] == []
    assert api.get("/quests", member=a.address)["total"] == 1
    far = int(time.time()) + 30 * 86400
    assert api.get("/quests", **{"from": far})["items"] == []
    svg = api.client.get(api.url(f"/quests/{quest}/qr.svg"))
    assert svg.status_code == 200 and svg.headers["content-type"] == "image/svg+xml"
    assert svg.text.startswith("<svg") and "<path" in svg.text
    assert 'xmlns="http://www.w3.org/2000/svg"' in svg.text  # an <img> shows it


def test_check_in_with_the_current_code_then_the_organiser_confirms(api: Api) -> None:
    api.join(api.w.admin, "事務局")
    organiser, volunteer, other = setup_people(api, 3)
    grant(api, organiser)
    grant(api, volunteer)  # a verifier too, yet never for their own attendance
    quest = open_quest(api, organiser)
    api.post(f"/quests/{quest}/signups", volunteer, "SignUp", quest=quest, joined=True)
    r = api.client.get(api.url(f"/quests/{quest}/checkin-code"), headers=bearer(api, other))
    assert r.status_code == 403 and r.json()["type"].endswith(":not-organiser")
    shown = api.client.get(api.url(f"/quests/{quest}/checkin-code"),
                           headers=bearer(api, organiser)).json()
    assert shown["url"].endswith(f"code={shown['code']}&region={api.region}")
    assert shown["qr"].startswith("data:image/svg+xml")
    assert shown["expiresAt"] - int(time.time()) <= checkin.STEP
    # an old code (a screenshot sent to someone at home) is refused
    key = checkin.window_key(api.w.regions.service_key(api.region))
    old = checkin.code_at(key, quest, shown["window"], int(time.time()) - 3 * checkin.STEP)
    body = {"code": old, **volunteer.body("Claim", **claim_fields(quest))}
    r = api.client.post(api.url(f"/quests/{quest}/checkins"), json=body,
                        headers={"Accept-Language": "ja"})
    assert r.status_code == 409 and r.json()["type"].endswith(":checkin-expired")
    assert "期限" in r.json()["title"]
    body = {"code": "期限切れ", **volunteer.body("Claim", **claim_fields(quest))}
    r = api.client.post(api.url(f"/quests/{quest}/checkins"), json=body)
    assert r.status_code == 409 and r.json()["type"].endswith(":checkin-expired")
    body = {"code": shown["code"].lower(), **volunteer.body("Claim", **claim_fields(quest))}
    r = api.client.post(api.url(f"/quests/{quest}/checkins"), json=body)
    assert r.status_code == 201, r.text
    claim = r.json()["id"]
    other_quest = api.post("/quest-posts", api.w.admin, "QuestPost", **quest_fields(api.w))["id"]
    body = {"code": shown["code"], **volunteer.body("Claim", **claim_fields(other_quest))}
    r = api.client.post(api.url(f"/quests/{quest}/checkins"), json=body)
    assert r.status_code == 400 and r.json()["type"].endswith(":bad-message")
    # attendance is approved by the organiser's review, never by the participant
    api.refused(f"/claims/{claim}/reviews", volunteer, "Review", 403, "own-claim",
                claim=claim, approve=True, reason="来ました")
    api.post(f"/claims/{claim}/reviews", organiser, "Review", claim=claim, approve=True,
             reason="出席を確認しました")
    assert api.get(f"/claims/{claim}")["status"] == "approved"
    assert api.get(f"/quests/{quest}/signups")["items"][0]["recorded"] is True


def test_a_managed_member_checks_in_and_check_in_closes(api: Api) -> None:
    admin = api.w.admin
    api.join(admin, "事務局")
    (organiser,) = setup_people(api, 1)
    quest = open_quest(api, organiser)
    code = "umi-123456"
    api.post("/invitations", admin, "Invitation", codeHash=code_hash(code),
             expiresAt=int(time.time()) + 3600)
    r = api.client.post(api.url("/accounts"), json={"code": code, "displayName": "佐藤",
                                                    "passphrase": "うみ と やま と"})
    assert r.status_code == 201, r.text
    headers = {"Authorization": f"Bearer {r.json()['token']}"}
    shown = api.client.get(api.url(f"/quests/{quest}/checkin-code"),
                           headers=bearer(api, organiser)).json()
    fields = {k: v for k, v in claim_fields(quest).items() if k != "quest"}
    r = api.client.post(api.url(f"/quests/{quest}/checkins"), headers=headers,
                        json={"code": shown["code"], "fields": fields})
    assert r.status_code == 201, r.text
    r = api.client.post(api.url(f"/quests/{quest}/checkins"),
                        json={"code": shown["code"], "fields": fields})
    assert r.status_code == 403 and r.json()["type"].endswith(":not-managed")
    # a quest without an open window
    closed = api.post("/quest-posts", admin, "QuestPost", **quest_fields(api.w))["id"]
    r = api.client.post(api.url(f"/quests/{closed}/checkins"), headers=headers,
                        json={"code": shown["code"], "fields": fields})
    assert r.status_code == 409 and r.json()["type"].endswith(":checkin-closed")


def test_perks_balance_and_the_office_list(api: Api) -> None:
    admin = api.w.admin
    api.join(admin, "事務局")
    grant(api, admin)
    (hana,) = setup_people(api, 1)
    claim = api.claim(hana, minutes=60)
    api.post(f"/claims/{claim}/reviews", admin, "Review", claim=claim, approve=True, reason="")
    perk = api.post("/perks", admin, "Perk", **perk_fields(api.w, cost=10, stock=1))["id"]
    assert api.get(f"/perks/{perk}")["left"] == 1
    r = api.client.post(api.url(f"/perks/{perk}/redemptions"),
                        json=hana.body("Redemption", perk=perk, cost=10))
    assert r.status_code == 201, r.text
    redemption = r.json()["id"]
    assert api.get(f"/members/{hana.address}/balance") == {
        "lifetimePoints": 15, "redeemedPoints": 10, "spendablePoints": 5}
    member = api.get(f"/members/{hana.address}")
    assert (member["lifetimePoints"], member["spendablePoints"]) == (15, 5)
    api.refused(f"/perks/{perk}/redemptions", hana, "Redemption", 409, "perk-out-of-stock",
                perk=perk, cost=10)
    office = api.get("/redemptions", status="requested")["items"]
    assert [(x["id"], x["displayName"], x["perkTitle"]) for x in office] == [
        (redemption, "Person 0", "温泉入浴券")]
    r = api.client.post(api.url(f"/redemptions/{redemption}/status"), json=admin.body(
        "RedemptionStatus", redemption=redemption, status="handed-over", reason=""))
    assert r.status_code == 201, r.text
    assert api.get("/redemptions", status="requested")["items"] == []
    assert api.get("/perks", valid="true")["items"][0]["left"] == 0
