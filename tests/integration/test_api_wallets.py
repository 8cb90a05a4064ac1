"""Wallet compatibility and sign-in: messages and SIWE signed by ethers.js v6 are
accepted as-is; private details are readable only by the right people. (Walletless
members: test_api_accounts.py.)"""

from __future__ import annotations

import json
import secrets
import shutil
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from eth_account.messages import encode_defunct
from fastapi.testclient import TestClient

from service.api.app import create_app
from service.domain.details import details_hash
from tests.conftest import REPO, skip_or_fail
from tests.integration.service_fixtures import PHOTO, ZERO32, database, world
from tests.integration.test_api import Api

SIGNER = Path(__file__).with_name("ethers_sign.cjs")


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Api]:
    with database("sqlite", tmp_path) as url, \
            world(tmp_path, url, public_origins=["http://kakawari.test"]) as w, \
            TestClient(create_app(w.settings, w.regions), base_url="http://kakawari.test") as c:
        yield Api(c, w)


def ethers(request: dict[str, Any]) -> dict[str, str]:
    node = shutil.which("node")
    if node is None or not (REPO / "node_modules" / "ethers").is_dir():
        skip_or_fail("node and node_modules/ethers are needed (scripts/setup installs them)")
    out = subprocess.run([node, str(SIGNER)], input=json.dumps(request), capture_output=True,
                         text=True, cwd=REPO, timeout=60, check=True)
    result: dict[str, str] = json.loads(out.stdout)
    return result


def siwe_text(address: str, nonce: str, host: str = "kakawari.test") -> str:
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return (f"{host} wants you to sign in with your Ethereum account:\n{address}\n\n"
            f"Sign in to Kakawari\n\nURI: http://{host}\nVersion: 1\nChain ID: 31337\n"
            f"Nonce: {nonce}\nIssued At: {now}")


def test_messages_signed_by_ethers_sign_typed_data_are_accepted_as_is(api: Api) -> None:
    key = "0x" + secrets.token_hex(32)
    typed = api.client.get("/v1/typed-data", params={"region": api.region}).json()
    address = Account.from_key(key).address  # EIP-55 checksummed, as ethers sends it

    def sign(type_: str, message: dict[str, Any]) -> dict[str, Any]:
        types = {type_: typed["types"][type_]}
        signed = ethers({"kind": "typed", "key": key, "domain": typed["domain"], "types": types,
                         "message": message})
        assert signed["address"] == address
        return {"message": message, "signature": signed["signature"]}

    now = int(time.time())
    join = sign("Join", {"region": api.region, "member": address, "displayName": "山田 花子",
                         "nonce": 1, "issuedAt": now})
    r = api.client.post(api.url("/members"), json=join)
    assert r.status_code == 201, r.text
    salt, details = secrets.token_bytes(16), {"text": "設営の写真は後で", "files": []}
    digest = details_hash(salt, details)
    token = api.client.app.state.services.auth.new_session(address.lower())[0]  # type: ignore[attr-defined]
    r = api.client.put(api.url(f"/details/{digest}"), headers={"Authorization": f"Bearer {token}"},
                       json={"salt": "0x" + salt.hex(), "details": details})
    assert r.status_code == 204, r.text
    claim = sign("Claim", {
        "region": api.region, "contributor": address, "category": "festival",
        "title": "キンニャモニャ祭りの設営", "minutes": "120", "occurredAt": now - 86400,
        "quest": ZERO32, "coContributors": [], "detailsHash": "0x" + digest[2:].upper(),
        "nonce": str(2**53 - 1), "issuedAt": hex(now)})
    r = api.client.post(api.url("/claims"), json=claim)
    assert r.status_code == 201, r.text
    assert api.get(f"/claims/{r.json()['id']}")["contributor"] == address.lower()


