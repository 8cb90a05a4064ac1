"""Regression tests for the security holes of issue 17, one per bug and named after it
(sigstore-python's habit): each failed on the code before its fix."""

from __future__ import annotations

import base64
import secrets
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from eth_account.messages import encode_defunct
from fastapi.testclient import TestClient

from ledger.entry import origin_for
from ledger.integrity import verify_stored_log
from service.api.app import create_app
from service.domain.details import details_hash
from tests.integration.service_fixtures import PHOTO, Person, database, world
from tests.integration.test_api import PROBLEM, Api

ORIGIN = "https://kakawari.example.jp"


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Api]:
    with database("sqlite", tmp_path) as url, \
            world(tmp_path, url, public_origins=[ORIGIN]) as w, \
            TestClient(create_app(w.settings, w.regions), base_url=ORIGIN) as client:
        yield Api(client, w)


def token(api: Api, who: Person) -> dict[str, str]:
    svc = api.client.app.state.services  # type: ignore[attr-defined]
    return {"Authorization": f"Bearer {svc.auth.new_session(who.address)[0]}"}


def store(api: Api, who: Person, details: dict[str, Any], status: int = 204) -> str:
    details = {"files": [], **details}  # as the server reads them (defaults included)
    salt = secrets.token_bytes(16)
    digest = details_hash(salt, details)
    r = api.client.put(api.url(f"/details/{digest}"), headers=token(api, who),
                       json={"salt": "0x" + salt.hex(), "details": details})
    assert r.status_code == status, r.text
    return digest


