"""Backtest speed: tradeloop against backtesting.py on the same 1,000,000-bar series with
ma_crossover 20/50 and ATR stops (2×/4×), one unit, no costs. Both run end to end from a bar
frame to trades and statistics; tradeloop's one-off JIT compilation is warmed up first (it is
cached on disk after the first run). Peak memory is the largest traced allocation during the
tradeloop run, against the size of the input frame."""

from __future__ import annotations

import gc
import time
import tracemalloc
import warnings

from tradeloop.backtest.engine import run_backtest
from tradeloop.execution.settings import ExecutionSettings
from tradeloop.market.instruments import resolve_instrument
from tradeloop.market.synthetic import random_walk_bars
from tradeloop.strategies.base import get_strategy

BARS = 1_000_000
SETTINGS = ExecutionSettings(sl_atr=2, tp_atr=4, units=1, spread_pips=0, initial_cash=1_000_000)


def _tradeloop(bars):
    return run_backtest(bars, get_strategy("ma_crossover"), resolve_instrument("EURUSD"), SETTINGS)


def _peer(bars):
    from backtesting import Backtest
    from tests.backtest.peer import SmaCrossAtr

    frame = bars.rename(columns=str.capitalize)
    frame.index = frame.index.tz_localize(None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return Backtest(
            frame, SmaCrossAtr, cash=1_000_000, commission=0, spread=0, finalize_trades=True
        ).run()


def run(bars_count: int = BARS) -> dict[str, float]:
    """Print and return the figures."""
    bars = random_walk_bars(bars_count, seed=1)
    frame_bytes = int(bars.memory_usage(index=True, deep=True).sum())
    _tradeloop(bars.iloc[:5000])  # compile or load the cached kernel

    gc.collect()
    start = time.perf_counter()
    ours = _tradeloop(bars)
    ours_seconds = time.perf_counter() - start

    gc.collect()
    tracemalloc.start()
    _tradeloop(bars)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    start = time.perf_counter()
    theirs = _peer(bars)
    theirs_seconds = time.perf_counter() - start

    figures = {
        "tradeloop_bars_per_s": bars_count / ours_seconds,
        "backtesting_bars_per_s": bars_count / theirs_seconds,
        "speedup": theirs_seconds / ours_seconds,
        "peak_memory_ratio": peak / frame_bytes,
    }
    print(
        f"backtest, {bars_count:,} bars, ma_crossover + ATR stops "
        f"({len(ours.trades):,} trades; backtesting.py {theirs['# Trades']:,}):"
    )
    for name, seconds, key in (
        ("tradeloop     ", ours_seconds, "tradeloop_bars_per_s"),
        ("backtesting.py", theirs_seconds, "backtesting_bars_per_s"),
    ):
        print(f"  {name} {seconds:7.3f} s  {figures[key]:>12,.0f} bars/s")
    print(f"  speed-up       {figures['speedup']:.1f}x (goal ≥ 20x)")
    print(
        f"  peak memory    {peak / 2**20:.1f} MiB = {figures['peak_memory_ratio']:.2f}x the "
        f"{frame_bytes / 2**20:.1f} MiB input frame (goal < 3x)"
    )
    return figures
