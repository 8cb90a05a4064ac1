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
from service.accounts import code_hash
from service.api.app import create_app
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
    assert again.status_code == 409 and again.json()["code"] == "bad-invitation"
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
