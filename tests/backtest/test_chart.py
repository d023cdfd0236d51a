"""Chart data of a run: candles aggregated to at most 3,000, lines at each candle's close,
trades placed on their candles."""

from __future__ import annotations

import numpy as np
import pandas as pd

from tradeloop.backtest.chart import candles, chart_interval, indicator_lines, trade_marks
from tradeloop.market.synthetic import random_walk_bars
from tradeloop.strategies.base import get_strategy


def test_short_runs_keep_their_own_bars() -> None:
    bars = random_walk_bars(2000)
    made = candles(bars)
    assert (made["interval"], made["bars_interval"], made["resampled"]) == ("H1", "H1", False)
    assert len(made["start"]) == 2000
    assert (made["open"] == bars["open"].to_numpy()).all()


def test_long_runs_are_aggregated_to_the_finest_interval_that_fits() -> None:
    hourly = random_walk_bars(10_000)
    assert chart_interval(hourly.index.as_unit("s").asi8) == 4 * 3600  # 2,500 H4 candles
    bars = random_walk_bars(50_000, start="2020-01-01")
    made = candles(bars)
    assert (made["interval"], made["resampled"]) == ("D1", True)
    assert len(made["start"]) == 2084  # 50,000 hours from midnight: 2,083 days and 8 hours
    day = bars.loc["2020-01-02"]
    one = 1  # the second candle: 2020-01-02
    assert pd.Timestamp(made["start"][one], unit="s", tz="UTC") == pd.Timestamp(
        "2020-01-02", tz="UTC"
    )
    assert made["open"][one] == day["open"].iloc[0] and made["close"][one] == day["close"].iloc[-1]
    assert made["high"][one] == day["high"].max() and made["low"][one] == day["low"].min()
    assert made["last"][one] == 47  # the index of 2020-01-02 23:00


def test_weekly_candles_start_on_mondays() -> None:
    bars = random_walk_bars(3001, freq="1D", start="2015-01-01")
    made = candles(bars)
    assert made["interval"] == "W1"
    starts = pd.to_datetime(made["start"], unit="s", utc=True)
    assert (starts[1:].day_of_week == 0).all() and starts[1] == pd.Timestamp("2015-01-05", tz="UTC")


def test_lines_are_taken_at_each_candles_last_bar() -> None:
    bars = random_walk_bars(5000)
    strategy = get_strategy("ma_crossover")
    made = candles(bars)
    lines = indicator_lines(bars, strategy, made["last"])
    full = strategy.indicators(bars)["sma_slow"]
    assert len(lines["sma_slow"]) == len(made["start"])
    assert lines["sma_slow"][100] == full[made["last"][100]]


def test_trades_fall_on_the_candle_holding_their_time() -> None:
    start = np.array([0, 14_400, 28_800])  # H4 candles from 1970-01-01 00:00
    trades = [
        {"side": "long", "entry_time": "1970-01-01T03:00:00+00:00", "entry_price": 1.1,
         "exit_time": "1970-01-01T08:00:00+00:00", "exit_price": 1.2, "pnl": 10.0, "lots": 0.1},
        {"side": "short", "entry_time": "1970-01-01T09:00:00+00:00", "entry_price": 1.2,
         "exit_time": "1970-01-01T23:00:00+00:00", "exit_price": 1.1, "pnl": 5.0, "lots": 0.2},
    ]  # fmt: skip
    marks = trade_marks(trades, start)
    assert marks["entry"].tolist() == [0, 2] and marks["exit"].tolist() == [2, 2]
    assert marks["side"].tolist() == [1, -1] and marks["entry_at"].tolist() == [10_800, 32_400]
    assert trade_marks([], start)["entry"].tolist() == []
