"""A region with a few months of demo activity, as its admin sees it: the KPI
dashboard with real series, the connections graph of many people, on a desktop and on
a phone in Japanese. Screenshots for people to look at; no console errors."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from service.config import Settings
from service.keyring import Keyring
from tests.browser.conftest import PASSPHRASE, Server, start_server
from tests.browser.test_plain_phone import LAYOUT
from tests.browser.test_web_app import open_view, sign, wait_rendered

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def demo(browser_ready: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("kakawari-demo")
    for srv in start_server(tmp, None, seed=(24, 90)):
        settings = Settings(data_dir=Path(srv.env["KAKAWARI_DATA_DIR"]))
        srv.admin_key = Keyring(settings, PASSPHRASE.encode()).load("ama", "admin")
        yield srv


def sign_in(actor: Any, server: Server) -> None:
    open_view(actor, server, "signin")
    actor.page.locator("button", has_text="ウォレット" if "ja" in actor.name else "wallet").click()
    actor.page.wait_for_url(lambda url: url.endswith("#/"))
    open_view(actor, server, "")


def test_admin_dashboard_and_connections_of_a_lively_region(actors: Any, demo: Server) -> None:
    admin = actors("admin", key=demo.admin_key)
    sign_in(admin, demo)
    open_view(admin, demo, "admin")
    tiles = admin.page.locator("[data-testid=kpi-tiles] .v").all_inner_texts()
    assert int(tiles[3]) >= 24  # members
    months_with_bars = admin.page.locator("svg.chart.bars").first.locator("rect").count()
    assert months_with_bars >= 3
    admin.shot("40-demo-kpi-dashboard")
    open_view(admin, demo, "connections")
    assert admin.page.locator("svg.graph g.node").count() >= 15
    admin.page.locator("svg.graph g.node").first.focus()  # keyboard: a node shows its links
    assert admin.page.locator(".conn-detail li").count() >= 1
    admin.shot("41-demo-connections")
    # revoking is a new entry with a reason, and reinstating gives the points back
    open_view(admin, demo, "admin?tab=claims")
    first = admin.page.locator("li[data-claim]").first
    claim_id = first.get_attribute("data-claim")
    first.locator("details > summary").click()
    first.locator("input").fill("Duplicate of another record")
    first.locator("button[data-action=Revocation]").click()
    sign(admin, {"reason": "Duplicate of another record"})
    wait_rendered(admin, "admin")
    revoked = admin.page.locator(f"li[data-claim='{claim_id}']")
    revoked.locator("details > summary").click()
    revoked.locator("input").fill("Checked again: not a duplicate")
    revoked.locator("button[data-action=Reinstatement]").click()
    sign(admin)
    wait_rendered(admin, "admin")
    assert demo.get(f"/v1/regions/ama/claims/{claim_id}")["status"] == "approved"
    admin.shot("47-demo-admin-activities")
    open_view(admin, demo, "quests")
    admin.shot("42-demo-quests")
    open_view(admin, demo, "audit")
    admin.shot("43-demo-audit")

    phone = actors("admin-ja", key=demo.admin_key, locale="ja-JP", viewport=(390, 844))
    sign_in(phone, demo)
    open_view(phone, demo, "admin")
    phone.shot("44-demo-kpi-dashboard-ja-phone")
    open_view(phone, demo, "connections")
    phone.shot("45-demo-connections-ja-phone")
    open_view(phone, demo, "")
    phone.shot("46-demo-home-ja-phone")
    # many people to name on an activity: no scroll box inside the page, the first few
    # names and "show everyone"
    open_view(phone, demo, "claim")
    people = phone.page.locator(".people label.person")
    assert people.count() >= 20
    assert phone.page.locator(".people label.person:visible").count() == 12
    phone.page.locator("button[data-action=everyone]").click()
    assert phone.page.locator(".people label.person:visible").count() == people.count()
    assert not phone.page.evaluate(LAYOUT)["boxes"]
    phone.shot("48-demo-claim-many-people-ja-phone")
    for actor in (admin, phone):
        actor.check_clean()
