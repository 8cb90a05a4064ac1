"""Issue 12's "done when", on a phone in Japanese, on the production defaults: a resident
without a wallet opens the link of her invitation card (its QR code), joins, records a
90-minute activity with a photo, sees it pending, gets it approved, reads the thanks and
the notice, opens her certificate, then signs in on a fresh browser with her member
number and passphrase, and once through a recovery code.

Each step leaves a screenshot in test-artifacts/ (``w…``). Every tap and typed character
from opening the link to the recorded activity is counted (:class:`Effort`) and written
to test-artifacts/walletless-effort.json.
"""

from __future__ import annotations

import json
import re
import secrets
import time
import urllib.request
from dataclasses import dataclass, field
from typing import Any

import pytest

from ledger import eip712
from ledger.messages import MESSAGE_TYPES
from tests.browser.conftest import ARTIFACTS, Server
from tests.browser.test_web_app import open_view, png, sign, wait_rendered, wallet_sign_in_and_join

pytestmark = pytest.mark.browser

PHONE = (390, 844)
NAME = "佐藤 ハナ"
PASSPHRASE = "うみ と やま の しま"
NEW_PASSPHRASE = "あたらしい あいことば"
#: The issue's goal, from opening the link to a recorded activity.
MAX_TAPS, MAX_TYPED = 10, 25


@dataclass
class Effort:
    """What a person does on the page, counted: taps, and characters typed (her name
    and passphrase apart, which nothing can spare her)."""

    page: Any
    taps: int = 0
    typed: int = 0
    typed_name_and_passphrase: int = 0
    steps: list[str] = field(default_factory=list)

    def tap(self, locator: Any, why: str) -> None:
        locator.click()
        self.taps += 1
        self.steps.append(f"tap: {why}")

    def type(self, locator: Any, text: str, why: str, *, own: bool = False) -> None:
        """Tap into the field (unless the page put her there) and type ``text``
        (``own``: her name or passphrase)."""
        if locator.evaluate("el => el !== document.activeElement"):
            self.tap(locator, f"into {why}")
        locator.fill(text)
        if own:
            self.typed_name_and_passphrase += len(text)
        else:
            self.typed += len(text)
        self.steps.append(f"type {len(text)}: {why}")

    def choose(self, select: Any, value: str, why: str) -> None:
        select.select_option(value)
        self.taps += 2  # open the list, pick one
        self.steps.append(f"tap 2: choose {why}")

    def pick_photo(self, file_input: Any, photo: bytes) -> None:
        file_input.set_input_files({"name": "hama.png", "mimeType": "image/png",
                                    "buffer": photo})
        self.taps += 2  # the photo button, then the photo in the phone's gallery
        self.steps.append("tap 2: a photo")


