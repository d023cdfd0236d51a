"""The paper broker on hand-worked bars: orders placed at a signal's close and filled at the
next open, stops and targets held broker-side, commission charged, client order ids made
from the bot and the bar's time, idempotent submission, moves and cancels, reconciliation."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from tradeloop.bots.runner import BotRunner
from tradeloop.brokers.paper import PaperBroker
from tradeloop.core.errors import InvalidInput, NotFound
from tradeloop.core.orders import OrderRequest, OrderStatus, Side
from tradeloop.execution.rules import CONVERT_FIXED
from tradeloop.execution.settings import ExecutionSettings
from tradeloop.execution.tape import Tape
from tradeloop.market.feeds import bars_of
from tradeloop.market.instruments import resolve_instrument
from tradeloop.market.synthetic import random_walk_bars
from tradeloop.strategies.base import get_strategy

EURUSD = resolve_instrument("EURUSD")
SETTINGS = ExecutionSettings(lots=1, spread_pips=0, commission=2, sl_pips=10, tp_pips=20)
T0 = pd.Timestamp("2024-01-02 00:00", tz="UTC")
ENTRY = "bot:7:20240102T000000:open"


def broker() -> PaperBroker:
    return PaperBroker("bot:7", EURUSD, SETTINGS, CONVERT_FIXED, 1.0)


def bar(tape: Tape, hour: int, o: float, h: float, low: float, c: float, signal: int = 0) -> int:
    i = tape.add_bar(T0 + pd.Timedelta(hours=hour), o, h, low, c)
    tape.decide(i, entries=signal, stop_dist=0.0010, target_dist=0.0020, rates=1.0)
    return i


def test_an_entry_fills_at_the_next_open_and_its_target_broker_side() -> None:
    paper, tape = broker(), Tape()
    first = paper.on_bar(tape, bar(tape, 0, 1.1000, 1.1010, 1.0990, 1.1000, signal=1))
    (order,) = first.orders
    assert first.fills == [] and order.client_order_id == ENTRY
    assert (order.request.side, order.request.quantity) == (Side.BUY, 100_000)
    assert order.request.stop == pytest.approx(1.0990) and order.request.target == pytest.approx(
        1.1020
    )
    assert [o.client_order_id for o in paper.open_orders()] == [ENTRY]

    second = paper.on_bar(tape, bar(tape, 1, 1.1005, 1.1015, 1.1000, 1.1010))
    (entry,) = second.fills
    assert (entry.client_order_id, entry.price, entry.commission, entry.reason) == (
        ENTRY, 1.1005, 2.0, "entry",
    )  # fmt: skip
    (position,) = paper.positions()
    assert (position.client_order_id, position.side, position.quantity) == (
        ENTRY,
        Side.BUY,
        100_000,
    )
    assert position.stop == pytest.approx(1.0990) and position.target == pytest.approx(1.1020)
    assert paper.account().equity == pytest.approx(10_000 - 2 + (1.1010 - 1.1005) * 100_000)

    third = paper.on_bar(tape, bar(tape, 2, 1.1012, 1.1025, 1.1008, 1.1018))
    (target,) = third.fills
    assert (target.client_order_id, target.side, target.reason) == (
        f"{ENTRY}:target",
        Side.SELL,
        "target",
    )
    assert target.price == pytest.approx(1.1020)
    assert paper.positions() == [] and paper.open_orders() == []
    account = paper.account()
    assert account.balance == account.equity == pytest.approx(10_000 + 150 - 4)  # 15 pips, 2 fees
    assert account.currency == "USD"
    (row,) = third.closed
    assert row[7] == pytest.approx(146.0)  # the round trip's P&L, as a backtest records it
    held = paper.reconcile()
    assert [(o.client_order_id, o.status) for o in held.orders] == [
        (ENTRY, OrderStatus.FILLED), (f"{ENTRY}:target", OrderStatus.FILLED),
    ]  # fmt: skip
    assert held.fills == paper.fills_since(None) == [entry, target] and held.positions == []
    assert paper.fills_since(T0 + pd.Timedelta(hours=2)) == [target]


def test_a_gap_through_the_stop_fills_at_the_open() -> None:
    paper, tape = broker(), Tape()
    paper.on_bar(tape, bar(tape, 0, 1.1000, 1.1010, 1.0990, 1.1000, signal=1))
    paper.on_bar(tape, bar(tape, 1, 1.1005, 1.1015, 1.1000, 1.1010))
    gap = paper.on_bar(tape, bar(tape, 2, 1.0980, 1.0990, 1.0970, 1.0985))
    (stop,) = gap.fills
    assert (stop.reason, stop.price) == ("stop", 1.0980)  # not the better stop price 1.0990


def test_the_same_bars_name_the_same_orders() -> None:
    runs = []
    for _ in range(2):
        paper, tape = broker(), Tape()
        paper.on_bar(tape, bar(tape, 0, 1.1000, 1.1010, 1.0990, 1.1000, signal=1))
        paper.on_bar(tape, bar(tape, 1, 1.1005, 1.1015, 1.1000, 1.1010))
        runs.append([(f.client_order_id, f.price) for f in paper.fills_since(None)])
    assert runs[0] == runs[1] == [(ENTRY, 1.1005)]


def test_a_close_by_hand_is_idempotent_and_fills_at_the_next_open() -> None:
    paper, tape = broker(), Tape()
    paper.on_bar(tape, bar(tape, 0, 1.1000, 1.1010, 1.0990, 1.1000, signal=1))
    paper.on_bar(tape, bar(tape, 1, 1.1005, 1.1015, 1.1000, 1.1010))
    close = OrderRequest("manual-1", "EURUSD", Side.SELL, 100_000, closes=ENTRY)
    first, again = paper.submit(close), paper.submit(close)
    assert first is again and first.status is OrderStatus.PENDING and first.reason == "manual"
    assert [o.client_order_id for o in paper.open_orders()] == ["manual-1"]
    done = paper.on_bar(tape, bar(tape, 2, 1.1012, 1.1016, 1.1008, 1.1014))
    (fill,) = done.fills
    assert (fill.client_order_id, fill.price, fill.reason) == ("manual-1", 1.1012, "manual")
    assert paper.positions() == []
    with pytest.raises(InvalidInput, match="close the bot's open position"):
        paper.submit(OrderRequest("buy-1", "EURUSD", Side.BUY, 100_000))


def test_a_moved_stop_and_a_cancelled_entry() -> None:
    paper, tape = broker(), Tape()
    paper.on_bar(tape, bar(tape, 0, 1.1000, 1.1010, 1.0990, 1.1000, signal=1))
    paper.on_bar(tape, bar(tape, 1, 1.1005, 1.1015, 1.1000, 1.1010))
    moved = paper.modify(ENTRY, 1.1004, None)
    assert moved.stop == 1.1004 and moved.target is None
    (stop,) = paper.on_bar(tape, bar(tape, 2, 1.1008, 1.1030, 1.1003, 1.1025)).fills
    assert (stop.reason, stop.price) == ("stop", 1.1004)  # no target left to take 1.1020
    with pytest.raises(NotFound):
        paper.modify(ENTRY, 1.0, 2.0)
    paper.on_bar(tape, bar(tape, 3, 1.1025, 1.1030, 1.1020, 1.1025, signal=-1))
    (pending,) = paper.open_orders()
    assert paper.cancel(pending.client_order_id).status is OrderStatus.CANCELLED
    quiet = paper.on_bar(tape, bar(tape, 4, 1.1025, 1.1030, 1.1020, 1.1025))
    assert quiet.fills == [] and paper.positions() == []
    assert math.isclose(paper.account().balance, paper.account().equity)


def test_an_entry_filled_at_the_last_bars_open_is_closed_at_the_end_once() -> None:
    """The entry of bar 599 (decided on 598) fills at the last bar's open; the end of the
    replay closes it: one entry fill and one exit fill, not an entry invented again."""
    bars = random_walk_bars(600, seed=33)
    instrument = resolve_instrument("EURUSD")
    settings = ExecutionSettings(sl_pips=30, tp_pips=60, risk_percent=1.0)
    broker = PaperBroker("bot:2", instrument, settings, CONVERT_FIXED, 1.0)
    strategy = get_strategy("ma_crossover", {"fast_period": 8, "slow_period": 30})
    runner = BotRunner(strategy, instrument, settings, broker, CONVERT_FIXED)
    reports = [runner.on_bar(bar) for bar in bars_of(bars)]
    fills = [f for r in reports for f in r.fills]
    last = bars.index[-1]
    assert [(f.reason, f.time) for f in reports[-1].fills] == [("entry", last), ("end", last)]
    assert reports[-1].fills[1].client_order_id == "bot:2:20200125T230000:end"
    entries = [f for f in fills if f.reason == "entry"]
    assert len(entries) == len(fills) - len(entries) == sum(len(r.closed) for r in reports) == 25
    assert len({f.client_order_id for f in fills}) == len(fills)
