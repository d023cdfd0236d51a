"""The real ccxt client (sync and asyncio; ``binance``, ``binanceusdm`` and ``binance`` with
``defaultType="future"``) over HTTP against the Binance look-alike in ``binance_server.py``:
the served precision and limits, balances and withdrawal permission, market orders by client id
and their recovery after a lost answer, duplicate ids, partial fills, a futures short reversed to
a long, conditional orders, bars, and each failure as the ccxt exception a broker maps — here and,
replayed through ccxt's own error handling, at Binance's real hosts."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import ccxt
import ccxt.async_support as ccxt_async
import pytest

from tests.brokers.binance_server import BinanceServer, Call, rebase_urls
from tests.conftest import run_async

URLS = ccxt.binance().urls["api"]  # ccxt's own table of base URLs; the override keeps each path
BTC, ETH, PERP = "BTC/USDT", "ETH/USDT", "BTC/USDT:USDT"
SPOT_HOST, FAPI_HOST = "https://api.binance.com", "https://fapi.binance.com"
LOAD_MARKETS_CALLS = [  # ccxt.binance with keys: currencies, margin pairs, then each market type
    "GET /sapi/v1/capital/config/getall",
    "GET /sapi/v1/margin/allPairs",
    "GET /api/v3/exchangeInfo",
    "GET /sapi/v1/margin/allPairs",
    "GET /sapi/v1/margin/isolated/allPairs",
    "GET /fapi/v1/exchangeInfo",
    "GET /dapi/v1/exchangeInfo",
]


@pytest.fixture
def server() -> Iterator[BinanceServer]:
    with BinanceServer() as srv:
        yield srv


def connect(server: BinanceServer, cls: Any = ccxt.binance, **config: Any) -> Any:
    """A ccxt client whose every base URL points at the server: the operator's override."""
    settings = {
        "apiKey": server.api_key,
        "secret": server.secret,
        "enableRateLimit": False,
        "timeout": 3000,
        "urls": {"api": rebase_urls(URLS, server.base_url)},
    }
    return cls(settings | config)


def raised(action: Callable[[], Any]) -> ccxt.BaseError:
    with pytest.raises(ccxt.BaseError) as info:
        action()
    return info.value


async def raised_async(awaitable: Any) -> ccxt.BaseError:
    with pytest.raises(ccxt.BaseError) as info:
        await awaitable
    return info.value


def at_real_host(exchange: Any, host: str, call: Call) -> type[ccxt.BaseError] | None:
    """The exception ccxt raises for the same answer when it comes from Binance's own host.

    ccxt picks its spot or linear error table by the URL's host, so the answer the server
    recorded is replayed through ccxt's handle_errors / handle_http_status_code with that URL."""
    body = call.body or ""
    parsed = json.loads(body) if body.startswith("{") else None
    url = host + call.path
    try:
        exchange.handle_errors(call.status, "", url, call.method, {}, body, parsed, None, None)
        exchange.handle_http_status_code(call.status, "", url, call.method, body)
    except ccxt.BaseError as error:
        return type(error)
    return None


def sent(server: BinanceServer, *keys: str) -> dict[str, str]:
    """Chosen parameters of the last request the server received."""
    return {key: server.calls[-1].params[key] for key in keys}


# -- pointing ccxt at the server ----------------------------------------------------------------


def test_the_override_keeps_each_path_and_replaces_every_binance_host() -> None:
    urls = rebase_urls(URLS, "http://127.0.0.1:9")
    assert urls["public"] == urls["private"] == "http://127.0.0.1:9/api/v3"
    assert urls["sapi"] == "http://127.0.0.1:9/sapi/v1"
    assert urls["fapiPrivate"] == "http://127.0.0.1:9/fapi/v1"
    assert urls["fapiPrivateV3"] == "http://127.0.0.1:9/fapi/v3"
    assert urls.keys() == URLS.keys()
    assert [url for url in urls.values() if "binance.com" in url] == []


