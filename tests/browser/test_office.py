"""The region office and the municipality (issue 12 §6), in Japanese: an admin reviews
claims after granting herself the verifier role in one click, finds members by name or
kana reading and copies their full address, tells two members of the same name apart,
reads the KPI page with each figure's definition, picks a fiscal year (年度) or a range
of months, downloads the KPI table as CSV and prints it; no English is left on the
admin's pages."""

from __future__ import annotations

import csv
import io
import json
import re
import secrets
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ledger import eip712
from service.config import Settings
from service.keyring import Keyring
from tests.browser.conftest import ARTIFACTS, PASSPHRASE, Server, start_server
from tests.browser.test_demo_region import sign_in
from tests.browser.test_web_app import open_view, sign, wait_rendered
from tests.integration.service_fixtures import ZERO32, Person

pytestmark = pytest.mark.browser

#: Latin words that may stand in the Japanese UI: the brand, the language switch,
#: and names of formats.
ALLOWED_LATIN = {"Kakawari", "English", "CSV", "QR", "PDF", "JSON", "PR"}
ALLOWED_PHRASES = ("JSON Lines",)


@pytest.fixture(scope="module")
def office(browser_ready: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("kakawari-office")
    for srv in start_server(tmp, None, seed=(14, 40)):
        settings = Settings(data_dir=Path(srv.env["KAKAWARI_DATA_DIR"]))
        srv.admin_key = Keyring(settings, PASSPHRASE.encode()).load("ama", "admin")
        yield srv


def submit(server: Server, who: Person, path: str, type_: str, **fields: Any) -> Any:
    """Sign ``type_`` as ``who`` and post it to the region's ``path`` (as a wallet
    client outside the browser would)."""
    body = json.dumps(who.body(type_, **fields)).encode()
    request = urllib.request.Request(f"{server.url}/v1/regions/ama{path}", data=body,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=20) as r:
        return json.loads(r.read())


def user_words(server: Server) -> list[str]:
    """What people wrote (names, titles, reasons, notes): it stays as they wrote it."""
    def every(path: str) -> list[Any]:
        items: list[Any] = []
        while True:
            page = server.get(f"/v1/regions/ama{path}{'&' if '?' in path else '?'}"
                              f"offset={len(items)}&limit=100")
            items += page["items"]
            if len(items) >= page["total"] or not page["items"]:
                return items
    texts = [m["displayName"] for m in every("/members")]
    texts += [q["title"] for q in every("/quests")]
    for c in every("/claims"):
        texts.append(c["title"])
        full = server.get(f"/v1/regions/ama/claims/{c['id']}")
        texts += [r["reason"] for r in full["reviews"]]
        texts += [e["note"] for e in full["endorsements"]]
    return sorted({x for x in texts if x}, key=len, reverse=True)


def english_left(page: Any, written: list[str]) -> list[str]:
    """Latin-letter words in the visible text of the page (header, menu and content),
    without what people wrote, data shown as code (addresses, hashes, the signed
    checkpoint) and member numbers."""
    text = page.evaluate("""() => {
        const copy = document.body.cloneNode(true);
        copy.querySelectorAll('code, pre, script, style, [hidden], svg.graph')
          .forEach((e) => e.remove());  // data, and the graph's (shortened) names
        document.body.append(copy);  // innerText needs it laid out
        copy.style.display = 'block';
        const out = copy.innerText;
        copy.remove();
        return out;
    }""")
    for words in (*written, *ALLOWED_PHRASES):
        text = text.replace(words, " ")
    text = re.sub(r"0x[0-9a-fA-F]{4,}(…[0-9a-fA-F]{4})?|\b[A-Z]+-\d{4,}\b", " ", text)
    words = {w for w in re.findall(r"[A-Za-z]{2,}", text) if w not in ALLOWED_LATIN}
    units = set(re.findall(r"\d\s?[A-Za-z]\b", text))  # "48.5 h", "3 d"
    return sorted(words | units)


ADMIN_PAGES = ["admin?tab=kpi", "admin?tab=members", "admin?tab=claims", "admin?tab=quests",
               "admin?tab=perks", "admin?tab=policy", "admin?tab=roles", "admin?tab=invites",
               "admin?tab=anchor", "review", "", "quests", "points", "audit", "connections"]


def test_the_office_in_japanese(actors: Any, office: Server) -> None:
    # Two residents of the same name, one with the reading of it, and a claim to review
    sato1, sato2 = Person("ama", chain_id=31337), Person("ama", chain_id=31337)
    for who in (sato1, sato2):
        submit(office, who, "/members", "Join", displayName="鬼塚 一郎")
    submit(office, sato1, "/reading", "Reading", reading="おにづか いちろう")
    pending = submit(office, sato2, "/claims", "Claim", category="cleanup", title="港の草取り",
                     minutes=90, occurredAt=int(time.time()) - 3600, quest=ZERO32,
                     coContributors=[], detailsHash=ZERO32)["id"]

    admin = actors("admin-ja", key=office.admin_key, locale="ja-JP")
    admin.context.grant_permissions(["clipboard-read", "clipboard-write"],
                                    origin=office.url)
    sign_in(admin, office)
    page = admin.page

    # 1. Reviewing: the admin is no verifier yet; one click makes her one (a Role entry)
    assert page.locator("#nav a[href='#/review']").count() == 1
    open_view(admin, office, "review")
    admin.shot("61-office-review-offer")
    page.locator("button[data-action=become-verifier]").click()
    sign(admin, {"role": "確認役"})
    wait_rendered(admin, "review")
    card = page.locator(f"article[data-claim='{pending}']")
    card.locator("button[data-action=approve]").click()
    sign(admin)
    wait_rendered(admin, "review")
    assert office.get(f"/v1/regions/ama/claims/{pending}")["status"] == "approved"
    assert "verifier" in office.get(f"/v1/regions/ama/members/{admin.address}")["roles"]

    # 2. The member list: by kana (hiragana or katakana), by name; same names told apart
    open_view(admin, office, "admin?tab=members")
    search = page.get_by_test_id("member-search")
    rows = page.locator("li.member-row:visible")
    for typed in ("おにづか", "オニヅカ", "ｵﾆﾂﾞｶ"):
        search.fill(typed)
        assert rows.count() == 1, typed
        assert rows.first.get_attribute("data-member") == sato1.address
    search.fill("鬼塚")
    assert rows.count() == 2
    assert rows.locator(".chip", has_text="同じ名前の人がいます").count() == 2
    numbers = rows.locator("[data-value=number]").all_inner_texts()
    if numbers:  # member numbers, where the service gives them, differ
        assert len(set(numbers)) == 2
    addresses = rows.locator("[data-value=address]").all_inner_texts()
    assert sorted(addresses) == sorted([sato1.address, sato2.address])  # in full
    admin.shot("62-office-members-same-name")
    row = page.locator(f"li[data-member='{sato2.address}']")
    row.locator("button[data-copy=address]").click()
    assert page.evaluate("navigator.clipboard.readText()") == sato2.address
    search.fill(sato2.address[:10].upper())
    assert rows.count() == 1

    # 3. KPIs: definitions; a fiscal year; a range; CSV; print
    open_view(admin, office, "admin?tab=kpi")
    continuing = page.locator("dd[data-def=continuing]").inner_text()
    assert "3か月" in continuing and "多くなることがあります" in continuing
    now = time.gmtime(time.time() + 9 * 3600)  # months are Japan's
    fiscal = now.tm_year if now.tm_mon >= 4 else now.tm_year - 1
    so_far = now.tm_year * 12 + now.tm_mon - (fiscal * 12 + 4) + 1  # April to this month

    def month(back: int) -> str:
        index = now.tm_year * 12 + now.tm_mon - 1 - back
        return f"{index // 12:04d}-{index % 12 + 1:02d}"

    page.get_by_test_id("kpi-period").select_option(f"fy{fiscal}")
    wait_rendered(admin, "admin")
    assert f"fy={fiscal}" in page.url
    assert f"{fiscal}年度" in page.get_by_test_id("kpi-subtitle").inner_text()
    table = page.get_by_test_id("kpi-table")
    assert table.locator("tbody tr").count() == so_far  # none after this month
    assert table.locator("tbody tr").first.locator("th").inner_text() == f"{fiscal}年4月"
    total = table.locator("tfoot tr").inner_text()
    assert f"{fiscal}年度 計" in total
    admin.shot("63-office-kpi-fiscal-year")
    with page.expect_download() as done:
        page.get_by_test_id("kpi-csv").click()
    download = done.value
    raw = Path(download.path()).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows_csv = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert rows_csv[0][:3] == ["月", "活動した人", "継続して関わる人"]
    assert rows_csv[-1][0] == f"{fiscal}年度 計"
    assert download.suggested_filename == f"kakawari-ama-kpis-{fiscal}-04_{fiscal + 1}-03.csv"
    # the total row on the page is the CSV's, figure for figure
    shown = [c.replace(",", "") for c in table.locator("tfoot td").all_inner_texts()]
    assert shown[:8] == rows_csv[-1][1:9]
    (ARTIFACTS / "63-office-kpi-fiscal-year.csv").write_bytes(raw)

    page.get_by_test_id("kpi-period").select_option("range")
    page.locator("input[name=from]").fill(month(2))
    page.locator("input[name=to]").fill(month(0))
    page.get_by_role("button", name="表示").click()
    wait_rendered(admin, "admin")
    assert f"from={month(2)}&to={month(0)}" in page.url
    assert table.locator("tbody tr").count() == 3
    assert "期間計" in table.locator("tfoot tr").inner_text()

    page.emulate_media(media="print")
    hidden = page.evaluate("""() => ['#top', '#nav', '.tabs', '.kpi-controls', '.kpi-actions']
        .map((s) => [s, getComputedStyle(document.querySelector(s)).display])""")
    assert all(display == "none" for _, display in hidden), hidden
    assert page.get_by_test_id("kpi-table").is_visible()
    assert page.locator("dd[data-def=continuing]").is_visible()
    assert page.locator(".print-only").first.is_visible()  # the date it was printed
    main_left = page.evaluate("document.getElementById('main').getBoundingClientRect().left")
    assert main_left < 20  # the menu's column is gone, not just emptied
    admin.shot("64-office-kpi-print")
    page.pdf(path=str(ARTIFACTS / "64-office-kpi-print.pdf"), format="A4")
    page.emulate_media(media="screen")
    assert page.evaluate("getComputedStyle(document.getElementById('nav')).display") != "none"

    admin.check_clean()


def test_no_english_is_left_on_the_admins_japanese_pages(actors: Any, office: Server) -> None:
    admin = actors("admin-ja-walk", key=office.admin_key, locale="ja-JP")
    sign_in(admin, office)
    page = admin.page
    found = {}
    written = user_words(office)
    for route in ADMIN_PAGES:
        open_view(admin, office, route)
        if left := english_left(page, written):
            found[route or "home"] = left
        admin.shot("65-office-ja-" + (route.replace("?tab=", "-") or "home"))
    assert not found, f"English left in the Japanese UI: {found}"
    admin.check_clean()


def test_a_member_gives_the_reading_of_her_name(actors: Any, office: Server) -> None:
    key = secrets.token_bytes(32)
    member = Person("ama", key=key, chain_id=31337)
    submit(office, member, "/members", "Join", displayName="山本 花")
    phone = actors("member-ja", key=key, locale="ja-JP", viewport=(390, 844))
    sign_in(phone, office)
    box = phone.page.get_by_test_id("reading")
    box.locator("summary").click()
    box.locator("input").fill("Yamamoto")
    box.get_by_role("button", name="保存").click()
    assert "ひらがなかカタカナ" in box.locator(".field-error").inner_text()
    box.locator("input").fill("やまもと はな")
    box.get_by_role("button", name="保存").click()
    sign(phone, {"reading": "やまもと はな"})
    wait_rendered(phone, "home")
    got = office.get(f"/v1/regions/ama/members/{eip712.address_of(key)}")
    assert got["reading"] == "やまもと はな"
    assert "やまもと はな" in phone.page.get_by_test_id("reading").inner_text()
    phone.shot("66-office-member-reading-phone")
    phone.check_clean()
