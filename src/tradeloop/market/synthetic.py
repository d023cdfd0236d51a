"""Synthetic bars: a seeded random walk with gaps, for demos, tests and benchmarks."""

from __future__ import annotations

import numpy as np
import pandas as pd


def random_walk_bars(
    n: int,
    seed: int = 7,
    start: str = "2020-01-01",
    freq: str = "1h",
    price: float = 1.1,
    volatility: float = 0.0015,
    gap_chance: float = 0.02,
) -> pd.DataFrame:
    """``n`` bars of a geometric random walk. Some bars open away from the previous close
    (gaps), so stop and target gap rules are exercised."""
    rng = np.random.default_rng(seed)
    returns = rng.normal(0, volatility, n)
    close = price * np.exp(np.cumsum(returns))
    gaps = np.where(rng.random(n) < gap_chance, rng.normal(0, volatility * 4, n), 0.0)
    open_ = np.empty(n)
    open_[0] = price
    open_[1:] = close[:-1] * np.exp(gaps[1:])
    spread = np.abs(rng.normal(0, volatility, (2, n))) * close
    high = np.maximum(open_, close) + spread[0]
    low = np.minimum(open_, close) - spread[1]
    volume = rng.integers(100, 5000, n).astype(np.float64)
    index = pd.date_range(start, periods=n, freq=freq, tz="UTC", name="time").as_unit("ns")
    return pd.DataFrame(
        {"open": open_, "high": high, "low": low, "close": close, "volume": volume}, index=index
    )
