"""The `make run` promise: the printed demo sign-in opens the dashboard with the demo data."""

from __future__ import annotations

import re

import pytest

from tradeloop.i18n import translate

pytestmark = pytest.mark.browser


def test_printed_demo_account_signs_in_to_the_dashboard(page, demo_output) -> None:
    printed = demo_output[2]
    email = re.search(r"email:\s+(\S+)", printed).group(1)
    password = re.search(r"password:\s+(\S+)", printed).group(1)
    assert email == "demo@tradeloop.app"
    page.goto("/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("button.primary")
    page.wait_for_url(re.compile(r"/$"))
    assert page.locator("h1").inner_text() == translate("id", "dashboard.title")
    assert translate("id", "dashboard.welcome", name="Demo Trader") in page.content()
    stats = page.locator(".stat strong").all_inner_texts()
    assert stats == ["2", "3", "0", "1"]  # bots, unread notifications, backtests, journal days
    page.goto("/notifications")
    events = page.locator("tbody tr td:nth-child(2)").all_inner_texts()
    assert events == ["Posisi ditutup", "Posisi dibuka", "Bot dijalankan"]
