"""A member without a wallet, on a phone (390×844), on a server with production
defaults (issue 12 §3–§5): no crypto words on any page she can reach, in Japanese or
English (the technical details only behind closed folds); a bottom bar, tap targets of
48 px, text of 16 px, no scroll box inside the page, a text size the device remembers,
and a time input that cannot mis-add; pending points, thanks with who and what they
said, notices with an unread count (and by e-mail through a real local SMTP server),
and a printable A4 certificate whose QR opens a receipt check that passes."""

from __future__ import annotations

import json
import re
import secrets
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import Actor, Server, start_server
from tests.browser.test_web_app import png, settle, wait_rendered
from tests.integration.service_fixtures import ZERO32, Person

pytestmark = [pytest.mark.browser]

PHONE = (390, 844)
PASSPHRASE = "umi to yama no shima"

#: Words a member without a wallet must not meet (issue 12 §3), outside closed folds.
FORBIDDEN = {
    "ja": [r"署名", r"鍵", r"EIP-?712", r"0x[0-9a-fA-F]{4,}", r"指紋", r"一回限りの番号",
           r"ルール\s*v\d", r"台帳の記録\s*#"],
    "en": [r"\bsign(s|ed|ing)?\b(?![\s-]*(in|out|ups?)\b)", r"\bsignatures?\b", r"\bkeys?\b",
           r"EIP-?712", r"0x[0-9a-fA-F]{4,}", r"fingerprint", r"\bnonce",
           r"\b(rule|policy)\s*v\d", r"ledger entry", r"entry\s*#\d"],
}

VISIBLE_TEXT = "() => document.body.innerText"

#: Interactive elements smaller than 48 px, text under 16 px, scroll boxes inside the
#: page, and whether anything sticks out sideways (a function over the page).
LAYOUT = "\n".join(line for line in (Path(__file__).parent / "phone_layout.js")
                   .read_text().splitlines() if not line.startswith("//"))


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.original_content,
                                                policy=policy.default))
        return "250 OK"


@pytest.fixture(scope="module")
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


@pytest.fixture(scope="module")
def server(browser_ready: None, tmp_path_factory: pytest.TempPathFactory,
           smtp: tuple[Inbox, int]) -> Iterator[Server]:
    """Production defaults (no lowered scrypt cost), an SMTP server to send notices to."""
    from ledger import eip712

    admin_key = secrets.token_bytes(32)
    smtp_env = {"KAKAWARI_SMTP_HOST": "127.0.0.1", "KAKAWARI_SMTP_PORT": str(smtp[1]),
                "KAKAWARI_SMTP_SECURITY": "none", "KAKAWARI_SMTP_FROM": "office@ama.example"}
    for srv in start_server(tmp_path_factory.mktemp("kakawari-plain"),
                            eip712.address_of(admin_key), extra_env=smtp_env):
        srv.admin_key = admin_key
        yield srv


