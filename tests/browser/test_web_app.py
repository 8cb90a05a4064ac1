"""The web app end to end in headless Chromium: a wallet member and a managed-account
member each join, claim and endorse; a verifier approves (and is blocked from a claim
of their own); the members see their points and download a receipt that verifies;
the admin posts a quest, issues the invitation, grants the role and sees the KPI
dashboard. Screenshots of every main page go to test-artifacts/.
"""

from __future__ import annotations

import json
import re
import secrets
import struct
import zlib
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import Actor, Server
from tests.integration.chain_fixtures import anvil_url_fixture  # noqa: F401 (fixture)

pytestmark = [pytest.mark.browser, pytest.mark.anvil]

#: anvil's first development account (funded at start).
ANVIL_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"


def png(width: int = 64, height: int = 48) -> bytes:
    """A small real PNG (a sea-coloured gradient) for the claim's photo."""
    rows = b"".join(b"\x00" + bytes(
        c for x in range(width) for c in (14 + x, 90 + y, 107 + x // 2)) for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(
            ">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def settle(actor: Actor) -> None:
    """Wait until no request or rendering is in flight (body[data-busy] is gone)."""
    actor.page.wait_for_selector("body[data-ready=true]:not([data-busy])")


def open_view(actor: Actor, server: Server, route: str) -> None:
    """Load the page afresh at ``route`` (as a person opening a link would)."""
    page = actor.page
    page.goto(f"{server.url}/?v={secrets.token_hex(4)}#/{route}")
    settle(actor)
    view = route.split("?")[0] or "home"
    assert page.get_attribute(f"[data-view='{view}']", "data-rendered") == "true", (
        page.inner_text("main"))


def sign(actor: Actor, expect: dict[str, str] | None = None) -> None:
    """Check the fields the dialog shows, then sign."""
    dialog = actor.page.locator("#dialog")
    dialog.wait_for(state="visible")
    for name, text in (expect or {}).items():
        assert text in dialog.locator(f"dd[data-field={name}]").first.inner_text()
    which = dialog.get_attribute("data-modal")
    dialog.locator("button[type=submit]").click()
    # closed, or already the next one (e.g. Profile right after Join)
    actor.page.wait_for_function(
        "n => { const d = document.getElementById('dialog');"
        " return !d.open || d.dataset.modal !== n; }", arg=which)


def wait_rendered(actor: Actor, view: str) -> None:
    """Wait until ``view`` is rendered for the address the page is at now: after a click
    or a select changes the address, the page left behind is still marked rendered until
    the browser's hashchange runs, so a wait on the mark alone can read the old page."""
    settle(actor)
    actor.page.wait_for_function(
        """(view) => {
             const el = document.querySelector(`[data-view='${view}'][data-rendered=true]`);
             return !!el && el.dataset.address === location.hash; }""", arg=view)
    settle(actor)


def wallet_sign_in_and_join(actor: Actor, server: Server, name: str, resident: bool) -> None:
    page = actor.page
    open_view(actor, server, "signin")
    page.get_by_role("button", name="Sign in with wallet").click()
    page.wait_for_selector("[data-view=home][data-rendered=true] form")
    page.get_by_label("Your name (shown to others)").fill(name)
    page.get_by_label("I live in this region" if resident else
                      "I live elsewhere and come to help (関係人口)").check()
    page.get_by_role("button", name="Join", exact=True).click()
    sign(actor, {"displayName": name})  # Join
    sign(actor, {"resident": "Yes" if resident else "No"})  # Profile
    page.wait_for_selector(f"text=Hello, {name}")
    assert page.evaluate("window.__walletCalls").count("eth_signTypedData_v4") == 2


def post_partnership(server: Server, url: str) -> None:
    """The region's admin names Tabayama a partner (a `Partnership` entry signed with the
    admin's key, posted to the API), with its log at ``url``."""
    import time
    import urllib.request

    from ledger import eip712
    from ledger.cosignature import Cosigner, format_cosigner_vkey
    from ledger.messages import MESSAGE_TYPES
    from ledger.note import new_signer_keys

    mtype = MESSAGE_TYPES["Partnership"]
    message = eip712.normalize_message(mtype, {
        "region": server.region, "admin": eip712.address_of(server.admin_key),
        "partner": "kakawari/tabayama", "partnerName": "丹波山村",
        "logKey": new_signer_keys("kakawari/tabayama")[1],
        "witnessKey": format_cosigner_vkey(Cosigner("kakawari/tabayama/witness",
                                                    bytes(32)).verifier),
        "url": url, "nonce": secrets.randbits(53), "issuedAt": int(time.time())})
    signature = eip712.sign_message(server.admin_key, eip712.Domain(31337), mtype, message)
    request = urllib.request.Request(
        f"{server.url}/v1/regions/{server.region}/partners", method="POST",
        data=json.dumps({"message": message, "signature": signature}).encode(),
        headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as answer:
        assert answer.status == 201


def claim(actor: Actor, server: Server, title: str, *, hours: int, category: str,
          co: list[str] = (), quest: str | None = None, text: str = "",
          photo: bytes | None = None, shot: str | None = None) -> str:
    page = actor.page
    open_view(actor, server, "claim")
    form = page.locator("form[data-form=claim]")
    form.locator("[data-field=title] input").fill(title)
    form.locator("[data-field=category] select").select_option(category)
    form.locator("[data-field=minutes] input").fill(str(hours * 60 + 30))
    if quest:
        form.locator("[data-field=quest] select").select_option(quest)
    for address in co:
        form.locator(f"input[type=checkbox][value='{address}']").check()
    if text:
        form.locator("[data-field=text] textarea").fill(text)
    if photo:
        form.locator("[data-field=photo] input").set_input_files(
            {"name": "beach.png", "mimeType": "image/png", "buffer": photo})
        form.locator(".photo-preview img").wait_for()
    if shot:
        actor.shot(shot)
    form.locator("button[type=submit]").click()
    sign(actor, {"title": title})
    page.wait_for_url(re.compile(r"#/mine\?new=0x[0-9a-f]{64}"))
    claim_id = page.url.split("new=")[1]
    wait_rendered(actor, "mine")
    assert page.locator(f"article[data-claim='{claim_id}']").count() == 1
    return claim_id


def endorse(actor: Actor, server: Server, claim_id: str, amount: int, note: str) -> None:
    open_view(actor, server, "endorse")
    card = actor.page.locator(f"article[data-claim='{claim_id}']")
    card.locator("input[type=number]").fill(str(amount))
    card.locator("[data-field=note] input").fill(note)
    card.locator("button[type=submit]").click()
    sign(actor, {"amount": str(amount)})
    wait_rendered(actor, "endorse")


def verify_receipt(path: Path, server: Server, claim_id: str, member: str) -> None:
    """What an outsider does with a receipt: the project's offline verifier checks every
    signature, every inclusion proof against the signed checkpoint of the region's key,
    and that every entry is about this claim; the receipt shows the claim recognised
    for this member. With the ``kakawari audit verify-receipt`` command, that too."""
    from ledger.audit.receipt import verify_receipt as verify

    receipt = json.loads(path.read_text())
    vkey = server.get("/v1/regions")[0]["vkey"]
    summary = verify(receipt, vkey=vkey)
    assert summary.claim == claim_id
    types = {e.type for e in summary.entries}
    assert {"Region", "Claim", "Review", "Recognition"} <= types, types
    assert any(e.type == "Recognition" and e.message["member"] == member
               for e in summary.entries)
    help_ = server.cli_status("audit", "verify-receipt", "--help")
    if help_.returncode == 0:
        server.cli("audit", "verify-receipt", "--vkey", vkey, str(path))


def anchor(server: Server, rpc: str) -> str:
    """Deploy the contracts on the anvil node and anchor the region's log (the
    operator's cron job); returns the transaction hash."""
    env = {**server.env, "KAKAWARI_CHAIN_RPC_URL": rpc, "KAKAWARI_CHAIN_PRIVATE_KEY": ANVIL_KEY}
    for args in (["chain", "deploy"], ["anchor", "--region", server.region, "--json"]):
        done = server.cli(*args, env=env)
    return str(json.loads(done.stdout)["txHash"])


def test_members_verifier_admin_end_to_end(actors: Any, server: Server, tmp_path: Path,
                                           anvil_url: str) -> None:
    admin = actors("admin", key=server.admin_key)
    alice = actors("alice", key=secrets.token_bytes(32))            # wallet member
    vera = actors("vera", key=secrets.token_bytes(32))              # verifier
    kenji = actors("kenji", locale="ja-JP", viewport=(390, 844))    # managed, on a phone

    # -- the admin joins, posts a quest, invites Kenji ---------------------------------
    open_view(admin, server, "")
    admin.shot("01-welcome")
    open_view(admin, server, "signin")
    admin.shot("02-sign-in")
    wallet_sign_in_and_join(admin, server, "役場 まちづくり課", resident=True)
    open_view(admin, server, "admin?tab=quests")
    form = admin.page.locator("form[data-form=quest]")
    form.locator("[data-field=title] input").fill("海ごみ拾い大作戦")
    form.locator("[data-field=category] select").select_option("cleanup")
    form.locator("[data-field=points] input").fill("20")
    form.locator("button[type=submit]").click()
    sign(admin, {"title": "海ごみ拾い大作戦", "points": "20"})
    admin.page.wait_for_selector("text=Quest posted.")
    open_view(admin, server, "admin?tab=invites")
    admin.page.locator("form[data-form=invite] button[type=submit]").click()
    sign(admin)
    code = admin.page.locator("[data-testid=invitation-code]").inner_text().strip()
    assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}", code)
    admin.shot("03-admin-invitation")

    # -- Alice (wallet) and Vera (wallet) join ----------------------------------------
    wallet_sign_in_and_join(alice, server, "Alice Tanaka", resident=False)
    open_view(alice, server, "")
    alice.shot("04-member-home")
    wallet_sign_in_and_join(vera, server, "Vera 検証", resident=True)

    # -- Kenji redeems the invitation in Japanese, on a phone -------------------------
    kp = kenji.page
    open_view(kenji, server, "signin")
    assert kp.locator("h1").inner_text() == "ログイン"
    redeem = kp.locator("form[data-form=redeem]")
    with kenji.expecting_refusal():
        redeem.get_by_label("招待コード").fill("WRONG-CODE-0000")
        redeem.get_by_label("お名前（ほかの人に表示されます）").fill("佐藤 健二")
        redeem.get_by_label("合言葉（パスフレーズ）").fill("umi to yama no shima")
        redeem.get_by_role("button", name="このコードで参加する").click()
        err = redeem.locator("[data-field=code] .field-error")
        err.wait_for()
        assert "招待コードが使えません" in err.inner_text()
    kenji.shot("05-managed-sign-in-error-ja")
    redeem.get_by_label("招待コード").fill(code)
    redeem.get_by_role("button", name="このコードで参加する").click()
    kp.wait_for_selector("text=こんにちは、佐藤 健二 さん")
    # behind the fold of technical details (a managed member sees no account number)
    kenji.address = (kp.locator("[data-testid=account]").text_content() or "").strip()
    assert re.fullmatch(r"0x[0-9a-f]{40}", kenji.address)
    kenji.shot("06-managed-home-ja-phone")
    residence = kp.locator("form[data-form=residence]")
    residence.get_by_label("この地域に住んでいます").check()
    residence.get_by_role("button", name="保存").click()
    sign(kenji, {"resident": "はい"})
    kp.wait_for_selector("text=保存しました。")
    wait_rendered(kenji, "home")
    assert kp.locator("form[data-form=residence]").count() == 0

    # -- the admin makes Vera a verifier -----------------------------------------------
    open_view(admin, server, "admin?tab=roles")
    admin.page.locator(f"button[data-role=verifier][data-member='{vera.address}']").click()
    sign(admin, {"role": "Verifier", "granted": "Yes"})
    admin.page.wait_for_selector("text=Role updated.")
    admin.shot("07-admin-roles")

    # -- claims: Alice with Kenji on the quest, with details and a photo; Kenji; Vera --
    quest_id = server.get("/v1/regions/ama/quests?open=true")["items"][0]["id"]
    alice_claim = claim(alice, server, "Beach clean-up at Akiya with Kenji", hours=2,
                        category="cleanup", co=[kenji.address], quest=quest_id,
                        text="We filled 14 bags; photo of the pile attached.", photo=png(),
                        shot="08-claim-form")
    alice.shot("09-my-activities-pending")
    kenji_claim = claim(kenji, server, "キンニャモニャ祭りの設営", hours=3, category="festival",
                        shot="09b-claim-form-ja-phone")
    vera_claim = claim(vera, server, "Translated the ferry timetable", hours=1,
                       category="promotion")

    # Kenji confirms his part in Alice's claim (in Japanese)
    open_view(kenji, server, "mine")
    kenji.shot("10-confirm-co-contribution-ja")
    kp.get_by_role("button", name="はい、参加しました").click()
    sign(kenji)
    kp.wait_for_selector("text=確認しました。ありがとうございます！")

    # -- endorsements within budget, and one over it (refused, shown by the form) ------
    endorse(alice, server, kenji_claim, 4, "Great festival set-up!")
    open_view(alice, server, "endorse")
    assert "16 of 20 left" in alice.page.locator("[data-testid=budget]").inner_text()
    alice.shot("11-endorse")
    with kenji.expecting_refusal():
        open_view(kenji, server, "endorse")
        card = kp.locator(f"article[data-claim='{vera_claim}']")
        card.locator("input[type=number]").fill("25")
        card.locator("button[type=submit]").click()
        sign(kenji)
        error = card.locator(".form-error")
        error.wait_for()
        assert "送れる「ありがとう」が足りません" in error.inner_text()
        assert "今期の残りは 20 のうち 20 です（25 送ろうとしました）" in error.inner_text()
    # nor can he thank a claim he is part of: the page says so instead of a form
    mine = kp.locator(f"article[data-claim='{alice_claim}']")
    assert "あなたが参加した活動です" in mine.inner_text()
    assert mine.locator("form").count() == 0
    kenji.shot("12-endorse-over-budget-ja")
    endorse(kenji, server, vera_claim, 3, "翻訳ありがとう")

    # -- Vera reviews: her own claim is blocked, the others approved -------------------
    open_view(vera, server, "review")
    own = vera.page.locator(f"article[data-claim='{vera_claim}']")
    assert own.locator("[data-testid=conflict]").is_visible()
    assert own.locator("button[data-action=approve]").is_disabled()
    vera.shot("13-review-queue")
    for claim_id in (alice_claim, kenji_claim):
        card = vera.page.locator(f"article[data-claim='{claim_id}']")
        if claim_id == alice_claim:
            card.get_by_role("button", name="Show private details").click()
            card.locator("img.evidence").wait_for()
        card.locator("[data-field=reason] textarea").fill("Checked with the photos")
        card.locator("button[data-action=approve]").click()
        sign(vera, {"approve": "Approve"})
        vera.page.wait_for_selector("text=Approved.")
        wait_rendered(vera, "review")
    assert vera.page.locator(f"article[data-claim='{alice_claim}']").count() == 0

    # -- Alice sees her points and downloads a receipt that verifies -------------------
    open_view(alice, server, "points")
    lifetime = int(alice.page.locator("[data-testid=points-lifetime] .v").inner_text())
    # cleanup: 5 + 150 min × 10/h = 30, + quest 20
    assert lifetime == 50
    assert "Approved activity" in alice.page.locator("[data-testid=point-lines]").inner_text()
    assert alice.page.locator("svg.chart.line path.stroke").count() == 1
    alice.shot("14-points")
    open_view(alice, server, f"mine?new={alice_claim}")
    card = alice.page.locator(f"article[data-claim='{alice_claim}'][data-status=approved]")
    with alice.page.expect_download() as download:
        card.locator("button[data-action=receipt]").click()
    receipt_path = tmp_path / "receipt.json"
    download.value.save_as(receipt_path)
    verify_receipt(receipt_path, server, alice_claim, alice.address)
    alice.shot("15-my-activities-approved")

    # Kenji: his claim, his confirmed share of Alice's and Alice's thanks
    open_view(kenji, server, "points")
    assert int(kp.locator("[data-testid=points-lifetime] .v").inner_text()) == 50 + 40 + 4
    kenji.shot("16-points-ja-phone")

    # -- the admin's KPI dashboard -------------------------------------------------------
    open_view(admin, server, "admin")
    tiles = admin.page.locator("[data-testid=kpi-tiles]").inner_text()
    assert "Active contributors" in tiles
    assert admin.page.locator("svg.chart.bars").count() == 3
    assert admin.page.locator("svg.chart.bars rect").count() >= 2
    admin.shot("17-admin-kpi-dashboard")
    open_view(admin, server, "admin?tab=policy")
    admin.shot("18-admin-policy")
    tx = anchor(server, anvil_url)
    open_view(admin, server, "admin?tab=anchor")
    status = admin.page.locator("[data-testid=anchor-status]").inner_text()
    assert "Latest anchor:" in status and tx in status
    schedule = admin.page.locator("[data-testid=anchor-schedule]").inner_text()
    assert "Last run" in schedule and "recorded on the blockchain" in schedule
    admin.shot("19-admin-anchoring")

    # -- everyone can see the connections and the audit page --------------------------
    open_view(alice, server, "connections")
    assert alice.page.locator("svg.graph g.node").count() >= 3
    assert alice.page.locator("svg.graph line.edge-together").count() >= 1
    assert alice.page.locator("svg.graph path.edge-endorsed").count() >= 2
    alice.shot("20-connections")
    # the admin makes themself the region's auditor, downloads the export bundle and
    # checks it offline with the project's verifier
    open_view(admin, server, "admin?tab=roles")
    admin.page.locator(f"button[data-role=auditor][data-member='{admin.address}']").click()
    sign(admin, {"role": "Auditor", "granted": "Yes"})
    admin.page.wait_for_selector("text=Role updated.")
    open_view(admin, server, "audit")
    with admin.page.expect_download() as bundle:
        admin.page.locator("button[data-action=export]").click()
    bundle_path = tmp_path / bundle.value.suggested_filename
    bundle.value.save_as(bundle_path)
    assert bundle_path.suffix == ".zip"
    verified = server.cli("audit", "verify", str(bundle_path))
    assert verified.returncode == 0
    open_view(admin, server, "audit")
    assert admin.page.locator("[data-testid=checkpoint-signature]").get_attribute(
        "data-ok") == "true"
    assert admin.page.locator("[data-testid=anchor-consistency]").get_attribute(
        "data-ok") == "true"
    admin.shot("21-audit")
    # the region's partners, from a Partnership entry the admin's wallet key signed
    assert "No partner regions" in admin.page.locator("[data-testid=partners]").inner_text()
    post_partnership(server, "https://tabayama.example/logs/tabayama")
    open_view(admin, server, "audit")
    partners = admin.page.locator("[data-testid=partners]").inner_text()
    assert "丹波山村" in partners and "kakawari/tabayama" in partners
    open_view(alice, server, "quests")
    alice.shot("22-quests")

    # -- the language switch -------------------------------------------------------------
    alice.page.get_by_role("button", name="Switch to Japanese").click()
    alice.page.wait_for_selector("h1:has-text('クエスト（かかわりしろ）')")
    alice.page.get_by_role("button", name="英語に切り替え").click()
    alice.page.wait_for_selector("h1:has-text('Quests')")

    for actor in (admin, alice, vera, kenji):
        actor.check_clean()
