"""Indicator helpers over float64 arrays. TA-Lib does the indicators; these combine them.

Every helper is causal: the value at bar t uses bars up to t only. NaN marks warm-up.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import numpy as np
import talib

LONG, SHORT, FLAT = 1, -1, 0


class _Shared:
    """What one ``sharing`` block has computed: results by call, and the arrays a call may be
    keyed on (the block's inputs and earlier results, kept alive so their ids stay theirs)."""

    def __init__(self, inputs: tuple[np.ndarray, ...]) -> None:
        self.known: dict[int, np.ndarray] = {id(a): a for a in inputs}
        self.results: dict[tuple, Any] = {}


_SHARING: ContextVar[_Shared | None] = ContextVar("indicator_sharing", default=None)


@contextmanager
def sharing(*inputs: np.ndarray) -> Iterator[None]:
    """Within the block, TA-Lib calls through ``ta`` on ``inputs`` (or on results of earlier
    such calls) with the same arguments are computed once: a sweep's combinations share each
    indicator of a distinct parameter value. Shared results are read-only."""
    token = _SHARING.set(_Shared(inputs))
    try:
        yield
    finally:
        _SHARING.reset(token)


def _call(name: str, function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    shared = _SHARING.get()
    arrays = [a for a in args if isinstance(a, np.ndarray)]
    if shared is None or any(id(a) not in shared.known for a in arrays):
        return function(*args, **kwargs)
    key = (
        name,
        tuple(("array", id(a)) if isinstance(a, np.ndarray) else a for a in args),
        tuple(sorted(kwargs.items())),
    )
    if key not in shared.results:
        result = function(*args, **kwargs)
        for out in result if isinstance(result, tuple) else (result,):
            out.flags.writeable = False
            shared.known[id(out)] = out
        shared.results[key] = result
    return shared.results[key]


class _TaLib:
    """TA-Lib's functions by name (``ta.SMA(close, timeperiod=20)``), shared inside a
    ``sharing`` block and plain calls outside one."""

    def __getattr__(self, name: str) -> Callable[..., Any]:
        function = getattr(talib, name)
        return lambda *args, **kwargs: _call(name, function, *args, **kwargs)


ta = _TaLib()


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
    return previous(ta.MAX(high, timeperiod=n))


def lowest_before(low: np.ndarray, n: int) -> np.ndarray:
    """Lowest low of the ``n`` bars before this one."""
    return previous(ta.MIN(low, timeperiod=n))


def bollinger(
    close: np.ndarray, length: int, std: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Upper, middle and lower Bollinger bands (SMA ± std population deviations)."""
    return ta.BBANDS(close, timeperiod=length, nbdevup=std, nbdevdn=std, matype=0)


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
        squeezed = width < factor * ta.SMA(width, timeperiod=window)
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
