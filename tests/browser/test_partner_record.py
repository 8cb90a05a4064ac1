"""Recognition that travels (issue 16) in the web app: with a partner region named, a
member links her record with it from her home page (a signed `RecordLink`, followed by
the service's `RecordSummary`), and asking to show her partner record when the partner
can't be reached says so in words, without breaking the page. Regions without partners
show no such card (every other browser test)."""

from __future__ import annotations

import secrets
import urllib.error
import urllib.request
from typing import Any

import pytest

from tests.browser.conftest import Server
from tests.browser.test_web_app import open_view, post_partnership, sign, wallet_sign_in_and_join

pytestmark = pytest.mark.browser


def _record_status(server: Server, address: str) -> int:
    url = (f"{server.url}/v1/regions/ama/members/{address}/record"
           "?partner=kakawari/tabayama")
    try:
        with urllib.request.urlopen(url, timeout=30) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def test_a_member_links_her_record_with_a_partner_region(server: Server, actors: Any) -> None:
    # nothing listens there: asking the partner fails at once
    post_partnership(server, "http://127.0.0.1:9/logs/tabayama")
    hanako = actors("hanako", key=secrets.token_bytes(32))
    wallet_sign_in_and_join(hanako, server, "Hanako", resident=False)
    assert hanako.address is not None
    open_view(hanako, server, "")
    form = hanako.page.locator("form[data-form=partner-link][data-partner='kakawari/tabayama']")
    # one wallet in both regions: her address there is filled in
    assert form.locator("input").input_value() == hanako.address
    assert _record_status(server, hanako.address) == 403  # no consent yet
    form.get_by_role("button", name="Link my record with 丹波山村").click()
    sign(hanako, {"partner": "丹波山村"})
    hanako.page.wait_for_selector("text=Linked.")
    # her consent and the summary are in the log: the receipt now waits only for the
    # partner's witness to cosign a checkpoint
    assert _record_status(server, hanako.address) == 409
    with hanako.expecting_refusal():
        form.get_by_role("button", name="Show my 丹波山村 record here").click()
        form.locator(".form-error:not([hidden])").wait_for()
    assert "try again" in form.inner_text().lower()
    hanako.shot("partner-link")
    hanako.check_clean()
