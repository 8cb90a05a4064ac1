"""Issue 14 on phones, end to end in headless Chromium: a resident proposes a
かかわりしろ, the admin publishes it, a volunteer signs up, checks in by opening the link
of the organiser's rotating QR code (read from the page, as the phone's camera would),
the organiser confirms the attendance, the volunteer redeems a perk with the points and
the office hands it over. Screenshots in test-artifacts/quests-*.png.
"""

from __future__ import annotations

import re
import secrets
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import Actor, Server
from tests.browser.test_web_app import (
    open_view,
    settle,
    sign,
    wait_rendered,
    wallet_sign_in_and_join,
)

pytestmark = [pytest.mark.browser]

PHONE = (390, 844)


def local_time(actor: Actor, offset_hours: float) -> str:
    """A datetime-local value ``offset_hours`` from now, in the browser's time zone."""
    return str(actor.page.evaluate(
        """h => { const d = new Date(Date.now() + h * 3600e3);
        const p = (n) => String(n).padStart(2, '0');
        return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`
          + `T${p(d.getHours())}:${p(d.getMinutes())}`; }""", offset_hours))


def scan(screenshot: Path, route: str) -> str:
    """The text of the QR code linking to ``route`` in a screenshot (as a phone's camera
    reads the organiser's screen)."""
    import zxingcpp
    from PIL import Image

    found = [str(r.text) for r in zxingcpp.read_barcodes(Image.open(screenshot).convert("L"))]
    links = [text for text in found if f"/#/{route}?" in text]
    assert len(links) == 1, found
    return links[0]


def quest_page(actor: Actor, server: Server, quest: str) -> None:
    open_view(actor, server, f"quest?id={quest}")


