"""A bot's decisions on a real broker: the ccxt broker through the real ccxt client to the
Binance look-alike. The scenario: open with a stop and target, the stop fires, a short,
reversed to a long, then a crash and the same bar handled again by a new process (no second
order), and the round trips reported as the execution step's trade rows."""

from __future__ import annotations

from collections.abc import Iterator

import ccxt
import numpy as np
import pandas as pd
import pytest

from tests.brokers.binance_server import BinanceServer, rebase_urls
from tradeloop.bots.live import LiveExecution
from tradeloop.brokers.ccxt_broker import CcxtBroker
from tradeloop.core.orders import OrderStatus, Side
from tradeloop.execution.rules import EXIT_REASONS
from tradeloop.execution.settings import ExecutionSettings
from tradeloop.execution.step import TRADE_FIELDS
from tradeloop.execution.tape import Tape
from tradeloop.market.instruments import resolve_instrument

PERP = "BTC/USDT:USDT"
START = pd.Timestamp("2026-12-01 00:00", tz="UTC")


@pytest.fixture
def server() -> Iterator[BinanceServer]:
    with BinanceServer() as srv:
        yield srv


def _live(server: BinanceServer, reported: tuple[str, ...] = ()) -> LiveExecution:
    exchange = ccxt.binanceusdm({
        "apiKey": server.api_key, "secret": server.secret, "enableRateLimit": False,
        "urls": {"api": rebase_urls(ccxt.binanceusdm().urls["api"], server.base_url)},
    })  # fmt: skip
    broker = CcxtBroker(exchange, PERP, "bot:7:")
    settings = ExecutionSettings(lots=0.01, on_opposite="reverse")
    return LiveExecution(broker, resolve_instrument("BTCUSDT"), settings, "bot:7",
                         reported=reported)  # fmt: skip


def _bar(tape: Tape, hour: int, close: float, **decision: float) -> int:
    i = tape.add_bar(START + pd.Timedelta(hours=hour), close, close, close, close)
    tape.decide(i, **decision)
    return i


def _row(report) -> dict[str, float]:
    [row] = report.closed
    return {name: round(float(value), 4) for name, value in zip(TRADE_FIELDS, row, strict=True)
            if name in ("entry_index", "exit_index", "side", "entry_price", "exit_price",
                        "size", "pnl", "costs", "reason")}  # fmt: skip


def test_open_stop_short_reverse_and_a_crash_that_sends_nothing_twice(
    server: BinanceServer,
) -> None:
    live, tape = _live(server), Tape()
    first = live.on_bar(tape, _bar(tape, 0, 50000, entries=1, stop_dist=1000, target_dist=3000))
    [opened] = first.orders
    assert (opened.client_order_id, opened.status) == ("bot:7:20261201T000000:open",
                                                       OrderStatus.FILLED)  # fmt: skip
    assert [(f.side, f.quantity, f.price) for f in first.fills] == [(Side.BUY, 0.01, 50000.0)]
    [position] = live.broker.positions()
    assert (position.stop, position.target) == (49000.0, 53000.0)

    server.set_price("BTCUSDT", "48900", venue="futures")  # the stop fires at the exchange
    stopped = live.on_bar(tape, _bar(tape, 1, 48900))
    assert [(f.client_order_id, f.reason) for f in stopped.fills] == [
        ("bot:7:20261201T000000:open:sl", "stop"),
    ]
    assert _row(stopped) == {
        "entry_index": 0, "exit_index": 1, "side": 1, "entry_price": 50000, "exit_price": 48900,
        "size": 0.01, "pnl": -11 - 0.25 - 0.2445, "costs": 0.4945,
        "reason": EXIT_REASONS.index("stop"),
    }  # fmt: skip
    assert live.broker.open_orders() == []  # the target went with the position

    server.set_price("BTCUSDT", "48500", venue="futures")
    short = live.on_bar(tape, _bar(tape, 2, 48500, entries=-1, stop_dist=1000, target_dist=2000))
    assert [o.client_order_id for o in short.orders] == ["bot:7:20261201T020000:open"]
    server.set_price("BTCUSDT", "48000", venue="futures")
    decision = {"entries": 1, "stop_dist": 1000, "target_dist": 2000}

    def crash(*_: object) -> None:
        raise RuntimeError("killed between the close and the open")

    live._open = crash  # type: ignore[method-assign]
    with pytest.raises(RuntimeError):
        live.on_bar(tape, _bar(tape, 3, 48000, **decision))
    stored = tuple(f.client_order_id for r in (first, stopped, short) for f in r.fills)
    again = _live(server, reported=stored)  # a new process handles bar 3 again
    flip = again.on_bar(tape, 3)
    assert [o.client_order_id for o in flip.orders] == ["bot:7:20261201T030000:open"]
    assert [f.client_order_id for f in flip.fills] == [  # the close's fill, then the open's
        "bot:7:20261201T030000:close", "bot:7:20261201T030000:open",
    ]  # fmt: skip
    assert _row(flip)["pnl"] == round(5 - 48500 * 0.01 * 0.0005 - 480 * 0.0005, 4)
    [position] = again.broker.positions()
    assert (position.side, position.quantity, position.stop) == (Side.BUY, 0.01, 47000.0)
    closes = [c for c in server.calls if c.params.get("newClientOrderId", "").endswith("close")]
    assert len(closes) == 1  # the close was not sent again

    posted = len(server.called("POST"))
    resumed = _live(server, reported=(*stored, *(f.client_order_id for f in flip.fills)))
    repeat = resumed.on_bar(tape, 3)  # and once more: everything is there already
    assert len(server.called("POST")) == posted
    assert (repeat.orders, repeat.fills, repeat.closed) == ([], [], [])
    assert np.isfinite(resumed.equity)