def test_load_markets_gives_the_served_precision_and_limits(server: BinanceServer) -> None:
    exchange = connect(server)
    markets = exchange.load_markets()
    assert server.called() == LOAD_MARKETS_CALLS
    btc, eth, perp = markets[BTC], markets[ETH], markets[PERP]
    assert (btc["spot"], btc["precision"]["price"], btc["precision"]["amount"]) == (
        True, 0.01, 1e-05,
    )  # fmt: skip
    assert btc["limits"]["amount"] == {"min": 1e-05, "max": 9000.0}
    assert btc["limits"]["cost"] == {"min": 5.0, "max": 9000000.0}
    assert (eth["precision"]["amount"], eth["limits"]["amount"]["min"]) == (0.0001, 0.0001)
    assert (perp["swap"], perp["linear"], perp["settle"]) == (True, True, "USDT")
    assert (perp["precision"]["price"], perp["precision"]["amount"]) == (0.1, 0.001)
    assert perp["limits"]["cost"]["min"] == 100.0
    assert exchange.amount_to_precision(BTC, 0.0123456) == "0.01234"  # truncated to the step
    assert exchange.price_to_precision(PERP, 50000.07) == "50000.1"  # rounded to the tick


def test_the_balance_and_the_withdrawal_permission_ccxt_can_read(server: BinanceServer) -> None:
    exchange = connect(server)
    balance = exchange.fetch_balance()
    assert balance["USDT"] == {"free": 10000.0, "used": 0.0, "total": 10000.0}
    assert balance["BTC"] == {"free": 0.5, "used": 0.0, "total": 0.5}
    # /api/v3/account says whether the account may withdraw; whether this key may, only the
    # key's restrictions say, read through ccxt's implicit sapi method (no unified call exists)
    assert balance["info"]["canWithdraw"] is True
    restrictions = exchange.sapi_get_account_apirestrictions()
    assert (restrictions["enableWithdrawals"], restrictions["enableSpotAndMarginTrading"]) == (
        False, True,
    )  # fmt: skip
    server.key_permissions["enableWithdrawals"] = True
    assert exchange.sapi_get_account_apirestrictions()["enableWithdrawals"] is True
    # a currency's "withdraw" is whether the coin's network is open, not a right of the key
    assert exchange.currencies["BTC"]["networks"]["BTC"]["withdraw"] is True
    assert server.called()[-3:] == [
        "GET /api/v3/account",
        "GET /sapi/v1/account/apiRestrictions",
        "GET /sapi/v1/account/apiRestrictions",
    ]


# -- spot orders --------------------------------------------------------------------------------


def test_a_market_buy_with_a_client_id_fills_at_the_set_price(server: BinanceServer) -> None:
    server.set_price("BTCUSDT", "50000")
    exchange = connect(server)
    order = exchange.create_order(BTC, "market", "buy", 0.0123456, None, {"clientOrderId": "t-1"})
    assert str(server.calls[-1]) == "POST /api/v3/order"
    assert sent(server, "symbol", "side", "type", "quantity", "newClientOrderId") == {
        "symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quantity": "0.01234",
        "newClientOrderId": "t-1",
    }  # fmt: skip
    assert (order["clientOrderId"], order["status"], order["type"]) == ("t-1", "closed", "market")
    assert (order["amount"], order["filled"], order["remaining"]) == (0.01234, 0.01234, 0.0)
    assert (order["average"], order["cost"]) == (50000.0, 617.0)
    assert order["fee"] == {"currency": "BTC", "cost": 1.234e-05}  # 0.1 % of what was bought
    balance = exchange.fetch_balance()
    assert (balance["USDT"]["free"], balance["BTC"]["free"]) == (9383.0, 0.51232766)
    [trade] = exchange.fetch_my_trades(BTC)
    assert (trade["order"], trade["side"], trade["price"], trade["amount"]) == (
        order["id"], "buy", 50000.0, 0.01234,
    )  # fmt: skip
    assert trade["takerOrMaker"] == "taker"


