"""The web app with the keyboard alone, on a phone-sized screen: skip link, sign-in
with a wallet, joining, moving through the menu, cancelling a signature with Escape
and signing with Enter; errors appear next to the field that caused them."""

from __future__ import annotations

import secrets
from typing import Any

import pytest

from tests.browser.conftest import Server
from tests.browser.test_web_app import open_view, settle

pytestmark = pytest.mark.browser


def focused(page: Any) -> str:
    return str(page.evaluate(
        "(() => { const e = document.activeElement; return e ? (e.getAttribute('aria-label') "
        "|| e.textContent || e.name || e.id || e.tagName).trim() : ''; })()"))


def tab_to(page: Any, text: str, limit: int = 40) -> None:
    """Press Tab until the focused element reads ``text``."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if text in focused(page):
            return
    raise AssertionError(f"Tab never reached {text!r} (last: {focused(page)!r})")


def test_keyboard_only_member_on_a_phone(actors: Any, server: Server) -> None:
    from playwright.sync_api import expect

    me = actors("keyboard", key=secrets.token_bytes(32), viewport=(375, 740))
    page = me.page
    open_view(me, server, "signin")

    page.keyboard.press("Tab")
    assert focused(page) == "Skip to content"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    assert page.url.endswith("#/signin")

    tab_to(page, "Sign in with wallet")
    page.keyboard.press("Enter")
    page.wait_for_selector("form[data-form=join]")
    settle(me)

    # an empty name is refused next to the field, and focus goes there
    tab_to(page, "Join")
    page.keyboard.press("Enter")
    error = page.locator("[data-field=displayName] .field-error")
    assert error.inner_text() == "Please fill this in."
    assert page.evaluate("document.activeElement.name") == "displayName"
    page.keyboard.type("Keiko Arai")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.type") == "radio", focused(page)
    page.keyboard.press("Space")  # the first choice: lives in the region
    assert page.locator("form[data-form=join] input[type=radio]").first.is_checked()
    page.keyboard.press("Enter")  # submits the form
    page.locator("#dialog").wait_for(state="visible")
    page.keyboard.press("Enter")  # Sign (focused first)
    page.wait_for_selector("#dialog .sign-kind:has-text('Your profile')")
    page.keyboard.press("Enter")
    page.wait_for_selector("text=Hello, Keiko Arai")
    settle(me)

    # through the menu to "Record", fill it in, cancel with Escape, then sign
    page.locator("#nav a[href='#/claim']").focus()
    page.keyboard.press("Enter")
    page.wait_for_selector("[data-view=claim][data-rendered=true]")
    settle(me)
    page.locator("[data-field=title] input").focus()
    page.keyboard.type("Read picture books at the library")
    page.keyboard.press("Tab")  # category
    page.keyboard.press("ArrowDown")  # → the next kind
    tab_to(page, "1 h")  # the time: one of the usual lengths, a key press away
    page.keyboard.press("Space")
    assert page.locator("[data-field=minutes] input").input_value() == "60"
    tab_to(page, "Sign and record")
    page.keyboard.press("Enter")
    page.locator("#dialog").wait_for(state="visible")
    page.keyboard.press("Escape")
    box = page.locator("form[data-form=claim] .form-error")
    box.wait_for()
    assert "Not signed: nothing was recorded." in box.inner_text()
    settle(me)
    submit = page.locator("form[data-form=claim] button[type=submit]")
    expect(submit).to_be_enabled()
    expect(submit).to_have_text("Sign and record")
    submit.press("Enter")  # focuses the button, then the key
    page.locator("#dialog").wait_for(state="visible")
    page.keyboard.press("Enter")
    page.wait_for_selector("text=Recorded! A verifier will review it soon.")
    page.wait_for_selector("article[data-status=pending] >> text=Read picture books")
    me.shot("30-keyboard-phone-recorded")
    me.check_clean()
