"""Constructed series: a quiet market, then a move. Mirrored, a rise becomes a fall."""

from __future__ import annotations

import numpy as np
import pandas as pd

QUIET = 400


def scenario(
    move: float = 0.002,
    bars: int = 80,
    noise: float = 0.0006,
    drift: float = 0.0,
    coil: float | None = None,
    coil_bars: int = 30,
    dip: float = 0.0,
    gap: float = 0.0,
    volume_boost: float = 3.0,
    seed: int = 3,
) -> pd.DataFrame:
    """``QUIET`` calm bars around 100 drifting by ``drift`` per bar, the last 30 of them with
    noise × ``coil`` (a squeeze) when given; then ``bars`` bars rising by ``move`` per bar on
    heavier volume. The first bar of the move can open with a ``gap`` (fraction) and the
    tenth can have a long lower wick of ``dip`` (fraction) while closing up."""
    rng = np.random.default_rng(seed)
    n = QUIET + bars
    steps = rng.normal(0, noise, n) + drift
    if coil is not None:
        steps[QUIET - coil_bars : QUIET] = rng.normal(0, noise * coil, coil_bars)
    steps[QUIET:] += move - drift
    steps[QUIET] += gap
    close = 100 * np.exp(np.cumsum(steps))
    open_ = np.concatenate(([100.0], close[:-1]))
    open_[QUIET] = close[QUIET - 1] * (1 + gap)
    size = np.abs(steps) * close
    high = np.maximum(open_, close) + rng.uniform(0.1, 0.5, n) * size
    low = np.minimum(open_, close) - rng.uniform(0.1, 0.5, n) * size
    low[QUIET + 10] -= dip * close[QUIET + 10]
    volume = rng.uniform(900, 1100, n)
    volume[QUIET:] *= volume_boost
    index = pd.date_range("2024-01-01", periods=n, freq="1h", tz="UTC", name="time").as_unit("ns")
    return pd.DataFrame(
        {"open": open_, "high": high, "low": low, "close": close, "volume": volume}, index=index
    )


def mirrored(frame: pd.DataFrame) -> pd.DataFrame:
    """The same market upside down around 100 (rises become falls, highs become lows)."""
    return pd.DataFrame(
        {
            "open": 200 - frame["open"],
            "high": 200 - frame["low"],
            "low": 200 - frame["high"],
            "close": 200 - frame["close"],
            "volume": frame["volume"],
        },
        index=frame.index,
    )


def constant(n: int = 600) -> pd.DataFrame:
    """A market that never moves."""
    index = pd.date_range("2024-01-01", periods=n, freq="1h", tz="UTC", name="time").as_unit("ns")
    return pd.DataFrame(
        {"open": 100.0, "high": 100.0, "low": 100.0, "close": 100.0, "volume": 1000.0}, index=index
    )