def test_an_order_whose_answer_was_lost_is_found_by_client_id(server: BinanceServer) -> None:
    exchange = connect(server)
    exchange.load_markets()
    server.fail_next("drop_after", path="POST /api/v3/order")  # done, then the socket closes
    params = {"clientOrderId": "t-2"}
    error = raised(lambda: exchange.create_order(BTC, "market", "buy", 0.01, None, params))
    assert type(error) is ccxt.NetworkError
    restarted = connect(server)  # a new process knows only the client id it chose
    order = restarted.fetch_order(None, BTC, {"clientOrderId": "t-2"})
    assert (order["clientOrderId"], order["status"], order["filled"]) == ("t-2", "closed", 0.01)
    assert sent(server, "symbol", "origClientOrderId") == {
        "symbol": "BTCUSDT",
        "origClientOrderId": "t-2",
    }
    assert restarted.fetch_open_orders(BTC) == []
    missing = raised(lambda: restarted.fetch_order(None, BTC, {"clientOrderId": "never-sent"}))
    assert type(missing) is ccxt.OrderNotFound


def test_a_client_id_held_by_an_open_order_is_refused(server: BinanceServer) -> None:
    exchange = connect(server)
    params = {"clientOrderId": "t-3"}
    resting = exchange.create_order(BTC, "limit", "buy", 0.01, 40000, params)
    assert resting["status"] == "open"
    assert exchange.fetch_balance()["USDT"] == {"free": 9600.0, "used": 400.0, "total": 10000.0}
    error = raised(lambda: exchange.create_order(BTC, "limit", "buy", 0.01, 40000, params))
    assert type(error) is ccxt.InvalidOrder
    assert str(error) == 'binance {"code":-2010,"msg":"Duplicate order sent."}'
    assert at_real_host(exchange, SPOT_HOST, server.calls[-1]) is ccxt.InvalidOrder
    # Binance takes an id again once its order is no longer open: a retry must look first
    params = {"clientOrderId": "t-4"}
    first = exchange.create_order(BTC, "market", "buy", 0.001, None, params)
    again = exchange.create_order(BTC, "market", "buy", 0.001, None, params)
    assert first["id"] != again["id"]
    assert exchange.fetch_order(None, BTC, params)["id"] == again["id"]


def test_a_partly_filled_limit_order_stays_open_and_a_market_one_expires(
    server: BinanceServer,
) -> None:
    exchange = connect(server)
    server.partial_fill("0.4")
    order = exchange.create_order(BTC, "limit", "buy", 0.01, 50100, {"clientOrderId": "t-5"})
    assert (order["status"], order["amount"], order["filled"]) == ("open", 0.01, 0.004)
    assert (order["remaining"], order["average"]) == (0.006, 50000.0)
    [listed] = exchange.fetch_open_orders(BTC)
    assert (listed["clientOrderId"], listed["filled"], listed["info"]["status"]) == (
        "t-5", 0.004, "PARTIALLY_FILLED",
    )  # fmt: skip
    assert exchange.fetch_balance()["USDT"]["used"] == 300.6  # 0.006 held at the limit price
    server.set_price("BTCUSDT", "50050")  # the rest fills on the book at its limit
    done = exchange.fetch_order(order["id"], BTC)
    assert (done["status"], done["filled"], done["cost"]) == ("closed", 0.01, 500.6)
    assert exchange.fetch_balance()["USDT"] == {"free": 9499.4, "used": 0.0, "total": 9499.4}

    server.partial_fill("0.5")
    market = exchange.create_order(BTC, "market", "buy", 0.01)
    assert (market["status"], market["amount"], market["filled"]) == ("expired", 0.01, 0.005)


