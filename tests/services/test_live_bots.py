"""Bots on an exchange account, run by the real supervisor through the real ccxt client
against the Binance look-alike: warmed up on the exchange's closed bars without trading, a
long opened on the next bar's crossover, its watched stop hit on the bar after, the round
trip stored once and in the journal; a restart trades nothing twice; the account's
daily-loss guard stops its bots; a futures bot sells short and is closed by hand; and what
cannot be started is refused by name."""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from decimal import Decimal

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from tests.api.test_account_connection import _account
from tests.api.test_trading_accounts import _two_factor_on, _user
from tests.brokers.binance_server import BinanceServer, now_ms
from tests.brokers.mt5_standin import MetaTrader5
from tests.conftest import run_async
from tradeloop.config import Settings
from tradeloop.core.codes import BotStatus
from tradeloop.services.live_bots import LiveContext
from tradeloop.services.mentor import cipher_for
from tradeloop.services.paper_bots import Supervisor
from tradeloop.store.db import transaction
from tradeloop.store.models import Bot

BAR = 300_000  # 5-minute bars: a bar added by a test stays fresh however slow the run
HISTORY = 100  # closed bars before the bot starts: more than its live window


@pytest.fixture
def exchange() -> Iterator[BinanceServer]:
    with BinanceServer() as server:
        yield server


@pytest.fixture
def app_settings(settings: Settings, exchange: BinanceServer) -> Settings:
    return settings.model_copy(update={"ccxt_urls": {"binance": exchange.base_url}})


