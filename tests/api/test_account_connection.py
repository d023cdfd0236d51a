"""Testing an account's connection over the API, against the Binance look-alike the operator
points ccxt at (``TRADELOOP_CCXT_URLS``): balances and the key's rights read from the
exchange, a key that may withdraw refused, a wrong key named, each test in the audit log."""

from __future__ import annotations

import html
import re
import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tests.api.test_trading_accounts import _two_factor_on, _user
from tests.brokers.binance_server import BinanceServer
from tests.web.test_security_page import post, sign_in
from tradeloop.config import Settings
from tradeloop.i18n import translate


@pytest.fixture
def exchange() -> Iterator[BinanceServer]:
    with BinanceServer() as server:
        yield server


@pytest.fixture
def app_settings(settings: Settings, exchange: BinanceServer) -> Settings:
    return settings.model_copy(update={"ccxt_urls": {"binance": exchange.base_url}})


def _account(client: TestClient, headers: dict[str, str], key: str, secret: str) -> int:
    body = {"name": f"Binance {key[-3:]}", "kind": "ccxt", "exchange": "binance",
            "api_key": key, "api_secret": secret}  # fmt: skip
    added = client.post("/api/accounts", json=body, headers=headers)
    assert added.status_code == 201, added.text
    return added.json()["id"]


def test_a_working_key_then_one_that_may_withdraw_then_a_wrong_one(
    client: TestClient, exchange: BinanceServer
) -> None:
    ayu = _user(client, "ayu@example.com")
    _two_factor_on(client, ayu)
    account = _account(client, ayu, exchange.api_key, exchange.secret)

    report = client.post(f"/api/accounts/{account}/test", headers=ayu)
    assert report.status_code == 200, report.text
    assert report.json() == {
        "ok": True, "message": "Connected: the key works.",
        "balances": {"BTC": 0.5, "USDT": 10000.0}, "can_trade": True, "can_withdraw": False,
        "warnings": [],
    }  # fmt: skip
    assert "GET /sapi/v1/account/apiRestrictions" in exchange.called("GET /sapi")

    exchange.key_permissions["enableWithdrawals"] = True
    refused = client.post(f"/api/accounts/{account}/test", headers=ayu).json()
    assert (refused["ok"], refused["can_withdraw"], refused["message"]) == (
        False, True, "This key may withdraw funds: refused. Make a key without withdrawal "
        "rights and put it on the account.",
    )  # fmt: skip

    wrong = _account(client, ayu, "not-the-key-0000", exchange.secret)
    failed = client.post(f"/api/accounts/{wrong}/test", headers=ayu).json()
    assert (failed["ok"], failed["message"]) == (
        False, "the exchange refused the API key: check the key, its secret and that it may "
        "trade",
    )  # fmt: skip

    events = client.get("/api/me/audit", headers=ayu).json()["items"]
    tested = [(e["outcome"], e["detail"]["account"]) for e in events
              if e["action"] == "trading_account_tested"]  # fmt: skip
    assert tested == [("failed", wrong), ("failed", account), ("ok", account)]


def test_paper_and_mt5_accounts_say_what_a_test_means_for_them(client: TestClient) -> None:
    ayu = _user(client, "ayu@example.com")
    paper = client.post("/api/accounts", json={"name": "P", "kind": "paper"}, headers=ayu)
    answer = client.post(f"/api/accounts/{paper.json()['id']}/test", headers=ayu).json()
    assert (answer["ok"], answer["message"]) == (True, "The paper account needs no connection.")
    _two_factor_on(client, ayu)
    mt5 = client.post("/api/accounts", headers=ayu, json={
        "name": "M", "kind": "mt5", "mt5_login": "5012345", "mt5_server": "Demo",
        "mt5_password": "pw",
    })  # fmt: skip
    answer = client.post(f"/api/accounts/{mt5.json()['id']}/test", headers=ayu).json()
    assert (answer["ok"], answer["message"]) == (
        False, "MetaTrader 5 is reached through its terminal on Windows (the mt5 extra); this "
        "server cannot test it.",
    )  # fmt: skip


def test_the_accounts_page_tests_a_connection(client: TestClient, exchange: BinanceServer) -> None:
    ayu = _user(client, "ayu@example.com")
    totp = _two_factor_on(client, ayu)
    account = _account(client, ayu, exchange.api_key, exchange.secret)
    assert sign_in(client, "ayu@example.com").headers["location"].startswith("/login/two-factor")
    code = totp.at(time.time() + 30)  # the current code was used to turn it on
    assert post(client, "/login/two-factor", "/login/two-factor", code=code).status_code == 303
    page = post(client, f"/accounts/{account}/test", "/accounts")
    assert page.status_code == 200, page.text
    report = html.unescape(re.search(r'data-testid="connection-report".*?</section>', page.text,
                                     re.S)[0])  # fmt: skip
    assert translate("en", "accounts.test.ok") in report  # the language Ayu chose
    assert "0.5 BTC, 10000 USDT" in report
