"""The compiled backtest loop: ``execution.step.run_bars`` over every bar, one position at a
time, equity marked to market every bar.

A position still open at the end is closed by a market order on the last bar (reason
``end``), filled at its open as next-open fills are (at its close with on-close fills), as
backtesting.py does. The per-bar rules are in ``tradeloop.execution.step``, shared with the
paper broker, so a paper bot and a backtest fill identically.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from tradeloop.execution.step import (
    CASH,
    SIZE_LOTS,
    SIZE_RISK,
    SIZE_UNITS,
    TRADE_FIELDS,
    close_at_end,
    new_state,
    run_bars,
)

__all__ = ["SIZE_LOTS", "SIZE_RISK", "SIZE_UNITS", "TRADE_FIELDS", "run_kernel"]


@njit(cache=True)
def run_kernel(
    o,
    h,
    low,
    c,
    entries,
    exit_long,
    exit_short,
    stop_dist,
    target_dist,
    fill_on_close,
    reverse,
    size_mode,
    size_value,
    instrument,
    costs,
    rates,
    initial_cash,
):
    """Run the loop over float64 OHLC arrays.

    ``stop_dist``/``target_dist`` hold each bar's distance from its close to the level (0 for
    none, NaN when it cannot be known yet, which skips the entry). ``instrument`` is
    (contract size, min lot, max lot, lot step); ``costs`` is (half spread, slippage — both in
    price — commission per lot per side, conversion mode, conversion rate); ``rates`` holds
    each bar's quote→account rate when the conversion mode is a series (else one dummy value).
    Returns the trade table (one row per trade, columns ``TRADE_FIELDS``) and equity per bar.
    """
    n = len(c)
    trades = np.empty((int(np.count_nonzero(entries)) + 1, 12))
    equity = np.empty(n)
    st = new_state(initial_cash)
    count = run_bars(
        st, trades, 0, equity, 0, n, n - 1, o, h, low, c, entries, exit_long, exit_short,
        stop_dist, target_dist, fill_on_close, reverse, size_mode, size_value, instrument, costs,
        rates,
    )  # fmt: skip
    closed = close_at_end(st, trades, count, n - 1, o[n - 1], c[n - 1], fill_on_close, costs, rates)
    if closed > count:
        equity[n - 1] = st[CASH]
    return trades[:closed], equity
