"""話し合い・投票 in headless Chromium: a managed member (invitation code, no wallet) votes
on a phone in Japanese — one tap for a for / against proposal, tap in order for a
ranked one, ticks projects of a budget against its running total — and changes their
mind; the admin, with a wallet, reads a decided result (bars, instant-runoff rounds,
health) and the running count, and cancels a proposal with a reason members then read.

A proposal that is already decided needs a past: the region's first days (members,
an invitation, a ranked proposal, its votes and its decision) are written with a clock
ten days back before the server starts; everything after that is the real clock and
what a person does in the browser.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from service.config import Settings
from service.db import open_database
from service.domain import make_domain
from service.keyring import Keyring
from service.regions import Regions
from tests.browser.conftest import PASSPHRASE, Actor, Server, start_server
from tests.browser.test_web_app import open_view, settle, sign, wait_rendered
from tests.integration.service_fixtures import Person

pytestmark = pytest.mark.browser

DAY = 86400
CODE = "UMIY-AMA1-2026"
ADMIN_KEY = secrets.token_bytes(32)


def _past(data_dir: Path) -> None:
    """Ten days ago: the admin and five members join, the admin invites Kenji and puts a
    ranked proposal to the vote; it closes and is decided."""
    settings = Settings(data_dir=data_dir, passphrase=PASSPHRASE, chain_id=31337)
    store = open_database(settings.db_url)
    try:
        regions = Regions(store, Keyring(settings, PASSPHRASE.encode()))
        now = [int(time.time()) - 10 * DAY]
        regions.clock = lambda: now[0]
        domain = make_domain(regions, settings)
        admin = Person("ama", key=ADMIN_KEY)
        people = [Person("ama") for _ in range(5)]
        domain.submit("ama", [admin.sign("Join", clock=now[0], displayName="役場 総務課")] + [
            p.sign("Join", clock=now[0], displayName=f"住民{i + 1}") for i, p in enumerate(people)])
        domain.submit("ama", [admin.sign(
            "Invitation", clock=now[0], expiresAt=now[0] + 60 * DAY,
            codeHash="0x" + hashlib.sha256(CODE.encode()).hexdigest())])
        [receipt] = domain.submit("ama", [admin.sign(
            "Proposal", clock=now[0], title="夏祭りの会場",
            text="今年の夏祭りをどこで開くか決めます。", method="ranked",
            choices=["港", "小学校", "神社"], costs=[], budget=0, opensAt=now[0],
            closesAt=now[0] + 2 * DAY, hideTotals=False)])
        for who, ballot in zip(people, ([0], [1, 0], [2, 1], [2, 0], [1]), strict=True):
            domain.submit("ama", [who.sign("Vote", clock=now[0], proposal=receipt.id,
                                           ballot=ballot)])
        now[0] += 3 * DAY
        assert domain.decide_due("ama")
    finally:
        store.close()


@pytest.fixture(scope="module")
def server(browser_ready: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    admin = Person("ama", key=ADMIN_KEY)
    for srv in start_server(tmp_path_factory.mktemp("kakawari-decide"), admin.address,
                            prepare=_past):
        srv.admin_key = ADMIN_KEY
        yield srv


def propose(server: Server, **fields: Any) -> str:
    admin = Person("ama", key=ADMIN_KEY)
    now = int(time.time())
    body = admin.body("Proposal", **{"costs": [], "budget": 0, "opensAt": now,
                                     "closesAt": now + 3 * DAY, "hideTotals": False, **fields})
    r = httpx.post(f"{server.url}/v1/regions/ama/proposals", json=body, timeout=30)
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def admin_signed_in(actors: Any, server: Server) -> Actor:
    """The region's admin, signed in with her wallet, on her home page."""
    admin: Actor = actors("admin", key=ADMIN_KEY)
    open_view(admin, server, "signin")
    admin.page.get_by_role("button", name="Sign in with wallet").click()
    admin.page.wait_for_selector("[data-view=home][data-rendered=true]")
    settle(admin)
    return admin


