"""A bot's fills become journal orders (account ``bot:<id>``) whose FIFO rebuild gives the
bot's own round trips, and whose stops the stop-loss detector sees with their real risk."""

from __future__ import annotations

import numpy as np
import pytest

from tests.conftest import run_async
from tradeloop.bots.journal import bot_orders
from tradeloop.bots.runner import BotRunner, run_feed
from tradeloop.brokers.paper import PaperBroker
from tradeloop.execution.rules import CONVERT_FIXED
from tradeloop.execution.settings import ExecutionSettings
from tradeloop.habits.detectors import check_stops
from tradeloop.journal.trades import rebuild_trades
from tradeloop.market.feeds import replay
from tradeloop.market.instruments import resolve_instrument
from tradeloop.market.synthetic import random_walk_bars
from tradeloop.strategies.base import get_strategy


@pytest.mark.parametrize(
    "settings",
    [
        ExecutionSettings(sl_pips=20, tp_pips=40, lots=0.5, commission=3),
        ExecutionSettings(sl_atr=2, tp_atr=3, fill="close", on_opposite="reverse"),
    ],
    ids=["pips-next-open", "atr-on-close-reverse"],
)
def test_bot_fills_rebuild_into_the_bots_round_trips_with_their_stops(settings) -> None:
    instrument = resolve_instrument("EURUSD")
    broker = PaperBroker("bot:3", instrument, settings, CONVERT_FIXED, 1.0)
    runner = BotRunner(get_strategy("ma_crossover"), instrument, settings, broker, CONVERT_FIXED)
    reports = run_async(run_feed(runner, replay(random_walk_bars(2000, seed=8))))
    round_trips = np.array([row for report in reports for row in report.closed])
    held = broker.reconcile()
    orders = bot_orders("bot:3", instrument, held.orders, held.fills)
    assert set(orders["account"]) == {"bot:3"} and len(round_trips) > 20

    trades = rebuild_trades(orders)
    assert len(trades) == len(round_trips)
    times = runner.tape.times
    assert list(trades["entry_time"]) == [times[int(i)] for i in round_trips[:, 0]]
    assert list(trades["exit_time"]) == [times[int(i)] for i in round_trips[:, 1]]
    assert np.allclose(trades["entry_price"], round_trips[:, 3], atol=1e-12)
    assert np.allclose(trades["exit_price"], round_trips[:, 4], atol=1e-12)
    assert np.allclose(trades["qty"], round_trips[:, 6])  # lots
    assert np.allclose(trades["pnl_money"], round_trips[:, 7], atol=1e-6)  # the bot's P&L
    assert (trades["account"] == "bot:3").all() and (trades["currency"] == "USD").all()

    stops = check_stops(trades, orders)
    assert stops.protected.all()  # every bot trade had its stop
    assert np.allclose(stops.risk_points, np.abs(round_trips[:, 3] - round_trips[:, 10]))
    exits = trades["exit_type"].to_numpy()
    reasons = np.array(["stop", "target", "signal", "end"])[round_trips[:, 9].astype(int)]
    assert list(exits) == [{"stop": "stop", "target": "limit"}.get(r, "market") for r in reasons]
