"""The small pages at phone width (390 px) in Indonesian: readable without sideways scrolling,
every control labelled and reachable with the keyboard, refused forms worded in Indonesian."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import register_in_browser, unique_email
from tradeloop.i18n import translate

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
UNLABELLED = """() => [...document.querySelectorAll('input, select, textarea, button')]
  .filter((el) => el.type !== 'hidden' && el.offsetParent !== null)
  .filter((el) => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
                  && !(el.tagName === 'BUTTON' && el.innerText.trim()))
  .map((el) => el.outerHTML.slice(0, 80))"""
OVERFLOW = "() => document.documentElement.scrollWidth - window.innerWidth"


def _check(page, path: str) -> None:
    from axe_playwright_python.sync_playwright import Axe

    page.goto(path)
    assert page.evaluate(UNLABELLED) == [], path
    assert page.evaluate(OVERFLOW) <= 0, f"{path} scrolls sideways at 390 px"
    violations = Axe().run(page).response["violations"]
    serious = [(v["id"], [n["html"][:80] for n in v["nodes"]]) for v in violations
               if v["impact"] in ("serious", "critical")]  # fmt: skip
    assert serious == [], f"{path}: {serious}"


def test_small_pages_fit_a_phone_and_label_every_control(page) -> None:
    page.set_viewport_size(PHONE)
    for path in ("/login", "/register"):
        _check(page, path)
    page.goto("/register")  # keyboard only: type, Tab to the next field, Enter to send
    page.focus("input[name=name]")
    page.keyboard.type("Sari")
    page.keyboard.press("Tab")
    page.keyboard.type(unique_email("sari"))
    page.keyboard.press("Tab")
    page.keyboard.type("pendek")
    page.evaluate("document.querySelector('input[name=password]').removeAttribute('minlength')")
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    message = page.locator(".errors").inner_text()
    assert message == "Kata sandi: minimal 10 karakter"  # no Pydantic English
    register_in_browser(page, "Sari")
    page.set_viewport_size(PHONE)
    for path in ("/", "/bots", "/profile", "/notifications", "/no-such-page"):
        _check(page, path)
    page.goto("/bots")
    page.fill("#bot-name", "Emas")
    page.fill("#bot-market", "XAUUSD")
    page.select_option("#bot-strategy", "turtle_breakout")
    page.fill("#bot-risk", "1")
    page.select_option("#bot-stop-mode", "atr")
    page.click(f"button:has-text('{translate('id', 'bots.create')}')")
    assert page.locator("[data-testid=bot-size]").inner_text() == "risiko 1.0 %"
    assert page.locator("[data-testid=bot-stop]").inner_text() == "2.0 × ATR"
    assert page.evaluate(OVERFLOW) <= 0  # the table scrolls inside its box, not the page