def test_a_managed_member_votes_on_a_phone_and_the_admin_reads_the_result(
        actors: Any, server: Server) -> None:
    kenji: Actor = actors("kenji", locale="ja-JP", viewport=(390, 844))
    kp = kenji.page
    open_view(kenji, server, "signin")
    redeem = kp.locator("form[data-form=redeem]")
    redeem.get_by_label("招待コード").fill(CODE)
    redeem.get_by_label("お名前（ほかの人に表示されます）").fill("佐藤 健二")
    redeem.get_by_label("合言葉（パスフレーズ）").fill("umi to yama no shima")
    redeem.get_by_role("button", name="このコードで参加する").click()
    kp.wait_for_selector("text=こんにちは、佐藤 健二 さん")

    # the admin puts two questions to the region now that Kenji is a member
    yes_no = propose(server, title="浜の清掃用具を買う",
                     text="共同で清掃用具を買います。賛成ですか。", method="for-against",
                     choices=[])
    ranked = propose(server, title="次の集まりの曜日", text="次の集まりをいつにしますか。",
                     method="ranked", choices=["土曜", "日曜", "平日の夜"])

    open_view(kenji, server, "decide")
    assert kp.locator("h1").inner_text() == "話し合い・投票"
    kenji.shot("decide-01-list-ja-phone")
    kp.locator(f"article[data-proposal='{yes_no}'] h3 a").click()
    wait_rendered(kenji, "decide")
    assert "共同で清掃用具を買います" in kp.inner_text("main")
    kenji.shot("decide-02-for-against-ja-phone")
    kp.get_by_role("button", name="賛成", exact=True).click()  # one tap ...
    sign(kenji, {"ballot": "賛成", "proposal": "浜の清掃用具を買う"})  # ... and the usual check
    kp.wait_for_selector("text=いまのあなたの票：賛成")
    wait_rendered(kenji, "decide")
    kp.get_by_role("button", name="反対", exact=True).click()  # a change of mind
    sign(kenji, {"ballot": "反対"})
    kp.wait_for_selector("text=いまのあなたの票：反対")
    wait_rendered(kenji, "decide")

    open_view(kenji, server, f"decide?id={ranked}")
    for name in ("平日の夜", "土曜"):  # tap in order of preference
        kp.locator("form[data-form=vote] button.choice", has_text=name).click()
    assert kp.locator("[data-testid=ranking] li").all_inner_texts() == ["平日の夜", "土曜"]
    kenji.shot("decide-03-ranking-ja-phone")
    kp.get_by_role("button", name="この内容で投票する").click()
    sign(kenji, {"ballot": "1. 平日の夜 / 2. 土曜"})
    kp.wait_for_selector("text=いまのあなたの票：平日の夜 → 土曜")
    kenji.check_clean()

    # what the service recorded: Kenji's last votes, signed with the key it holds for him
    shown = server.get(f"/v1/regions/ama/proposals/{yes_no}")
    assert shown["participation"] == {"voters": 1, "power": 1, "votes": 2}
    assert shown["result"]["totals"] == [0, 1, 0]

    # -- the admin signs in with a wallet and reads the results --------------------------
    admin = admin_signed_in(actors, server)
    ap = admin.page
    open_view(admin, server, "decide")
    decided = ap.locator("article[data-proposal]", has_text="夏祭りの会場")
    assert "Decided" in decided.inner_text()
    decided.locator("h3 a").click()
    wait_rendered(admin, "decide")
    bars = ap.locator("[data-testid=result-bars] li")
    assert bars.count() == 3
    # first preferences 港 1, 小学校 2, 神社 2; 港 goes, its vote moves to nobody
    # (a ballot of 港 alone is exhausted); 小学校 and 神社 tie 2-2 in round 2, so the
    # earlier round decides: they tied there too, and 神社 (listed last) goes; 小学校 wins
    assert ap.locator("[data-testid=result-bars] li.win").inner_text().startswith("✓ 小学校")
    assert ap.locator("[data-testid=rounds] tbody tr").count() == 3
    assert "Passed" in ap.locator("[data-testid=verdict]").inner_text()
    assert ap.locator("[data-testid=health]").count() == 1
    admin.shot("decide-04-decided-ranked-admin")
    open_view(admin, server, f"decide?id={yes_no}")
    assert "So far (not final)" in ap.inner_text("main")
    assert ap.locator("[data-testid=health]").count() == 1  # admins see it before closing
    admin.shot("decide-05-running-admin")
    open_view(admin, server, "admin?tab=kpi")  # the KPI dashboard: each decision's health
    health = ap.locator("[data-testid=decision-health]").inner_text()
    assert "夏祭りの会場" in health and "83.33%" in health  # 5 of 6 eligible voted
    admin.check_clean()


def invite(server: Server, code: str) -> None:
    admin = Person("ama", key=ADMIN_KEY)
    body = admin.body("Invitation", codeHash="0x" + hashlib.sha256(code.encode()).hexdigest(),
                      expiresAt=int(time.time()) + 30 * DAY)
    r = httpx.post(f"{server.url}/v1/regions/ama/invitations", json=body, timeout=30)
    assert r.status_code == 201, r.text


