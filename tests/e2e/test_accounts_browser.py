"""In Chromium: register, sign out, sign in, switch language, sign out again."""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import register_in_browser, unique_email
from tradeloop.i18n import translate

pytestmark = pytest.mark.browser


def test_register_sign_out_sign_in_switch_language(page) -> None:
    page.goto("/")
    assert page.url.endswith("/login?next=/")
    assert page.locator("h1").inner_text() == translate("id", "auth.sign_in_title")

    email = unique_email("ayu")
    page.click(f"text={translate('id', 'nav.register')}")
    page.fill("input[name=name]", "Ayu Lestari")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", "correct horse battery")
    page.click(f"button:has-text('{translate('id', 'auth.register')}')")
    page.wait_for_url(re.compile(r"/\?notice=auth.registered$"))
    assert translate("id", "dashboard.welcome_new", name="Ayu Lestari") in page.content()
    assert translate("id", "dashboard.welcome", name="Ayu Lestari") not in page.content()

    page.click("[data-testid=sign-out]")
    page.wait_for_url(re.compile(r"/login\?notice=auth.signed_out$"))
    assert page.locator(".notice").inner_text() == translate("id", "auth.signed_out")

    page.fill("input[name=email]", email)
    page.fill("input[name=password]", "wrong password!")
    page.click(f"button:has-text('{translate('id', 'auth.sign_in')}')")
    assert page.locator(".errors").inner_text() == translate("id", "error.wrong_credentials")
    page.fill("input[name=password]", "correct horse battery")
    page.click(f"button:has-text('{translate('id', 'auth.sign_in')}')")
    page.wait_for_url(re.compile(r"/$"))
    links = page.locator("#main-nav a")
    keys = ("nav.dashboard", "nav.bots", "nav.accounts", "nav.backtests", "nav.optimise",
            "nav.market", "nav.journal", "nav.mentor", "nav.notifications", "nav.profile")  # fmt: skip
    assert links.all_inner_texts() == [translate("id", key) for key in keys]

    page.click("[data-testid=lang-en]")
    page.wait_for_load_state()
    assert links.all_inner_texts() == [
        "Dashboard",
        "Bots",
        "Accounts",
        "Backtests",
        "Optimise",
        "Market data",
        "Journal",
        "Mentor",
        "Notifications",
        "Profile",
    ]
    assert page.locator("h1").inner_text() == translate("en", "dashboard.title")
    assert page.locator("html").get_attribute("lang") == "en"
    page.goto("/mentor")
    assert page.locator("h1").inner_text() == translate("en", "mentor.title")
    assert page.locator("[data-testid=generate]").inner_text() == translate("en", "mentor.generate")

    page.click("[data-testid=sign-out]")
    page.wait_for_url(re.compile(r"/login"))
    assert page.locator("h1").inner_text() == translate("en", "auth.sign_in_title")
    page.goto("/profile")
    assert "/login?next=/profile" in page.url


def test_bots_page_creates_a_bot_with_indonesian_status(page) -> None:
    register_in_browser(page, "Budi")
    page.goto("/bots")
    assert page.locator(".empty").inner_text() == translate("id", "bots.empty")
    page.fill("input[name=name]", "Emas Breakout")
    page.fill("input[name=market]", "XAUUSD")
    page.select_option("select[name=strategy]", "turtle_breakout")
    page.select_option("select[name=timeframe]", "H4")
    page.click(f"button:has-text('{translate('id', 'bots.create')}')")
    row = page.locator("[data-testid=bots-table] tbody tr")
    assert row.count() == 1
    cells = row.first.locator("td").all_inner_texts()
    assert cells[:10] == [
        "Emas Breakout",
        "XAUUSD H4",
        translate("id", "strategy.turtle_breakout"),
        "Periode masuk 20, Periode keluar 10",
        "0.01 lot",
        "100 pip",
        "200 pip",
        "Dijeda",
        "—",
        "—",
    ]  # fmt: skip  (name, market, strategy, parameters, size, stop, target, state, P&L, position)
    created = translate("id", "notifications.detail_bot_saved", name="Emas Breakout")
    assert cells[10].startswith(f"{translate('id', 'action.BOT_CREATED')}: {created} ")