def test_a_resting_order_is_cancelled_and_its_funds_released(server: BinanceServer) -> None:
    server.set_balance("ETH", "1")
    exchange = connect(server)
    order = exchange.create_order(ETH, "limit", "sell", 0.5, 3500)
    assert exchange.fetch_balance()["ETH"] == {"free": 0.5, "used": 0.5, "total": 1.0}
    cancelled = exchange.cancel_order(order["id"], ETH)
    assert (cancelled["id"], cancelled["status"], cancelled["filled"]) == (
        order["id"], "canceled", 0.0,
    )  # fmt: skip
    assert exchange.fetch_balance()["ETH"] == {"free": 1.0, "used": 0.0, "total": 1.0}
    assert type(raised(lambda: exchange.cancel_order(order["id"], ETH))) is ccxt.OrderNotFound


# -- market data --------------------------------------------------------------------------------

BARS = [
    (1_700_000_000_000, "50000", "50500", "49800", "50200", "12.5"),
    (1_700_003_600_000, "50200", "50900", "50100", "50850", "8.25"),
    (1_700_007_200_000, "50850", "51000", "50400", "50500", "10"),
]
OHLCV = [
    [1_700_000_000_000, 50000.0, 50500.0, 49800.0, 50200.0, 12.5],
    [1_700_003_600_000, 50200.0, 50900.0, 50100.0, 50850.0, 8.25],
    [1_700_007_200_000, 50850.0, 51000.0, 50400.0, 50500.0, 10.0],
]


def test_fetch_ohlcv_returns_the_served_bars_on_both_venues(server: BinanceServer) -> None:
    server.set_klines("BTCUSDT", "1h", BARS)
    server.set_klines("BTCUSDT", "1h", BARS[:2], venue="futures")
    exchange = connect(server)
    assert exchange.fetch_ohlcv(BTC, "1h") == OHLCV
    assert exchange.fetch_ohlcv(BTC, "1h", since=1_700_003_600_000, limit=1) == OHLCV[1:2]
    assert sent(server, "startTime", "limit") == {"startTime": "1700003600000", "limit": "1"}
    assert exchange.fetch_ohlcv(PERP, "1h") == OHLCV[:2]
    assert server.called("GET /api/v3/klines") == ["GET /api/v3/klines"] * 2
    assert server.called("GET /fapi/v1/klines") == ["GET /fapi/v1/klines"]
    assert server.calls[-1].params == {"symbol": "BTCUSDT", "interval": "1h", "limit": "500"}


def test_the_last_price_is_the_one_set(server: BinanceServer) -> None:
    server.set_price("ETHUSDT", "3123.45")
    exchange = connect(server)
    assert exchange.fetch_ticker(ETH)["last"] == 3123.45
    assert exchange.fetch_last_prices([ETH])[ETH]["price"] == 3123.45
    assert server.called()[-2:] == ["GET /api/v3/ticker/24hr", "GET /api/v3/ticker/price"]


# -- USDⓈ-M futures -----------------------------------------------------------------------------


def side_size_entry(position: dict[str, Any]) -> tuple[Any, ...]:
    return position["side"], position["contracts"], position["entryPrice"]