def post_signed(server: Server, key: bytes, type_: str, path: str, **fields: Any) -> Any:
    """What an admin's script does: sign ``type_`` with ``key`` and post it."""
    mtype = MESSAGE_TYPES[type_]
    message = eip712.normalize_message(mtype, {
        "region": server.region, "nonce": secrets.randbits(53), "issuedAt": int(time.time()),
        mtype.signer_field: eip712.address_of(key), **fields})
    body = {"message": message,
            "signature": eip712.sign_message(key, eip712.Domain(31337), mtype, message)}
    request = urllib.request.Request(
        f"{server.url}/v1/regions/{server.region}{path}", data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(request, timeout=30) as r:
        return json.loads(r.read())


def login_api(server: Server, member: str, passphrase: str) -> int:
    request = urllib.request.Request(
        f"{server.url}/v1/regions/{server.region}/accounts/login",
        data=json.dumps({"member": member, "passphrase": passphrase}).encode(),
        headers={"Content-Type": "application/json"}, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as r:
            return int(r.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def fill_time(effort: Effort, form: Any, minutes: int) -> None:
    """Time spent, however the form asks for it (one minutes field, or hours + minutes
    with the hour pre-filled)."""
    inputs = form.locator("[data-field=minutes] input")
    if inputs.count() == 1:
        effort.type(inputs.first, str(minutes), "time spent (minutes)")
        return
    hours, rest = divmod(minutes, 60)
    if inputs.nth(0).input_value() != str(hours):
        effort.type(inputs.nth(0), str(hours), "time spent (hours)")
    effort.type(inputs.nth(1), str(rest), "time spent (minutes)")


def test_a_resident_joins_from_her_card_and_comes_back_on_another_phone(
        actors: Any, server: Server) -> None:
    office = actors("office", key=server.admin_key)

    # -- the office prints Hana's invitation card ---------------------------------------
    wallet_sign_in_and_join(office, server, "海士町 事務局", resident=True)
    open_view(office, server, "admin?tab=invites")
    invite = office.page.locator("form[data-form=invite]")
    invite.locator("[data-field=label] input").fill("佐藤 ハナさん（港の近く）")
    invite.locator("button[type=submit]").click()
    sign(office)
    made = office.page.locator("[data-testid=invitation-card]")
    made.wait_for()
    assert "佐藤 ハナさん（港の近く）" in made.inner_text()
    assert made.locator("img.qr").is_visible()
    link = office.page.locator("[data-testid=invitation-link]").inner_text().strip()
    code = office.page.locator("[data-testid=invitation-code]").inner_text().strip()
    assert link == f"{server.url}/#/signin?region=ama&code={code}"
    office.shot("w01-office-invitation-card")

    # -- Hana opens the link of the QR code on her phone and joins ----------------------
    hana = actors("hana", locale="ja-JP", viewport=PHONE)
    page = hana.page
    effort = Effort(page)
    page.goto(link)
    wait_rendered(hana, "signin")
    redeem = page.locator("form[data-form=redeem]")
    assert code in page.locator("[data-testid=code-from-link]").inner_text()
    assert not redeem.locator("[data-field=code]").is_visible()  # nothing to type
    effort.type(redeem.get_by_label("お名前（ほかの人に表示されます）"), NAME, "her name",
                own=True)
    effort.type(redeem.get_by_label("合言葉（パスフレーズ）"), PASSPHRASE, "her passphrase",
                own=True)
    redeem.get_by_label("合言葉を表示する").click()  # optional: not counted
    assert redeem.get_by_label("合言葉（パスフレーズ）").get_attribute("type") == "text"
    hana.shot("w02-join-from-card-ja-phone")
    effort.tap(redeem.get_by_role("button", name="このコードで参加する"), "join")
    page.wait_for_selector(f"text=こんにちは、{NAME} さん")
    wait_rendered(hana, "home")
    number = page.locator("[data-testid=home-member-number]").inner_text().strip()
    assert re.fullmatch(r"AMA-\d{4}", number), number
    hana.shot("w03-home-member-number-ja-phone")

    # -- she records 90 minutes of beach cleaning with a photo ---------------------------
    effort.tap(page.locator("a[href='#/claim']").first, "record an activity")
    wait_rendered(hana, "claim")
    form = page.locator("form[data-form=claim]")
    effort.type(form.locator("[data-field=title] input"), "浜の清掃", "what she did")
    effort.choose(form.locator("[data-field=category] select"), "cleanup", "the kind")
    fill_time(effort, form, 90)
    effort.pick_photo(form.locator("[data-field=photo] input"), png())
    form.locator(".photo-preview img").wait_for()
    hana.shot("w04-record-activity-ja-phone")
    effort.tap(form.locator("button[type=submit]"), "record")
    dialog = page.locator("#dialog")
    dialog.wait_for(state="visible")
    hana.shot("w05-confirm-ja-phone")
    effort.tap(dialog.locator("button[type=submit]"), "confirm")
    page.wait_for_url(re.compile(r"#/mine\?new=0x[0-9a-f]{64}"))
    claim_id = page.url.split("new=")[1]
    wait_rendered(hana, "mine")
    recorded = page.locator(f"article[data-claim='{claim_id}']")
    assert recorded.get_attribute("data-status") == "pending"
    # cleanup: 5 + 90 min × 10/h = 20, shown while it waits
    assert "20" in recorded.locator("[data-testid=expected]").inner_text()
    claim = server.get(f"/v1/regions/ama/claims/{claim_id}")
    assert claim["minutes"] == 90 and claim["category"] == "cleanup"
    hana.shot("w06-activity-pending-ja-phone")

    figures = {"taps": effort.taps, "typedBeyondNameAndPassphrase": effort.typed,
               "typedNameAndPassphrase": effort.typed_name_and_passphrase,
               "steps": effort.steps}
    (ARTIFACTS / "walletless-effort.json").write_text(
        json.dumps(figures, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print("walletless effort:", json.dumps(figures, ensure_ascii=False))
    assert effort.taps <= MAX_TAPS and effort.typed <= MAX_TYPED, figures

    # -- she sees it pending, the office approves it --------------------------------------
    open_view(hana, server, "points")
    assert "浜の清掃" in page.locator("[data-testid=points-pending]").inner_text()
    hana.shot("w07-points-pending-ja-phone")
    admin = server.admin_key
    post_signed(server, admin, "Role", "/roles", member=eip712.address_of(admin),
                role="verifier", granted=True)
    post_signed(server, admin, "Review", f"/claims/{claim_id}/reviews", claim=claim_id,
                approve=True, reason="写真を確認しました")
    open_view(hana, server, f"mine?new={claim_id}")
    approved = page.locator(f"article[data-claim='{claim_id}'][data-status=approved]")
    approved.wait_for()
    open_view(hana, server, "points")
    assert int(page.locator("[data-testid=points-lifetime] .v").inner_text()) == 20
    hana.shot("w08-points-approved-ja-phone")
    hana.check_clean()

    # -- the office thanks her; she reads the notice, the thanks, and her certificate ----
    post_signed(server, admin, "Endorsement", f"/claims/{claim_id}/endorsements",
                claim=claim_id, amount=3, note="いつもありがとうございます")
    open_view(hana, server, "notices")
    notices = page.locator("[data-testid=notices]").inner_text()
    assert "「浜の清掃」が承認されました（20 ポイント）" in notices, notices
    assert "いつもありがとうございます" in notices, notices
    hana.shot("w08a-notices-approved-thanked-ja-phone")
    open_view(hana, server, f"mine?new={claim_id}")
    card = page.locator(f"article[data-claim='{claim_id}'][data-status=approved]")
    assert "「いつもありがとうございます」" in card.locator("[data-testid=thanks]").inner_text()
    card.locator("a[data-action=certificate]").click()
    page.locator("[data-testid=certificate]").wait_for()
    cert = page.locator("[data-testid=certificate]")
    assert "浜の清掃" in cert.inner_text() and "活動証明書" in cert.inner_text()
    assert cert.locator("[data-testid=cert-points]").inner_text() == "20"
    page.wait_for_function(
        "() => document.querySelector('[data-testid=cert-qr]').naturalWidth > 0")
    hana.shot("w08b-certificate-ja-phone")
    hana.check_clean()
    open_view(hana, server, "points")
    lifetime = int(page.locator("[data-testid=points-lifetime] .v").inner_text())
    assert lifetime > 20  # the thanks count too

    # -- on a new phone: member number and passphrase ------------------------------------
    again = actors("hana-new-phone", locale="ja-JP", viewport=PHONE)
    open_view(again, server, "signin")
    login = again.page.locator("form[data-form=login]")
    login.get_by_label("会員番号").fill(number.lower().replace("-", " "))
    login.get_by_label("合言葉（パスフレーズ）").fill(PASSPHRASE)
    again.shot("w09-sign-in-member-number-ja-phone")
    login.get_by_role("button", name="ログイン").click()
    again.page.wait_for_selector(f"text=こんにちは、{NAME} さん")
    wait_rendered(again, "home")
    assert again.page.locator("[data-testid=home-member-number]").inner_text() == number
    again.shot("w10-signed-in-again-ja-phone")
    again.check_clean()

    # -- she forgot her passphrase: the office issues a recovery code ---------------------
    open_view(office, server, "admin?tab=invites")
    recovery = office.page.locator("form[data-form=recovery]")
    hana_address = server.get(f"/v1/regions/ama/claims/{claim_id}")["contributor"]
    recovery.locator("[data-field=member] select").select_option(hana_address)
    recovery.locator("button[type=submit]").click()
    sign(office)
    office.page.locator("[data-testid=recovery-card]").wait_for()
    recover_link = office.page.locator("[data-testid=recovery-link]").inner_text().strip()
    assert re.fullmatch(re.escape(server.url) + r"/#/recover\?region=ama&code=[0-9A-Z-]{14}",
                        recover_link)
    office.shot("w11-office-recovery-card")
    assert login_api(server, number, PASSPHRASE) == 401  # the old passphrase is void

    third = actors("hana-recovered", locale="ja-JP", viewport=PHONE)
    third.page.goto(recover_link)
    wait_rendered(third, "recover")
    form = third.page.locator("form[data-form=recover]")
    form.get_by_label("新しい合言葉").fill(NEW_PASSPHRASE)
    third.shot("w12-new-passphrase-ja-phone")
    form.get_by_role("button", name="この合言葉にする").click()
    third.page.wait_for_selector(f"text=こんにちは、{NAME} さん")
    wait_rendered(third, "home")
    assert third.page.locator("[data-testid=home-member-number]").inner_text() == number
    open_view(third, server, "points")
    assert int(third.page.locator("[data-testid=points-lifetime] .v").inner_text()) == lifetime
    third.shot("w13-recovered-same-points-ja-phone")
    assert login_api(server, number, NEW_PASSPHRASE) == 200
    third.check_clean()
    office.check_clean()