def test_siwe_signed_by_ethers_gives_a_bearer_token(api: Api) -> None:
    key = "0x" + secrets.token_hex(32)
    nonce = api.client.get("/v1/auth/nonce").json()["nonce"]
    address = Account.from_key(key).address
    text = siwe_text(address, nonce)
    signed = ethers({"kind": "text", "key": key, "text": text})
    r = api.client.post("/v1/auth/siwe", json={"message": text, "signature": signed["signature"]})
    assert r.status_code == 200, r.text
    token = r.json()["token"]
    me = api.client.get("/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert me.json()["address"] == address.lower() and me.json()["managed"] is False
    again = api.client.post("/v1/auth/siwe", json={"message": text,
                                                    "signature": signed["signature"]})
    assert again.status_code == 401 and "nonce" in again.json()["detail"]


@pytest.mark.parametrize("change, fragment", [
    (lambda t: t.replace("kakawari.test wants", "evil.example wants"), "signs in at"),
    (lambda t: t.replace("Version: 1", "Version: 2"), "Version"),
    (lambda t: t.replace("Issued At: ", "Issued At: x"), "Issued At"),
    (lambda t: t.split("\n", 1)[1], "first line"),
])
def test_bad_siwe_messages_are_refused(api: Api, change: Any, fragment: str) -> None:
    account = Account.create()
    nonce = api.client.get("/v1/auth/nonce").json()["nonce"]
    text = change(siwe_text(account.address, nonce))
    sig = account.sign_message(encode_defunct(text=text)).signature.hex()
    body = {"message": text, "signature": "0x" + sig.removeprefix("0x")}
    r = api.client.post("/v1/auth/siwe", json=body)
    assert r.status_code == 401 and fragment in r.json()["detail"], r.text


def siwe_token(api: Api, account: Any) -> str:
    nonce = api.client.get("/v1/auth/nonce").json()["nonce"]
    text = siwe_text(account.address, nonce)
    sig = "0x" + account.sign_message(encode_defunct(text=text)).signature.hex().removeprefix("0x")
    token: str = api.client.post("/v1/auth/siwe", json={"message": text,
                                                        "signature": sig}).json()["token"]
    return token


def test_private_details_are_stored_read_and_erased(api: Api) -> None:
    alice, bob = (api.w.person() for _ in range(2))
    api.join(alice, "Alice")
    api.join(bob, "Bob")
    salt = secrets.token_bytes(16)
    details = {"text": "連絡先 090-xxxx", "files": [{"name": "p.jpg", "type": "image/jpeg",
                                                       "data": PHOTO}]}
    digest = details_hash(salt, details)
    alice_account = Account.from_key(alice.key)
    auth = {"Authorization": f"Bearer {siwe_token(api, alice_account)}"}
    body = {"salt": "0x" + salt.hex(), "details": details}
    r = api.client.put(api.url(f"/details/{digest}"), json=body, headers=auth)
    assert r.status_code == 204, r.text
    wrong = api.client.put(api.url(f"/details/{'0x' + '00' * 32}"), json=body, headers=auth)
    assert wrong.status_code == 400 and wrong.json()["code"] == "details-mismatch"
    api.claim(alice, detailsHash=digest)
    r = api.client.get(api.url(f"/details/{digest}"), headers=auth)
    assert r.status_code == 200 and r.json()["details"]["text"] == details["text"]
    bob_auth = {"Authorization": f"Bearer {siwe_token(api, Account.from_key(bob.key))}"}
    assert api.client.get(api.url(f"/details/{digest}"), headers=bob_auth).status_code == 403
    assert api.client.get(api.url(f"/details/{digest}")).status_code == 401
    api.post("/erasures", alice, "Erasure", detailsHash=digest, reason="APPI")
    r = api.client.get(api.url(f"/details/{digest}"), headers=auth)
    assert r.status_code == 410 and r.json()["code"] == "details-erased"
    claims = api.get("/claims", member=alice.address)["items"]
    assert api.get(f"/claims/{claims[0]['id']}")["detailsErased"] is True


def test_a_recognition_becomes_a_soulbound_badge_with_a_chain(tmp_path: Path) -> None:
    from ledger.chain_fake import FakeChainClient

    chain = FakeChainClient()
    deployment = chain.deploy_contracts()
    with database("sqlite", tmp_path) as url, \
            world(tmp_path, url, public_origins=["http://kakawari.test"]) as w, \
            TestClient(create_app(w.settings, w.regions, chain=(chain, deployment.badge)),
                       base_url="http://kakawari.test") as c:
        api = Api(c, w)
        alice, vera = (w.person() for _ in range(2))
        api.join(alice, "Alice")
        api.join(vera, "Vera")
        api.post("/roles", w.admin, "Role", member=vera.address, role="verifier", granted=True)
        claim = api.claim(alice)
        auth = {"Authorization": f"Bearer {siwe_token(api, Account.from_key(alice.key))}"}
        early = c.post(api.url(f"/claims/{claim}/badges"), json={"member": alice.address},
                       headers=auth)
        assert early.status_code == 409 and early.json()["code"] == "not-approved"
        review = api.post(f"/claims/{claim}/reviews", vera, "Review", claim=claim,
                          approve=True, reason="ok")
        recognition_seq = review["entries"][1]["seq"]
        r = c.post(api.url(f"/claims/{claim}/badges"), json={"member": alice.address},
                   headers=auth)
        assert r.status_code == 201, r.text
        badge = api.get(f"/members/{alice.address}")["badges"][0]
        held = chain.badge(badge["tokenId"])
        assert held.owner.lower() == alice.address and held.region == w.region
        leaf = w.regions.store.leaf_hash(f"kakawari/{w.region}", recognition_seq)
        assert held.leaf_hash == leaf and badge["leafHash"] == "0x" + leaf.hex()
        again = c.post(api.url(f"/claims/{claim}/badges"), json={"member": alice.address},
                       headers=auth)
        assert again.status_code == 409 and again.json()["code"] == "badge-exists"
        vera_auth = {"Authorization": f"Bearer {siwe_token(api, Account.from_key(vera.key))}"}
        other = c.post(api.url(f"/claims/{claim}/badges"), json={"member": alice.address},
                       headers=vera_auth)
        assert other.status_code == 403


def test_without_a_chain_badges_are_refused_clearly(api: Api) -> None:
    (alice,) = (api.w.person(),)
    api.join(alice, "Alice")
    claim = api.claim(alice)
    auth = {"Authorization": f"Bearer {siwe_token(api, Account.from_key(alice.key))}"}
    r = api.client.post(api.url(f"/claims/{claim}/badges"), json={"member": alice.address},
                        headers=auth)
    assert r.status_code == 409 and r.json()["code"] == "no-chain"
