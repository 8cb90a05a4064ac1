"""Walletless members over the HTTP API, on the settings a default install has (no
``KAKAWARI_SCRYPT_N``): redeeming an invitation, signing in with the passphrase, acting
through the service, exporting the key."""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from eth_account import Account
from fastapi.testclient import TestClient
from sqlalchemy import select

from service import accounts
from service.api.app import create_app
from service.codes import code_hash, new_code
from service.config import Settings
from service.domain import tables as t
from tests.integration.service_fixtures import ZERO32, database, world
from tests.integration.test_api import Api
from tests.integration.test_api_wallets import siwe_token

PRODUCTION_N = Settings.model_fields["scrypt_n"].default


@pytest.fixture
def api(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Api]:
    """The app on a fresh SQLite region with the production scrypt cost."""
    monkeypatch.delenv("KAKAWARI_SCRYPT_N", raising=False)
    with database("sqlite", tmp_path) as url, world(tmp_path, url, fast_kdf=False,
                                                    public_origins=["http://kakawari.test"]) as w, \
            TestClient(create_app(w.settings, w.regions), base_url="http://kakawari.test",
                       raise_server_exceptions=False) as c:
        assert w.settings.scrypt_n == PRODUCTION_N == 2**15
        yield Api(c, w)


def invite(api: Api, code: str) -> None:
    api.post("/invitations", api.w.admin, "Invitation", codeHash=code_hash(code),
             expiresAt=int(time.time()) + 86400)


def stored_hash(api: Api, address: str) -> str:
    with api.w.regions.store.engine.connect() as conn:  # type: ignore[attr-defined]
        return str(conn.execute(select(t.accounts.c.passphrase_hash).where(
            t.accounts.c.address == address)).scalar_one())


def test_a_default_install_redeems_an_invitation_and_signs_the_member_in(api: Api) -> None:
    """Issue 12 §1: scrypt with n = 2**15, r = 8 needs more than hashlib's default 32 MiB;
    redeeming answered 500 on every default install."""
    code = "umi-" + secrets.token_hex(8)
    invite(api, code)
    r = api.client.post(api.url("/accounts"), json={
        "code": code, "displayName": "佐藤 ばあちゃん", "passphrase": "うみ と やま と"})
    assert r.status_code == 201, r.text
    address = r.json()["address"]
    assert stored_hash(api, address).startswith(f"scrypt${PRODUCTION_N}$")
    login = api.client.post(api.url("/accounts/login"), json={
        "address": address, "passphrase": "うみ と やま と"})
    assert login.status_code == 200, login.text
    assert login.json()["address"] == address and login.json()["managed"] is True
    bad = api.client.post(api.url("/accounts/login"), json={
        "address": address, "passphrase": "うみ と やま"})
    assert bad.status_code == 401 and bad.json()["code"] == "bad-login"


