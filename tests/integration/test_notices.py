"""Notices (issue 12 §5): what happened to a member, with an unread count, read off the
projections; and the same notices by e-mail through a real local SMTP server
(aiosmtpd), to members who gave an address — which never goes into the log."""

from __future__ import annotations

import secrets
import socket
import time
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from fastapi.testclient import TestClient

from service.api.app import create_app
from service.mail import compose, notices_link
from tests.integration.databases import SQL_ENGINES
from tests.integration.service_fixtures import ZERO32, Person, database, world
from tests.integration.test_api import Api, grant, setup_people
from tests.integration.test_api_wallets import siwe_token


class Inbox:
    """Messages a real SMTP server (aiosmtpd) received."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        msg = message_from_bytes(envelope.original_content, policy=policy.default)
        assert isinstance(msg, EmailMessage)
        self.messages.append(msg)
        return "250 OK"

    def wait_for(self, to: str, count: int = 1, timeout: float = 20.0) -> list[EmailMessage]:
        deadline = time.monotonic() + timeout
        while True:
            got = [m for m in self.messages if m["To"] == to]
            if len(got) >= count or time.monotonic() > deadline:
                return got
            time.sleep(0.05)


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    from aiosmtpd.controller import Controller

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


@pytest.fixture(params=SQL_ENGINES)
def mailing_api(request: pytest.FixtureRequest, tmp_path: Path,
                smtp: tuple[Inbox, int]) -> Iterator[Api]:
    _, port = smtp
    with database(request.param, tmp_path) as url, world(
            tmp_path, url, smtp_host="127.0.0.1", smtp_port=port, smtp_security="none",
            smtp_from="office@ama.example") as w:
        app = create_app(w.settings, w.regions)
        with TestClient(app, base_url="http://kakawari.test") as client:
            yield Api(client, w)


def auth(api: Api, who: Person) -> dict[str, str]:
    return {"Authorization": f"Bearer {siwe_token(api, Account.from_key(who.key))}"}


def claim(api: Api, who: Person, title: str, others: tuple[Person, ...] = ()) -> str:
    out = api.post("/claims", who, "Claim", category="cleanup", title=title, minutes=90,
                   occurredAt=int(time.time()) - 3600, quest=ZERO32,
                   coContributors=[o.address for o in others], detailsHash=ZERO32)
    return str(out["id"])


def test_notices_and_their_emails(mailing_api: Api, smtp: tuple[Inbox, int]) -> None:
    api, (inbox, _) = mailing_api, smtp
    alice, bob, vera = setup_people(api, 3)
    grant(api, vera)
    a_auth, b_auth = auth(api, alice), auth(api, bob)
    address = f"alice-{secrets.token_hex(3)}@example.jp"

    # an address that is not one, and a sign-in that is not a member's, are refused
    bad = api.client.put(api.url("/contact"), json={"email": "not an address"}, headers=a_auth)
    assert bad.status_code == 400 and bad.json()["code"] == "bad-email"
    stranger = auth(api, api.w.person())
    assert api.client.get(api.url("/notices"), headers=stranger).status_code == 403
    assert api.client.get(api.url("/notices")).status_code == 401

    put = api.client.put(api.url("/contact"), json={"email": address, "lang": "ja"},
                         headers=a_auth)
    assert put.status_code == 200, put.text
    assert put.json() == {"email": address, "lang": "ja", "mailing": True}

    # what happens to Alice (and Bob)
    shared = claim(api, alice, "海岸清掃", (bob,))
    refused = claim(api, alice, "自宅の庭掃除")
    api.post(f"/claims/{shared}/confirmations", bob, "Confirmation", claim=shared)
    api.post(f"/claims/{shared}/endorsements", vera, "Endorsement", claim=shared, amount=2,
             note="おつかれさま！")
    # while pending, an activity says what it should earn (cleanup: 5 + 90 min × 10/h)
    assert api.get(f"/claims/{shared}")["expectedPoints"] == 5 + 15
    listed = api.get("/claims", member=alice.address)["items"]
    assert {c["id"]: c["expectedPoints"] for c in listed} == {shared: 20, refused: 20}
    api.post(f"/claims/{shared}/reviews", vera, "Review", claim=shared, approve=True,
             reason="写真を確認")
    decided = api.get(f"/claims/{shared}")
    assert decided["points"] == 20 and decided["expectedPoints"] is None
    api.post(f"/claims/{refused}/reviews", vera, "Review", claim=refused, approve=False,
             reason="地域の活動ではありません")
    now = int(time.time())
    api.post("/quests", api.w.admin, "Quest", title="港の花壇づくり", category="cleanup",
             points=10, opensAt=now - 60, closesAt=now + 86400, detailsHash=ZERO32)

    got = api.client.get(api.url("/notices"), headers=a_auth).json()
    kinds = [n["kind"] for n in got["items"]]
    assert kinds == ["quest", "rejected", "approved", "thanked"], kinds
    assert got["unread"] == 4 and got["readSeq"] == -1
    by_kind = {n["kind"]: n for n in got["items"]}
    assert by_kind["rejected"]["reason"] == "地域の活動ではありません"
    assert by_kind["rejected"]["byName"] == "Person 2"
    assert by_kind["rejected"]["title"] == "自宅の庭掃除"
    assert by_kind["thanked"]["note"] == "おつかれさま！" and by_kind["thanked"]["amount"] == 2
    assert by_kind["thanked"]["byName"] == "Person 2"
    assert by_kind["thanked"]["by"] == vera.address
    assert by_kind["approved"]["points"] == 5 + 15 and by_kind["approved"]["claim"] == shared
    assert by_kind["quest"]["title"] == "港の花壇づくり" and by_kind["quest"]["points"] == 10

    bobs = api.client.get(api.url("/notices"), headers=b_auth).json()["items"]
    confirm = next(n for n in bobs if n["kind"] == "confirm")
    assert confirm["claim"] == shared and confirm["done"] is True
    assert confirm["byName"] == "Person 0"
    assert "approved" in [n["kind"] for n in bobs]  # his confirmed share was recognised

    # reading them clears the count, for her only
    read = api.client.post(api.url("/notices/read"), json={}, headers=a_auth).json()
    assert read["unread"] == 0 and all(n["read"] for n in read["items"])
    assert api.client.get(api.url("/notices"), headers=b_auth).json()["unread"] > 0

    # the same notices reached her by e-mail, in Japanese; Bob gave no address
    text = ""
    deadline = time.monotonic() + 20
    wanted = ("地域の活動ではありません", "おつかれさま！", "港の花壇づくり", "承認されました")
    while not all(w in text for w in wanted) and time.monotonic() < deadline:
        text = "\n".join(m.get_content() for m in inbox.wait_for(address, timeout=0.2))
    assert "地域の活動ではありません" in text and "Person 2" in text
    assert "Person 2 さんから「海岸清掃」にありがとう（2）：おつかれさま！" in text
    assert "「海岸清掃」が承認されました（20 ポイント）" in text
    assert "港の花壇づくり" in text
    # and a link back to her notices in the app, at the server's public origin
    assert "アプリで見る：http://kakawari.test/#/notices?region=ama" in text
    mails = inbox.wait_for(address)
    assert all("office@ama.example" in m["From"] for m in mails)
    assert "【かかわり】" in mails[0]["Subject"]
    assert {m["To"] for m in inbox.messages} == {address}
    # each notice once, however many rounds ran
    assert text.count("地域の活動ではありません") == 1
    mailer = api.client.app.state.services.mailer  # type: ignore[attr-defined]
    assert mailer.run_once() == 0 and len(inbox.wait_for(address, timeout=0)) == len(mails)

    # nothing about her e-mail went into the log
    entries = api.get("/entries", start=0, limit=1000)["entries"]
    assert entries and not any(address.split("@")[0] in e["entry"] for e in entries)
    assert not any("example.jp" in e["entry"] for e in entries)

    # she can take the address back: no more e-mail
    gone = api.client.delete(api.url("/contact"), headers=a_auth)
    assert gone.json()["email"] is None
    assert api.client.get(api.url("/contact"), headers=a_auth).json()["email"] is None


def test_notice_email_in_english_lists_every_kind() -> None:
    notes = [
        {"seq": 3, "kind": "confirm", "title": "Dune walk", "byName": "Ken"},
        {"seq": 4, "kind": "approved", "title": "Dune walk", "points": 20},
        {"seq": 5, "kind": "rejected", "title": "Garden", "byName": "Vera", "reason": "private"},
        {"seq": 6, "kind": "thanked", "title": "Dune walk", "byName": "Bob", "amount": 2,
         "note": "Thanks!"},
        {"seq": 7, "kind": "quest", "title": "Harbour flowers", "points": 10},
    ]
    msg = compose(notes, lang="en", name="Alice", region_name="Ama", sender="a@b.jp",
                  to="alice@example.jp")
    body = msg.get_content()
    assert msg["Subject"] == "Kakawari: 5 new notice(s) from Ama"
    for fragment in ("Ken recorded \"Dune walk\"", "\"Dune walk\" was approved (20 points)",
                     "Reason: private (Vera)", "Bob thanked you for \"Dune walk\" (2): Thanks!",
                     "New quest: \"Harbour flowers\" (+10 bonus points)"):
        assert fragment in body
    # a server that knows no public address has no link to give
    assert notices_link([], "ama") is None and "http" not in body
    link = notices_link(["https://kakawari.example.jp/", "https://other.example"], "ama")
    assert link == "https://kakawari.example.jp/#/notices?region=ama"
    linked = compose(notes, lang="en", name="Alice", region_name="Ama", sender="a@b.jp",
                     to="alice@example.jp", link=link).get_content()
    assert f"See them in the app: {link}" in linked


def test_certificate_qr_is_an_svg_of_the_receipt_check(mailing_api: Api) -> None:
    api = mailing_api
    (alice,) = setup_people(api, 1)
    shared = claim(api, alice, "海岸清掃")
    r = api.client.get(api.url(f"/claims/{shared}/qr.svg"), params={"member": alice.address})
    assert r.status_code == 200 and r.headers["content-type"].startswith("image/svg+xml")
    assert r.text.lstrip().startswith("<svg") and "<path" in r.text
    missing = api.client.get(api.url(f"/claims/0x{'ab' * 32}/qr.svg"),
                             params={"member": alice.address})
    assert missing.status_code == 404
    from service.api.certificate_routes import check_link

    assert check_link("http://kakawari.test/", "ama", shared, alice.address) == (
        f"http://kakawari.test/#/check?region=ama&claim={shared}&member={alice.address}")
