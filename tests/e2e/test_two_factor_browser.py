"""In Chromium: turn two-factor sign-in on from the security page (the secret read off the
page, the code made by pyotp as an authenticator app would), sign out, sign in again (a wrong
code refused, the right one lets in), then sign a second browser out from the session list."""

from __future__ import annotations

import re
import time

import pyotp
import pytest

from tests.e2e.conftest import register_in_browser
from tradeloop.i18n import translate

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery"


def _password_step(page, email: str) -> None:
    page.goto("/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button.primary")
    page.wait_for_url(re.compile(r"/login/two-factor\?next=/$"))


def _code_step(page, code: str) -> None:
    page.fill("input[name=code]", code)
    page.click("button.primary")


def test_two_factor_sign_in_and_revoking_another_browser(browser, server: str, page) -> None:
    email = register_in_browser(page, "Tari")
    page.goto("/profile")
    page.click("[data-testid=security-link]")
    page.wait_for_url(re.compile(r"/security$"))
    assert page.locator("[data-testid=two-factor-state]").inner_text() == translate(
        "id", "security.two_factor_off"
    )
    page.click("[data-testid=enable-two-factor]")
    page.wait_for_url(re.compile(r"/security#two-factor$"))
    assert page.locator("[data-testid=totp-qr]").is_visible()
    secret = page.locator("[data-testid=totp-secret]").inner_text().strip()
    totp = pyotp.TOTP(secret)
    page.fill("#confirm-code", totp.now())
    page.click("[data-testid=confirm-two-factor]")
    codes = page.locator("[data-testid=recovery-codes] li").all_inner_texts()
    assert len(codes) == 10 and all(re.fullmatch(r"[0-9a-z]{4}-[0-9a-z]{4}", c) for c in codes)
    page.goto("/security")
    assert page.locator("[data-testid=recovery-codes]").count() == 0  # shown once
    assert translate("id", "security.codes_left", n=10) in page.content()

    page.click("[data-testid=sign-out]")
    page.wait_for_url(re.compile(r"/login\?notice=auth.signed_out$"))
    _password_step(page, email)
    assert page.locator("h1").inner_text() == translate("id", "security.sign_in_code_title")
    _code_step(page, "000000")
    assert page.locator(".errors").inner_text() == translate("id", "error.two_factor_code")
    page.goto("/")  # not signed in yet
    assert "/login?next=/" in page.url
    _password_step(page, email)
    _code_step(page, totp.at(time.time() + 30))  # the next step: the last one was used
    page.wait_for_url(re.compile(r"/$"))
    assert page.locator("#main-nav").is_visible()

    other = browser.new_context(base_url=server)
    second = other.new_page()
    try:
        _password_step(second, email)
        _code_step(second, codes[0])
        second.wait_for_url(re.compile(r"/$"))
        page.goto("/security")
        rows = page.locator("[data-testid=session-row]")
        assert rows.count() == 2
        assert page.locator("[data-testid=current-session]").count() == 1
        page.click("[data-testid=revoke-session]")
        page.wait_for_url(re.compile(r"/security\?done=revoked#sessions$"))
        assert page.locator(".notice").inner_text() == translate("id", "security.session_revoked")
        assert page.locator("[data-testid=session-row]").count() == 1
        actions = page.locator("[data-testid=audit-action]").all_inner_texts()
        assert actions[0] == translate("id", "security.action.session_revoked")
        assert translate("id", "security.action.two_factor_failed") in actions
        second.goto("/security")
        assert "/login?next=/security" in second.url
    finally:
        other.close()
    page.goto("/security")
    assert translate("id", "security.codes_left", n=9) in page.content()
