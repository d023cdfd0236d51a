"""Fill, stop/target, cost and sizing rules as compiled functions (Numba), used by the backtest
kernel and, later, by paper and live bots. All prices are floats; rounding happens at the edges.

Conventions: ``side`` is +1 for long and -1 for short. Stop and target levels are absolute prices.
A bar that touches both counts the stop (pessimistic); a gap through a level fills at the open.
"""

from __future__ import annotations

import math

from numba import njit

STOP, TARGET, SIGNAL, END, MANUAL = 0, 1, 2, 3, 4
EXIT_REASONS = ("stop", "target", "signal", "end", "manual")
CONVERT_FIXED, CONVERT_BY_PRICE, CONVERT_SERIES = 0, 1, 2
MAX_LEVERAGE = 30.0  # risk sizing: position value at most 30 × equity (retail limit, FX majors)


@njit(cache=True)
def stop_fill(side: int, stop: float, open_: float, high: float, low: float) -> float:
    """Price at which the stop of a ``side`` position fills on this bar, NaN when not touched.

    A bar opening beyond the stop (a gap) fills at the open, never at the better stop price.
    """
    if math.isnan(stop):
        return math.nan
    if side > 0:
        return min(open_, stop) if low <= stop else math.nan
    return max(open_, stop) if high >= stop else math.nan


@njit(cache=True)
def target_fill(side: int, target: float, open_: float, high: float, low: float) -> float:
    """Price at which the target of a ``side`` position fills on this bar, NaN when not touched.

    A gap beyond the target fills at the (better) open, as a resting limit order would.
    """
    if math.isnan(target):
        return math.nan
    if side > 0:
        return max(open_, target) if high >= target else math.nan
    return min(open_, target) if low <= target else math.nan


@njit(cache=True)
def with_costs(price: float, buying: bool, half_spread: float, slippage: float) -> float:
    """The price actually paid (buying) or received (selling) after half the spread and
    slippage, both against the trader."""
    return price + half_spread + slippage if buying else price - half_spread - slippage


@njit(cache=True)
def quote_to_account(mode: int, rate: float, price: float) -> float:
    """Account-currency value of one unit of quote currency: ``rate`` (1 when the quote is the
    account currency; a fixed or the bar's rate for crosses), or 1/price when the base is the
    account currency (USDJPY)."""
    if mode == CONVERT_BY_PRICE:
        return 1.0 / price
    return rate


@njit(cache=True)
def risk_lots(
    equity: float,
    risk_fraction: float,
    stop_distance: float,
    contract_size: float,
    conversion: float,
    min_lot: float,
    max_lot: float,
    lot_step: float,
    price: float,
) -> float:
    """Lots that lose ``risk_fraction`` of ``equity`` when the stop is hit, rounded down to the
    lot step and capped at the maximum lot and at ``MAX_LEVERAGE`` × equity of position value
    at ``price`` (so a stop a hair from the entry cannot buy a position a gap would turn into
    a loss of the whole account). When even the minimum lot would risk more than asked, or be
    worth more than the cap, the answer is 0: the trade is skipped rather than over-risked."""
    if stop_distance <= 0 or equity <= 0:
        return 0.0
    lots = equity * risk_fraction / (stop_distance * contract_size * conversion)
    lot_value = contract_size * price * conversion
    if lot_value > 0:
        lots = min(lots, equity * MAX_LEVERAGE / lot_value)
    lots = math.floor(lots / lot_step + 1e-9) * lot_step
    return 0.0 if lots < min_lot - 1e-12 else min(lots, max_lot)