def test_a_short_reversed_to_a_long_reads_back_as_the_position(server: BinanceServer) -> None:
    exchange = connect(server, ccxt.binanceusdm)
    exchange.load_markets()
    assert server.called() == [*LOAD_MARKETS_CALLS[:2], "GET /fapi/v1/exchangeInfo"]
    short = exchange.create_order(PERP, "market", "sell", 0.01, None, {"clientOrderId": "s-1"})
    assert (short["status"], short["filled"], short["average"]) == ("closed", 0.01, 50000.0)
    assert sent(server, "side", "type", "quantity", "newOrderRespType") == {
        "side": "SELL", "type": "MARKET", "quantity": "0.01", "newOrderRespType": "RESULT",
    }  # fmt: skip
    [position] = exchange.fetch_positions([PERP])
    assert side_size_entry(position) == ("short", 0.01, 50000.0)
    server.set_price("BTCUSDT", "49000", venue="futures")
    flip = exchange.create_order(PERP, "market", "buy", 0.02, None, {"clientOrderId": "r-1"})
    assert (flip["filled"], flip["average"], flip["cost"]) == (0.02, 49000.0, 980.0)
    [position] = exchange.fetch_positions([PERP])
    assert side_size_entry(position) == ("long", 0.01, 49000.0)
    assert (position["notional"], position["unrealizedPnl"], position["initialMargin"]) == (
        490.0, 0.0, 24.5,
    )  # fmt: skip
    trades = exchange.fetch_my_trades(PERP)
    assert [t["info"]["realizedPnl"] for t in trades] == ["0", "10"]  # the short closed 1000 lower
    assert [t["fee"]["cost"] for t in trades] == [0.25, 0.49]  # 0.05 % of 500 and of 980
    # wallet 10000 + 10 - 0.74 in fees; 24.5 of it is the long's margin at 20x
    assert exchange.fetch_balance()["USDT"] == {"free": 9984.76, "used": 24.5, "total": 10009.26}
    assert server.called()[3:] == [
        "POST /fapi/v1/order", "GET /fapi/v1/leverageBracket", "GET /fapi/v3/positionRisk",
        "POST /fapi/v1/order", "GET /fapi/v3/positionRisk", "GET /fapi/v1/userTrades",
        "GET /fapi/v3/account",
    ]  # fmt: skip


def test_binance_with_default_type_future_trades_the_same_futures(server: BinanceServer) -> None:
    exchange = connect(server, options={"defaultType": "future"})
    exchange.create_order(PERP, "market", "sell", 0.005)
    assert exchange.fetch_balance()["USDT"]["used"] == 12.5
    [position] = exchange.fetch_positions()
    assert (position["symbol"], *side_size_entry(position)) == (PERP, "short", 0.005, 50000.0)
    assert server.called("POST") == ["POST /fapi/v1/order"]
    assert server.called("GET /fapi/v3") == ["GET /fapi/v3/account", "GET /fapi/v3/positionRisk"]


def test_stop_orders_go_to_the_algo_service_are_listed_and_trigger(server: BinanceServer) -> None:
    exchange = connect(server, ccxt.binanceusdm)
    exchange.create_order(PERP, "market", "buy", 0.01)
    stop_params = {"stopLossPrice": 48000, "reduceOnly": True, "clientOrderId": "sl-1"}
    stop = exchange.create_order(PERP, "market", "sell", 0.01, None, stop_params)
    target_params = {"takeProfitPrice": 52000, "closePosition": True, "clientOrderId": "tp-1"}
    target = exchange.create_order(PERP, "market", "sell", None, None, target_params)
    assert sent(server, "algoType", "type", "triggerPrice", "closePosition") == {
        "algoType": "CONDITIONAL", "type": "TAKE_PROFIT_MARKET", "triggerPrice": "52000",
        "closePosition": "true",
    }  # fmt: skip
    assert "quantity" not in server.calls[-1].params
    explicit_params = {"stopPrice": 47000, "reduceOnly": True}
    explicit = exchange.create_order(PERP, "STOP_MARKET", "sell", 0.01, None, explicit_params)
    assert server.called("POST") == ["POST /fapi/v1/order"] + ["POST /fapi/v1/algoOrder"] * 3
    listed = exchange.fetch_open_orders(PERP, params={"trigger": True})
    assert [(o["id"], o["triggerPrice"], o["reduceOnly"], o["status"]) for o in listed] == [
        (stop["id"], 48000.0, True, "open"),
        (target["id"], 52000.0, False, "open"),
        (explicit["id"], 47000.0, True, "open"),
    ]
    assert [(o["clientOrderId"], o["info"]["orderType"]) for o in listed[:2]] == [
        ("sl-1", "STOP_MARKET"),
        ("tp-1", "TAKE_PROFIT_MARKET"),
    ]
    assert exchange.fetch_open_orders(PERP) == []  # plain orders are listed apart
    assert server.called("GET")[-2:] == ["GET /fapi/v1/openAlgoOrders", "GET /fapi/v1/openOrders"]

    server.set_price("BTCUSDT", "47900", venue="futures")  # the stop fires and closes the long
    fired = exchange.fetch_order(stop["id"], PERP, {"trigger": True})
    assert (fired["status"], fired["info"]["algoStatus"]) == ("closed", "FINISHED")
    closing = exchange.fetch_order(fired["info"]["actualOrderId"], PERP)
    assert (closing["filled"], closing["average"], closing["reduceOnly"]) == (0.01, 47900.0, True)
    assert exchange.fetch_positions([PERP]) == []
    cancelled = exchange.cancel_order(target["id"], PERP, {"trigger": True})
    assert (cancelled["id"], cancelled["clientOrderId"]) == (target["id"], "tp-1")
    assert str(server.calls[-1]) == "DELETE /fapi/v1/algoOrder"
    still_open = exchange.fetch_open_orders(PERP, params={"trigger": True})
    assert [o["id"] for o in still_open] == [explicit["id"]]


