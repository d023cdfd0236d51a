"""Indicator helpers over float64 arrays. TA-Lib does the indicators; these combine them.

Every helper is causal: the value at bar t uses bars up to t only. NaN marks warm-up.
"""

from __future__ import annotations

import numpy as np
import talib

LONG, SHORT, FLAT = 1, -1, 0


def cross_above(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """True where ``a`` goes from below ``b`` (previous bar) to above it (this bar)."""
    out = np.zeros(len(a), dtype=bool)
    with np.errstate(invalid="ignore"):
        out[1:] = (a[:-1] < b[:-1]) & (a[1:] > b[1:])
    return out


def cross_below(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """True where ``a`` goes from above ``b`` to below it."""
    return cross_above(b, a)


def previous(values: np.ndarray, n: int = 1) -> np.ndarray:
    """``values`` shifted ``n`` bars later (the value of ``n`` bars ago), NaN at the start."""
    out = np.full(len(values), np.nan)
    if n < len(values):
        out[n:] = values[:-n]
    return out


def highest_before(high: np.ndarray, n: int) -> np.ndarray:
    """Highest high of the ``n`` bars before this one (the previous Donchian upper band)."""
    return previous(talib.MAX(high, timeperiod=n))


def lowest_before(low: np.ndarray, n: int) -> np.ndarray:
    """Lowest low of the ``n`` bars before this one."""
    return previous(talib.MIN(low, timeperiod=n))


def bollinger(
    close: np.ndarray, length: int, std: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Upper, middle and lower Bollinger bands (SMA ± std population deviations)."""
    return talib.BBANDS(close, timeperiod=length, nbdevup=std, nbdevdn=std, matype=0)


def recent(mask: np.ndarray, window: int) -> np.ndarray:
    """True where ``mask`` was true on any of the ``window`` bars before this one."""
    counts = np.concatenate(([0], np.cumsum(mask, dtype=np.int64)))
    idx = np.arange(len(mask))
    start = np.maximum(idx - window, 0)
    return (counts[idx] - counts[start]) > 0


def squeeze_breakout(
    high: np.ndarray,
    low: np.ndarray,
    close: np.ndarray,
    length: int,
    std: float,
    window: int,
    factor: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Closes beyond the previous bar's band after a squeeze (bandwidth below ``factor`` × its
    rolling mean) within the last ``window`` bars: (breakout up, breakout down)."""
    upper, middle, lower = bollinger(close, length, std)
    with np.errstate(invalid="ignore", divide="ignore"):
        width = (upper - lower) / middle
        squeezed = width < factor * talib.SMA(width, timeperiod=window)
        after_squeeze = recent(squeezed, window)
        up = after_squeeze & (close > previous(upper))
        down = after_squeeze & (close < previous(lower))
    return up, down


def to_signals(long: np.ndarray, short: np.ndarray) -> np.ndarray:
    """+1 where only ``long`` holds, -1 where only ``short`` holds, else 0 (int8)."""
    out = np.zeros(len(long), dtype=np.int8)
    out[long & ~short] = LONG
    out[short & ~long] = SHORT
    return out
