"""The region office and the municipality (issue 12 §6), in Japanese: an admin reviews
claims after granting herself the verifier role in one click, finds members by name or
kana reading and copies their full address, reads the KPI page with each figure's
definition, picks a fiscal year (年度) or a range of months, downloads the KPI table as
CSV and prints it; no English is left on the admin's pages."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from service.config import Settings
from service.keyring import Keyring
from tests.browser.conftest import PASSPHRASE, Server, start_server
from tests.browser.test_demo_region import sign_in
from tests.browser.test_web_app import open_view

pytestmark = pytest.mark.browser

#: Latin words that may appear in the Japanese UI: the brand, the language switch,
#: names of formats and standards.
ALLOWED_LATIN = {"Kakawari", "English", "CSV", "QR", "ID", "PDF", "JSON", "Ethereum", "EIP"}


@pytest.fixture(scope="module")
def office(browser_ready: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("kakawari-office")
    for srv in start_server(tmp, None, seed=(14, 40)):
        settings = Settings(data_dir=Path(srv.env["KAKAWARI_DATA_DIR"]), scrypt_n=1024)
        srv.admin_key = Keyring(settings, PASSPHRASE.encode()).load("ama", "admin")
        yield srv


def english_left(page: Any) -> list[str]:
    """Latin-letter words in the visible text of the page (header, navigation and
    content), addresses and hashes aside."""
    text = page.evaluate("document.body.innerText")
    text = re.sub(r"0x[0-9a-fA-F]{6,}|[0-9a-fA-F]{12,}", " ", text)
    words = re.findall(r"[A-Za-z]{2,}", text)
    return sorted({w for w in words if w not in ALLOWED_LATIN})


ADMIN_PAGES = ["admin?tab=kpi", "admin?tab=members", "admin?tab=claims", "admin?tab=quests",
               "admin?tab=policy", "admin?tab=roles", "admin?tab=invites", "admin?tab=anchor",
               "review", "", "quests", "audit", "connections"]


def test_no_english_left_on_the_admins_japanese_pages(actors: Any, office: Server) -> None:
    admin = actors("admin-ja", key=office.admin_key, locale="ja-JP")
    sign_in(admin, office)
    found = {}
    for route in ADMIN_PAGES:
        open_view(admin, office, route)
        left = english_left(admin.page)
        if left:
            found[route or "home"] = left
        admin.shot("60-office-ja-" + (route.replace("?tab=", "-") or "home"))
    assert not found, f"English left in the Japanese UI: {found}"
    admin.check_clean()