def call(server: Server, method: str, path: str, body: Any = None,
         token: str | None = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    headers = {"Content-Type": "application/json", "Accept-Language": "ja"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    req = urllib.request.Request(server.url + path, data=data, method=method, headers=headers)
    with urllib.request.urlopen(req, timeout=60) as r:
        out = r.read()
    return json.loads(out) if out else None


def signed(server: Server, who: Person, path: str, type_: str, **fields: Any) -> Any:
    return call(server, "POST", f"/v1/regions/ama{path}", who.body(type_, **fields))


def check_words(actor: Actor, where: str, lang: str) -> None:
    text = actor.page.evaluate(VISIBLE_TEXT)
    for pattern in FORBIDDEN[lang]:
        found = re.search(pattern, text, flags=re.IGNORECASE if lang == "en" else 0)
        context = text[max(0, found.start() - 60):found.end() + 60] if found else ""
        assert found is None, f"{where} ({lang}) shows {found.group(0)!r}: …{context}…"


def check_layout(actor: Actor, where: str) -> None:
    got = actor.page.evaluate(LAYOUT)
    assert not got["small"], f"{where}: tap targets under 48 px: {got['small']}"
    assert not got["tiny"], f"{where}: text under 16 px: {got['tiny']}"
    assert not got["boxes"], f"{where}: scroll boxes inside the page: {got['boxes']}"
    assert not got["wrapped"], f"{where}: bottom-bar labels not on one line: {got['wrapped']}"
    assert got["wide"] <= 0, f"{where}: {got['wide']} px wider than the screen"


def open_page(actor: Actor, server: Server, route: str) -> None:
    actor.page.goto(f"{server.url}/?v={secrets.token_hex(4)}#/{route}")
    settle(actor)
    view = route.split("?")[0] or "home"
    actor.page.wait_for_selector(f"[data-view='{view}'][data-rendered=true]")


def confirm(actor: Actor, lang: str, where: str, expect: dict[str, str] | None = None) -> None:
    """The plain confirmation: its visible words checked, then 記録する."""
    dialog = actor.page.locator("#dialog")
    dialog.wait_for(state="visible")
    assert dialog.locator("h2").inner_text() == ("この内容で記録します" if lang == "ja"
                                                 else "This will be recorded")
    assert not dialog.locator("details.tech").get_attribute("open")
    check_words(actor, where, lang)
    for name, text in (expect or {}).items():
        assert text in dialog.locator(f"dd[data-field={name}]").inner_text()
    which = dialog.get_attribute("data-modal")
    dialog.locator("button[type=submit]").click()
    actor.page.wait_for_function(
        "n => { const d = document.getElementById('dialog');"
        " return !d.open || d.dataset.modal !== n; }", arg=which)


def test_a_member_without_a_wallet_on_a_phone(actors: Any, server: Server,
                                              smtp: tuple[Inbox, int], tmp_path: Path) -> None:
    from service.accounts import code_hash

    inbox, _ = smtp
    admin = Person("ama", key=server.admin_key)
    signed(server, admin, "/members", "Join", displayName="役場 まちづくり課")
    signed(server, admin, "/roles", "Role", member=admin.address, role="verifier", granted=True)
    code = "UMI" + secrets.token_hex(4).upper()
    signed(server, admin, "/invitations", "Invitation", codeHash=code_hash(code),
           expiresAt=int(time.time()) + 86400)
    joined = call(server, "POST", "/v1/regions/ama/accounts",
                  {"code": code, "displayName": "佐藤 ハナ", "passphrase": PASSPHRASE})
    hana_token, hana_address = joined["token"], joined["address"]

    hana = actors("hana", locale="ja-JP", viewport=PHONE)
    page = hana.page
    page.goto(server.url + "/")
    page.evaluate("s => localStorage.setItem('kakawari.session', JSON.stringify(s))",
                  {"token": hana_token, "address": hana_address, "managed": True,
                   "region": "ama", "expiresAt": joined["expiresAt"]})

    # -- home: the bottom bar, four places and the menu; no 監査 for a member -------------
    open_page(hana, server, "")
    bar = page.locator("#nav li:visible a")
    assert [bar.nth(i).get_attribute("data-place") for i in range(bar.count())] == [
        "home", "claim", "mine", "notices", "menu"]
    for i in range(bar.count()):
        box = bar.nth(i).bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE[0] and box["height"] >= 48
        assert box["y"] + box["height"] <= PHONE[1] + 1  # on screen, at the bottom
    assert page.locator("#nav a[data-place=audit]").count() == 0
    hana.shot("plain-01-home-ja-phone")

    # -- recording 90 minutes: one input, read back as 1時間30分 -------------------------
    open_page(hana, server, "claim")
    form = page.locator("form[data-form=claim]")
    form.locator("[data-field=title] input").fill("港の清掃")
    form.locator("[data-field=category] select").select_option("cleanup")
    minutes = form.locator("[data-field=minutes] input")
    assert minutes.input_value() == ""  # nothing pre-filled to add to
    minutes.fill("90")
    assert "1時間30分" in form.locator(".minutes-is").inner_text()
    form.locator("[data-field=photo] input").set_input_files(
        {"name": "harbour.png", "mimeType": "image/png", "buffer": png()})
    form.locator(".photo-preview img").wait_for()
    check_layout(hana, "claim form")
    hana.shot("plain-02-claim-ja-phone")
    form.locator("button[type=submit]").click()
    hana.shot("plain-03-confirm-ja-phone")
    confirm(hana, "ja", "the confirmation", {"minutes": "1時間30分", "title": "港の清掃"})
    page.wait_for_url(re.compile(r"#/mine\?new=0x[0-9a-f]{64}"))
    claim_id = page.url.split("new=")[1]
    wait_rendered(hana, "mine")
    assert call(server, "GET", f"/v1/regions/ama/claims/{claim_id}")["minutes"] == 90

    # -- pending: what it should earn, on the activity and the points page ---------------
    card = page.locator(f"article[data-claim='{claim_id}']")
    assert "承認されると約 20 ポイント" in card.inner_text()  # cleanup: 5 + 90 min × 10/h
    hana.shot("plain-04-mine-pending-ja-phone")
    open_page(hana, server, "points")
    assert "まだポイントはありません" not in page.inner_text("main")
    assert "約 20 ポイントが確認待ちです" in page.inner_text("[data-testid=points-pending]")
    hana.shot("plain-05-points-pending-ja-phone")

    # -- the office approves and thanks her, names her on an activity, posts a quest,
    #    and turns down a second activity of hers with a reason -------------------------
    signed(server, admin, f"/claims/{claim_id}/reviews", "Review", claim=claim_id, approve=True,
           reason="写真を確認しました")
    signed(server, admin, f"/claims/{claim_id}/endorsements", "Endorsement", claim=claim_id,
           amount=3, note="いつもありがとうございます")
    now = int(time.time())
    together = signed(server, admin, "/claims", "Claim", category="festival", title="盆踊りの準備",
                      minutes=120, occurredAt=now - 3600, quest=ZERO32,
                      coContributors=[hana_address], detailsHash=ZERO32)["id"]
    solo = signed(server, admin, "/claims", "Claim", category="promotion", title="町の広報紙",
                  minutes=60, occurredAt=now - 3600, quest=ZERO32, coContributors=[],
                  detailsHash=ZERO32)["id"]
    signed(server, admin, "/quests", "Quest", title="花壇の水やり", category="farming", points=5,
           opensAt=now - 60, closesAt=now + 86400, detailsHash=ZERO32)
    other = call(server, "POST", "/v1/regions/ama/managed/Claim", {"fields": {
        "category": "other", "title": "自宅の片付け", "minutes": 30, "occurredAt": now - 3600,
        "quest": ZERO32, "coContributors": [], "detailsHash": ZERO32}}, token=hana_token)["id"]
    signed(server, admin, f"/claims/{other}/reviews", "Review", claim=other, approve=False,
           reason="地域のための活動ではないようです")

    # -- notices: an unread count on the bar, the list, then read ------------------------
    open_page(hana, server, "")
    assert page.locator("#nav [data-testid=unread]").inner_text() == "5"
    hana.shot("plain-06-home-unread-ja-phone")
    page.locator("#nav a[data-place=notices]").click()
    wait_rendered(hana, "notices")
    notices = page.locator("[data-testid=notices]").inner_text()
    for words in ("「港の清掃」が承認されました（20 ポイント）",
                  "役場 まちづくり課 さんから「港の清掃」にありがとう（3）",
                  "いつもありがとうございます",
                  "「自宅の片付け」は承認されませんでした", "地域のための活動ではないようです",
                  "役場 まちづくり課 さんが「盆踊りの準備」を"
                  "あなたと一緒にした活動として記録しました",
                  "新しいクエスト「花壇の水やり」"):
        assert words in notices, (words, notices)
    hana.shot("plain-07-notices-ja-phone")
    settle(hana)
    assert page.locator("#nav [data-testid=unread]").count() == 0
    open_page(hana, server, "")
    assert page.locator("#nav [data-testid=unread]").count() == 0

    # -- her address for notices by e-mail (kept off the log), and one arrives -----------
    open_page(hana, server, "notices")
    mail = page.locator("form[data-form=mail]")
    address = f"hana-{secrets.token_hex(3)}@example.jp"
    mail.locator("input[type=email]").fill(address)
    mail.locator("button[type=submit]").click()
    page.wait_for_selector(f"[data-testid=mail-status]:has-text('{address}')")
    hana.shot("plain-08-notices-mail-ja-phone")
    signed(server, admin, f"/claims/{claim_id}/endorsements", "Endorsement", claim=claim_id,
           amount=1, note="またよろしくお願いします")
    deadline = time.monotonic() + 30
    while not any(m["To"] == address for m in inbox.messages) and time.monotonic() < deadline:
        time.sleep(0.1)
    mails = [m for m in inbox.messages if m["To"] == address]
    assert mails, "no notice e-mail arrived"
    assert "またよろしくお願いします" in mails[0].get_content()
    log = call(server, "GET", "/v1/regions/ama/entries?start=0&limit=1000")["entries"]
    assert not any("example.jp" in e["entry"] for e in log)

    # -- thanks on her activity say who and what; the certificate prints on one A4 page --
    open_page(hana, server, f"mine?new={claim_id}")
    card = page.locator(f"article[data-claim='{claim_id}'][data-status=approved]")
    thanks = card.locator("[data-testid=thanks]").inner_text()
    assert "役場 まちづくり課 さんからのありがとう (3)" in thanks
    assert "「いつもありがとうございます」" in thanks
    hana.shot("plain-09-mine-approved-ja-phone")
    card.locator("a[data-action=certificate]").click()
    wait_rendered(hana, "certificate")
    cert = page.locator("[data-testid=certificate]")
    text = cert.inner_text()
    for words in ("活動証明書", "Certificate of contribution", "佐藤 ハナ", "港の清掃", "海士町",
                  "1時間30分", "1 h 30 min"):
        assert words in text, (words, text)
    assert cert.locator("[data-testid=cert-points]").inner_text() == "20"
    number = call(server, "GET", f"/v1/regions/ama/members/{hana_address}")["number"]
    assert re.fullmatch(r"AMA-\d{4}", number)
    assert cert.locator("[data-testid=cert-name]").inner_text() == f"佐藤 ハナ（{number}）"
    page.wait_for_function(
        "() => document.querySelector('[data-testid=cert-qr]').naturalWidth > 0")
    hana.shot("plain-10-certificate-ja-phone")
    page.emulate_media(media="print")
    pdf = page.pdf(format="A4", print_background=True, prefer_css_page_size=True)
    page.emulate_media(media="screen")
    (tmp_path / "certificate.pdf").write_bytes(pdf)
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) == 1, "the certificate is not one page"
    boxes = re.findall(rb"/MediaBox\s*\[([^\]]*)\]", pdf)
    assert boxes and all([round(float(v)) for v in b.split()] == [0, 0, 595, 842]
                         for b in boxes), f"not A4: {boxes}"
    from service.api.certificate_routes import check_link

    # the QR's link: a stranger's browser checks the receipt against the signed record
    stranger = actors("stranger", locale="ja-JP", viewport=PHONE)
    stranger.page.goto(check_link(server.url, "ama", claim_id, hana_address))
    settle(stranger)
    stranger.page.wait_for_selector("[data-view=check][data-rendered=true]")
    for line in ("check-signature", "check-inclusion", "check-recognised"):
        assert stranger.page.get_attribute(f"[data-testid={line}]", "data-ok") == "true", line
    summary = stranger.page.inner_text("[data-testid=check-summary]")
    assert "佐藤 ハナ さんの「港の清掃」は地域の記録に含まれています" in summary
    stranger.shot("plain-11-receipt-check-ja-phone")
    # what she saw before she joined: the welcome page, in plain words too
    for lang in ("ja", "en"):
        stranger.page.evaluate("l => localStorage.setItem('kakawari.lang', l)", lang)
        open_page(stranger, server, "")
        check_words(stranger, "the welcome page", lang)
        check_layout(stranger, "the welcome page")

    # -- after thanking, the activity shows that she did ---------------------------------
    open_page(hana, server, "endorse")
    other_card = page.locator(f"article[data-claim='{solo}']")
    other_card.locator("[data-field=note] input").fill("広報紙、読みました")
    other_card.locator("button[type=submit]").click()
    confirm(hana, "ja", "the thanks confirmation", {"note": "広報紙、読みました"})
    wait_rendered(hana, "endorse")
    done = page.locator(f"article[data-claim='{solo}'] [data-testid=you-thanked]").inner_text()
    assert "この活動にありがとうを送りました" in done and "広報紙、読みました" in done
    hana.shot("plain-12-endorse-thanked-ja-phone")
    # and confirming the shared activity is one plain confirmation too
    open_page(hana, server, "mine")
    page.get_by_role("button", name="はい、参加しました").click()
    confirm(hana, "ja", "the confirmation of a shared activity", {"claim": "盆踊りの準備"})
    page.wait_for_selector("text=確認しました。ありがとうございます！")
    assert together

    # -- every page she can reach, in both languages: plain words, phone layout ----------
    for lang in ("ja", "en"):
        page.evaluate("l => localStorage.setItem('kakawari.lang', l)", lang)
        open_page(hana, server, "menu")
        places = page.locator(".menu-list a")
        routes = [places.nth(i).get_attribute("href").removeprefix("#/")
                  for i in range(places.count())]
        assert "audit" not in routes and "admin" not in routes and "review" not in routes
        assert {"", "claim", "mine", "notices", "endorse", "quests", "points",
                "connections"} <= set(routes), routes
        for route in [*routes, "menu", f"mine?new={claim_id}", f"certificate?claim={claim_id}",
                      "notices?region=ama"]:  # the link in a notice e-mail
            open_page(hana, server, route)
            where = f"#/{route}"
            check_words(hana, where, lang)
            check_layout(hana, where)
            for fold in page.locator("details").all():
                assert fold.get_attribute("open") is None, f"{where}: a fold is open"
        # the quest calendar: seven days across the phone, each a 48 px tap target (the
        # quest posted above is on today's)
        open_page(hana, server, "quests?show=calendar")
        assert page.locator(".cal-day.has").count() >= 1
        days = page.locator(".cal-day:not(.blank)")
        assert days.count() >= 28
        sizes = [days.nth(i).bounding_box() for i in range(days.count())]
        assert min(b["width"] for b in sizes) >= 48, [round(b["width"], 1) for b in sizes]
        assert min(b["height"] for b in sizes) >= 48, [round(b["height"], 1) for b in sizes]
        check_layout(hana, f"the quest calendar ({lang})")
        check_words(hana, "the quest calendar", lang)
        # the bottom bar: every label on one line, inside its place
        labels = page.locator("#nav li:visible .nav-label")
        assert labels.count() == 5
        for i in range(labels.count()):
            label = labels.nth(i)
            assert label.evaluate(
                "el => { const r = document.createRange(); r.selectNodeContents(el);"
                " return new Set([...r.getClientRects()].filter(b => b.width > 0)"
                ".map(b => Math.round(b.top))).size; }") == 1, label.inner_text()
        # the confirmation in this language too, and what cancelling it says
        open_page(hana, server, "claim")
        form = page.locator("form[data-form=claim]")
        form.locator("[data-field=title] input").fill("Watered the flower beds")
        form.locator("button.preset[data-minutes='30']").click()
        form.locator("button[type=submit]").click()
        dialog = page.locator("#dialog")
        dialog.wait_for(state="visible")
        check_words(hana, f"the confirmation ({lang})", lang)
        assert "30" in dialog.locator("dd[data-field=minutes]").inner_text()
        dialog.locator("button.secondary").click()
        cancelled = form.locator(".form-error")
        cancelled.wait_for()
        assert cancelled.inner_text().startswith(
            "記録しませんでした" if lang == "ja" else "Not recorded")
        check_words(hana, f"a cancelled confirmation ({lang})", lang)
        hana.shot(f"plain-13-menu-{lang}-phone")
    page.evaluate("localStorage.setItem('kakawari.lang', 'ja')")

    # -- the text size, remembered on this device ----------------------------------------
    open_page(hana, server, "menu")
    root_size = "() => getComputedStyle(document.documentElement).fontSize"
    assert page.evaluate(root_size) == "17px"
    page.locator("[data-setting=text-size] label", has_text="とても大きい").click()
    assert page.evaluate(root_size) == "23px"
    page.reload()
    settle(hana)
    assert page.evaluate(root_size) == "23px"
    open_page(hana, server, "claim")
    check_layout(hana, "claim form, largest text")
    open_page(hana, server, "quests?show=calendar")
    check_layout(hana, "the quest calendar, largest text")
    hana.shot("plain-14-claim-largest-text-ja-phone")
    open_page(hana, server, "menu")
    page.locator("[data-setting=text-size] label", has_text="標準").click()
    assert page.evaluate(root_size) == "17px"

    hana.check_clean()
    stranger.check_clean()


def _join_office(server: Server) -> Person:
    """The region's admin as a member (once per server)."""
    admin = Person("ama", key=server.admin_key)
    try:
        signed(server, admin, "/members", "Join", displayName="役場 まちづくり課")
    except urllib.error.HTTPError as e:
        assert json.loads(e.read())["code"] == "already-member"
    return admin


def _answer(status: int, problem: dict[str, Any]) -> Any:
    """A route handler that answers with ``problem`` (one argument: Playwright passes
    the request too to a handler that takes two)."""
    body = json.dumps(problem)
    return lambda route: route.fulfill(status=status, headers={"Retry-After": "2"},
                                       content_type="application/problem+json", body=body)


def test_sign_in_and_refusals_in_plain_words(actors: Any, server: Server) -> None:
    """The sign-in page as a member without a wallet sees it, and what she reads when
    something goes wrong (a wrong passphrase, the service busy, a refused record): plain
    words in Japanese and English, the wallet's way in behind a closed fold. Every refusal
    the app has words for is plain for her, and unchanged for a wallet user."""
    from service.accounts import code_hash
    from service.domain.errors import DomainError

    admin = _join_office(server)
    code = "YAMA" + secrets.token_hex(4).upper()
    signed(server, admin, "/invitations", "Invitation", codeHash=code_hash(code),
           expiresAt=int(time.time()) + 86400)
    joined = call(server, "POST", "/v1/regions/ama/accounts",
                  {"code": code, "displayName": "山田 タロウ", "passphrase": PASSPHRASE})
    number = call(server, "GET", f"/v1/regions/ama/members/{joined['address']}")["number"]

    taro = actors("taro", locale="ja-JP", viewport=PHONE)  # no wallet in this browser
    page = taro.page
    page.goto(server.url + "/")
    page.evaluate("n => localStorage.setItem('kakawari.memberNumber', n)", number)
    now = int(time.time())
    for lang in ("ja", "en"):
        page.evaluate("l => localStorage.setItem('kakawari.lang', l)", lang)
        # -- the sign-in page, her member number remembered on this device -------------
        open_page(taro, server, "signin")
        login = page.locator("form[data-form=login]")
        assert login.locator("[data-field=member] input").input_value() == number
        fold = page.locator("[data-card=wallet] details")
        assert fold.get_attribute("open") is None
        check_words(taro, f"the sign-in page ({lang})", lang)
        check_layout(taro, f"the sign-in page ({lang})")
        taro.shot(f"plain-20-signin-{lang}-phone")
        open_page(taro, server, "recover")
        check_words(taro, f"the recovery page ({lang})", lang)

        # -- a wrong passphrase ---------------------------------------------------------
        open_page(taro, server, "signin")
        login = page.locator("form[data-form=login]")
        login.locator("[data-field=passphrase] input[name=passphrase]").fill("not my passphrase")
        with taro.expecting_refusal():
            login.locator("button[type=submit]").click()
            login.locator("[data-field=passphrase] .field-error:not([hidden])").wait_for()
        assert ("会員番号か合言葉が違います" if lang == "ja"
                else "member number or passphrase is not right") in login.inner_text()
        check_words(taro, f"a wrong passphrase ({lang})", lang)
        taro.shot(f"plain-21-wrong-passphrase-{lang}-phone")

        # -- the service busy: the answer a locked database gives (503, Retry-After) -----
        title, detail = DomainError("busy").text(lang)
        busy = {"type": "urn:kakawari:problem:busy", "title": title, "status": 503,
                "detail": detail, "code": "busy"}
        page.route("**/accounts/login", _answer(503, busy))
        login.locator("[data-field=passphrase] input[name=passphrase]").fill(PASSPHRASE)
        with taro.expecting_refusal():
            login.locator("button[type=submit]").click()
            page.wait_for_selector("form[data-form=login] .form-error:not([hidden])")
        page.unroute("**/accounts/login")
        assert ("混み合っています" if lang == "ja" else "The service is busy") in login.inner_text()
        check_words(taro, f"the service busy ({lang})", lang)
        taro.shot(f"plain-22-busy-{lang}-phone")

        # -- signed in; a record refused: the quest she chose closed meanwhile ----------
        login.locator("button[type=submit]").click()
        page.wait_for_selector("[data-view=home][data-rendered=true]")
        quest = signed(server, admin, "/quests", "Quest", title=f"浜の見回り {lang}",
                       category="cleanup", points=5, opensAt=now - 60, closesAt=now + 86400,
                       detailsHash=ZERO32)["id"]
        open_page(taro, server, f"claim?quest={quest}")
        form = page.locator("form[data-form=claim]")
        form.locator("[data-field=title] input").fill("浜を見回りました")
        form.locator("button.preset[data-minutes='30']").click()
        signed(server, admin, f"/quests/{quest}/closure", "QuestClosure", quest=quest,
               reason="雨天中止")
        form.locator("button[type=submit]").click()
        with taro.expecting_refusal():
            confirm(taro, lang, f"the confirmation ({lang})")
            form.locator(".form-error:not([hidden])").wait_for()
        assert ("いまは受け付けていません" if lang == "ja" else "Not taking part now") in \
            form.inner_text()
        check_words(taro, f"a refused record ({lang})", lang)
        taro.shot(f"plain-23-refused-{lang}-phone")
        page.locator("#top .who button.link").click()  # sign out
        page.wait_for_selector("[data-view=home][data-rendered=true]")

    # -- every refusal the app has words for: plain for her, exact for a wallet ---------
    texts = page.evaluate("""async () => {
      const i18n = await import('/static/js/i18n.js');
      const saved = i18n.lang(), out = {};
      for (const l of ['ja', 'en']) {
        i18n.setLang(l);
        for (const mode of [true, false]) {
          i18n.setPlain(mode);
          for (const code of i18n.problemCodes())
            out[`${l} ${mode ? 'plain' : 'wallet'} ${code}`] = i18n.problemText(code, {}).join(' ');
        }
      }
      i18n.setLang(saved);
      i18n.setPlain(true);
      return out;
    }""")
    assert len(texts) > 4 * 60
    for key, words in texts.items():
        lang, mode, code = key.split(" ")
        if mode != "plain":
            continue
        for pattern in FORBIDDEN[lang]:
            found = re.search(pattern, words, flags=re.IGNORECASE if lang == "en" else 0)
            assert found is None, f"{code} ({lang}) says {found.group(0)!r}: {words}"
    assert "署名" in texts["ja wallet bad-signature"]  # a wallet user reads what happened
    assert "signed" in texts["en wallet bad-signature"]
    taro.check_clean()
