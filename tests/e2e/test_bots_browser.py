"""A trader's bot in Chromium: created from the form the strategy schema generates, started
on a replay of their own bars, its trade and notification arriving on the open page without a
reload (server-sent events), stopped, and its trade found in the journal marked as a bot's."""

from __future__ import annotations

import re

import pytest

from tests.api.test_backtests import csv_bytes
from tests.e2e.conftest import register_in_browser

pytestmark = pytest.mark.browser


def test_create_start_watch_stop_a_bot_and_find_its_trade_in_the_journal(page) -> None:
    register_in_browser(page, "Wati")
    token = page.locator('meta[name="csrf-token"]').get_attribute("content")
    uploaded = page.request.post(
        "/api/backtests", headers={"X-CSRF-Token": token},
        multipart={"strategy": "ma_crossover",
                   "file": {"name": "EURUSD_H1.csv", "mimeType": "text/csv", "buffer": csv_bytes(600)}},
    )  # fmt: skip
    assert uploaded.status == 201, uploaded.text()

    page.goto("/bots")
    page.fill("#bot-name", "Wati's paper bot")
    page.fill("#bot-market", "EURUSD")
    page.select_option("#bot-strategy", "ma_crossover")
    page.fill("#param-fast_period", "5")  # inputs made from the strategy's schema
    page.fill("#param-slow_period", "20")
    page.fill("#bot-sl", "15")
    page.fill("#bot-tp", "30")
    page.click("#bot-form button[type=submit]")
    page.wait_for_url(re.compile(r"/bots\?notice=bots.created"))
    assert page.get_by_test_id("bot-params").inner_text() == "Periode cepat 5, Periode lambat 20"
    page.get_by_test_id("bot-link").click()
    page.wait_for_url(re.compile(r"/bots/\d+$"))
    bot_id = page.url.rsplit("/", 1)[1]

    page.fill("#start-pace", "0.1")
    page.get_by_test_id("start-bot").click()
    page.wait_for_url(re.compile(rf"/bots/{bot_id}$"))
    page.evaluate("window.__sameDocument = true")  # gone if the page reloads
    assert page.get_by_test_id("bot-trades").count() == 0  # no trade yet
    page.get_by_test_id("bot-trades").wait_for(timeout=60_000)  # arrives by itself
    bell = page.get_by_test_id("unread-count")
    bell.wait_for(state="visible", timeout=30_000)
    assert int(bell.inner_text()) >= 2  # a position opened and closed
    assert page.evaluate("window.__sameDocument") is True
    assert page.get_by_test_id("bot-activity").inner_text().count("Posisi") >= 2

    page.get_by_test_id("stop-bot").click()
    page.wait_for_url(re.compile(rf"/bots/{bot_id}$"))
    page.get_by_test_id("bot-status").filter(has_text="Dijeda").wait_for(timeout=30_000)
    trades = page.get_by_test_id("bot-trades").locator("tbody tr").count()

    page.goto("/journal")
    marked = page.get_by_test_id("bot-trade")
    assert marked.count() == trades >= 1
    assert marked.first.get_attribute("href") == f"/bots/{bot_id}"
