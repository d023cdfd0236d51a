"""The MetaTrader 5 broker over the stand-in for the ``MetaTrader5`` package (``mt5_standin``:
the package's names, retcodes and structures over an in-memory trade server). Symbols are
found by name or a broker suffix and never as another instrument, volumes and filling modes
are what the symbol takes, stops and targets sit on the position, a resubmission after a
crash or a lost answer never places a second order, a stop the server fires comes back as a
fill with reason "stop", and retcodes become messages with a retry decision."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pandas as pd
import pytest

from tests.brokers.mt5_standin import MetaTrader5
from tradeloop.brokers.errors import BrokerError
from tradeloop.brokers.guards import AccountGuards
from tradeloop.brokers.mt5_broker import (
    Mt5Broker,
    closed_bars,
    filling_mode,
    load_mt5,
    resolve_symbol,
    retcode_error,
    terminal_error,
    volume_lots,
)
from tradeloop.core.orders import Account, Fill, OrderRequest, OrderStatus, Position, Side

PREFIX = "bot:7:"
OPEN = "bot:7:20240102T100000:open"  # 26 characters, as the bots name their orders
MAGIC = 7007
AT_10 = datetime(2024, 1, 2, 10, 0, tzinfo=UTC)


def terminal() -> MetaTrader5:
    """A terminal logged in to a demo account with EURUSD (FOK) and XAUUSD (IOC only)."""
    mt5 = MetaTrader5()
    mt5.add_symbol("EURUSD", 1.10000, 1.10002, commission_per_lot=3.5)
    mt5.add_symbol("XAUUSD", 2050.10, 2050.40, digits=2, contract_size=100, filling_mode=2)
    assert mt5.initialize(login=5_001_234, password="demo-pass", server="Broker-Demo")
    return mt5


def broker(mt5: MetaTrader5, symbol: str = "EURUSD", **guards: Any) -> Mt5Broker:
    """A new broker (a new process, say) for bot 7 on the terminal ``mt5``."""
    pauses: list[float] = []
    made = Mt5Broker(mt5, symbol, PREFIX, AccountGuards(**guards), magic=MAGIC,
                     pause=pauses.append)  # fmt: skip
    made.pauses = pauses  # type: ignore[attr-defined]
    return made


def opening(side: Side, quantity: float, cid: str = OPEN, symbol: str = "EURUSD",
            **levels: float) -> OrderRequest:  # fmt: skip
    return OrderRequest(cid, symbol, side, quantity, **levels)


def test_symbols_by_exact_name_or_a_broker_suffix_never_another_instrument() -> None:
    mt5 = MetaTrader5()
    for name in ("EURUSDT", "XEURUSD", "EURUSD.pro", "GBPUSD#", "XAUUSD", "USDJPYm"):
        mt5.add_symbol(name, 1.1, 1.1002)
    mt5.initialize()
    assert resolve_symbol(mt5, "XAUUSD") == "XAUUSD"  # exact
    assert resolve_symbol(mt5, "EURUSD") == "EURUSD.pro"  # not EURUSDT, not XEURUSD
    assert resolve_symbol(mt5, "EUR/USD") == "EURUSD.pro"
    assert resolve_symbol(mt5, "GBPUSD") == "GBPUSD#"
    assert resolve_symbol(mt5, "USDJPY") == "USDJPYm"
    assert mt5.symbols["EURUSD.pro"].select is True  # put in Market Watch for its ticks
    mt5.add_symbol("EURUSDm", 1.1, 1.1002)
    assert resolve_symbol(mt5, "EURUSD") == "EURUSDm"  # the first suffix in the list wins

    bot = Mt5Broker(mt5, "GBPUSD", PREFIX, magic=MAGIC)
    bot.submit(opening(Side.BUY, 10_000, symbol="GBPUSD"))
    assert mt5.sent[-1]["symbol"] == "GBPUSD#"  # sent under the broker's name
    assert [p.symbol for p in bot.positions()] == ["GBPUSD"]  # reported under the bot's

    only_others = MetaTrader5()
    for name in ("EURUSDT", "XEURUSD", "EURUSD_T"):  # a different instrument each, or unknown
        only_others.add_symbol(name, 1.1, 1.1002)
    only_others.initialize()
    with pytest.raises(BrokerError) as refused:
        resolve_symbol(only_others, "EURUSD")
    assert str(refused.value) == (
        "the MT5 terminal has no symbol EURUSD, with or without a broker suffix (.m, m, .pro, # …)"
    )
    assert (refused.value.key, refused.value.retry) == ("broker.mt5.symbol", False)


def test_volumes_are_rounded_down_to_the_step_within_the_limits() -> None:
    mt5 = terminal()
    euro, gold = mt5.symbol_info("EURUSD"), mt5.symbol_info("XAUUSD")
    assert volume_lots(euro, 12_345.6) == 0.12  # 0.123456 lots, step 0.01
    assert volume_lots(euro, 12_999) == 0.12  # down: never more than asked for
    assert volume_lots(euro, 30_000) == 0.3  # 0.3 / 0.01 is 29.999… in floats: still 0.30
    assert volume_lots(euro, 1_000) == 0.01
    assert volume_lots(gold, 15_000) == 100.0  # 150 lots: the symbol's largest volume
    with pytest.raises(BrokerError) as small:
        volume_lots(gold, 0.5)  # half an ounce: 0.005 lots
    assert str(small.value) == (
        "order of 0.5 units (0.005 lots) is below XAUUSD's smallest volume of 0.01 lots"
    )
    assert (small.value.key, small.value.retry) == ("broker.mt5.volume_small", False)
    assert mt5.sent == []


def test_the_filling_mode_is_one_the_symbol_allows() -> None:
    mt5 = terminal()
    flags = {0: "none", 1: "FOK", 2: "IOC", 3: "FOK and IOC"}
    chosen = {text: filling_mode(mt5, f) for f, text in flags.items()}
    assert chosen == {"none": mt5.ORDER_FILLING_RETURN, "FOK": mt5.ORDER_FILLING_FOK,
                      "IOC": mt5.ORDER_FILLING_IOC, "FOK and IOC": mt5.ORDER_FILLING_FOK}  # fmt: skip
    gold = broker(mt5, "XAUUSD")
    assert gold.submit(opening(Side.BUY, 50, symbol="XAUUSD")).status is OrderStatus.FILLED
    assert mt5.sent[-1]["type_filling"] == 1  # IOC, the only mode XAUUSD takes
    mt5.add_symbol("USDCHF", 0.85, 0.85003, filling_mode=0)
    broker(mt5, "USDCHF").submit(opening(Side.SELL, 10_000, "bot:7:2:open", "USDCHF"))
    assert mt5.sent[-1]["type_filling"] == 2  # RETURN
    sent = dict(mt5.sent[-1], comment="by hand", type_filling=0, symbol="XAUUSD", volume=0.01)
    assert mt5.order_send(sent).retcode == 10030  # what a mode the symbol refuses gets


def test_a_market_order_carries_its_stop_target_comment_and_magic() -> None:
    mt5 = terminal()
    bot = broker(mt5)
    order = bot.submit(opening(Side.BUY, 12_345.6, stop=1.0950049, target=1.1100051))
    assert (order.status, order.placed_at, order.done_at) == (OrderStatus.FILLED, AT_10, AT_10)
    assert mt5.sent == [{
        "action": 1, "symbol": "EURUSD", "volume": 0.12, "type": 0, "price": 1.10002,
        "sl": 1.095, "tp": 1.11001, "deviation": 20, "magic": MAGIC, "comment": OPEN,
        "type_time": 0, "type_filling": 0,
    }]  # fmt: skip
    assert bot.positions() == [
        Position(OPEN, "EURUSD", Side.BUY, 12_000.0, 1.10002, AT_10, 1.095, 1.11001)
    ]
    by_hand = {"action": 1, "symbol": "EURUSD", "volume": 0.5, "type": 1, "price": 1.1,
               "deviation": 5, "magic": 0, "comment": "", "type_filling": 0}  # fmt: skip
    assert mt5.order_send(by_hand).retcode == 10009  # the trader's own, in the terminal
    assert [p.client_order_id for p in bot.positions()] == [OPEN]  # not the bot's: left out


def test_a_resubmission_after_a_crash_or_a_lost_answer_places_nothing_twice() -> None:
    mt5 = terminal()
    request = opening(Side.SELL, 10_000, stop=1.105, target=1.09)
    first = broker(mt5).submit(request)
    again = broker(mt5)  # a new process after a crash sends the same request
    mt5.calls.clear()
    assert again.submit(request) == first
    assert "order_send" not in mt5.calls and len(mt5.positions) == 1
    mt5.set_price("EURUSD", 1.10600, 1.10602)  # the stop closes the position
    assert broker(mt5).submit(request).status is OrderStatus.FILLED  # found in the deals
    assert len(mt5.sent) == 1

    lost = opening(Side.BUY, 20_000, "bot:7:20240102T110000:open")
    mt5.drop_next(executed=True)  # filled, then the answer was lost
    assert again.submit(lost).status is OrderStatus.FILLED  # looked up, not sent again
    assert len(mt5.sent) == 2 and [p["comment"] for p in mt5.positions] == [lost.client_order_id]

    never = opening(Side.BUY, 20_000, "bot:7:20240102T120000:open")
    mt5.drop_next(executed=False)  # the terminal lost the connection before sending
    with pytest.raises(BrokerError) as raised:
        again.submit(never)
    assert (str(raised.value), raised.value.retry, raised.value.key) == (
        "no connection to the MT5 terminal: is it running and logged in? Trying again",
        True, "broker.mt5.ipc",
    )  # fmt: skip
    assert len(mt5.positions) == 1
    assert again.submit(never).status is OrderStatus.FILLED  # the bot's retry: sent once
    assert [r["comment"] for r in mt5.sent] == [
        OPEN, lost.client_order_id, never.client_order_id, never.client_order_id,
    ]  # fmt: skip
    assert len(mt5.positions) == 2


def test_a_stop_the_server_fires_comes_back_as_a_stop_fill() -> None:
    mt5 = terminal()
    bot = broker(mt5)
    bot.submit(opening(Side.BUY, 100_000, stop=1.095, target=1.11))  # one lot
    mt5.now = datetime(2024, 1, 2, 13, 30, tzinfo=UTC)
    mt5.set_price("EURUSD", 1.09498, 1.09500)  # the bid fell through the stop
    assert bot.positions() == []
    assert (mt5.deals[-1]["reason"], mt5.deals[-1]["comment"]) == (4, "[sl 1.09500]")
    at_1330 = datetime(2024, 1, 2, 13, 30, tzinfo=UTC)
    entry = Fill(OPEN, "EURUSD", Side.BUY, 100_000.0, 1.10002, 3.5, AT_10, "entry")
    stop = Fill(f"{OPEN}:stop", "EURUSD", Side.SELL, 100_000.0, 1.09498, 3.5, at_1330, "stop")
    assert bot.fills_since(None) == [entry, stop]
    assert bot.fills_since(at_1330) == [stop]
    assert bot.account().balance == 10_000 - 3.5 - 504.0 - 3.5

    held = bot.reconcile()
    assert held.fills == [entry, stop] and held.positions == []
    assert [(o.client_order_id, o.status, o.reason, o.request.stop, o.request.target,
             o.request.closes) for o in held.orders] == [
        (OPEN, OrderStatus.FILLED, "signal", 1.095, 1.11, None),
        (f"{OPEN}:stop", OrderStatus.FILLED, "stop", None, None, OPEN),
    ]  # fmt: skip


def test_the_bot_closes_its_position_by_the_opening_orders_id() -> None:
    mt5 = terminal()
    bot = broker(mt5, "XAUUSD")
    bot.submit(opening(Side.BUY, 50, symbol="XAUUSD", target=2100))  # 0.5 lots
    ticket = mt5.positions[0]["ticket"]
    mt5.set_price("XAUUSD", 2060.10, 2060.40)
    close = OrderRequest("bot:7:20240102T140000:close", "XAUUSD", Side.SELL, 50, closes=OPEN)
    assert bot.submit(close).status is OrderStatus.FILLED
    assert {k: mt5.sent[-1][k] for k in ("type", "price", "position", "volume")} == {
        "type": 1, "price": 2060.10, "position": ticket, "volume": 0.5,
    }  # fmt: skip
    assert [(f.client_order_id, f.side, f.quantity, f.price, f.reason)
            for f in bot.fills_since(None)] == [
        (OPEN, Side.BUY, 50.0, 2050.40, "entry"), (close.client_order_id, Side.SELL, 50.0,
                                                   2060.10, "signal"),
    ]  # fmt: skip
    [_, closing] = bot.reconcile().orders
    assert (closing.client_order_id, closing.request.closes) == (close.client_order_id, OPEN)
    assert bot.account() == Account(10_485.0, 10_485.0, "USD")
    with pytest.raises(BrokerError) as gone:
        bot.submit(OrderRequest("bot:7:3:close", "XAUUSD", Side.SELL, 50, closes=OPEN))
    assert (str(gone.value), gone.value.key) == (
        f"no open position of {OPEN}", "broker.error.no_position",
    )  # fmt: skip


def test_the_stop_and_target_are_moved_on_the_position() -> None:
    mt5 = terminal()
    bot = broker(mt5)
    bot.submit(opening(Side.BUY, 10_000, stop=1.095, target=1.11))
    moved = bot.modify(OPEN, 1.0980004, None)
    assert (moved.stop, moved.target) == (1.098, None)
    assert mt5.sent[-1] == {"action": 6, "symbol": "EURUSD", "position": mt5.positions[0]["ticket"],
                            "sl": 1.098, "tp": 0.0, "magic": MAGIC}  # fmt: skip
    assert bot.modify(OPEN, 1.098, None) == moved  # nothing to change (10025) is no error
    with pytest.raises(BrokerError) as wrong_side:
        bot.modify(OPEN, 1.2, None)  # a long's stop above the price
    assert (str(wrong_side.value), wrong_side.value.retry) == (
        "MT5 refused the stop or target: too close to the price or on the wrong side of it "
        "(MT5 retcode 10016)", False,
    )  # fmt: skip
    assert mt5.positions[0]["sl"] == 1.098
    with pytest.raises(BrokerError) as unknown:
        bot.modify("bot:7:other:open", 1.09, None)
    assert str(unknown.value) == "no open position of bot:7:other:open"


def test_an_order_left_waiting_is_cancelled_and_stays_cancelled() -> None:
    mt5 = terminal()
    bot = broker(mt5)
    mt5.hold_next()  # exchange execution: placed, not yet filled
    request = opening(Side.BUY, 10_000)
    assert bot.submit(request).status is OrderStatus.PENDING
    [waiting] = bot.open_orders()
    assert (waiting.client_order_id, waiting.status, waiting.request.quantity,
            waiting.placed_at) == (OPEN, OrderStatus.PENDING, 10_000.0, AT_10)  # fmt: skip
    cancelled = bot.cancel(OPEN)
    assert cancelled.status is OrderStatus.CANCELLED
    assert mt5.sent[-1] == {"action": 8, "order": mt5.history_orders[-1]["ticket"]}
    assert bot.open_orders() == [] and mt5.positions == []
    assert broker(mt5).submit(request).status is OrderStatus.CANCELLED  # not placed again
    assert len(mt5.sent) == 2
    with pytest.raises(BrokerError) as again:
        bot.cancel(OPEN)
    assert (str(again.value), again.value.key) == (
        f"no pending MT5 order {OPEN} (filled, cancelled or never placed)",
        "broker.mt5.not_pending",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("retcode", "message", "retry"),
    [
        (10004, "MT5 requoted the order: the price moved, trying again", True),
        (10006, "the MT5 server rejected the order (Request rejected)", False),
        (10012, "the MT5 server did not answer in time: trying again", True),
        (10013, "MT5 found the request invalid (Invalid request)", False),
        (10014, "MT5 refused the order's volume: check the symbol's lot size, step and limits",
         False),
        (10015, "MT5 refused the order's price", False),
        (10016, "MT5 refused the stop or target: too close to the price or on the wrong side "
         "of it", False),
        (10018, "the market is closed for this symbol now", False),
        (10019, "not enough money (free margin) in the MT5 account for this order", False),
        (10020, "the price changed before MT5 filled the order: trying again", True),
        (10030, "MT5 refused the order's filling mode: the symbol does not allow it", False),
        (10031, "the MT5 terminal has no connection to the trade server: trying again", True),
        (10099, "MT5 refused the request (retcode 10099)", False),
    ],
)  # fmt: skip
def test_every_retcode_becomes_a_message_and_a_retry_decision(
    retcode: int, message: str, retry: bool
) -> None:
    mt5 = terminal()
    bot = broker(mt5)
    mt5.answer_next(retcode)
    mt5.calls.clear()
    with pytest.raises(BrokerError) as raised:
        bot.submit(opening(Side.BUY, 10_000))
    assert (str(raised.value), raised.value.retry) == (f"{message} (MT5 retcode {retcode})", retry)
    assert raised.value.values["retcode"] == retcode
    assert raised.value.key.startswith("broker.mt5.") and mt5.positions == []
    after = mt5.calls[mt5.calls.index("order_send") + 1 :]
    looked = ["positions_get", "orders_get", "history_deals_get", "history_orders_get"]
    assert after == (looked if retcode in (10012, 10031) else [])  # may have gone through


def test_the_terminals_own_errors_and_the_keys_they_carry() -> None:
    mt5 = MetaTrader5()
    assert mt5.initialize(login=5_001_234, password="wrong", server="Broker-Demo") is False
    auth = terminal_error(*mt5.last_error())
    assert (str(auth), auth.key, auth.retry) == (
        "the MT5 terminal refused the account's login: check the login, password and server",
        "broker.mt5.auth", False,
    )  # fmt: skip
    algo = terminal_error(-8, "Terminal: Auto trading disabled")
    assert (str(algo), algo.key) == (
        "Algo Trading is switched off in the MT5 terminal: switch it on", "broker.mt5.algo_disabled",
    )  # fmt: skip
    assert retcode_error(10027).key == "broker.mt5.algo_trading"
    assert str(terminal_error(-2, 'Invalid "comment" argument')) == (
        'the MT5 terminal refused the request: Invalid "comment" argument (-2)'
    )
    assert (retcode_error(10021).retry, retcode_error(10024).retry) == (True, True)


def test_reads_are_retried_while_the_terminal_cannot_be_reached() -> None:
    mt5 = terminal()
    bot = broker(mt5)
    mt5.shutdown()
    with pytest.raises(BrokerError) as raised:
        bot.account()
    assert (raised.value.key, raised.value.retry) == ("broker.mt5.ipc", True)
    assert bot.pauses == [0.5, 1.0, 2.0]  # type: ignore[attr-defined]
    assert mt5.calls[-4:] == ["account_info"] * 4


def test_guards_refuse_in_lots_before_anything_leaves() -> None:
    mt5 = terminal()
    bot = broker(mt5, max_order_size=0.5, max_open_positions=1)
    with pytest.raises(BrokerError) as too_big:
        bot.submit(opening(Side.BUY, 60_000))  # 0.6 lots
    assert str(too_big.value) == "order of 0.6 is above the account's largest order (0.5)"
    bot.submit(opening(Side.BUY, 50_000))
    with pytest.raises(BrokerError) as full:
        bot.submit(opening(Side.SELL, 10_000, "bot:7:20240102T110000:open"))
    assert str(full.value) == "the account already has 1 open positions (at most 1)"
    assert len(mt5.sent) == 1
    long_id = "bot:7:20240102T100000:open:stop-x"  # 33 characters: no room in a comment
    with pytest.raises(BrokerError) as long:
        bot.submit(opening(Side.SELL, 10_000, long_id))
    assert (str(long.value), long.value.key) == (
        f"client order id {long_id} is longer than the 31 characters an MT5 order comment "
        "holds", "broker.mt5.comment_long",
    )  # fmt: skip


def test_closed_bars_come_with_a_utc_index_without_the_forming_one() -> None:
    mt5 = terminal()
    server_times = pd.date_range("2024-01-02 00:00", periods=5, freq="h")  # UTC+2 clock
    bars = pd.DataFrame({
        "open": [1.1, 1.2, 1.3, 1.4, 1.5], "high": [1.15, 1.25, 1.35, 1.45, 1.55],
        "low": [1.05, 1.15, 1.25, 1.35, 1.45], "close": [1.12, 1.22, 1.32, 1.42, 1.52],
        "tick_volume": [100, 200, 300, 400, 500],
    }, index=server_times)  # fmt: skip
    mt5.set_rates("EURUSD", mt5.TIMEFRAME_H1, bars)
    frame = closed_bars(mt5, "EURUSD", "H1", 3, server_tz="Etc/GMT-2")
    assert list(frame.index) == [pd.Timestamp(t, tz="UTC") for t in (
        "2024-01-01 23:00", "2024-01-02 00:00", "2024-01-02 01:00")]  # fmt: skip
    assert (str(frame.index.dtype), frame.index.name) == ("datetime64[ns, UTC]", "time")
    assert frame.to_dict("list") == {
        "open": [1.2, 1.3, 1.4],
        "high": [1.25, 1.35, 1.45],
        "low": [1.15, 1.25, 1.35],
        "close": [1.22, 1.32, 1.42],
        "volume": [200.0, 300.0, 400.0],
    }
    assert len(closed_bars(mt5, "EURUSD", "H1", 50)) == 4  # all the closed ones there are
    assert closed_bars(mt5, "EURUSD", "H1", 1).index[0] == pd.Timestamp("2024-01-02 03:00",
                                                                        tz="UTC")  # fmt: skip
    with pytest.raises(BrokerError) as unknown:
        closed_bars(mt5, "EURUSD", "H2", 3)
    assert str(unknown.value) == (
        "MT5 has no timeframe H2: use one of M1, M5, M15, M30, H1, H4, D1, W1, MN1"
    )


def test_load_mt5_says_where_metatrader_runs() -> None:
    with pytest.raises(BrokerError) as raised:
        load_mt5()  # this is Linux: the MetaTrader5 package cannot be here
    assert (str(raised.value), raised.value.key, raised.value.retry) == (
        "MetaTrader 5 runs only on Windows next to a running MT5 terminal: install tradeloop "
        "with its mt5 extra there (pip install 'tradeloop[mt5]')",
        "broker.mt5.unavailable", False,
    )  # fmt: skip