def problem(r: Any, status: int, code: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == PROBLEM
    body: dict[str, Any] = r.json()
    assert body["type"] == f"urn:kakawari:problem:{code}", body
    return body


# -- 1. private details belong to whoever stored them --------------------------------------


def test_bug_details_readable_by_other_claimant(api: Api) -> None:
    alice, bob = api.w.person(), api.w.person()
    api.join(alice, "Alice")
    api.join(bob, "Bob")
    digest = store(api, alice, {"text": "090-1234-5678",
                                "files": [{"name": "me.jpg", "type": "image/jpeg",
                                           "data": PHOTO}]})
    api.claim(alice, detailsHash=digest)
    assert api.client.get(api.url(f"/details/{digest}"),
                          headers=token(api, bob)).status_code == 403
    # Bob copies the hash from the log into a claim of his own: refused by the rules
    r = api.client.post(api.url("/claims"), json=bob.body(
        "Claim", category="cleanup", title="Beach", minutes=60,
        occurredAt=int(time.time()) - 60, quest="0x" + "00" * 32, coContributors=[],
        detailsHash=digest))
    problem(r, 409, "details-taken")
    assert api.client.get(api.url(f"/details/{digest}"),
                          headers=token(api, bob)).status_code == 403
    r = api.client.post(api.url("/erasures"), json=bob.body(
        "Erasure", detailsHash=digest, reason="mine now"))
    problem(r, 403, "not-allowed")
    got = api.client.get(api.url(f"/details/{digest}"), headers=token(api, alice))
    assert got.status_code == 200 and got.json()["details"]["text"] == "090-1234-5678"
    # the owner (and an admin) can still erase them
    api.post("/erasures", alice, "Erasure", detailsHash=digest, reason="APPI")
    assert api.client.get(api.url(f"/details/{digest}"),
                          headers=token(api, alice)).status_code == 410
    verify_stored_log(api.w.regions.store, origin_for(api.region))


def test_bug_claim_commits_to_details_its_contributor_did_not_store(api: Api) -> None:
    alice, bob = api.w.person(), api.w.person()
    api.join(alice, "Alice")
    api.join(bob, "Bob")
    digest = store(api, alice, {"text": "stored by Alice, not yet claimed"})
    r = api.client.post(api.url("/claims"), json=bob.body(
        "Claim", category="cleanup", title="Beach", minutes=60,
        occurredAt=int(time.time()) - 60, quest="0x" + "00" * 32, coContributors=[],
        detailsHash=digest))
    problem(r, 403, "details-not-yours")
    never_stored = "0x" + secrets.token_hex(32)
    r = api.client.post(api.url("/claims"), json=alice.body(
        "Claim", category="cleanup", title="Beach", minutes=60,
        occurredAt=int(time.time()) - 60, quest="0x" + "00" * 32, coContributors=[],
        detailsHash=never_stored))
    problem(r, 403, "details-not-yours")
    api.claim(alice, detailsHash=digest)


# -- 2. SIWE bound to the configured origin, URI and chain id checked -----------------------


def siwe(api: Api, account: Any, *, domain: str = "kakawari.example.jp",
         uri: str = ORIGIN + "/", chain_id: int = 31337, host: str | None = None) -> Any:
    nonce = api.client.get("/v1/auth/nonce").json()["nonce"]
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    text = (f"{domain} wants you to sign in with your Ethereum account:\n{account.address}\n\n"
            f"Sign in to Kakawari\n\nURI: {uri}\nVersion: 1\nChain ID: {chain_id}\n"
            f"Nonce: {nonce}\nIssued At: {now}")
    sig = account.sign_message(encode_defunct(text=text)).signature.hex()
    headers = {"Host": host} if host else {}
    return api.client.post("/v1/auth/siwe", headers=headers,
                           json={"message": text, "signature": "0x" + sig.removeprefix("0x")})


def test_bug_siwe_domain_taken_from_host_header(api: Api) -> None:
    victim = Account.create()
    # a phishing page at evil.example had the victim sign for evil.example
    r = siwe(api, victim, domain="evil.example", uri="https://evil.example/", host="evil.example")
    problem(r, 401, "siwe-refused")
    assert siwe(api, victim).status_code == 200


@pytest.mark.parametrize("change", [
    {"uri": "https://evil.example/"},  # URI on another origin than the domain
    {"uri": "http://kakawari.example.jp/"},  # another scheme than the service's
    {"chain_id": 1},  # a chain this service does not serve
])
def test_bug_siwe_uri_and_chain_id_not_checked(api: Api, change: dict[str, Any]) -> None:
    problem(siwe(api, Account.create(), **change), 401, "siwe-refused")


def test_siwe_without_configured_origins_accepts_local_addresses_only(tmp_path: Path) -> None:
    with database("sqlite", tmp_path) as url, world(tmp_path, url, public_origins=[]) as w, \
            TestClient(create_app(w.settings, w.regions),
                       base_url="http://127.0.0.1:8000") as client:
        api = Api(client, w)
        local = siwe(api, Account.create(), domain="127.0.0.1:8000",
                     uri="http://127.0.0.1:8000/")
        assert local.status_code == 200, local.text
        problem(siwe(api, Account.create(), domain="kakawari.example.jp"), 401, "siwe-refused")


# -- 6. smaller: NUL, v = 0/1, headers, no-store, sign-out ----------------------------------


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_bug_nul_in_text_accepted_by_sqlite_refused_by_postgres(tmp_path: Path, kind: str
                                                                 ) -> None:
    with database(kind, tmp_path) as url, world(tmp_path, url) as w, \
            TestClient(create_app(w.settings, w.regions)) as client:
        api = Api(client, w)
        who = w.person()
        api.refused("/members", who, "Join", 400, "bad-character", displayName="Ha\x00na")
        api.join(who, "Hana")
        r = client.post(api.url("/claims"), json=who.body(
            "Claim", category="cleanup", title="Beach\x00", minutes=60,
            occurredAt=int(time.time()) - 60, quest="0x" + "00" * 32, coContributors=[],
            detailsHash="0x" + "00" * 32))
        assert problem(r, 400, "bad-character")["detail"].startswith("title")


def test_bug_signature_v_0_1_accepted_beside_27_28(api: Api) -> None:
    who = api.w.person()
    signed = who.sign("Join", displayName="Hana")
    raw = bytes.fromhex(signed.signature[2:])
    low_v = "0x" + (raw[:64] + bytes([raw[64] - 27])).hex()
    r = api.client.post(api.url("/members"), json={"message": signed.message,
                                                    "signature": low_v})
    assert r.status_code == 201, r.text
    entry = api.get("/entries", start=r.json()["entries"][0]["seq"], limit=1)
    import json

    written = json.loads(entry["entries"][0]["entry"])["signature"]
    assert written == signed.signature and written[-2:] in ("1b", "1c")  # normalised
    other = who.sign("Profile", displayName="Hana", resident=True)
    bad_v = "0x" + (bytes.fromhex(other.signature[2:])[:64] + bytes([29])).hex()
    r = api.client.post(api.url("/profile"), json={"message": other.message,
                                                    "signature": bad_v})
    problem(r, 400, "bad-message")


def test_bug_no_security_headers_on_docs_static_and_api(api: Api) -> None:
    for path in ("/", "/docs", "/redoc", "/static/js/app.js", "/v1/ping", "/openapi.json",
                 "/v1/regions/nowhere", f"/v1/regions/{api.region}"):
        r = api.client.get(path)
        assert r.status_code in (200, 404), (path, r.status_code)
        h = r.headers
        assert "frame-ancestors 'none'" in h["content-security-policy"], path
        assert "default-src 'self'" in h["content-security-policy"], path
        assert h["x-content-type-options"] == "nosniff", path
        assert h["referrer-policy"] == "no-referrer", path
        assert h["strict-transport-security"].startswith("max-age="), path  # over https
        assert "access-control-allow-origin" not in h, path
    plain = TestClient(api.client.app, base_url="http://127.0.0.1:8000")
    assert "strict-transport-security" not in plain.get("/v1/ping").headers
    # CORS stays closed: a preflight from another origin is not answered with a grant
    r = api.client.options("/v1/auth/me", headers={
        "Origin": "https://evil.example", "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "authorization"})
    assert "access-control-allow-origin" not in r.headers
    r = api.client.get("/v1/ping", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in r.headers


def test_bug_private_details_and_tokens_cacheable(api: Api) -> None:
    alice = api.w.person()
    api.join(alice, "Alice")
    digest = store(api, alice, {"text": "private"})
    r = api.client.get(api.url(f"/details/{digest}"), headers=token(api, alice))
    assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
    r = siwe(api, Account.create())
    assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
    r = api.client.get("/v1/auth/nonce")
    assert r.headers["cache-control"] == "no-store"


def test_bug_no_sign_out_revoking_the_token(api: Api) -> None:
    account = Account.create()
    first = siwe(api, account).json()["token"]
    second = siwe(api, account).json()["token"]
    other = siwe(api, Account.create()).json()["token"]

    def me(tok: str) -> int:
        return api.client.get("/v1/auth/me", headers={"Authorization": f"Bearer {tok}"}
                              ).status_code

    assert me(first) == me(second) == 200
    r = api.client.post("/v1/auth/signout", headers={"Authorization": f"Bearer {first}"})
    assert r.status_code == 204
    assert me(first) == 401 and me(second) == 200
    third = siwe(api, account).json()["token"]
    r = api.client.post("/v1/auth/signout-everywhere",
                        headers={"Authorization": f"Bearer {third}"})
    assert r.status_code == 204
    assert me(second) == me(third) == 401
    assert me(other) == 200  # someone else's sign-in is untouched


def test_photos_must_be_images(api: Api) -> None:
    alice = api.w.person()
    api.join(alice, "Alice")
    html = base64.b64encode(b"<html><script>alert(1)</script></html>").decode()
    for files in ([{"name": "x.jpg", "type": "image/jpeg", "data": html}],
                  [{"name": "x.png", "type": "image/png", "data": PHOTO}]):  # a JPEG
        salt = secrets.token_bytes(16)
        details = {"text": "", "files": files}
        digest = details_hash(salt, details)
        r = api.client.put(api.url(f"/details/{digest}"), headers=token(api, alice),
                           json={"salt": "0x" + salt.hex(), "details": details})
        problem(r, 400, "not-image")


# -- 4. faults of the server are 503 problem+json, in bounded time; health says so ---------


def fault(api: Api, pragma: str) -> Any:
    """Every new connection of the app's engine runs ``pragma`` (a fault injected);
    call the result to take it away again."""
    from sqlalchemy import event

    engine = api.w.regions.store.engine  # type: ignore[attr-defined]

    def inject(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.execute(pragma)

    event.listen(engine, "connect", inject)
    engine.dispose()

    def heal() -> None:
        event.remove(engine, "connect", inject)
        engine.dispose()

    return heal


def unavailable(r: Any, code: str = "unavailable") -> dict[str, Any]:
    body = problem(r, 503, code)
    assert int(r.headers["retry-after"]) > 0
    return body


def test_bug_disk_full_answered_400_store_refused(api: Api) -> None:
    page_count = api.w.regions.store.engine.connect().exec_driver_sql(  # type: ignore[attr-defined]
        "PRAGMA page_count").scalar()
    heal = fault(api, f"PRAGMA max_page_count = {page_count}")  # SQLite's own "disk full"
    people = [api.w.person() for _ in range(30)]
    answers = [api.client.post(api.url("/members"), json=p.body("Join", displayName="x" * 60))
               for p in people]
    refused = [r for r in answers if r.status_code != 201]
    assert refused, "the database never filled up"
    for r in refused:
        assert "full" in unavailable(r)["detail"]
    heal()
    later = api.w.person()
    api.join(later, "After space returned")
    verify_stored_log(api.w.regions.store, origin_for(api.region))


def test_bug_read_only_database_blamed_on_client_and_health_says_ok(api: Api) -> None:
    heal = fault(api, "PRAGMA query_only = ON")  # writes fail as on a read-only file
    unavailable(api.client.post(api.url("/members"), json=api.w.person().body(
        "Join", displayName="Hana")))
    unavailable(api.client.get("/v1/auth/nonce"))  # was a 500
    health = api.client.get("/v1/health").json()
    assert health["status"] == "unhealthy" and health["storage"]["database"] == "read-only"
    assert api.client.get(api.url("/members")).status_code == 200  # reads still work
    heal()
    assert api.client.get("/v1/health").json()["status"] == "ok"
    api.join(api.w.person(), "Hana")


def test_bug_sqlite_lock_held_elsewhere_hangs_posts(api: Api) -> None:
    import sqlite3

    path = api.w.settings.database_url.removeprefix("sqlite:///")  # type: ignore[union-attr]
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    try:
        r = api.client.post(api.url("/members"), json=api.w.person().body(
            "Join", displayName="Hana"))
        unavailable(r, "busy")
        health = api.client.get("/v1/health").json()
        assert health["status"] == "unhealthy" and health["storage"]["database"] == "busy"
        assert api.client.get(api.url("/members")).status_code == 200
    finally:
        other.execute("ROLLBACK")
        other.close()
    api.join(api.w.person(), "Hana")


def test_bug_details_disk_full_answered_as_server_error(api: Api, monkeypatch: Any) -> None:
    import errno

    alice = api.w.person()
    api.join(alice, "Alice")

    def full(*args: Any, **kwargs: Any) -> Any:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("service.domain.details.os.open", full)
    salt, details = secrets.token_bytes(16), {"text": "x", "files": []}
    digest = details_hash(salt, details)
    r = api.client.put(api.url(f"/details/{digest}"), headers=token(api, alice),
                       json={"salt": "0x" + salt.hex(), "details": details})
    assert "full" in unavailable(r)["detail"]
    monkeypatch.undo()
    d = api.w.settings.data_dir / "details" / api.region
    assert not d.exists() or not any(d.iterdir())  # nothing half-written
    r = api.client.put(api.url(f"/details/{digest}"), headers=token(api, alice),
                       json={"salt": "0x" + salt.hex(), "details": details})
    assert r.status_code == 204, r.text


# -- 3. an unknown commit outcome is looked up, never reported as a refusal ----------------


def _status(exc: BaseException | None) -> int:
    from ledger.errors import StoreError, StoreUnavailableError
    from service.api.problems import DOMAIN_STATUS
    from service.domain import DomainError

    if exc is None:
        return 201
    if isinstance(exc, DomainError):
        return DOMAIN_STATUS.get(exc.code, 400)
    if isinstance(exc, StoreUnavailableError):
        return 503
    if isinstance(exc, StoreError):
        return 400
    return 500


@pytest.mark.postgres
def test_bug_unknown_commit_outcome_reported_as_refusal(tmp_path: Path) -> None:
    import threading
    import uuid

    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from tests.integration.databases import PG_URL

    name = "kk_" + uuid.uuid4().hex[:10]  # only this test's connections are cut
    with database("postgres", tmp_path) as url:
        url = make_url(url).update_query_dict({"application_name": name}).render_as_string(
            hide_password=False)
        with world(tmp_path, url) as w, TestClient(create_app(w.settings, w.regions)) as client:
            api = Api(client, w)
            svc = client.app.state.services  # type: ignore[attr-defined]
            people = [w.person() for _ in range(120)]
            signed = {p.address: p.sign("Join", displayName="x") for p in people}
            answers: dict[str, int] = {}
            stop = threading.Event()
            admin = create_engine(PG_URL)

            def cut() -> None:  # pg_terminate_backend on the service's sessions, repeatedly
                with admin.connect() as conn:
                    while not stop.wait(0.25):
                        conn.execute(text("SELECT pg_terminate_backend(pid) FROM "
                                          "pg_stat_activity WHERE application_name = :n"),
                                     {"n": name})
                        conn.commit()

            def write(batch: list[Person]) -> None:
                for p in batch:
                    try:
                        svc.domain.submit(w.region, [signed[p.address]])
                        answers[p.address] = 201
                    except Exception as exc:
                        answers[p.address] = _status(exc)

            killer = threading.Thread(target=cut)
            killer.start()
            writers = [threading.Thread(target=write, args=(people[i::6],)) for i in range(6)]
            try:
                for t in writers:
                    t.start()
                for t in writers:
                    t.join(120)
            finally:
                stop.set()
                killer.join(10)
                admin.dispose()
            # every answer is a success or "try again" (503): never a refusal, never a 500
            assert set(answers.values()) <= {201, 503}, sorted(answers.values())
            print("answers:", {s: list(answers.values()).count(s) for s in set(answers.values())})
            # the first read after the connections were cut is not a 500 (pool_pre_ping)
            assert client.get(api.url("/members")).status_code == 200
            members = {m["address"] for m in api.get("/members", limit=1000)["items"]}
            for address, status in answers.items():
                if status == 201:
                    assert address in members  # every 201 is in the log
            # sending again what was answered 503 (or 201): the existing entry, or written now
            for p in people:
                s = signed[p.address]
                r = client.post(api.url("/members"), json={"message": s.message,
                                                            "signature": s.signature})
                assert r.status_code == 201, r.text
            entries = api.get("/entries", limit=1000)["entries"]
            import json

            joins = [json.loads(e["entry"])["message"]["member"] for e in entries
                     if json.loads(e["entry"])["type"] == "Join"]
            assert sorted(joins) == sorted({*joins}) and set(joins) >= set(signed)  # once each
            verify_stored_log(w.regions.store, origin_for(w.region))


def test_resubmitting_a_written_message_answers_with_its_entry(api: Api) -> None:
    who = api.w.person()
    signed = who.sign("Join", displayName="Hana")
    body = {"message": signed.message, "signature": signed.signature}
    first = api.client.post(api.url("/members"), json=body)
    again = api.client.post(api.url("/members"), json=body)
    assert first.status_code == again.status_code == 201
    assert again.json()["entries"] == first.json()["entries"]
    assert api.w.regions.store.log_info(origin_for(api.region)).size == 2  # region + Join
    # the same nonce in another message is still a reuse
    again_nonce = who.sign("Profile", displayName="Hana", resident=True,
                           nonce=signed.message["nonce"])
    r = api.client.post(api.url("/profile"), json={"message": again_nonce.message,
                                                    "signature": again_nonce.signature})
    problem(r, 409, "nonce-reused")


# -- 5. storage abuse and guessing -----------------------------------------------------------


def test_bug_unreferenced_details_stored_without_limit(api: Api) -> None:
    stranger, alice = api.w.person(), api.w.person()
    api.join(alice, "Alice")
    salt, details = secrets.token_bytes(16), {"text": "spam", "files": []}
    r = api.client.put(api.url(f"/details/{details_hash(salt, details)}"),
                       headers=token(api, stranger),
                       json={"salt": "0x" + salt.hex(), "details": details})
    problem(r, 403, "not-member")  # a brand-new wallet stores nothing
    waiting = [store(api, alice, {"text": f"note {i}"}) for i in range(5)]
    salt = secrets.token_bytes(16)
    details = {"text": "one too many", "files": []}
    digest = details_hash(salt, details)
    r = api.client.put(api.url(f"/details/{digest}"), headers=token(api, alice),
                       json={"salt": "0x" + salt.hex(), "details": details})
    problem(r, 409, "quota-exceeded")
    api.claim(alice, detailsHash=waiting[0])  # a claim names one: room for another
    store(api, alice, {"text": "now there is room"})
    # details no claim names are removed a day later (on the next store)
    svc = api.client.app.state.services  # type: ignore[attr-defined]
    later = svc.regions.clock() + 86_400 + 60
    svc.regions.clock = lambda: later
    store(api, alice, {"text": "a day later"})
    root = api.w.settings.data_dir / "details" / api.region
    kept = {p.stem for p in root.iterdir()}
    assert waiting[0][2:] in kept  # claimed: kept
    assert not any(w[2:] in kept for w in waiting[1:])  # never claimed: gone
    got = api.client.get(api.url(f"/details/{waiting[1]}"), headers=token(api, alice))
    problem(got, 403, "not-allowed")  # gone, and nobody's any more


def test_member_details_quota_in_bytes(tmp_path: Path) -> None:
    with database("sqlite", tmp_path) as url, \
            world(tmp_path, url, details_member_bytes=4000) as w, \
            TestClient(create_app(w.settings, w.regions)) as client:
        api = Api(client, w)
        alice = w.person()
        api.join(alice, "Alice")
        store(api, alice, {"text": "a" * 2500})
        salt, details = secrets.token_bytes(16), {"text": "b" * 2500, "files": []}
        r = client.put(api.url(f"/details/{details_hash(salt, details)}"),
                       headers=token(api, alice),
                       json={"salt": "0x" + salt.hex(), "details": details})
        problem(r, 409, "quota-exceeded")


@pytest.fixture
def real(tmp_path: Path) -> Iterator[Api]:
    """The API with the scrypt cost users get (no cheap test setting)."""
    with database("sqlite", tmp_path) as url, world(tmp_path, url, fast_kdf=False) as w, \
            TestClient(create_app(w.settings, w.regions)) as client:
        yield Api(client, w)


def managed(api: Api, passphrase: str = "うみ と やま と") -> str:
    from service.accounts import code_hash

    code = "umi-" + secrets.token_hex(8)
    api.post("/invitations", api.w.admin, "Invitation", codeHash=code_hash(code),
             expiresAt=int(time.time()) + 86400)
    r = api.client.post(api.url("/accounts"), json={"code": code, "displayName": "佐藤",
                                                    "passphrase": passphrase})
    assert r.status_code == 201, r.text
    return str(r.json()["address"])


def scrypt_calls(monkeypatch: Any) -> list[int]:
    """The ``n`` of every scrypt the service runs from now on (passphrases, sealing)."""
    import hashlib

    from ledger import keystore

    calls: list[int] = []
    real_scrypt, real_seal = hashlib.scrypt, keystore.seal

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(int(kwargs["n"]))
        return real_scrypt(*args, **kwargs)

    def sealed(*args: Any, **kwargs: Any) -> Any:
        calls.append(int(kwargs.get("n", 0)))
        return real_seal(*args, **kwargs)

    monkeypatch.setattr(hashlib, "scrypt", counted)
    monkeypatch.setattr(keystore, "seal", sealed)
    return calls


def test_bug_login_cost_tells_known_accounts_from_unknown(real: Api, monkeypatch: Any) -> None:
    address = managed(real)
    calls = scrypt_calls(monkeypatch)
    answers = []
    for who in (address, "0x" + secrets.token_hex(20)):
        r = real.client.post(real.url("/accounts/login"),
                             json={"address": who, "passphrase": "wrong guess"})
        answers.append(problem(r, 401, "bad-login")["detail"])
    # the same work (one scrypt of the cost users get) whether the account exists or not
    assert calls == [calls[0], calls[0]] and calls[0] >= 2**15
    assert answers[0] == answers[1]


def test_bug_redemption_runs_scrypt_before_checking_the_code(real: Api,
                                                              monkeypatch: Any) -> None:
    calls = scrypt_calls(monkeypatch)
    r = real.client.post(real.url("/accounts"), json={
        "code": "guess-" + secrets.token_hex(4), "displayName": "x", "passphrase": "long enough"})
    problem(r, 409, "bad-invitation")
    assert calls == []


def test_bug_passphrase_guessing_without_limit_or_lockout(real: Api) -> None:
    passphrase = "うみ と やま と"
    address = managed(real, passphrase)
    url = real.url("/accounts/login")
    for _ in range(5):
        problem(real.client.post(url, json={"address": address, "passphrase": "guess!!!"}),
                401, "bad-login")
    locked = real.client.post(url, json={"address": address, "passphrase": passphrase},
                              headers={"Accept-Language": "ja"})
    body = problem(locked, 429, "rate-limited")  # even the right passphrase, while locked
    assert "秒待って" in body["detail"] and int(locked.headers["retry-after"]) > 0
    # per client address too: guessing across many accounts
    for _ in range(15):
        real.client.post(url, json={"address": "0x" + secrets.token_hex(20),
                                    "passphrase": "guess!!!"})
    problem(real.client.post(url, json={"address": "0x" + secrets.token_hex(20),
                                        "passphrase": "guess!!!"}), 429, "rate-limited")
    # the lock ends: the right passphrase signs in again
    svc = real.client.app.state.services  # type: ignore[attr-defined]
    later = svc.limits.clock() + 901
    svc.limits.clock = lambda: later
    r = real.client.post(url, json={"address": address, "passphrase": passphrase})
    assert r.status_code == 200 and r.headers["cache-control"] == "no-store", r.text


def test_invitation_codes_and_nonces_are_rate_limited(api: Api) -> None:
    for _ in range(10):
        r = api.client.post(api.url("/accounts"), json={
            "code": "guess-" + secrets.token_hex(4), "displayName": "x",
            "passphrase": "long enough"})
        problem(r, 409, "bad-invitation")
    r = api.client.post(api.url("/accounts"), json={
        "code": "guess-" + secrets.token_hex(4), "displayName": "x", "passphrase": "long enough"})
    problem(r, 429, "rate-limited")
    for _ in range(60):
        assert api.client.get("/v1/auth/nonce").status_code == 200
    problem(api.client.get("/v1/auth/nonce"), 429, "rate-limited")


def test_tokens_expire(api: Api) -> None:
    r = siwe(api, Account.create())
    tok, expires = r.json()["token"], r.json()["expiresAt"]
    auth = {"Authorization": f"Bearer {tok}"}
    assert api.client.get("/v1/auth/me", headers=auth).status_code == 200
    svc = api.client.app.state.services  # type: ignore[attr-defined]
    svc.auth.clock = lambda: expires + 1
    problem(api.client.get("/v1/auth/me", headers=auth), 401, "unauthenticated")