def test_propose_publish_sign_up_check_in_confirm_and_redeem(actors: Any, server: Server
                                                              ) -> None:
    admin = actors("admin", key=server.admin_key, viewport=PHONE)
    resident = actors("resident", key=secrets.token_bytes(32), viewport=PHONE)
    volunteer = actors("volunteer", key=secrets.token_bytes(32), viewport=PHONE)
    wallet_sign_in_and_join(admin, server, "役場 まちづくり課", resident=True)
    open_view(admin, server, "admin?tab=roles")  # the organiser must be allowed to review
    admin.page.locator(f"button[data-role=verifier][data-member='{admin.address}']").click()
    sign(admin, {"role": "Verifier"})
    admin.page.wait_for_selector("text=Role updated.")
    wallet_sign_in_and_join(resident, server, "浜田 さと", resident=True)
    wallet_sign_in_and_join(volunteer, server, "Aoi from Tokyo", resident=False)

    # -- a resident proposes a かかわりしろ -------------------------------------------------
    page = resident.page
    open_view(resident, server, "quests")
    page.locator("a[href='#/quest-new']").click()
    wait_rendered(resident, "quest-new")
    form = page.locator("form[data-form=quest-post]")
    form.locator("[data-field=title] input").fill("浜辺の清掃と流木アート")
    form.locator("[data-field=category] select").select_option("cleanup")
    form.locator("[data-field=description] textarea").fill("軍手とごみ袋は用意します。")
    form.locator("[data-field=opensAt] input").fill(local_time(resident, -1))
    form.locator("[data-field=closesAt] input").fill(local_time(resident, 3))
    form.locator("[data-field=place] input").fill("菱浦港")
    form.locator("[data-field=capacity] input").fill("5")
    form.locator("[data-field=tags] input").fill("海, 清掃")
    resident.shot("quests-01-resident-proposes")
    form.locator("button[type=submit]").click()
    sign(resident, {"title": "浜辺の清掃と流木アート", "place": "菱浦港"})
    page.wait_for_url(re.compile(r"#/quest\?id=0x[0-9a-f]{64}"))
    quest = page.url.split("id=")[1]
    wait_rendered(resident, "quest")
    assert "Proposed" in page.inner_text("main")
    assert page.locator("[data-action=signup]").count() == 0  # not open yet
    resident.shot("quests-02-proposal")

    # -- the admin publishes it ---------------------------------------------------------
    open_view(admin, server, "quests")
    admin.page.locator("[data-list=proposed] a").first.click()
    wait_rendered(admin, "quest")
    admin.shot("quests-03-admin-decides")
    admin.page.locator("[data-action=publish]").click()
    sign(admin, {"publish": "Yes"})
    admin.page.wait_for_selector("text=Published.")
    assert server.get(f"/v1/regions/ama/quests/{quest}")["status"] == "open"

    # -- a volunteer finds it, signs up ---------------------------------------------------
    page = volunteer.page
    open_view(volunteer, server, "quests?q=流木")
    assert page.locator(f"[data-list=quests] a[data-quest='{quest}']").count() == 1
    volunteer.shot("quests-04-list-search")
    open_view(volunteer, server, "quests?show=calendar")
    assert page.locator(".cal-day.has").count() >= 1
    volunteer.shot("quests-05-calendar")
    open_view(volunteer, server, "quests?tag=清掃&show=list")
    page.locator(f"a[data-quest='{quest}']").click()
    wait_rendered(volunteer, "quest")
    share = page.locator("[data-share=link]").input_value()
    assert share.endswith(f"#/quest?id={quest}&region=ama")
    page.wait_for_function("() => { const i = document.querySelector('img.quest-qr');"
                           " return i.complete && i.naturalWidth > 0; }")
    page.locator("[data-action=signup]").click()
    sign(volunteer, {"joined": "Yes"})
    page.wait_for_selector("[data-action=cancel-signup]")
    assert volunteer.address in page.inner_text("[data-list=signups]") or \
        page.locator(f"[data-list=signups] [data-member='{volunteer.address}']").count() == 1
    volunteer.shot("quests-06-signed-up")

    # -- the organiser opens check-in and shows the rotating QR code -----------------------
    quest_page(admin, server, quest)
    admin.page.locator("[data-action=open-checkin]").click()
    sign(admin)
    admin.page.wait_for_selector("img.checkin-qr[src^='data:image/svg+xml']")
    settle(admin)
    shown = admin.page.locator("img.checkin-qr").get_attribute("data-url")
    # what the volunteer's camera sees: the QR code decoded from a screenshot of it
    url = scan(admin.shot("quests-07-organiser-qr"), "checkin")
    assert url.split("code=")[0] == shown.split("code=")[0] and "code=" in url  # the
    # code itself may have turned over between the two looks

    # -- the volunteer's phone opens the scanned link: a pre-filled activity, one tap -----
    page.goto(url.replace("/#/", f"/?v={secrets.token_hex(4)}#/"))
    settle(volunteer)
    wait_rendered(volunteer, "checkin")
    prefilled = page.inner_text("[data-prefilled=checkin]")
    assert "浜辺の清掃と流木アート" in prefilled and "菱浦港" in prefilled
    volunteer.shot("quests-08-check-in-prefilled")
    page.locator("[data-action=record-checkin]").click()
    page.wait_for_selector("[data-done=checkin]")
    volunteer.shot("quests-09-checked-in")
    claims = server.get(f"/v1/regions/ama/claims?quest={quest}")["items"]
    assert [(c["contributor"], c["status"]) for c in claims] == [(volunteer.address, "pending")]

    # -- the organiser confirms the attendance in one step ----------------------------------
    quest_page(admin, server, quest)
    assert admin.page.locator("[data-list=attendance] input:checked").count() == 1
    admin.page.locator("[data-action=confirm-attendance]").click()
    admin.page.wait_for_selector("text=Confirmed 1.")
    [claim] = server.get(f"/v1/regions/ama/claims?quest={quest}")["items"]
    assert claim["status"] == "approved"
    review = server.get(f"/v1/regions/ama/claims/{claim['id']}")["reviews"][0]
    assert review["reviewer"] == admin.address != volunteer.address
    admin.shot("quests-10-attendance-confirmed")

    # -- the office lists a perk; the volunteer redeems it ---------------------------------
    open_view(admin, server, "perks")
    form = admin.page.locator("form[data-form=perk]")
    form.locator("[data-field=title] input").fill("さざなみの湯 入浴券")
    form.locator("[data-field=cost] input").fill("20")
    form.locator("[data-field=stock] input").fill("3")
    form.locator("[data-field=place] input").fill("役場 2階 窓口")
    form.locator("button[type=submit]").click()
    sign(admin, {"cost": "20"})
    admin.page.wait_for_selector("text=Perk listed.")
    lifetime = server.get(f"/v1/regions/ama/members/{volunteer.address}")["lifetimePoints"]
    assert lifetime >= 20
    open_view(volunteer, server, "perks")
    assert page.get_attribute("[data-balance]", "data-balance") == str(lifetime)
    page.locator("[data-action=redeem]").first.click()
    sign(volunteer, {"cost": "20"})
    page.wait_for_selector("[data-list=my-redemptions] [data-status=requested]")
    wait_rendered(volunteer, "perks")
    assert page.get_attribute("[data-balance]", "data-balance") == str(lifetime - 20)
    volunteer.shot("quests-11-perk-redeemed")
    member = server.get(f"/v1/regions/ama/members/{volunteer.address}")
    assert (member["lifetimePoints"], member["spendablePoints"]) == (lifetime, lifetime - 20)

    open_view(admin, server, "perks")
    admin.page.locator("[data-list=office] [data-action=hand-over]").click()
    sign(admin, {"status": "handed-over"})
    admin.page.wait_for_selector("text=Marked as handed over.")
    admin.shot("quests-12-office-handed-over")
    [redemption] = server.get("/v1/regions/ama/redemptions")["items"]
    assert redemption["status"] == "handed-over"

    # -- the office changes the perk on the admin page: more tickets, another counter ------
    [listed] = server.get("/v1/regions/ama/perks")["items"]
    open_view(admin, server, "admin?tab=perks")
    fold = admin.page.locator(f"[data-perk='{listed['id']}'] details[data-edit]")
    assert "1 of 3 redeemed" in admin.page.inner_text(f"section[data-perk='{listed['id']}']")
    fold.locator("summary").click()
    edit = fold.locator("form[data-form=perk-edit]")
    assert edit.locator("[data-field=title] input").input_value() == "さざなみの湯 入浴券"
    assert edit.locator("[data-field=cost] input").input_value() == "20"
    edit.locator("[data-field=stock] input").fill("5")
    edit.locator("[data-field=place] input").fill("観光協会 窓口")
    admin.shot("quests-12b-perk-edit")
    edit.locator("button[type=submit]").click()
    sign(admin, {"stock": "5", "place": "観光協会 窓口"})
    admin.page.wait_for_selector("text=Perk changed.")
    wait_rendered(admin, "admin")
    [changed] = server.get("/v1/regions/ama/perks")["items"]
    assert changed["id"] == listed["id"] and changed["updatedSeq"] > listed["updatedSeq"]
    assert (changed["title"], changed["cost"], changed["stock"], changed["place"],
            changed["redeemed"], changed["left"]) == (
        "さざなみの湯 入浴券", 20, 5, "観光協会 窓口", 1, 4)
    assert changed["validUntil"] == listed["validUntil"]
    assert "1 of 5 redeemed" in admin.page.inner_text(f"section[data-perk='{listed['id']}']")
    open_view(volunteer, server, "perks")
    assert "4 left" in page.inner_text("[data-list=perks]")
    assert "観光協会 窓口" in page.inner_text("[data-list=perks]")
    assert page.locator("[data-list=perks] details[data-edit]").count() == 0  # admins only
    # the same pages in Japanese
    page.locator("button.lang").click()
    open_view(volunteer, server, "perks")
    assert "使えるポイント" in page.inner_text("main") and "換金" in page.inner_text("main")
    volunteer.shot("quests-13-perks-ja")
    quest_page(volunteer, server, quest)
    assert "参加予定の人" in page.inner_text("main")
    volunteer.shot("quests-14-quest-ja")
    for actor in (admin, resident, volunteer):
        actor.check_clean()
