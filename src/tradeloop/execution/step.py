"""One bar of execution, compiled (Numba): what a backtest does per bar and a paper broker does
on each closed bar, so both fill identically.

Per bar ``i`` (``run_bars``): (1) orders decided at the previous close fill at this bar's
open; (2) the stop, then the target, of the open position are checked against this bar, so a
stop can hit on the entry bar and a gap through a level fills at the open; (3) the signal
read at this close decides exits, reversals and entries, which fill at the next open or, with
on-close fills, at this close. ``mark`` values the account at a price; ``close_at_end``
closes what is left on the last bar.

All state lives in one float vector (``new_state``): the open position, the pending order
and the cash. Closed trades are appended as rows (columns ``TRADE_FIELDS``) to a table the
caller owns; each function returns the new row count. Stop and target levels are absolute
prices set from the signal bar's close.
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
# state vector slots: the open position, the cash, the order pending for the next open
(
    SIDE, ENTRY_I, ENTRY, SIZE, LOTS, STOP_LEVEL, TARGET_LEVEL, COSTS, CASH, ENTRY_FEE,
    PENDING_EXIT, PENDING_SIDE, PENDING_SIZE, PENDING_REF, PENDING_SD, PENDING_TD,
) = range(16)  # fmt: skip
STATE_SLOTS = 16
MAX_TRADES_PER_BAR = 2  # a pending exit or a stop/target, and an on-close exit


@njit(cache=True)
def new_state(initial_cash: float) -> np.ndarray:
    """A flat account holding ``initial_cash``."""
    st = np.zeros(STATE_SLOTS)
    st[CASH] = initial_cash
    return st


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
    st[SIDE] = side
    st[ENTRY_I] = k
    st[ENTRY] = with_costs(raw, side > 0, half_spread, slippage)
    st[SIZE] = size
    st[LOTS] = lots
    st[STOP_LEVEL] = ref - side * stop_dist if stop_dist > 0 else math.nan
    st[TARGET_LEVEL] = ref + side * target_dist if target_dist > 0 else math.nan
    st[COSTS] = fee + (half_spread + slippage) * size * conv
    st[CASH] -= fee
    st[ENTRY_FEE] = fee


@njit(cache=True)
def _close(st, trades, count, k, raw, reason, costs, rates):
    half_spread, slippage, fee_per_lot = costs[0], costs[1], costs[2]
    side = st[SIDE]
    conv = _conversion(costs, rates, k, raw)
    fill = with_costs(raw, side < 0, half_spread, slippage)
    fee = fee_per_lot * st[LOTS]
    gross = (fill - st[ENTRY]) * side * st[SIZE] * conv
    st[CASH] += gross - fee
    row = trades[count]
    row[0] = st[ENTRY_I]
    row[1] = k
    row[2] = side
    row[3] = st[ENTRY]
    row[4] = fill
    row[5] = st[SIZE]
    row[6] = st[LOTS]
    row[7] = gross - fee - st[ENTRY_FEE]
    row[8] = st[COSTS] + fee + (half_spread + slippage) * st[SIZE] * conv
    row[9] = reason
    row[10] = st[STOP_LEVEL]
    row[11] = st[TARGET_LEVEL]
    st[SIDE] = 0
    return count + 1


@njit(cache=True)
def mark(st, k, price, costs, rates):
    """The account's equity with the open position valued at ``price``."""
    if st[SIDE] == 0:
        return st[CASH]
    conv = _conversion(costs, rates, k, price)
    return st[CASH] + (price - st[ENTRY]) * st[SIDE] * st[SIZE] * conv


@njit(cache=True)
def _size(mode, value, equity, stop_dist, k, ref, instrument, costs, rates):
    contract_size, min_lot, max_lot, lot_step = instrument
    if mode == SIZE_UNITS:
        return value
    if mode == SIZE_LOTS:
        return value * contract_size
    conv = _conversion(costs, rates, k, ref)
    return (
        risk_lots(equity, value, stop_dist, contract_size, conv, min_lot, max_lot, lot_step, ref)
        * contract_size
    )


