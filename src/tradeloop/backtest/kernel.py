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

__all__ = ["SIZE_LOTS", "SIZE_RISK", "SIZE_UNITS", "TRADE_FIELDS", "run_kernel", "run_many"]


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


@njit(cache=True)
def run_many(
    o, h, low, c, entries, exit_long, exit_short, stops, targets, signal_of, level_of,
    fill_on_close, reverse, size_mode, size_value, instrument, costs, rates, initial_cash,
):  # fmt: skip
    """``run_kernel`` for many combinations in one call (a sweep's chunk). Row ``k`` of the
    per-combination inputs reads signal row ``signal_of[k]`` of ``entries``/``exit_long``/
    ``exit_short``, level row ``level_of[k]`` of ``stops``/``targets``, and its own fill rule,
    sizing, ``costs`` row and initial cash. Returns every combination's trades in one table,
    each one's (first row, end row) in it, and the equity per combination and bar."""
    n, count = len(c), len(signal_of)
    caps = np.empty(count, dtype=np.int64)
    for k in range(count):
        caps[k] = np.count_nonzero(entries[signal_of[k]]) + 1
    trades = np.empty((int(caps.sum()), 12))
    bounds = np.empty((count, 2), dtype=np.int64)
    equity = np.empty((count, n))
    row = 0
    for k in range(count):
        s, lv = signal_of[k], level_of[k]
        table = trades[row : row + caps[k]]
        st = new_state(initial_cash[k])
        done = run_bars(
            st, table, 0, equity[k], 0, n, n - 1, o, h, low, c, entries[s], exit_long[s],
            exit_short[s], stops[lv], targets[lv], fill_on_close[k], reverse[k], size_mode[k],
            size_value[k], instrument, costs[k], rates,
        )  # fmt: skip
        closed = close_at_end(
            st, table, done, n - 1, o[n - 1], c[n - 1], fill_on_close[k], costs[k], rates
        )
        if closed > done:
            equity[k, n - 1] = st[CASH]
        bounds[k, 0], bounds[k, 1] = row, row + closed
        row += caps[k]
    return trades, bounds, equity