def test_a_budget_ballot_keeps_a_running_total_and_an_admin_cancels_with_a_reason(
        actors: Any, server: Server) -> None:
    invite(server, "HAMA-AMA2-2026")
    haruko: Actor = actors("haruko", locale="ja-JP", viewport=(390, 844))
    hp = haruko.page
    open_view(haruko, server, "signin")
    redeem = hp.locator("form[data-form=redeem]")
    redeem.get_by_label("招待コード").fill("HAMA-AMA2-2026")
    redeem.get_by_label("お名前（ほかの人に表示されます）").fill("山田 春子")
    redeem.get_by_label("合言葉（パスフレーズ）").fill("hama no kaze ga fuku")
    redeem.get_by_role("button", name="このコードで参加する").click()
    hp.wait_for_selector("text=こんにちは、山田 春子 さん")

    budget = propose(server, title="地域の予算の使い道", text="予算 100 万円の使い道を決めます。",
                     method="budget", choices=["防犯灯", "ベンチ", "花壇"],
                     costs=[600_000, 300_000, 200_000], budget=1_000_000)
    doomed = propose(server, title="古い掲示板を撤去する", text="掲示板を撤去しますか。",
                     method="for-against", choices=[])

    open_view(haruko, server, f"decide?id={budget}")
    form = hp.locator("form[data-form=vote]")
    total = form.locator("[data-testid=running-total]")
    send = form.get_by_role("button", name="この内容で投票する")
    assert total.inner_text() == "合計 0（予算 1,000,000）"
    form.get_by_label("防犯灯").check()
    form.get_by_label("ベンチ").check()
    assert total.inner_text() == "合計 900,000（予算 1,000,000）" and send.is_enabled()
    form.get_by_label("花壇").check()  # 1,100,000: over the budget, can't be sent
    assert total.inner_text() == "合計 1,100,000（予算 1,000,000）"
    assert "over" in (total.get_attribute("class") or "") and send.is_disabled()
    assert form.locator("[data-testid=over-budget]").inner_text() == \
        "予算を 100,000 超えています。どれかのチェックを外すと投票できます。"
    haruko.shot("decide-06-budget-over-ja-phone")
    form.get_by_label("ベンチ").uncheck()
    assert total.inner_text() == "合計 800,000（予算 1,000,000）" and send.is_enabled()
    assert form.locator("[data-testid=over-budget]").is_hidden()
    send.click()
    sign(haruko, {"ballot": "防犯灯、花壇", "proposal": "地域の予算の使い道"})
    hp.wait_for_selector("text=いまのあなたの票：防犯灯、花壇")
    wait_rendered(haruko, "decide")
    # her ballot is ticked again when she comes back, with its total
    assert form.get_by_label("防犯灯").is_checked() and form.get_by_label("花壇").is_checked()
    assert form.locator("[data-testid=running-total]").inner_text() == \
        "合計 800,000（予算 1,000,000）"
    haruko.shot("decide-07-budget-voted-ja-phone")
    haruko.check_clean()
    shown = server.get(f"/v1/regions/ama/proposals/{budget}")
    assert shown["myBallot"] is None and shown["result"]["totals"] == [1, 0, 1]

    # -- the admin cancels the other proposal: a reason is required, and shown ----------
    admin = admin_signed_in(actors, server)
    ap = admin.page
    open_view(admin, server, f"decide?id={doomed}")
    cancel = ap.get_by_role("button", name="Cancel this proposal (admin)")
    cancel.click()  # no reason yet: refused before anything is signed
    error = ap.locator("form[data-form=cancellation] .field-error")
    error.wait_for(state="visible")
    assert error.inner_text() == "Please give a reason: every member will read it."
    assert ap.locator("#dialog").is_hidden()
    # she proposed it and nobody voted yet: she could also withdraw it, a form of its own
    assert ap.get_by_label("Why you withdraw it (optional)").count() == 1
    ap.get_by_label("Why it is cancelled").fill("掲示板の件は次の総会で話し合います")
    cancel.click()
    sign(admin, {"reason": "掲示板の件は次の総会で話し合います"})
    wait_rendered(admin, "decide")
    ap.wait_for_selector("text=Ended: 掲示板の件は次の総会で話し合います")
    assert "Cancelled" in ap.locator("main").inner_text()
    assert ap.locator("form[data-form=vote]").count() == 0
    admin.shot("decide-08-cancelled-admin")
    admin.check_clean()
    assert server.get(f"/v1/regions/ama/proposals/{doomed}")["status"] == "cancelled"

    # Haruko reads it among the closed proposals, in Japanese, with the reason
    open_view(haruko, server, "decide")
    closed = hp.locator(f"article[data-proposal='{doomed}']")
    assert "中止" in closed.inner_text()
    closed.locator("h3 a").click()
    wait_rendered(haruko, "decide")
    assert "終了の理由：掲示板の件は次の総会で話し合います" in hp.inner_text("main")
    assert hp.locator("form[data-form=vote]").count() == 0
    haruko.check_clean()