def _history(exchange: BinanceServer, ago: int = 2) -> int:
    """A slow decline of 5-minute bars (the fast average under the slow one) up to ``ago``
    bars before the one forming now; the open time of the next bar."""
    first = (now_ms() // BAR - HISTORY - ago) * BAR
    bars = [(first + i * BAR, 50100 - i, 50100 - i, 50100 - i, 50100 - i, 5)
            for i in range(HISTORY)]  # fmt: skip
    exchange.set_klines("BTCUSDT", "5m", bars)
    return first + HISTORY * BAR


def _add_bar(exchange: BinanceServer, open_ms: int, low: int, close: int) -> None:
    with exchange.lock:
        exchange.klines[("spot", "BTCUSDT", "5m")].append(
            (open_ms, Decimal(close), Decimal(close), Decimal(low), Decimal(close), Decimal(5))
        )
    exchange.set_price("BTCUSDT", str(close))


def _bot(client: TestClient, headers: dict[str, str], sl_pips: int = 100) -> int:
    body = {"name": "live", "market": "BTCUSDT", "timeframe": "M5", "strategy": "ma_crossover",
            "strategy_params": {"fast_period": 2, "slow_period": 3}, "lots": 0.01,
            "sl_pips": sl_pips, "tp_pips": 5000}  # fmt: skip
    made = client.post("/api/bots", json=body, headers=headers)
    assert made.status_code == 201, made.text
    return made.json()["id"]


def _supervised(client: TestClient, app_settings: Settings, steps: Callable[[], None]) -> None:
    """``steps`` while a supervisor (replays and exchange accounts) runs the bots."""
    live = LiveContext(cipher_for(app_settings), dict(app_settings.ccxt_urls), 0.1)
    sessions = client.app.state.tradeloop.sessions

    async def run() -> None:
        stop = asyncio.Event()
        supervisor = Supervisor(sessions, lease_seconds=3, poll_seconds=0.05, live=live)
        task = asyncio.create_task(supervisor.run(stop))
        try:
            await asyncio.to_thread(steps)
        finally:
            stop.set()
            await task

    run_async(run())


def _until(check: Callable[[], object], what: str, seconds: float = 60) -> object:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError(f"waited {seconds} s for {what}")


def _status(client: TestClient, bot_id: int) -> BotStatus:
    with transaction(client.app.state.tradeloop.sessions) as session:
        return session.get(Bot, bot_id).status


def test_a_bot_on_a_testnet_account_trades_the_exchanges_bars_into_the_journal(
    client: TestClient, app_settings: Settings, exchange: BinanceServer
) -> None:
    ayu = _user(client, "ayu@example.com")
    _two_factor_on(client, ayu)
    account = _account(client, ayu, exchange.api_key, exchange.secret)
    bot = _bot(client, ayu)
    next_open = _history(exchange)
    started = client.post(f"/api/bots/{bot}/start", json={"account_id": account}, headers=ayu)
    assert started.status_code == 200, started.text

    def fills() -> list[dict]:
        return client.get(f"/api/bots/{bot}/fills", headers=ayu).json()

    def steps() -> None:
        _until(lambda: _status(client, bot) is BotStatus.RUNNING, "the bot to run")
        time.sleep(0.3)  # warmed up: the history's crossovers traded nothing
        assert fills() == [] and exchange.called("POST /api/v3/order") == []
        _add_bar(exchange, next_open, low=50000, close=50500)  # the fast average crosses up
        _until(lambda: len(fills()) == 1, "the entry")
        _add_bar(exchange, next_open + BAR, low=50300, close=50350)  # under the stop 50400
        _until(lambda: len(fills()) == 2, "the stop")

    _supervised(client, app_settings, steps)
    entry, stop = fills()
    assert (entry["reason"], entry["side"], entry["quantity"], entry["price"], entry["stop"]) == (
        "entry",
        "buy",
        0.00999,
        50500.0,
        50400.0,
    )  # fmt: skip  (0.01 less the fee in BTC)
    assert entry["client_order_id"].startswith(f"bot:{bot}:")
    assert (stop["reason"], stop["side"], stop["quantity"], stop["price"], stop["position"]) == (
        "stop", "sell", 0.00999, 50350.0, entry["client_order_id"])  # fmt: skip
    assert len(exchange.called("POST /api/v3/order")) == 2  # one buy, one sell: nothing twice
    trades = client.get("/api/journal/trades", headers=ayu).json()["items"]
    [trade] = trades
    assert (trade["side"], trade["entry_price"], trade["exit_price"]) == ("buy", 50500.0, 50350.0)
    assert (trade["risk_points"], trade["r_multiple"]) == (100.0, -1.5)  # its real stop, seen
    assert _status(client, bot) is BotStatus.RUNNING  # a live feed has no end: it goes on


def _running_bot(
    client: TestClient, exchange: BinanceServer, ago: int = 2, **guards: float
) -> tuple[dict[str, str], int, int, int]:
    """Ayu's testnet account (with ``guards``) and a bot started on it; its first bar."""
    ayu = _user(client, "ayu@example.com")
    _two_factor_on(client, ayu)
    account = _account(client, ayu, exchange.api_key, exchange.secret)
    if guards:
        changed = client.patch(f"/api/accounts/{account}", json=guards,
                               headers=ayu)  # fmt: skip
        assert changed.status_code == 200, changed.text
    bot = _bot(client, ayu)
    next_open = _history(exchange, ago)
    started = client.post(f"/api/bots/{bot}/start", json={"account_id": account}, headers=ayu)
    assert started.status_code == 200, started.text
    return ayu, account, bot, next_open


def test_a_restarted_supervisor_sends_nothing_twice_and_still_watches_the_stop(
    client: TestClient, app_settings: Settings, exchange: BinanceServer
) -> None:
    ayu, _, bot, next_open = _running_bot(client, exchange)

    def fills() -> list[dict]:
        return client.get(f"/api/bots/{bot}/fills", headers=ayu).json()

    def entry() -> None:
        _until(lambda: _status(client, bot) is BotStatus.RUNNING, "the bot to run")
        _add_bar(exchange, next_open, low=50000, close=50500)
        _until(lambda: len(fills()) == 1, "the entry")

    _supervised(client, app_settings, entry)  # that supervisor stops, the position open
    assert client.get(f"/api/bots/{bot}/account", headers=ayu).json()["position"] == {
        "client_order_id": fills()[0]["client_order_id"], "symbol": "BTCUSD", "side": "buy",
        "quantity": 0.00999, "lots": 0.00999, "entry_price": 50500.0,
        "opened_at": fills()[0]["time"], "stop": 50400.0, "target": None,
    }  # fmt: skip
    refused = client.post(f"/api/bots/{bot}/close", headers=ayu)  # no supervisor runs it now
    assert (refused.status_code, refused.json()["message"]) == (
        409, "bot live is not running: start it to close its position, or close the position "
        "at the broker")  # fmt: skip

    def stop_hit() -> None:
        time.sleep(1.0)  # taken up again: the entry's bar is not handled a second time
        assert len(exchange.called("POST /api/v3/order")) == 1
        _add_bar(exchange, next_open + BAR, low=50300, close=50350)
        _until(lambda: len(fills()) == 2, "the stop")

    _supervised(client, app_settings, stop_hit)
    assert [(f["reason"], f["side"]) for f in fills()] == [("entry", "buy"), ("stop", "sell")]
    assert len(exchange.called("POST /api/v3/order")) == 2
    assert client.get(f"/api/bots/{bot}/account", headers=ayu).json()["position"] is None


def test_the_accounts_daily_loss_limit_stops_its_bots(
    client: TestClient, app_settings: Settings, exchange: BinanceServer
) -> None:
    exchange.set_balance("BTC", "0")  # the account's equity: its USDT, and what the bot buys
    ayu, account, bot, next_open = _running_bot(client, exchange, max_daily_loss=2.0)

    def steps() -> None:
        _until(lambda: _status(client, bot) is BotStatus.RUNNING, "the bot to run")
        _add_bar(exchange, next_open, low=50000, close=50500)
        _until(lambda: len(client.get(f"/api/bots/{bot}/fills", headers=ayu).json()) == 1,
               "the entry")  # fmt: skip
        _add_bar(exchange, next_open + BAR, low=50300, close=50350)  # 2.51 USDT lost
        _until(lambda: _status(client, bot) is BotStatus.PAUSED, "the bot to stop")

    _supervised(client, app_settings, steps)
    shown = client.get(f"/api/bots/{bot}", headers=ayu).json()
    assert shown["status_reason"].startswith("the account lost 2.5")
    assert shown["status_reason"].endswith(
        "its daily limit is 2.00: no new positions until tomorrow"
    )
    [event] = [e for e in client.get(f"/api/bots/{bot}/history", headers=ayu).json()["items"]
               if e["text"].startswith("Account")]  # fmt: skip
    assert event["text"].startswith(
        "Account Binance key lost 2.51 USDT today, its daily limit "
        "is 2.00 USDT: its bots were stopped at "
    )
    refused = client.delete(f"/api/accounts/{account}", headers=ayu)
    assert refused.status_code == 204  # no bot runs on it any more


def test_what_cannot_be_started_on_an_account_is_refused_by_name(
    client: TestClient, exchange: BinanceServer
) -> None:
    ayu = _user(client, "ayu@example.com")
    _two_factor_on(client, ayu)
    account = _account(client, ayu, exchange.api_key, exchange.secret)
    bot = _bot(client, ayu)

    def start(body: dict) -> tuple[int, str]:
        answer = client.post(f"/api/bots/{bot}/start", json=body, headers=ayu)
        return answer.status_code, answer.json().get("message", "")

    assert start({}) == (422, "choose either a dataset to replay or an account to trade on")
    assert start({"account_id": account, "dataset_id": 1})[0] == 422
    mt5 = client.post(
        "/api/accounts",
        json={
            "name": "Broker MT5",
            "kind": "mt5",
            "mt5_login": "5012345",
            "mt5_server": "Demo",
            "mt5_password": "pw-Secret-1",
        },
        headers=ayu,
    )
    assert mt5.status_code == 201, mt5.text
    mt5 = mt5.json()["id"]  # fmt: skip
    assert start({"account_id": mt5}) == (422, "MetaTrader 5 bots run only on Windows next to "
                                          "a terminal: this server cannot run them")  # fmt: skip
    paper = client.post("/api/accounts", json={"name": "Paper", "kind": "paper"},
                        headers=ayu).json()["id"]  # fmt: skip
    assert start({"account_id": paper}) == (
        422,
        "a paper account replays one of your datasets: choose a dataset",
    )
    budi = _user(client, "budi@example.com")
    assert client.post(f"/api/bots/{bot}/start", json={"account_id": account},
                       headers=budi).status_code == 404  # fmt: skip
    budi_bot = _bot(client, budi)
    assert client.post(f"/api/bots/{budi_bot}/start", json={"account_id": account},
                       headers=budi).status_code == 404  # not Budi's account  # fmt: skip

    assert start({"account_id": account}) == (200, "")
    assert client.delete(f"/api/accounts/{account}", headers=ayu).json()["message"] == (
        "bots run on account Binance key (live): stop them first"
    )
    assert client.get(f"/api/accounts/{account}", headers=ayu).status_code == 200  # kept


def _futures_bot(
    client: TestClient, exchange: BinanceServer, headers: dict[str, str], account: int
) -> tuple[int, int]:
    """A rising futures history (the fast average above the slow one) and a bot started on
    ``account`` with a stop far enough not to fire; the bot and its first bar's open time."""
    bot = _bot(client, headers, sl_pips=2000)
    first = (now_ms() // BAR - HISTORY - 2) * BAR
    rising = [(first + i * BAR, 49900 + i, 49900 + i, 49900 + i, 49900 + i, 5)
              for i in range(HISTORY)]  # fmt: skip
    exchange.set_klines("BTCUSDT", "5m", rising, venue="futures")
    started = client.post(f"/api/bots/{bot}/start", json={"account_id": account},
                          headers=headers)  # fmt: skip
    assert started.status_code == 200, started.text
    return bot, first + HISTORY * BAR


def _futures_bar(exchange: BinanceServer, open_ms: int, price: int) -> None:
    with exchange.lock:
        exchange.klines[("futures", "BTCUSDT", "5m")].append(
            (open_ms, *(Decimal(price),) * 4, Decimal(5)))  # fmt: skip


def test_a_futures_bot_sells_short_and_is_closed_by_hand(
    client: TestClient, app_settings: Settings, exchange: BinanceServer
) -> None:
    ayu = _user(client, "ayu@example.com")
    _two_factor_on(client, ayu)
    body = {"name": "Binance futures", "kind": "ccxt", "exchange": "binance",
            "market_type": "futures", "mode": "live", "api_key": exchange.api_key,
            "api_secret": exchange.secret}  # fmt: skip
    added = client.post("/api/accounts", json=body, headers=ayu)
    assert added.status_code == 201, added.text
    bot, next_open = _futures_bot(client, exchange, ayu, added.json()["id"])

    def bar(open_ms: int, close: int) -> None:
        _futures_bar(exchange, open_ms, close)
        exchange.set_price("BTCUSDT", str(close), venue="futures")

    def fills() -> list[tuple[str, str, float]]:
        listed = client.get(f"/api/bots/{bot}/fills", headers=ayu).json()
        return [(f["reason"], f["side"], f["price"]) for f in listed]

    def steps() -> None:
        _until(lambda: _status(client, bot) is BotStatus.RUNNING, "the bot to run")
        bar(next_open, 49500)  # the fast average crosses down: a short
        _until(lambda: len(fills()) == 1, "the short")
        assert exchange.position("BTCUSDT") == (Decimal("-0.010"), Decimal("49500"))
        bar(next_open + BAR, 50500)  # a cross up: ignored while short (the default)
        time.sleep(1.0)
        assert len(fills()) == 1
        closed = client.post(f"/api/bots/{bot}/close", headers=ayu)
        assert closed.status_code == 200, closed.text
        _until(lambda: len(fills()) == 2, "the close by hand")

    _supervised(client, app_settings, steps)
    assert fills() == [("entry", "sell", 49500.0), ("signal", "buy", 50500.0)]
    assert exchange.position("BTCUSDT")[0] == 0
    trades = client.get("/api/journal/trades", headers=ayu).json()["items"]
    assert [(t["side"], t["entry_price"], t["exit_price"], t["pnl"]) for t in trades] == [
        ("sell", 49500.0, 50500.0, -10 - 0.2475 - 0.2525)
    ]  # fmt: skip  (0.05 % fees)


def test_a_bot_on_a_metatrader_5_account_through_the_package_stand_in(
    client: TestClient, app_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where the ``MetaTrader5`` package loads (Windows; here the stand-in with its real names
    and codes, put where the package is imported from): the bot logs in with the account's
    password, warms up on the terminal's closed bars, buys on the crossover, and the server
    closes it at its stop; the round trip reaches the journal."""
    terminal = MetaTrader5(login=5012345, password="pw-Secret-1", server="Broker-Demo")
    terminal.add_symbol("EURUSD", 1.1000, 1.1000)
    monkeypatch.setitem(sys.modules, "MetaTrader5", terminal)
    step = pd.Timedelta(minutes=5)  # a bar
    first = pd.Timestamp.now(tz="UTC").floor("5min") - (HISTORY + 2) * step
    closes = [1.1050 - i * 0.0001 for i in range(HISTORY)]

    def rates(extra: list[float]) -> None:
        values = closes + extra + [extra[-1] if extra else closes[-1]]  # the last one forming
        index = pd.DatetimeIndex([first + i * step for i in range(len(values))])
        frame = pd.DataFrame({c: values for c in ("open", "high", "low", "close")}, index=index)
        terminal.set_rates("EURUSD", terminal.TIMEFRAME_M5, frame.assign(tick_volume=5))

    rates([])
    ayu = _user(client, "ayu@example.com")
    _two_factor_on(client, ayu)
    body = {"name": "MT5 demo", "kind": "mt5", "mt5_login": "5012345",
            "mt5_server": "Broker-Demo", "mt5_password": "pw-Secret-1"}  # fmt: skip
    account = client.post("/api/accounts", json=body, headers=ayu).json()["id"]
    made = client.post("/api/bots", json={
        "name": "euro", "market": "EURUSD", "timeframe": "M5", "strategy": "ma_crossover",
        "strategy_params": {"fast_period": 2, "slow_period": 3}, "lots": 0.1, "sl_pips": 10,
        "tp_pips": 100}, headers=ayu).json()["id"]  # fmt: skip
    started = client.post(f"/api/bots/{made}/start", json={"account_id": account}, headers=ayu)
    assert started.status_code == 200, started.text

    def fills() -> list[tuple[str, str, float, float]]:
        listed = client.get(f"/api/bots/{made}/fills", headers=ayu).json()
        return [(f["reason"], f["side"], f["quantity"], f["price"]) for f in listed]

    def steps() -> None:
        _until(lambda: _status(client, made) is BotStatus.RUNNING, "the bot to run")
        terminal.now = datetime.now(UTC)
        terminal.set_price("EURUSD", 1.1060, 1.1060)
        rates([1.1060])  # the fast average crosses up
        _until(lambda: len(fills()) == 1, "the entry")
        terminal.now = datetime.now(UTC)
        terminal.set_price("EURUSD", 1.1045, 1.1045)  # under the stop, 1.1050: the server closes
        rates([1.1060, 1.1045])
        _until(lambda: len(fills()) == 2, "the stop")

    _supervised(client, app_settings, steps)
    assert fills() == [("entry", "buy", 10000.0, 1.106), ("stop", "sell", 10000.0, 1.1045)]
    assert terminal.calls.count("initialize") == 1  # logged in once, with the password
    [trade] = client.get("/api/journal/trades", headers=ayu).json()["items"]
    assert (trade["side"], trade["entry_price"], trade["exit_price"]) == ("buy", 1.106, 1.1045)
    assert round(trade["pnl"], 2) == -15.0 and trade["risk_points"] == pytest.approx(0.001)


def test_a_dry_run_trades_the_exchanges_bars_on_paper_and_sends_no_order(
    client: TestClient, app_settings: Settings, exchange: BinanceServer
) -> None:
    """Binance futures have no testnet through ccxt: the account is a dry run (no keys), the
    bars are the exchange's, the fills the paper broker's (the next bar's open, the
    instrument's spread), as a replay of the same bars would give."""
    ayu = _user(client, "ayu@example.com")
    body = {"name": "Futures dry run", "kind": "ccxt", "exchange": "binance",
            "market_type": "futures"}  # fmt: skip
    added = client.post("/api/accounts", json=body, headers=ayu)
    assert (added.status_code, added.json()["mode"]) == (201, "dry_run"), added.text
    bot, next_open = _futures_bot(client, exchange, ayu, added.json()["id"])

    def bar(open_ms: int, price: int) -> None:
        _futures_bar(exchange, open_ms, price)

    def fills() -> list[dict]:
        return client.get(f"/api/bots/{bot}/fills", headers=ayu).json()

    def steps() -> None:
        _until(lambda: _status(client, bot) is BotStatus.RUNNING, "the bot to run")
        bar(next_open, 49500)  # the fast average crosses down: a short at the next open
        bar(next_open + BAR, 49400)
        _until(lambda: len(fills()) == 1, "the short")

    def close() -> None:  # another supervisor: the paper position taken up as stored
        _until(lambda: client.get(f"/api/bots/{bot}/analysis", headers=ayu).status_code == 200,
               "the bot taken up")  # fmt: skip
        closed = client.post(f"/api/bots/{bot}/close", headers=ayu)
        assert closed.status_code == 200, closed.text
        _until(lambda: len(fills()) == 2, "the close by hand")

    _supervised(client, app_settings, steps)
    position = client.get(f"/api/bots/{bot}/account", headers=ayu).json()["position"]
    assert (position["side"], position["entry_price"]) == ("sell", 49385.0)
    _supervised(client, app_settings, close)
    assert [(f["reason"], f["side"], f["price"]) for f in fills()] == [
        ("entry", "sell", 49400 - 15.0),  # the next bar's open, less half the 30-pip spread
        ("manual", "buy", 49400 + 15.0),  # by hand at the last close, plus half the spread
    ]  # fmt: skip
    [trade] = client.get("/api/journal/trades", headers=ayu).json()["items"]
    assert (trade["side"], round(trade["pnl"], 2)) == ("sell", -0.30)  # 0.01 BTC × -30
    assert exchange.called("POST") == []  # nothing was sent to the exchange
    assert [c for c in exchange.called() if "/fapi/v1/klines" in c]  # its bars were read


def test_an_exchange_outage_is_waited_out_and_the_bar_handled_again(
    client: TestClient, app_settings: Settings, exchange: BinanceServer
) -> None:
    ayu, account, bot, next_open = _running_bot(client, exchange, ago=1)  # a bar just closed
    seen: list[str | None] = []

    def shown() -> dict:
        answer = client.get(f"/api/bots/{bot}", headers=ayu).json()
        seen.append(answer["status_reason"])
        return answer

    def steps() -> None:
        _until(lambda: _status(client, bot) is BotStatus.RUNNING, "the bot to run")
        exchange.fail_next("bad_gateway", path="POST /api/v3/order")  # the order is lost
        _add_bar(exchange, next_open, low=50000, close=50500)
        _until(lambda: (shown()["status_reason"] or "").startswith("waiting for the broker: "),
               "the reason shown")  # fmt: skip
        _until(lambda: len(client.get(f"/api/bots/{bot}/fills", headers=ayu).json()) == 1,
               "the entry, once the exchange answers")  # fmt: skip
        _until(lambda: shown()["status_reason"] is None, "the reason cleared")

    _supervised(client, app_settings, steps)
    assert [c for c in exchange.called("POST /api/v3/order")] == ["POST /api/v3/order"] * 2
    [reason] = {r for r in seen if r}
    assert reason == "waiting for the broker: the exchange could not be reached: trying again"
    assert _status(client, bot) is BotStatus.RUNNING
    changed = client.patch(f"/api/accounts/{account}", json={"mode": "live"}, headers=ayu)
    assert (changed.status_code, changed.json()["message"]) == (
        409, "bots run on account Binance key (live): stop them first")  # fmt: skip
