"""The ccxt broker at its real boundary: the real ccxt client over HTTP to the Binance
look-alike of ``binance_server.py``. Orders carry the bot's client order ids, a resubmission
after a crash or a lost answer never places a second order, stops and targets are the
exchange's conditional orders on futures and watched on spot, the guards refuse before
anything leaves, and exchange errors become messages with a retry decision."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import ccxt
import pytest

from tests.brokers.binance_server import BinanceServer, rebase_urls
from tradeloop.brokers.ccxt_broker import CcxtBroker
from tradeloop.brokers.errors import BrokerError, broker_error
from tradeloop.brokers.guards import AccountGuards
from tradeloop.core.orders import OrderRequest, OrderStatus, Side

PERP, BTC = "BTC/USDT:USDT", "BTC/USDT"
PREFIX = "bot:7:"


@pytest.fixture
def server() -> Iterator[BinanceServer]:
    with BinanceServer() as srv:
        yield srv


def client(server: BinanceServer, cls: Any = ccxt.binanceusdm) -> Any:
    """A new ccxt client (a new process, say) pointed at the server by the operator."""
    return cls({
        "apiKey": server.api_key, "secret": server.secret, "enableRateLimit": False,
        "timeout": 3000, "urls": {"api": rebase_urls(cls().urls["api"], server.base_url)},
    })  # fmt: skip


def broker(server: BinanceServer, symbol: str = PERP, **guards: Any) -> CcxtBroker:
    cls = ccxt.binanceusdm if symbol == PERP else ccxt.binance
    pauses: list[float] = []
    made = CcxtBroker(client(server, cls), symbol, PREFIX, AccountGuards(**guards),
                      pause=pauses.append)  # fmt: skip
    made.pauses = pauses  # type: ignore[attr-defined]
    return made


def opening(name: str, side: Side, quantity: float, **levels: float) -> OrderRequest:
    return OrderRequest(f"{PREFIX}{name}", PERP, side, quantity, **levels)


def test_a_short_with_stop_and_target_then_a_crash_resubmits_nothing(
    server: BinanceServer,
) -> None:
    short = opening("1:open", Side.SELL, 0.0123456, stop=51000.04, target=47000.06)
    order = broker(server).submit(short)
    assert (order.status, order.client_order_id) == (OrderStatus.FILLED, "bot:7:1:open")
    assert server.position("BTCUSDT") == (Decimal("-0.012"), 50000)  # rounded to the step
    posted = [(c.path, c.params.get("clientAlgoId") or c.params.get("newClientOrderId"),
               c.params.get("triggerPrice")) for c in server.calls if c.method == "POST"]  # fmt: skip
    assert posted == [
        ("/fapi/v1/order", "bot-7-1-open", None),  # Binance takes no colon in an id
        ("/fapi/v1/algoOrder", "bot-7-1-open-sl", "51000"),  # to the tick of 0.1
        ("/fapi/v1/algoOrder", "bot-7-1-open-tp", "47000.1"),
    ]

    again = broker(server)  # after a crash: a new process sends the same request
    assert again.submit(short).status is OrderStatus.FILLED
    assert [c.path for c in server.calls if c.method == "POST"] == [p[0] for p in posted]
    [position] = again.positions()
    assert (position.client_order_id, position.side, position.quantity, position.entry_price,
            position.stop, position.target) == (
        "bot:7:1:open", Side.SELL, 0.012, 50000.0, 51000.0, 47000.1,
    )  # fmt: skip

    moved = again.modify("bot:7:1:open", 50500, None)
    assert (moved.stop, moved.target) == (50500.0, None)
    posted = [c.params.get("clientAlgoId") for c in server.calls if c.method == "POST"]
    assert posted[-1] == "bot-7-1-open-sl-2"  # a new version, placed before the old went
    server.set_price("BTCUSDT", "50600", venue="futures")  # the moved stop fires
    assert again.positions() == []
    fills = again.fills_since(None)
    assert [(f.client_order_id, f.reason, f.price) for f in fills] == [
        ("bot:7:1:open", "entry", 50000.0), ("bot:7:1:open:sl:2", "stop", 50600.0),
    ]  # fmt: skip


def test_a_lost_answer_is_looked_up_not_sent_twice(server: BinanceServer) -> None:
    server.fail_next("drop_after", path="POST /fapi/v1/order")  # filled, then the socket closes
    order = broker(server).submit(opening("2:open", Side.BUY, 0.01))
    assert order.status is OrderStatus.FILLED
    assert [str(c) for c in server.calls if c.method == "POST"] == ["POST /fapi/v1/order"]
    assert server.position("BTCUSDT")[0] == Decimal("0.01")


def test_a_stop_fires_the_target_is_cancelled_and_the_fills_say_why(
    server: BinanceServer,
) -> None:
    bot = broker(server)
    bot.submit(opening("3:open", Side.BUY, 0.01, stop=48000, target=53000))
    server.set_price("BTCUSDT", "47900", venue="futures")  # the stop fires at the exchange
    assert bot.positions() == []
    bot.sync()
    assert bot.open_orders() == []  # the target went with the position
    fills = bot.fills_since(datetime(2020, 1, 1, tzinfo=UTC))
    assert [(f.client_order_id, f.side, f.quantity, f.price, f.reason) for f in fills] == [
        ("bot:7:3:open", Side.BUY, 0.01, 50000.0, "entry"),
        ("bot:7:3:open:sl", Side.SELL, 0.01, 47900.0, "stop"),
    ]
    assert [round(f.commission, 4) for f in fills] == [0.25, 0.2395]  # 0.05 % taker fee
    account = bot.account()
    assert (account.currency, round(account.balance, 4)) == ("USDT", 10000 - 21 - 0.4895)


def test_reversal_and_a_closing_order_that_only_reduces(server: BinanceServer) -> None:
    bot = broker(server)
    bot.submit(opening("4:open", Side.SELL, 0.01))
    server.set_price("BTCUSDT", "49000", venue="futures")
    close = OrderRequest(f"{PREFIX}4:close", PERP, Side.BUY, 0.01, closes=f"{PREFIX}4:open")
    bot.submit(close)
    sent = [c.params for c in server.calls if str(c) == "POST /fapi/v1/order"][-1]
    assert (sent["newClientOrderId"], sent["reduceOnly"]) == ("bot-7-4-close", "true")
    bot.submit(opening("5:open", Side.BUY, 0.02))
    [position] = bot.positions()
    assert (position.client_order_id, position.side, position.quantity) == (
        "bot:7:5:open", Side.BUY, 0.02,
    )  # fmt: skip
    reconciled = bot.reconcile()
    assert [(f.client_order_id, f.reason) for f in reconciled.fills] == [
        ("bot:7:4:open", "entry"), ("bot:7:4:close", "signal"), ("bot:7:5:open", "entry"),
    ]  # fmt: skip
    assert reconciled.positions == [position] and reconciled.orders == []


def test_spot_stops_are_watched_and_sold_when_a_bar_crosses_them(server: BinanceServer) -> None:
    server.set_balance("BTC", "0")
    bot = broker(server, BTC)
    bot.submit(OrderRequest(f"{PREFIX}6:open", BTC, Side.BUY, 0.01, stop=49000, target=55000))
    assert [str(c) for c in server.calls if c.method == "POST"] == ["POST /api/v3/order"]
    sent = next(c for c in server.calls if c.method == "POST").params["newClientOrderId"]
    assert sent == "bot-7-6-open"  # the server refuses a colon, as Binance spot does (-1100)
    assert bot.sync(49500, 50500) == []  # the bar stayed above the stop: nothing
    server.set_price("BTCUSDT", "48900")
    [sold] = bot.sync(48950, 49600)  # the bar's low crossed it
    assert (sold.client_order_id, sold.status) == ("bot:7:6:open:sl", OrderStatus.FILLED)
    assert bot.positions() == []
    reasons = [(f.client_order_id, f.reason, f.quantity) for f in bot.fills_since(None)]
    assert reasons == [  # the coin's fee (0.1 %) was taken from what was bought
        ("bot:7:6:open", "entry", 0.00999), ("bot:7:6:open:sl", "stop", 0.00999),
    ]  # fmt: skip


def test_guards_refuse_before_anything_leaves(server: BinanceServer) -> None:
    bot = broker(server, max_order_size=0.05, max_open_positions=1)
    with pytest.raises(BrokerError) as too_big:
        bot.submit(opening("7:open", Side.BUY, 0.06))
    assert str(too_big.value) == "order of 0.06 is above the account's largest order (0.05)"
    assert too_big.value.retry is False
    bot.submit(opening("8:open", Side.BUY, 0.01))
    other = CcxtBroker(client(server), "ETH/USDT:USDT", "bot:8:",
                       AccountGuards(max_open_positions=1))  # fmt: skip
    with pytest.raises(BrokerError) as full:
        other.submit(OrderRequest("bot:8:1:open", "ETH/USDT:USDT", Side.BUY, 0.1))
    assert str(full.value) == "the account already has 1 open positions (at most 1)"
    assert [str(c) for c in server.calls if c.method == "POST"] == ["POST /fapi/v1/order"]

    losing = broker(server, max_daily_loss=5)
    losing.day_pnl()  # the day's first look: equity now
    server.set_price("BTCUSDT", "49000", venue="futures")  # the long of 0.01 lost 10
    with pytest.raises(BrokerError) as stopped:
        losing.submit(opening("9:open", Side.BUY, 0.01))
    assert str(stopped.value) == (
        "the account lost 10.00 today, its daily limit is 5.00: no new positions until tomorrow"
    )
    exit_order = OrderRequest(f"{PREFIX}8:close", PERP, Side.SELL, 0.01, closes=f"{PREFIX}8:open")
    assert losing.submit(exit_order).status is OrderStatus.FILLED  # closing always passes


@pytest.mark.parametrize(
    ("failure", "message", "retry"),
    [
        ("insufficient_balance", "not enough funds or margin at the exchange for this order",
         False),
        ("min_notional", "the order is smaller or larger than the exchange allows for this "
         "market (minimum amount or value)", False),
        ("drop", "the exchange could not be reached: trying again", True),
        ("rate_limit", "the exchange is limiting our requests: waiting before the next one",
         True),
    ],
)  # fmt: skip
def test_exchange_errors_become_messages_with_a_retry_decision(
    server: BinanceServer, failure: str, message: str, retry: bool
) -> None:
    server.set_balance("BTC", "0")
    bot = broker(server, BTC)
    server.fail_next(failure, path="POST /api/v3/order")
    with pytest.raises(BrokerError) as raised:
        bot.submit(OrderRequest(f"{PREFIX}10:open", BTC, Side.BUY, 0.01))
    assert (str(raised.value), raised.value.retry) == (message, retry)
    assert raised.value.key.startswith("broker.error.")
    # sent once; after a network error (a dropped connection, a 429) the order was looked up
    # (not there) and not resent
    assert [str(c) for c in server.calls if c.method == "POST"] == ["POST /api/v3/order"]
    lookups = [str(c) for c in server.calls if str(c) == "GET /api/v3/order"]
    assert len(lookups) == (2 if failure in ("drop", "rate_limit") else 1)  # network errors


def test_reads_are_retried_with_backoff_and_a_wrong_key_is_not(server: BinanceServer) -> None:
    bot = broker(server)
    server.fail_next("drop", path="GET /fapi/v3/account", times=2)
    assert bot.account().currency == "USDT"
    assert bot.pauses == [0.5, 1.0]  # type: ignore[attr-defined]
    wrong = CcxtBroker.__new__(CcxtBroker)
    wrong.__dict__.update(bot.__dict__)
    wrong.exchange = client(BinanceServer(api_key="other"), ccxt.binanceusdm)
    wrong.exchange.urls["api"] = bot.exchange.urls["api"]
    wrong.exchange.markets = bot.exchange.markets
    with pytest.raises(BrokerError) as refused:
        wrong.account()
    assert str(refused.value).startswith("the exchange refused the API key")
    assert refused.value.retry is False


def test_on_spot_the_coins_held_before_are_not_the_bots_and_shorts_are_refused(
    server: BinanceServer,
) -> None:
    bot = broker(server, BTC)  # the account holds 0.5 BTC of its own
    assert bot.positions() == []
    with pytest.raises(BrokerError) as short:
        bot.submit(OrderRequest(f"{PREFIX}11:open", BTC, Side.SELL, 0.01))
    assert (str(short.value), short.value.retry) == (
        "a spot market cannot be sold short: use a futures account for short trades", False,
    )  # fmt: skip
    bot.submit(OrderRequest(f"{PREFIX}12:open", BTC, Side.BUY, 0.01))
    [position] = bot.positions()
    assert position.quantity == 0.00999  # what the bot bought, less the fee in BTC
    assert [str(c) for c in server.calls if c.method == "POST"] == ["POST /api/v3/order"]


def test_an_error_never_carries_the_requests_address_or_its_signature() -> None:
    raw = ccxt.ExchangeError(
        "binance GET https://api.huobi.pro/v1/order?AccessKeyId=my-key-1234&Signature=c2ln "
        "500 Internal Server Error"
    )
    error = broker_error(raw)
    assert "my-key-1234" not in str(error) and "c2ln" not in str(error)
    assert error.values["detail"] == "GET <address> 500 Internal Server Error"
    assert (error.status, error.retry) == (502, False)


def test_a_guard_is_the_traders_own_limit_not_a_broker_failure(server: BinanceServer) -> None:
    with pytest.raises(BrokerError) as refused:
        broker(server, max_order_size=0.001).submit(opening("13:open", Side.BUY, 0.002))
    assert (refused.value.status, refused.value.key) == (422, "broker.guard.order_size")