# -- the asyncio client -------------------------------------------------------------------------


def test_the_asyncio_client_trades_spot_and_futures(server: BinanceServer) -> None:
    async def scenario(spot: Any, futures: Any) -> None:
        order = await spot.create_order(BTC, "market", "buy", 0.002, None, {"clientOrderId": "a-1"})
        assert (order["status"], order["filled"], order["cost"]) == ("closed", 0.002, 100.0)
        found = await spot.fetch_order(None, BTC, {"clientOrderId": "a-1"})
        assert found["id"] == order["id"]
        await futures.create_order(PERP, "market", "sell", 0.01)
        [position] = await futures.fetch_positions([PERP])
        assert (position["side"], position["contracts"]) == ("short", 0.01)
        # aiohttp sends an idempotent request again, once, when a kept-alive connection drops
        server.fail_next("drop")
        assert (await spot.fetch_balance())["BTC"]["free"] == 0.501998
        assert server.called()[-2:] == ["GET /api/v3/account"] * 2
        server.fail_next("drop", times=2)
        assert type(await raised_async(spot.fetch_balance())) is ccxt.ExchangeNotAvailable
        server.fail_next("drop", path="POST")  # an order is never sent twice
        error = await raised_async(spot.create_order(BTC, "market", "buy", 0.002))
        assert type(error) is ccxt.ExchangeNotAvailable
        assert server.called("POST")[1:] == ["POST /fapi/v1/order", "POST /api/v3/order"]
        server.fail_next("rate_limit")
        assert type(await raised_async(futures.fetch_balance())) is ccxt.DDoSProtection

    async def run() -> None:
        spot = connect(server, ccxt_async.binance)
        futures = connect(server, ccxt_async.binanceusdm)
        try:
            await scenario(spot, futures)
        finally:
            await spot.close()
            await futures.close()

    run_async(run())  # on a thread of its own, as the suite's other asyncio tests


# -- failures as ccxt exceptions ----------------------------------------------------------------


def buy(amount: float) -> Callable[[Any], Any]:
    return lambda exchange: exchange.create_order(BTC, "market", "buy", amount)


def balance(exchange: Any) -> Any:
    return exchange.fetch_balance()


