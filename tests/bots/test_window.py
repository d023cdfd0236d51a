"""A live bot reads its signals over the last ``live_window`` bars only; over that window
every indicator equals its full-history value, so each bar's decision (signal, exit flags,
stop and target distances) is the one a bot reading all history makes, for every strategy,
on a shared market file and on a gappy series."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.conftest import SHARED_DATA, run_async
from tradeloop.bots.runner import BotRunner, live_window, run_feed
from tradeloop.brokers.paper import PaperBroker
from tradeloop.execution.rules import CONVERT_FIXED
from tradeloop.execution.settings import ExecutionSettings
from tradeloop.market.feeds import replay
from tradeloop.market.instruments import resolve_instrument
from tradeloop.market.synthetic import random_walk_bars
from tradeloop.services.runs import load_bars
from tradeloop.strategies.base import all_strategies, get_strategy

SETTINGS = ExecutionSettings(sl_atr=2, tp_atr=4)
EURUSD = SHARED_DATA / "market" / "EURUSD_H1.csv"


def decisions(bars: pd.DataFrame, key: str, window: int | None) -> dict[str, np.ndarray]:
    instrument = resolve_instrument("EURUSD")
    broker = PaperBroker("bot", instrument, SETTINGS, CONVERT_FIXED, 1.0)
    runner = BotRunner(
        get_strategy(key), instrument, SETTINGS, broker, CONVERT_FIXED, window=window
    )
    run_async(run_feed(runner, replay(bars)))
    return {
        name: runner.tape.seen(name).copy()
        for name in ("entries", "exit_long", "exit_short", "stop_dist", "target_dist")
    }


def series() -> list[tuple[str, pd.DataFrame]]:
    gappy = random_walk_bars(8500, seed=9, gap_chance=0.08)
    found = [("gappy", gappy[gappy.index.day_of_week < 5])]
    if EURUSD.exists():
        found.append(("EURUSD_H1", load_bars(EURUSD)[0].iloc[:6000]))
    return found


@pytest.mark.parametrize("key", [s.key for s in all_strategies()])
def test_a_window_of_live_window_bars_decides_as_all_history(key: str) -> None:
    window = live_window(get_strategy(key), SETTINGS)
    for name, bars in series():
        assert len(bars) > window + 500, (name, window)
        full, windowed = decisions(bars, key, None), decisions(bars, key, window)
        for column in ("entries", "exit_long", "exit_short"):
            assert (full[column] == windowed[column]).all(), (name, column)
        for column in ("stop_dist", "target_dist"):
            assert np.allclose(full[column], windowed[column], rtol=1e-9, equal_nan=True)
        assert full["entries"][window:].any(), "the comparison covers bars that trade"
