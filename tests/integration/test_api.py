"""The HTTP API over SQLite: the full lifecycle, every rule's problem+json, sign-in,
walletless members, private details, body limits."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ledger.entry import origin_for
from ledger.integrity import verify_stored_log
from service.api.app import create_app
from tests.integration.service_fixtures import ZERO32, Person, World, database, world

PROBLEM = "application/problem+json"


class Api:
    def __init__(self, client: TestClient, w: World) -> None:
        self.client, self.w, self.region = client, w, w.region

    def url(self, path: str) -> str:
        return f"/v1/regions/{self.region}{path}"

    def post(self, path: str, who: Person, type_: str, status: int = 201, **fields: Any
             ) -> dict[str, Any]:
        r = self.client.post(self.url(path), json=who.body(type_, **fields))
        assert r.status_code == status, r.text
        out: dict[str, Any] = r.json()
        return out

    def refused(self, path: str, who: Person, type_: str, status: int, code: str,
                **fields: Any) -> dict[str, Any]:
        r = self.client.post(self.url(path), json=who.body(type_, **fields))
        assert r.status_code == status, r.text
        assert r.headers["content-type"] == PROBLEM
        body: dict[str, Any] = r.json()
        assert body["type"] == f"urn:kakawari:problem:{code}", body
        assert body["status"] == status and body["title"] and body["detail"]
        return body

    def get(self, path: str, expect: int = 200, **params: Any) -> Any:
        r = self.client.get(self.url(path), params=params)
        assert r.status_code == expect, r.text
        return r.json()

    def join(self, who: Person, name: str = "Member") -> None:
        self.post("/members", who, "Join", displayName=name)

    def claim(self, who: Person, others: list[Person] = (), minutes: int = 60,  # type: ignore[assignment]
              **extra: Any) -> str:
        fields = {"category": "cleanup", "title": "Beach clean-up", "minutes": minutes,
                  "occurredAt": int(time.time()) - 3600, "quest": ZERO32,
                  "coContributors": [o.address for o in others], "detailsHash": ZERO32, **extra}
        out = self.post("/claims", who, "Claim", **fields)
        return str(out["id"])


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Api]:
    with database("sqlite", tmp_path) as url, world(tmp_path, url) as w:
        app = create_app(w.settings, w.regions)
        with TestClient(app) as client:
            yield Api(client, w)


def setup_people(api: Api, n: int) -> list[Person]:
    people = [api.w.person() for _ in range(n)]
    for i, p in enumerate(people):
        api.join(p, f"Person {i}")
    return people


def grant(api: Api, who: Person, role: str = "verifier") -> None:
    api.post("/roles", api.w.admin, "Role", member=who.address, role=role, granted=True)


def publish_policy(api: Api, version: int = 1, **changes: Any) -> None:
    policy = {"categories": {"cleanup": {"base": 5, "perHour": 10},
                             "festival": {"base": 10, "perHour": 20}},
              "review": {"threshold": 10, "approvals": 2}, "endorsementBudget": 10,
              "levels": [10, 30], **changes}
    api.post("/policy", api.w.admin, "Policy", version=version, policy=json.dumps(policy))


def test_full_lifecycle(api: Api) -> None:
    alice, bob, carol, dave, vera, victor = setup_people(api, 6)
    grant(api, vera)
    grant(api, victor)
    publish_policy(api)
    signed = alice.sign("Claim", category="cleanup", title="Beach clean-up", minutes=90,
                        occurredAt=int(time.time()) - 3600, quest=ZERO32,
                        coContributors=[bob.address, carol.address], detailsHash=ZERO32)
    r = api.client.post(api.url("/claims"), json={"message": signed.message,
                                                   "signature": signed.signature})
    assert r.status_code == 201, r.text
    claim = r.json()["id"]
    assert claim == alice.claim_id(signed)  # the client knows the id before submitting
    api.post(f"/claims/{claim}/confirmations", bob, "Confirmation", claim=claim)
    api.post(f"/claims/{claim}/endorsements", dave, "Endorsement", claim=claim, amount=3,
             note="ありがとう")
    first = api.post(f"/claims/{claim}/reviews", vera, "Review", claim=claim, approve=True,
                     reason="写真を確認")
    assert [e["type"] for e in first["entries"]] == ["Review"]
    assert api.get(f"/claims/{claim}")["status"] == "pending"  # 20 points need 2 approvals
    second = api.post(f"/claims/{claim}/reviews", victor, "Review", claim=claim, approve=True,
                      reason="OK")
    assert [e["type"] for e in second["entries"]] == ["Review", "Recognition", "Recognition"]
    got = api.get(f"/claims/{claim}")
    assert got["status"] == "approved" and got["points"] == 5 + 15 and got["approvals"] == 2
    late = api.post(f"/claims/{claim}/confirmations", carol, "Confirmation", claim=claim)
    assert [e["type"] for e in late["entries"]] == ["Confirmation", "Recognition"]

    a = api.get(f"/members/{alice.address}")
    assert a["points"] == 20 + 3 and a["lifetimePoints"] == 23 and a["level"] == 2
    assert len(a["recognitions"]) == 1 and a["badges"] == []
    lines = api.get(f"/members/{alice.address}/points")
    # The endorsement is credited by the approving review, then the recognition follows.
    assert [(ln["kind"], ln["points"]) for ln in lines["lines"]] == [
        ("endorsement", 3), ("recognition", 20)]
    recognition_seq = second["entries"][1]["seq"]
    assert lines["lines"][1]["seq"] == recognition_seq
    endorsement = lines["lines"][0]
    assert endorsement["creditedBySeq"] == second["entries"][0]["seq"]
    page = api.get("/entries", start=endorsement["seq"], limit=1)
    entry = json.loads(page["entries"][0]["entry"])
    assert entry["type"] == "Endorsement" and entry["signer"] == dave.address
    assert api.get(f"/members/{carol.address}")["points"] == 20
    assert api.get(f"/members/{dave.address}")["points"] == 0

    api.post("/revocations", api.w.admin, "Revocation", claim=claim, reason="Duplicate claim")
    assert api.get(f"/members/{alice.address}")["points"] == 0
    assert api.get(f"/claims/{claim}")["status"] == "revoked"
    api.post("/reinstatements", api.w.admin, "Reinstatement", claim=claim, reason="Not a duplicate")
    assert api.get(f"/members/{alice.address}")["points"] == 23
    assert api.get(f"/members/{bob.address}/points")["lifetimePoints"] == 20

    kpis = api.get("/kpis", months=1)["months"][-1]
    assert kpis["activeContributors"] == 3 and kpis["minutesByCategory"] == {"cleanup": 90}
    listed = api.get("/claims", status="approved", member=carol.address)
    assert listed["total"] == 1 and listed["items"][0]["id"] == claim
    assert api.get("/members", role="verifier")["total"] == 2
    verify_stored_log(api.w.regions.store, origin_for(api.region))


def test_quests_are_answered_by_claims(api: Api) -> None:
    (alice,) = setup_people(api, 1)
    now = int(time.time())
    quest = api.post("/quests", api.w.admin, "Quest", title="海ごみ拾い", category="cleanup",
                     points=30, opensAt=now - 86400, closesAt=now + 86400,
                     detailsHash=ZERO32)["id"]
    assert api.get(f"/quests/{quest}")["points"] == 30
    api.claim(alice, quest=quest)
    assert api.get(f"/quests/{quest}")["claims"] == 1
    assert api.get("/quests", open="true")["total"] == 1
    api.refused("/claims", alice, "Claim", 409, "quest-closed", category="cleanup", title="t",
                minutes=10, occurredAt=now - 3 * 86400, quest=quest, coContributors=[],
                detailsHash=ZERO32)


def claim_fields(**extra: Any) -> dict[str, Any]:
    return {"category": "cleanup", "title": "t", "minutes": 30,
            "occurredAt": int(time.time()) - 60, "quest": ZERO32, "coContributors": [],
            "detailsHash": ZERO32, **extra}


def test_every_rule_refuses_with_its_problem(api: Api) -> None:
    alice, bob, vera, outsider_verifier = setup_people(api, 4)
    stranger = api.w.person()
    grant(api, vera)
    # membership before claiming
    api.refused("/claims", stranger, "Claim", 403, "not-member", **claim_fields())
    api.refused("/members", alice, "Join", 409, "already-member", displayName="again")
    claim = api.claim(alice, [bob])
    # co-contributors confirm their own part only
    api.refused(f"/claims/{claim}/confirmations", vera, "Confirmation", 403,
                "not-co-contributor", claim=claim)
    # no reviewing or endorsing your own claim, or one you co-signed
    grant(api, bob)
    api.refused(f"/claims/{claim}/reviews", bob, "Review", 403, "own-claim", claim=claim,
                approve=True, reason="")
    api.refused(f"/claims/{claim}/endorsements", alice, "Endorsement", 403, "own-claim",
                claim=claim, amount=1, note="")
    api.refused(f"/claims/{claim}/endorsements", bob, "Endorsement", 403, "own-claim",
                claim=claim, amount=1, note="")
    # a verifier role to review
    api.refused(f"/claims/{claim}/reviews", outsider_verifier, "Review", 403, "not-verifier",
                claim=claim, approve=True, reason="")
    api.refused(f"/claims/{claim}/reviews", vera, "Review", 400, "reason-required",
                claim=claim, approve=False, reason=" ")
    # endorsements from a budget per epoch
    api.post(f"/claims/{claim}/endorsements", vera, "Endorsement", claim=claim, amount=20,
             note="")
    problem = api.refused(f"/claims/{claim}/endorsements", vera, "Endorsement", 409,
                          "budget-exceeded", claim=claim, amount=1, note="")
    assert "0 of 20" in problem["detail"]
    # nonces never reused: the same message again answers with its entry, another
    # message with the same nonce is refused
    body = alice.body("Profile", displayName="Alice", resident=True)
    first = api.client.post(api.url("/profile"), json=body)
    assert first.status_code == 201
    again = api.client.post(api.url("/profile"), json=body)
    assert again.status_code == 201 and again.json() == first.json()
    reused = alice.body("Profile", displayName="Alice B", resident=True,
                        nonce=body["message"]["nonce"])
    r = api.client.post(api.url("/profile"), json=reused)
    assert r.status_code == 409 and r.json()["code"] == "nonce-reused"
    # issuedAt within a window
    api.refused("/profile", alice, "Profile", 400, "stale", displayName="A", resident=True,
                clock=int(time.time()) - 3600)
    api.refused("/profile", alice, "Profile", 400, "stale", displayName="A", resident=True,
                clock=int(time.time()) + 3600)
    # sizes of every field bounded
    api.refused("/claims", alice, "Claim", 400, "too-long", **claim_fields(title="x" * 201))
    api.refused("/members", stranger, "Join", 400, "too-long", displayName="名" * 65)
    api.refused("/members", stranger, "Join", 400, "empty", displayName="  ")
    api.refused("/claims", alice, "Claim", 400, "out-of-range", **claim_fields(minutes=0))
    api.refused("/claims", alice, "Claim", 400, "unknown-category",
                **claim_fields(category="gambling"))
    api.refused("/claims", alice, "Claim", 400, "bad-co-contributors",
                **claim_fields(coContributors=[alice.address]))
    api.refused("/claims", alice, "Claim", 400, "bad-co-contributors",
                **claim_fields(coContributors=[stranger.address]))
    # admin-only actions
    api.refused("/roles", alice, "Role", 403, "not-admin", member=bob.address, role="verifier",
                granted=True)
    api.refused("/roles", api.w.admin, "Role", 400, "unknown-role", member=bob.address,
                role="king", granted=True)
    api.refused("/roles", api.w.admin, "Role", 409, "last-admin", member=api.w.admin.address,
                role="admin", granted=False)
    api.refused("/policy", api.w.admin, "Policy", 409, "policy-version", version=2,
                policy="{}")
    api.refused("/policy", api.w.admin, "Policy", 400, "bad-policy", version=1,
                policy='{"categories": {}}')
    api.refused("/revocations", alice, "Revocation", 403, "not-admin", claim=claim, reason="x")
    api.refused("/reinstatements", api.w.admin, "Reinstatement", 409, "not-revoked",
                claim=claim, reason="x")
    # unknown claims, wrong region, forged signatures, wrong path
    unknown = "0x" + "12" * 32
    api.refused(f"/claims/{unknown}/endorsements", vera, "Endorsement", 404, "unknown-claim",
                claim=unknown, amount=1, note="")
    api.refused(f"/claims/{unknown}/reviews", vera, "Review", 400, "bad-message",
                claim=claim, approve=True, reason="")
    wrong = Person("other")
    r = api.client.post(api.url("/members"), json=wrong.body("Join", displayName="x"))
    assert r.status_code == 400 and r.json()["code"] == "wrong-region"
    forged = alice.body("Profile", displayName="Alice", resident=True)
    forged["message"]["displayName"] = "Mallory"
    r = api.client.post(api.url("/profile"), json=forged)
    assert r.status_code == 400 and r.json()["code"] == "bad-signature"
    # decided claims stay decided
    api.post(f"/claims/{claim}/reviews", vera, "Review", claim=claim, approve=False,
             reason="No record")
    api.refused(f"/claims/{claim}/reviews", vera, "Review", 409, "claim-decided", claim=claim,
                approve=True, reason="")


def test_a_claim_above_the_threshold_needs_two_approvals_from_different_verifiers(api: Api
                                                                                   ) -> None:
    alice, vera = setup_people(api, 2)
    grant(api, vera)
    publish_policy(api)
    claim = api.claim(alice, minutes=120)
    api.post(f"/claims/{claim}/reviews", vera, "Review", claim=claim, approve=True, reason="")
    api.refused(f"/claims/{claim}/reviews", vera, "Review", 409, "already-reviewed",
                claim=claim, approve=True, reason="")
    assert api.get(f"/claims/{claim}")["status"] == "pending"


@pytest.mark.parametrize("body", [
    b"not json", b"[]", b"{}", b'{"message": {}, "signature": "0x"}',
    b'{"message": null, "signature": 5}', b'{"message": {"region": "\\ud800"}}',
])
def test_malformed_bodies_are_problems_not_errors(api: Api, body: bytes) -> None:
    r = api.client.post(api.url("/claims"), content=body,
                        headers={"content-type": "application/json"})
    assert r.status_code in (400, 422) and r.headers["content-type"] == PROBLEM


def test_large_bodies_are_refused(api: Api) -> None:
    big = b'{"x": "' + b"a" * (api.w.settings.max_body_bytes + 1) + b'"}'
    r = api.client.post(api.url("/claims"), content=big,
                        headers={"content-type": "application/json"})
    assert r.status_code == 413 and r.headers["content-type"] == PROBLEM

    def chunks() -> Iterator[bytes]:
        yield big[: len(big) // 2]
        yield big[len(big) // 2:]

    r = api.client.post(api.url("/claims"), content=chunks(),
                        headers={"content-type": "application/json"})
    assert r.status_code == 413


def test_refusals_speak_japanese_when_asked(api: Api) -> None:
    stranger = api.w.person()
    body = stranger.body("Claim", **claim_fields())
    r = api.client.post(api.url("/claims"), json=body, headers={"Accept-Language": "ja-JP"})
    assert r.status_code == 403 and r.json()["code"] == "not-member"
    assert r.json()["title"] == "まだこの地域のメンバーではありません"


def test_unknown_region_and_member(api: Api) -> None:
    r = api.client.get("/v1/regions/nowhere/members")
    assert r.status_code == 404 and r.json()["type"] == "urn:kakawari:problem:no-region"
    api.get(f"/members/{'0x' + '11' * 20}", expect=403)