# name: (failure armed, what the client does, raised here, raised at api.binance.com)
SPOT_FAILURES: dict[str, tuple[Any, ...]] = {
    "insufficient balance": (None, buy(1), ccxt.InsufficientFunds, ccxt.InsufficientFunds),
    "insufficient, armed": (
        {"kind": "insufficient_balance", "path": "POST"},
        buy(0.01),
        ccxt.InsufficientFunds,
        ccxt.InsufficientFunds,
    ),
    "min notional": (None, buy(0.00005), ccxt.BadRequest, ccxt.BadRequest),
    "lot size": ({"kind": "lot_size"}, buy(0.01), ccxt.InvalidOrder, ccxt.InvalidOrder),
    "429": ({"kind": "rate_limit", "retry_after": 7}, balance, ccxt.DDoSProtection, None),
    "418": ({"kind": "ip_ban", "retry_after": 120}, balance, ccxt.DDoSProtection, None),
    "502": ({"kind": "bad_gateway"}, balance, ccxt.ExchangeNotAvailable, None),
    "503 busy": ({"kind": "server_busy"}, balance, ccxt.ExchangeError, ccxt.OperationFailed),
    "dropped": ({"kind": "drop"}, buy(0.01), ccxt.NetworkError, None),
    "stalled": ({"kind": "stall", "seconds": 2}, balance, ccxt.RequestTimeout, None),
}


@pytest.mark.parametrize("name", SPOT_FAILURES)
def test_each_spot_failure_becomes_the_ccxt_exception_a_broker_maps(
    server: BinanceServer, name: str
) -> None:
    arm, act, here, real = SPOT_FAILURES[name]
    exchange = connect(server)
    exchange.load_markets()
    if arm:
        server.fail_next(**arm)
    if name == "stalled":
        exchange.timeout = 500  # ms; the server waits 2 s before it answers
    error = raised(lambda: act(exchange))
    assert type(error) is here
    answer = server.calls[-1]
    if real is not None:  # an answer whose class depends on the host
        assert at_real_host(exchange, SPOT_HOST, answer) is real
    elif answer.status is not None:  # a status ccxt maps the same on any host
        assert at_real_host(exchange, SPOT_HOST, answer) is here
    if arm and "retry_after" in arm:
        assert exchange.last_response_headers["Retry-After"] == str(arm["retry_after"])
    if name == "dropped":  # closed before any work: nothing was bought
        assert exchange.fetch_balance()["BTC"]["free"] == 0.5
    assert server.failures == []


def test_dropping_the_next_n_requests_fails_n_calls(server: BinanceServer) -> None:
    exchange = connect(server)
    exchange.load_markets()
    server.fail_next("drop", times=2)
    assert type(raised(lambda: balance(exchange))) is ccxt.NetworkError
    assert type(raised(lambda: balance(exchange))) is ccxt.NetworkError
    assert balance(exchange)["USDT"]["free"] == 10000.0


def perp_order(side: str, amount: float, params: dict[str, Any]) -> Callable[[Any], Any]:
    return lambda exchange: exchange.create_order(PERP, "market", side, amount, None, params)


def stop_on_the_order_endpoint(exchange: Any) -> Any:
    request = {"symbol": "BTCUSDT", "side": "SELL", "type": "STOP_MARKET", "quantity": "0.01"}
    return exchange.fapiPrivatePostOrder(request | {"stopPrice": "48000"})


# name: (failure armed, what the client does, Binance code, raised at fapi.binance.com);
# raised here: ExchangeError, as these codes are only in ccxt's linear table, chosen by host
FUTURES_FAILURES: dict[str, tuple[Any, ...]] = {
    "margin": (None, perp_order("buy", 10, {}), -2019, ccxt.InsufficientFunds),
    "margin, armed": (
        {"kind": "insufficient_balance"},
        perp_order("buy", 0.01, {}),
        -2019,
        ccxt.InsufficientFunds,
    ),
    "min notional": (None, perp_order("buy", 0.001, {}), -4164, ccxt.InvalidOrder),
    "reduce only": (None, perp_order("buy", 0.01, {"reduceOnly": True}), -2022, ccxt.InvalidOrder),
    "immediate stop": (
        None,
        perp_order("sell", 0.01, {"stopLossPrice": 51000}),
        -2021,
        ccxt.OrderImmediatelyFillable,
    ),
    "stop on /order": (None, stop_on_the_order_endpoint, -4120, ccxt.InvalidOrder),
}