@njit(cache=True)
def run_bars(
    st, trades, count, equity, start, stop, last_index, o, h, low, c, entries, exit_long,
    exit_short, stop_dist, target_dist, fill_on_close, reverse, size_mode, size_value,
    instrument, costs, rates,
):  # fmt: skip
    """Bars ``start`` to ``stop - 1`` of the arrays, each closed bar ``i`` in three steps;
    returns the row count of ``trades`` after the trades they closed, and marks the equity at
    each close in ``equity[i - start]``.

    (1) The exit and the entry decided at the previous close fill at this open. (2) The open
    position's stop, then its target, are checked against this bar. (3) This close's signal
    decides exits, reversals and entries (none on bar ``last_index``, the last of a backtest,
    which leaves no bar to hold a position); they fill at this close with ``fill_on_close``,
    else they wait in the state for the next open. A backtest runs every bar in one call; a
    paper broker runs each bar as it closes, so both fill identically. (The loop is inside
    so that the backtest pays no call per bar.)"""
    for i in range(start, stop):
        if st[PENDING_EXIT] != 0 and st[SIDE] != 0:
            count = _close(st, trades, count, i, o[i], SIGNAL, costs, rates)
        if st[PENDING_SIDE] != 0 and st[SIDE] == 0:
            _open(
                st, i, o[i], st[PENDING_SIDE], st[PENDING_SIZE], instrument[0], st[PENDING_REF],
                st[PENDING_SD], st[PENDING_TD], costs, rates,
            )  # fmt: skip
        st[PENDING_EXIT] = 0
        st[PENDING_SIDE] = 0

        side = st[SIDE]
        if side != 0:
            px = stop_fill(int(side), st[STOP_LEVEL], o[i], h[i], low[i])
            if not math.isnan(px):
                count = _close(st, trades, count, i, px, STOP, costs, rates)
            else:
                px = target_fill(int(side), st[TARGET_LEVEL], o[i], h[i], low[i])
                if not math.isnan(px):
                    count = _close(st, trades, count, i, px, TARGET, costs, rates)

        side = st[SIDE]
        leave = (
            (side > 0 and exit_long[i])
            or (side < 0 and exit_short[i])
            or (reverse and side != 0 and entries[i] == -side)
        )
        enter = entries[i] if (side == 0 or leave) and entries[i] != side else 0
        if i == last_index:
            enter = 0
        value = mark(st, i, c[i], costs, rates)
        if enter != 0 and (math.isnan(stop_dist[i]) or math.isnan(target_dist[i]) or value <= 0):
            enter = 0
        size = (
            _size(size_mode, size_value, value, stop_dist[i], i, c[i], instrument, costs, rates)
            if enter != 0
            else 0.0
        )
        if size <= 0:
            enter = 0
        if fill_on_close:
            if leave:
                count = _close(st, trades, count, i, c[i], SIGNAL, costs, rates)
            if enter != 0:
                _open(
                    st, i, c[i], enter, size, instrument[0], c[i], stop_dist[i], target_dist[i],
                    costs, rates,
                )  # fmt: skip
        elif leave or enter != 0:
            st[PENDING_EXIT] = 1 if leave else 0
            st[PENDING_SIDE] = enter
            st[PENDING_SIZE] = size
            st[PENDING_REF] = c[i]
            st[PENDING_SD] = stop_dist[i]
            st[PENDING_TD] = target_dist[i]
        equity[i - start] = mark(st, i, c[i], costs, rates)
    return count


@njit(cache=True)
def close_at_end(st, trades, count, i, open_, close, fill_on_close, costs, rates):
    """A position still open after the last bar ``i`` is closed by a market order on that bar:
    at its open as next-open fills are (at its close with on-close fills)."""
    if st[SIDE] == 0:
        return count
    last = close if fill_on_close else open_
    return _close(st, trades, count, i, last, END, costs, rates)
