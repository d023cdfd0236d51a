"""What a run's price chart draws, as plain numbers: candles (aggregated to a coarser interval
when there are too many bars), the strategy's indicator lines and the trades' entries and
exits placed on their candles. Pure: the page turns times into the user's zone."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from tradeloop.market.timeframes import TIMEFRAMES, dominant_interval, timeframe_name
from tradeloop.strategies.base import Strategy

CANDLE_LIMIT = 3000
MONDAY_SHIFT = 3 * 86_400  # 1970-01-01 was a Thursday: weekly candles start on Mondays
LADDER = tuple(sorted(TIMEFRAMES.values()))
EPOCH = pd.Timestamp(0, tz="UTC")


def _keys(seconds: np.ndarray, step: int) -> np.ndarray:
    shift = MONDAY_SHIFT if step == TIMEFRAMES["W1"] else 0
    return (seconds + shift) // step


def chart_interval(seconds: np.ndarray, limit: int = CANDLE_LIMIT) -> int:
    """The interval (seconds) of the candles shown: the bars' own when at most ``limit`` of
    them, else the finest standard interval (M5, M15, … H4, D1, W1) giving at most ``limit``
    candles (W1 when even that gives more)."""
    base = dominant_interval(seconds * 1_000_000_000)
    if len(seconds) <= limit:
        return base
    for step in LADDER:
        if step <= base:
            continue
        if len(np.unique(_keys(seconds, step))) <= limit:
            return step
    return LADDER[-1]


def candles(bars: pd.DataFrame, limit: int = CANDLE_LIMIT) -> dict[str, Any]:
    """OHLC candles of ``bars`` with at most ``limit`` of them (when the interval allows):
    ``start`` (epoch seconds of each candle's start), ``open``/``high``/``low``/``close``,
    ``last`` (the index of each candle's last bar), ``interval`` (its name, e.g. ``D1``),
    ``bars_interval`` (the bars' own) and ``resampled``."""
    seconds = bars.index.as_unit("ns").asi8 // 1_000_000_000
    base = dominant_interval(seconds * 1_000_000_000)
    step = chart_interval(seconds, limit)
    o, h, low, c = (
        bars[col].to_numpy(dtype=np.float64) for col in ("open", "high", "low", "close")
    )
    n = len(seconds)
    if step == base or n == 0:
        first = np.arange(n)
        start = seconds
    else:
        keys = _keys(seconds, step)
        first = np.flatnonzero(np.concatenate(([True], keys[1:] != keys[:-1])))
        shift = MONDAY_SHIFT if step == TIMEFRAMES["W1"] else 0
        start = keys[first] * step - shift
    last = np.concatenate((first[1:] - 1, [n - 1])) if n else first
    return {
        "start": start,
        "open": o[first],
        "high": np.maximum.reduceat(h, first) if n else h,
        "low": np.minimum.reduceat(low, first) if n else low,
        "close": c[last],
        "last": last,
        "interval": timeframe_name(step),
        "bars_interval": timeframe_name(base),
        "resampled": step != base,
    }


def indicator_lines(bars: pd.DataFrame, strategy: Strategy, last: np.ndarray) -> dict[str, Any]:
    """The strategy's indicator lines at each candle's close (its last bar), NaN while they
    warm up."""
    return {name: np.asarray(series)[last] for name, series in strategy.indicators(bars).items()}


def trade_marks(
    trades: list[dict[str, Any]], start: np.ndarray, contract_size: float = 100_000.0
) -> dict[str, np.ndarray]:
    """Entries and exits of ``trades`` (the stored trade log) as columns, each with the
    candle it falls on: side (+1 long, -1 short), entry/exit candle index, time (epoch
    seconds) and price, P&L and lots (from the units and ``contract_size`` in logs that
    did not record them)."""
    if not trades:
        empty = np.array([], dtype=np.int64)
        return {k: empty for k in ("side", "entry", "exit", "entry_at", "exit_at")} | {
            k: np.array([], dtype=np.float64) for k in ("entry_price", "exit_price", "pnl", "lots")
        }
    frame = pd.DataFrame(trades)

    def at(column: str) -> np.ndarray:
        times = pd.to_datetime(frame[column], utc=True)
        return ((times - EPOCH) // pd.Timedelta(seconds=1)).to_numpy(dtype=np.int64)

    entry_at, exit_at = at("entry_time"), at("exit_time")
    return {
        "side": np.where(frame["side"] == "long", 1, -1),
        "entry": np.maximum(np.searchsorted(start, entry_at, side="right") - 1, 0),
        "exit": np.maximum(np.searchsorted(start, exit_at, side="right") - 1, 0),
        "entry_at": entry_at,
        "exit_at": exit_at,
        "entry_price": frame["entry_price"].to_numpy(dtype=np.float64),
        "exit_price": frame["exit_price"].to_numpy(dtype=np.float64),
        "pnl": frame["pnl"].to_numpy(dtype=np.float64),
        "lots": (frame["lots"] if "lots" in frame else frame["size"] / contract_size).to_numpy(
            dtype=np.float64
        ),
    }