def test_a_failing_passphrase_check_is_a_service_fault_not_a_wrong_passphrase(
        api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    code = "umi-" + secrets.token_hex(8)
    invite(api, code)
    r = api.client.post(api.url("/accounts"), json={
        "code": code, "displayName": "佐藤", "passphrase": "うみ と やま と"})
    address = r.json()["address"]
    monkeypatch.setattr(accounts, "scrypt_maxmem", lambda n, r=8, p=1: 32 * 1024 * 1024)
    r = api.client.post(api.url("/accounts/login"), json={
        "address": address, "passphrase": "うみ と やま と"})
    assert r.status_code == 500, r.text
    assert r.json()["type"] == "urn:kakawari:problem:internal"


def test_walletless_member_from_invitation_to_exported_key(api: Api) -> None:
    code = "umi-" + secrets.token_hex(8)
    invite(api, code)
    r = api.client.post(api.url("/accounts"), json={"code": code, "displayName": "佐藤 ばあちゃん",
                                                    "passphrase": "うみ と やま と"})
    assert r.status_code == 201, r.text
    address, token = r.json()["address"], r.json()["token"]
    assert [e["type"] for e in r.json()["entries"]] == ["Custody", "Join"]
    again = api.client.post(api.url("/accounts"), json={"code": code, "displayName": "x",
                                                        "passphrase": "another passphrase"})
    assert again.status_code == 409 and again.json()["code"] == "invitation-used"
    auth = {"Authorization": f"Bearer {token}"}
    fields = {"category": "farming", "title": "田植え", "minutes": 120,
              "occurredAt": int(time.time()) - 3600, "quest": ZERO32, "coContributors": [],
              "detailsHash": ZERO32}
    r = api.client.post(api.url("/managed/Claim"), json={"fields": fields}, headers=auth)
    assert r.status_code == 201, r.text
    claim = api.get(f"/claims/{r.json()['id']}")
    assert claim["contributor"] == address
    assert api.get(f"/members/{address}")["managed"] is True
    r = api.client.post(api.url("/accounts/export"), json={"passphrase": "うみ と やま と"},
                        headers=auth)
    assert r.status_code == 200, r.text
    key = Account.decrypt(r.json(), "うみ と やま と")
    assert Account.from_key(key).address.lower() == address
    assert api.get(f"/members/{address}")["managed"] is False
    r = api.client.post(api.url("/managed/Claim"), json={"fields": fields}, headers=auth)
    assert r.status_code == 403 and r.json()["code"] == "not-managed"
    assert siwe_token(api, Account.from_key(key))



def redeem(api: Api, name: str, passphrase: str = "うみ と やま と") -> dict[str, str]:
    code = "umi-" + secrets.token_hex(8)
    invite(api, code)
    r = api.client.post(api.url("/accounts"), json={
        "code": code, "displayName": name, "passphrase": passphrase})
    assert r.status_code == 201, r.text
    out: dict[str, str] = r.json()
    return out


def test_members_are_numbered_in_the_order_they_joined(api: Api) -> None:
    wallet = api.w.person()
    api.join(wallet, "Wallet user")
    hana = redeem(api, "花子")
    assert api.get(f"/members/{wallet.address}")["number"] == "AMA-0001"
    assert hana["number"] == "AMA-0002" == api.get(f"/members/{hana['address']}")["number"]
    listed = api.get("/members")["items"]
    assert [m["number"] for m in listed] == ["AMA-0001", "AMA-0002"]


def test_a_managed_member_signs_in_with_her_member_number(api: Api) -> None:
    api.join(api.w.person(), "Wallet user")  # AMA-0001 has no passphrase: a wallet
    hana = redeem(api, "花子")
    for typed in ("AMA-0002", "ama-0002", "AMA 2", "ａｍａ－０００２", "2", " ama2 ",
                  "ＡＭＡー０２"):
        r = api.client.post(api.url("/accounts/login"), json={
            "member": typed, "passphrase": "うみ と やま と"})
        assert r.status_code == 200, (typed, r.text)
        assert r.json()["address"] == hana["address"]
    for typed in ("AMA-0001", "AMA-0003", "0", "BIWA-0002", "x", "AMA-00-2x", "٢"):
        r = api.client.post(api.url("/accounts/login"), json={
            "member": typed, "passphrase": "うみ と やま と"})
        assert r.status_code == 401 and r.json()["code"] == "bad-login", (typed, r.text)


def admin_auth(api: Api) -> dict[str, str]:
    return {"Authorization": "Bearer " + siwe_token(api, Account.from_key(api.w.admin.key))}


def test_an_invitation_code_is_read_however_it_is_typed(api: Api) -> None:
    code = new_code()
    assert len(code) == 14 and code[4] == code[9] == "-"
    invite(api, code)
    typed = code.lower().replace("-", " ")
    full_width = "".join(chr(ord(ch) + 0xFEE0) if ch != "-" else "－" for ch in code.lower())
    for variant in (full_width, typed):  # the first redeems, the second finds it used
        r = api.client.post(api.url("/accounts"), json={
            "code": variant, "displayName": "花子", "passphrase": "うみ と やま と"})
        if variant is full_width:
            assert r.status_code == 201, r.text
            address = r.json()["address"]
        else:
            assert r.status_code == 409 and r.json()["code"] == "invitation-used", r.text
    # the used code signs her in (with her passphrase) instead of leading nowhere
    login = api.client.post(api.url("/accounts/login"), json={
        "member": typed, "passphrase": "うみ と やま と"})
    assert login.status_code == 200 and login.json()["address"] == address


def test_an_invitation_issued_before_codes_were_normalized_still_works(api: Api) -> None:
    import hashlib

    old = "a1b2c3-d4e5f6-a7b8c9"  # what `kakawari invite` printed before
    api.post("/invitations", api.w.admin, "Invitation",
             codeHash="0x" + hashlib.sha256(old.encode()).hexdigest(),
             expiresAt=int(time.time()) + 86400)
    r = api.client.post(api.url("/accounts"), json={
        "code": old, "displayName": "健二", "passphrase": "umi to yama no shima"})
    assert r.status_code == 201, r.text


def test_an_invitation_has_a_label_a_card_and_can_be_withdrawn_while_unused(api: Api) -> None:
    auth = admin_auth(api)
    code, other = new_code(), new_code()
    invite(api, code)
    invite(api, other)
    r = api.client.put(api.url(f"/invitations/{code_hash(code)}/label"),
                       json={"label": "佐藤 ハナさん（港の近く）"}, headers=auth)
    assert r.status_code == 204, r.text
    listed = {i["codeHash"]: i for i in api.client.get(
        api.url("/invitations"), headers=auth).json()["items"]}
    assert listed[code_hash(code)]["label"] == "佐藤 ハナさん（港の近く）"
    assert listed[code_hash(other)]["label"] is None
    card = api.client.post(api.url("/cards"), json={"kind": "invitation", "code": code.lower()},
                           headers=auth)
    assert card.status_code == 200, card.text
    body = card.json()
    assert body["code"] == code and body["label"] == "佐藤 ハナさん（港の近く）"
    assert body["link"] == f"http://kakawari.test/#/signin?region=ama&code={code}"
    assert body["qrSvg"].startswith("<svg") and "<path" in body["qrSvg"]
    nobody = api.client.post(api.url("/cards"), json={"kind": "invitation", "code": new_code()},
                             headers=auth)
    assert nobody.status_code == 404 and nobody.json()["code"] == "unknown-invitation"
    # withdrawn: a signed entry; the code no longer works
    api.post("/invitation-revocations", api.w.admin, "InvitationRevocation",
             codeHash=code_hash(code), reason="渡し間違い")
    r = api.client.post(api.url("/accounts"), json={
        "code": code, "displayName": "花子", "passphrase": "うみ と やま と"})
    assert r.status_code == 409 and r.json()["code"] == "invitation-revoked"
    again = api.refused("/invitation-revocations", api.w.admin, "InvitationRevocation", 409,
                        "invitation-revoked", codeHash=code_hash(code), reason="")
    assert again
    redeem_other = api.client.post(api.url("/accounts"), json={
        "code": other, "displayName": "健二", "passphrase": "umi to yama no shima"})
    assert redeem_other.status_code == 201
    api.refused("/invitation-revocations", api.w.admin, "InvitationRevocation", 409,
                "invitation-used", codeHash=code_hash(other), reason="")
    stranger = api.w.person()
    api.join(stranger, "Stranger")
    api.refused("/invitation-revocations", stranger, "InvitationRevocation", 403, "not-admin",
                codeHash=code_hash(new_code()), reason="")


def test_a_recovery_code_replaces_the_passphrase_and_keeps_her_key_and_history(
        api: Api) -> None:
    hana = redeem(api, "花子", passphrase="うみ と やま と")
    token = {"Authorization": f"Bearer {hana['token']}"}
    fields = {"category": "farming", "title": "田植え", "minutes": 90,
              "occurredAt": int(time.time()) - 3600, "quest": ZERO32, "coContributors": [],
              "detailsHash": ZERO32}
    claim = api.client.post(api.url("/managed/Claim"), json={"fields": fields}, headers=token)
    assert claim.status_code == 201
    code = new_code()
    out = api.post("/recoveries", api.w.admin, "Recovery", member=hana["address"],
                   codeHash=code_hash(code), expiresAt=int(time.time()) + 7 * 86400)
    assert [e["type"] for e in out["entries"]] == ["Recovery"]
    # her old passphrase and her open sign-ins stop working
    old = api.client.post(api.url("/accounts/login"), json={
        "member": hana["number"], "passphrase": "うみ と やま と"})
    assert old.status_code == 401 and old.json()["code"] == "passphrase-replaced"
    assert api.client.get("/v1/auth/me", headers=token).status_code == 401
    wrong = api.client.post(api.url("/accounts/recover"), json={
        "code": new_code(), "passphrase": "a new passphrase"})
    assert wrong.status_code == 409 and wrong.json()["code"] == "bad-recovery"
    r = api.client.post(api.url("/accounts/recover"), json={
        "code": code.lower().replace("-", ""), "passphrase": "しま の あたらしい ことば"})
    assert r.status_code == 200, r.text
    assert r.json()["address"] == hana["address"] and r.json()["number"] == hana["number"]
    again = api.client.post(api.url("/accounts/recover"), json={
        "code": code, "passphrase": "someone else's passphrase"})
    assert again.status_code == 409 and again.json()["code"] == "bad-recovery"
    login = api.client.post(api.url("/accounts/login"), json={
        "member": hana["number"], "passphrase": "しま の あたらしい ことば"})
    assert login.status_code == 200, login.text
    new_token = {"Authorization": f"Bearer {login.json()['token']}"}
    mine = api.get("/claims", member=hana["address"])["items"]
    assert [c["id"] for c in mine] == [claim.json()["id"]]
    again_claim = api.client.post(api.url("/managed/Claim"), json={"fields": fields},
                                  headers=new_token)
    assert again_claim.status_code == 201
    assert api.get(f"/claims/{again_claim.json()['id']}")["contributor"] == hana["address"]


def test_only_an_admin_issues_recovery_codes_and_only_for_managed_members(api: Api) -> None:
    hana = redeem(api, "花子")
    wallet = api.w.person()
    api.join(wallet, "Wallet user")
    later = int(time.time()) + 86400
    api.refused("/recoveries", wallet, "Recovery", 403, "not-admin", member=hana["address"],
                codeHash=code_hash(new_code()), expiresAt=later)
    api.refused("/recoveries", api.w.admin, "Recovery", 403, "not-managed",
                member=wallet.address, codeHash=code_hash(new_code()), expiresAt=later)
    api.refused("/recoveries", api.w.admin, "Recovery", 400, "out-of-range",
                member=hana["address"], codeHash=code_hash(new_code()),
                expiresAt=int(time.time()) + 31 * 86400)
    first, second = new_code(), new_code()
    for code in (first, second):
        api.post("/recoveries", api.w.admin, "Recovery", member=hana["address"],
                 codeHash=code_hash(code), expiresAt=later)
    stale = api.client.post(api.url("/accounts/recover"), json={
        "code": first, "passphrase": "a new passphrase"})
    assert stale.status_code == 409 and stale.json()["code"] == "bad-recovery"


def test_recovery_codes_cannot_be_guessed_without_limit(api: Api) -> None:
    """Wrong recovery codes count against the client address like wrong invitation
    codes: twenty in 15 minutes lock it out (429 problem+json with Retry-After)."""
    url = api.url("/accounts/recover")
    for _ in range(20):
        r = api.client.post(url, json={"code": new_code(), "passphrase": "a new passphrase"})
        assert r.status_code == 409 and r.json()["code"] == "bad-recovery", r.text
    r = api.client.post(url, json={"code": new_code(), "passphrase": "a new passphrase"},
                        headers={"Accept-Language": "ja"})
    assert r.status_code == 429 and r.json()["code"] == "rate-limited", r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert int(r.headers["retry-after"]) > 0
