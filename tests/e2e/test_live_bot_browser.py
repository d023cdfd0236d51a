"""In Chromium, against a server process whose operator pointed Binance at the tests' look-alike
(``TRADELOOP_CCXT_URLS``): turn two-factor sign-in on, add a testnet Binance account with its
keys, test its connection, make a bot, start it on the account, and watch its trade (a buy
on the exchange's crossover, sold at its stop a bar later) reach the bot's page and the
journal. The exchange's bars are the look-alike's, added by the test as a market would."""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pyotp
import pytest

from tests.brokers.binance_server import BinanceServer
from tests.e2e.conftest import CLI, register_in_browser, serving
from tests.services.test_live_bots import BAR, _add_bar, _history
from tradeloop.i18n import translate

pytestmark = pytest.mark.browser


@pytest.fixture
def exchange() -> Iterator[BinanceServer]:
    with BinanceServer(api_key="liveKEYaaaaBBBBcccc4411", secret="liveSECRETddddEEEE") as server:
        yield server


@pytest.fixture
def live_server(tmp_path: Path, exchange: BinanceServer) -> Iterator[str]:
    data = tmp_path / "data"
    env = {**os.environ, "TRADELOOP_DATA_DIR": str(data),
           "TRADELOOP_CCXT_URLS": json.dumps({"binance": exchange.base_url}),
           "TRADELOOP_LIVE_POLL_SECONDS": "0.2", "TRADELOOP_BOT_LEASE_SECONDS": "3"}  # fmt: skip
    env.pop("TRADELOOP_DATABASE_URL", None)
    subprocess.run([*CLI, "db", "upgrade"], env=env, check=True, capture_output=True)
    with serving(data, env) as base:
        yield base


def _two_factor_on(page) -> None:
    page.goto("/security")
    page.click("[data-testid=enable-two-factor]")
    secret = page.locator("[data-testid=totp-secret]").inner_text().strip()
    page.fill("#confirm-code", pyotp.TOTP(secret).now())
    page.click("[data-testid=confirm-two-factor]")
    page.locator("[data-testid=recovery-codes]").wait_for()


def test_a_bot_on_a_testnet_account_from_the_pages_to_the_journal(
    browser, live_server: str, exchange: BinanceServer, tmp_path: Path
) -> None:
    context = browser.new_context(base_url=live_server)
    page = context.new_page()
    register_in_browser(page, "Rina")
    _two_factor_on(page)

    page.goto("/accounts")
    page.fill("#account-name", "Binance testnet")
    page.select_option("#account-kind", "ccxt")
    page.fill("#account-exchange", "binance")
    page.fill("input[name=api_key]", exchange.api_key)
    page.fill("input[name=api_secret]", exchange.secret)
    page.get_by_test_id("add-account").click()
    page.wait_for_url(re.compile(r"/accounts\?notice=accounts.added$"))
    row = page.get_by_test_id("account-row")
    assert translate("id", "accounts.mode.testnet") in row.inner_text()
    assert exchange.api_key not in page.content()
    row.get_by_test_id("test-account").click()
    message = page.get_by_test_id("connection-message")
    message.wait_for()
    assert message.inner_text() == translate("id", "accounts.test.ok")
    assert "USDT" in page.get_by_test_id("connection-balances").inner_text()

    page.goto("/bots")
    page.fill("#bot-name", "BTC crossover")
    page.fill("#bot-market", "BTCUSDT")
    page.select_option("select[name=timeframe]", "M5")
    page.select_option("#bot-strategy", "ma_crossover")
    page.fill("#param-fast_period", "2")
    page.fill("#param-slow_period", "3")
    page.fill("#bot-sl", "100")
    page.fill("#bot-tp", "1000")
    page.click("#bot-form button[type=submit]")
    page.wait_for_url(re.compile(r"/bots\?notice=bots.created"))
    page.get_by_test_id("bot-link").click()
    page.wait_for_url(re.compile(r"/bots/\d+$"))
    bot_id = page.url.rsplit("/", 1)[1]

    next_open = _history(exchange)  # the exchange's last 100 closed bars
    page.select_option("#start-account", index=0)  # the one exchange account
    page.get_by_test_id("start-live").click()
    page.wait_for_url(re.compile(rf"/bots/{bot_id}$"))
    assert page.get_by_test_id("bot-feed").inner_text() == translate(
        "id", "bots.feed_account", account="Binance testnet"
    )
    running = translate("id", "status.running")
    page.get_by_test_id("bot-status").filter(has_text=running).wait_for(timeout=60_000)

    _add_bar(exchange, next_open, low=50000, close=50500)  # the fast average crosses up
    position = page.get_by_test_id("bot-position")
    position.filter(has_text=re.compile(r"50\D?500")).wait_for(timeout=60_000)  # by itself
    _add_bar(exchange, next_open + BAR, low=50300, close=50350)  # under the stop, 50400
    page.get_by_test_id("bot-trades").wait_for(timeout=60_000)
    [trade] = page.get_by_test_id("bot-trades").locator("tbody tr").all_inner_texts()
    cells = [re.sub(r"\s", " ", cell) for cell in trade.split("\t")[2:]]
    assert cells == ["Beli", "0.01 lot", "50 500.00000 → 50 350.00000", "stop", "-2.51 USD"]
    assert len(exchange.called("POST /api/v3/order")) == 2  # one buy, one sell

    page.goto("/journal")
    marked = page.get_by_test_id("bot-trade")
    assert marked.count() == 1
    assert marked.first.get_attribute("href") == f"/bots/{bot_id}"
    context.close()
    logged = (tmp_path / "data" / "server.log").read_text()
    assert "/api/v3/order" in exchange.called("POST /api/v3/order")[0]  # the bot's orders went out
    assert exchange.api_key not in logged and exchange.secret not in logged  # its keys did not
