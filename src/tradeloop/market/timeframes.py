"""Bar intervals: names and inference from timestamps."""

from __future__ import annotations

import numpy as np
import pandas as pd

TIMEFRAMES: dict[str, int] = {
    "M1": 60,
    "M5": 300,
    "M15": 900,
    "M30": 1800,
    "H1": 3600,
    "H4": 14_400,
    "D1": 86_400,
    "W1": 604_800,
}
MONTHLY = "MN1"  # calendar months: 28 to 31 days apart, one timeframe
_BY_SECONDS = {seconds: name for name, seconds in TIMEFRAMES.items()}


def timeframe_name(seconds: int) -> str:
    """``H1`` for 3600 s; an unusual interval is described in seconds."""
    return _BY_SECONDS.get(int(seconds), f"{int(seconds)}s")


def dominant_interval(times_ns: np.ndarray) -> int:
    """The most common spacing between consecutive bars, in seconds (0 for < 2 bars)."""
    if len(times_ns) < 2:
        return 0
    diffs = np.diff(times_ns) // 1_000_000_000
    values, counts = np.unique(diffs[diffs > 0], return_counts=True)
    return int(values[np.argmax(counts)]) if len(values) else 0


def calendar_monthly(times_ns: np.ndarray) -> bool:
    """True when consecutive bars are whole calendar months apart, all on the same day of
    the month (the 1st, as Yahoo and MT5 date them) or all on a month's last day."""
    if len(times_ns) < 2:
        return False
    stamps = pd.DatetimeIndex(times_ns.astype("datetime64[ns]"))
    if (stamps.normalize() != stamps).any():
        return False
    months = stamps.year * 12 + stamps.month
    steps = np.diff(np.asarray(months))
    same_day = len(set(stamps.day)) == 1
    return bool((steps >= 1).all() and (same_day or stamps.is_month_end.all()))
