"""The compiled backtest loop: one position at a time, equity marked to market every bar.

Per bar ``i``: (1) orders decided at the previous close fill at this bar's open; (2) the stop,
then the target, of the open position are checked against this bar, so a stop can hit on the
entry bar; (3) the signal read at this close decides exits, reversals and entries, which fill
at the next open or, with ``fill_on_close``, at this close; (4) equity is marked at the close.
A position still open at the end is closed by a market order on the last bar (reason ``end``),
filled at its open as next-open fills are (at its close with on-close fills), as backtesting.py
does. Stop and target levels are absolute prices set from the signal bar's close.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from tradeloop.execution.rules import (
    CONVERT_SERIES,
    END,
    SIGNAL,
    STOP,
    TARGET,
    quote_to_account,
    risk_lots,
    stop_fill,
    target_fill,
    with_costs,
)

SIZE_UNITS, SIZE_LOTS, SIZE_RISK = 0, 1, 2
TRADE_FIELDS = (
    "entry_index",
    "exit_index",
    "side",
    "entry_price",
    "exit_price",
    "size",
    "lots",
    "pnl",
    "costs",
    "reason",
    "stop",
    "target",
)
# state vector slots
_SIDE, _ENTRY_I, _ENTRY, _SIZE, _LOTS, _STOP, _TARGET, _COSTS, _CASH, _ENTRY_FEE = range(10)


@njit(cache=True)
def _conversion(costs, rates, k, price):
    mode = int(costs[3])
    return quote_to_account(mode, rates[k] if mode == CONVERT_SERIES else costs[4], price)


@njit(cache=True)
def _open(st, k, raw, side, size, contract_size, ref, stop_dist, target_dist, costs, rates):
    half_spread, slippage, fee_per_lot = costs[0], costs[1], costs[2]
    conv = _conversion(costs, rates, k, raw)
    lots = size / contract_size
    fee = fee_per_lot * lots
    st[_SIDE] = side
    st[_ENTRY_I] = k
    st[_ENTRY] = with_costs(raw, side > 0, half_spread, slippage)
    st[_SIZE] = size
    st[_LOTS] = lots
    st[_STOP] = ref - side * stop_dist if stop_dist > 0 else math.nan
    st[_TARGET] = ref + side * target_dist if target_dist > 0 else math.nan
    st[_COSTS] = fee + (half_spread + slippage) * size * conv
    st[_CASH] -= fee
    st[_ENTRY_FEE] = fee


@njit(cache=True)
def _close(st, trades, count, k, raw, reason, costs, rates):
    half_spread, slippage, fee_per_lot = costs[0], costs[1], costs[2]
    side = st[_SIDE]
    conv = _conversion(costs, rates, k, raw)
    fill = with_costs(raw, side < 0, half_spread, slippage)
    fee = fee_per_lot * st[_LOTS]
    gross = (fill - st[_ENTRY]) * side * st[_SIZE] * conv
    st[_CASH] += gross - fee
    row = trades[count]
    row[0] = st[_ENTRY_I]
    row[1] = k
    row[2] = side
    row[3] = st[_ENTRY]
    row[4] = fill
    row[5] = st[_SIZE]
    row[6] = st[_LOTS]
    row[7] = gross - fee - st[_ENTRY_FEE]
    row[8] = st[_COSTS] + fee + (half_spread + slippage) * st[_SIZE] * conv
    row[9] = reason
    row[10] = st[_STOP]
    row[11] = st[_TARGET]
    st[_SIDE] = 0
    return count + 1


@njit(cache=True)
def _mark(st, k, price, costs, rates):
    if st[_SIDE] == 0:
        return st[_CASH]
    conv = _conversion(costs, rates, k, price)
    return st[_CASH] + (price - st[_ENTRY]) * st[_SIDE] * st[_SIZE] * conv


@njit(cache=True)
def _size(mode, value, equity, stop_dist, k, ref, instrument, costs, rates):
    contract_size, min_lot, max_lot, lot_step = instrument
    if mode == SIZE_UNITS:
        return value
    if mode == SIZE_LOTS:
        return value * contract_size
    conv = _conversion(costs, rates, k, ref)
    return (
        risk_lots(equity, value, stop_dist, contract_size, conv, min_lot, max_lot, lot_step)
        * contract_size
    )


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
    st = np.zeros(10)
    st[_CASH] = initial_cash
    count = 0
    pending_exit = False
    pending_side = 0
    pending_size = 0.0
    pending_ref = 0.0
    pending_sd = 0.0
    pending_td = 0.0
    for i in range(n):
        if pending_exit and st[_SIDE] != 0:
            count = _close(st, trades, count, i, o[i], SIGNAL, costs, rates)
        if pending_side != 0 and st[_SIDE] == 0:
            _open(
                st,
                i,
                o[i],
                pending_side,
                pending_size,
                instrument[0],
                pending_ref,
                pending_sd,
                pending_td,
                costs,
                rates,
            )
        pending_exit = False
        pending_side = 0

        side = st[_SIDE]
        if side != 0:
            px = stop_fill(int(side), st[_STOP], o[i], h[i], low[i])
            if not math.isnan(px):
                count = _close(st, trades, count, i, px, STOP, costs, rates)
            else:
                px = target_fill(int(side), st[_TARGET], o[i], h[i], low[i])
                if not math.isnan(px):
                    count = _close(st, trades, count, i, px, TARGET, costs, rates)

        side = st[_SIDE]
        signal = entries[i]
        leave = (
            (side > 0 and exit_long[i])
            or (side < 0 and exit_short[i])
            or (reverse and side != 0 and signal == -side)
        )
        enter = signal if (side == 0 or leave) and signal != side else 0
        if i == n - 1:
            enter = 0  # nothing opens on the last bar: no bar is left to hold it
        sd, td = stop_dist[i], target_dist[i]
        mark = _mark(st, i, c[i], costs, rates)
        if enter != 0 and (math.isnan(sd) or math.isnan(td) or mark <= 0):
            enter = 0
        size = (
            _size(size_mode, size_value, mark, sd, i, c[i], instrument, costs, rates)
            if enter != 0
            else 0.0
        )
        if size <= 0:
            enter = 0
        if fill_on_close:
            if leave:
                count = _close(st, trades, count, i, c[i], SIGNAL, costs, rates)
            if enter != 0:
                _open(st, i, c[i], enter, size, instrument[0], c[i], sd, td, costs, rates)
        else:
            pending_exit = leave
            pending_side = enter
            pending_size = size
            pending_ref = c[i]
            pending_sd = sd
            pending_td = td
        equity[i] = _mark(st, i, c[i], costs, rates)

    if st[_SIDE] != 0:  # a market order on the last bar: its open (its close for on-close fills)
        last = c[n - 1] if fill_on_close else o[n - 1]
        count = _close(st, trades, count, n - 1, last, END, costs, rates)
        equity[n - 1] = st[_CASH]
    return trades[:count], equity
