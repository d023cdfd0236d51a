"""Bar intervals: names and inference from timestamps."""

from __future__ import annotations

import numpy as np

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