@pytest.mark.parametrize("name", FUTURES_FAILURES)
def test_each_futures_failure_carries_its_binance_code(server: BinanceServer, name: str) -> None:
    arm, act, code, real = FUTURES_FAILURES[name]
    exchange = connect(server, ccxt.binanceusdm)
    exchange.load_markets()
    if arm:
        server.fail_next(**arm)
    error = raised(lambda: act(exchange))
    assert type(error) is ccxt.ExchangeError
    assert f'"code":{code},' in str(error)
    assert at_real_host(exchange, FAPI_HOST, server.calls[-1]) is real


def test_a_futures_client_id_is_refused_while_open_and_finds_its_order(
    server: BinanceServer,
) -> None:
    exchange = connect(server, ccxt.binanceusdm)
    params = {"clientOrderId": "f-1"}
    exchange.create_order(PERP, "limit", "buy", 0.01, 40000, params)
    error = raised(lambda: exchange.create_order(PERP, "limit", "buy", 0.01, 40000, params))
    assert str(error) == 'binanceusdm {"code":-4116,"msg":"ClientOrderId is duplicated."}'
    assert at_real_host(exchange, FAPI_HOST, server.calls[-1]) is ccxt.InvalidOrder
    assert exchange.fetch_order(None, PERP, params)["status"] == "open"
    cancelled = exchange.cancel_order(None, PERP, params)
    assert (cancelled["clientOrderId"], cancelled["status"]) == ("f-1", "canceled")
    assert sent(server, "origClientOrderId") == {"origClientOrderId": "f-1"}
    assert server.called()[-2:] == ["GET /fapi/v1/order", "DELETE /fapi/v1/order"]
    too_long = {"clientOrderId": "bot:7:20240102T000000:open:entry-attempt-2"}  # over 36
    error = raised(lambda: perp_order("buy", 0.01, too_long)(exchange))
    assert str(error) == 'binanceusdm {"code":-4015,"msg":"Client order id is not valid."}'
    assert type(error) is ccxt.BadRequest


def test_a_wrong_key_or_secret_is_an_authentication_error(server: BinanceServer) -> None:
    wrong_key = raised(lambda: connect(server, apiKey="someone-else").fetch_balance())
    assert type(wrong_key) is ccxt.AuthenticationError
    assert (server.calls[-1].status, server.calls[-1].body) == (
        401, '{"code":-2015,"msg":"Invalid API-key, IP, or permissions for action."}',
    )  # fmt: skip
    wrong_secret = raised(lambda: connect(server, secret="not-the-secret").fetch_balance())
    assert type(wrong_secret) is ccxt.AuthenticationError
    assert (server.calls[-1].status, server.calls[-1].body) == (
        400, '{"code":-1022,"msg":"Signature for this request is not valid."}',
    )  # fmt: skip
    futures = connect(server, ccxt.binanceusdm, secret="x")
    assert type(raised(futures.fetch_balance)) is ccxt.AuthenticationError


def test_a_key_without_trading_permission(server: BinanceServer) -> None:
    server.key_permissions["enableSpotAndMarginTrading"] = False
    exchange = connect(server)
    assert type(raised(lambda: buy(0.01)(exchange))) is ccxt.AuthenticationError
    exchange.fetch_balance()  # after one private spot call succeeded, ccxt reads -2015 as a ban
    assert type(raised(lambda: buy(0.01)(exchange))) is ccxt.DDoSProtection
    assert exchange.sapi_get_account_apirestrictions()["enableSpotAndMarginTrading"] is False


def test_a_clock_outside_the_receive_window_is_an_invalid_nonce(server: BinanceServer) -> None:
    server.clock_skew_ms = 15_000  # the server's clock is ahead; ccxt sends recvWindow=10000
    exchange = connect(server)
    assert type(raised(exchange.fetch_balance)) is ccxt.InvalidNonce
    assert sent(server, "recvWindow") == {"recvWindow": "10000"}
