"""Mistake detectors over trades (and the orders they came from). Pure and vectorised.

Mistake codes: ``no_stop_loss``, ``outsized_loss``, ``excessive_risk``, ``revenge_trade``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

SECOND = 1_000_000_000  # times are compared as int64 nanoseconds since the epoch
STOP_BEFORE = 60 * SECOND  # a stop placed up to 60 s before entry counts
STOP_AFTER_EXIT = 2 * SECOND
CANCEL_GRACE = 2 * SECOND  # a stop cancelled more than 2 s before entry did not protect
MISTAKES = ("no_stop_loss", "excessive_risk", "outsized_loss", "revenge_trade")


def has_mistake(trades: pd.DataFrame, codes: Iterable[str] | None = None) -> np.ndarray:
    """Whether each trade was flagged with any of ``codes`` (with any mistake when None)."""
    found = trades["mistakes"]
    if codes is None:
        return np.fromiter((bool(m) for m in found), bool, count=len(found))
    wanted = set(codes)
    return np.fromiter((not wanted.isdisjoint(m) for m in found), bool, count=len(found))


def nanoseconds(times: pd.Series) -> np.ndarray:
    """UTC times as int64 nanoseconds."""
    return pd.DatetimeIndex(times).as_unit("ns").asi8


@dataclass(frozen=True)
class StopCheck:
    """Per trade: protected by a stop, and the risk points of the first stop in the trade."""

    protected: np.ndarray
    risk_points: np.ndarray


def _count_between(times: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """How many sorted ``times`` lie in [lo, hi] for each pair."""
    return np.searchsorted(times, hi, side="right") - np.searchsorted(times, lo, side="left")


def check_stops(trades: pd.DataFrame, orders: pd.DataFrame) -> StopCheck:
    """Which trades had a protective stop, and their risk points.

    A trade is protected by a Stop or Stop Limit order of the same account (and position,
    where the file names positions) on the other side of the same contract whose Timestamp
    lies from 60 s before entry to 2 s after exit and that was not rejected; a stop that filled
    as the exit also protects. A cancelled stop (its Timestamp is then the cancel time)
    protects unless it was cancelled more than 2 s before entry: exports give a bracket's
    orders one Timestamp, so a stop cancelled when its target filled carries the entry time
    (this is the reading that reproduces the reference figures). Risk points are |entry − stop
    price| of the earliest stop with a stated level whose Timestamp lies between entry and
    exit (NaN when there is none): a stop whose planned level is unknown (the final, trailed
    S/L of an MT5 position) protects without giving a risk. Sorted arrays keep this linear.
    """
    n = len(trades)
    protected = trades["exit_type"].isin(["stop", "stop_limit"]).to_numpy().copy()
    risk = np.full(n, np.nan)
    stops = orders[orders["type"].isin(["stop", "stop_limit"]) & (orders["status"] != "rejected")]
    if stops.empty or n == 0:
        return StopCheck(protected, risk)
    entry = nanoseconds(trades["entry_time"])
    exit_ = nanoseconds(trades["exit_time"])
    entry_price = trades["entry_price"].to_numpy()
    # a sell stop protects a long: key trades by the side their stop is on
    stop_side = np.where(trades["side"].to_numpy() == "buy", "sell", "buy")
    keys = pd.MultiIndex.from_arrays(
        [trades["account"].to_numpy(), trades["position"].to_numpy(),
         trades["symbol"].to_numpy(), stop_side]
    )  # fmt: skip
    trade_groups = pd.Series(np.arange(n)).groupby(keys).indices
    for key, group in stops.groupby(["account", "position", "contract", "side"], sort=False):
        rows = trade_groups.get(key)
        if rows is None:
            continue
        group = group.sort_values("timestamp", kind="stable")
        times = nanoseconds(group["timestamp"])
        cancelled = (group["status"] == "cancelled").to_numpy()
        active_times, cancelled_times = times[~cancelled], times[cancelled]
        lo, hi = entry[rows], exit_[rows] + STOP_AFTER_EXIT
        covered = (_count_between(active_times, lo - STOP_BEFORE, hi) > 0) | (
            _count_between(cancelled_times, lo - CANCEL_GRACE, hi) > 0
        )
        protected[rows] |= covered
        priced = group["stop_price"].notna().to_numpy()
        times, prices = times[priced], group["stop_price"].to_numpy()[priced]
        if not len(times):
            continue
        first = np.searchsorted(times, entry[rows], side="left")  # earliest stop at or after entry
        inside = (first < len(times)) & (times[np.minimum(first, len(times) - 1)] <= exit_[rows])
        risk[rows[inside]] = np.abs(entry_price[rows[inside]] - prices[first[inside]])
    return StopCheck(protected, risk)


def threshold(values: np.ndarray, sigma: float) -> float | None:
    """mean + σ × population std (std 0 for one value); None for no values."""
    if len(values) == 0:
        return None
    return float(values.mean() + sigma * values.std(ddof=0))


def outsized_losses(
    trades: pd.DataFrame, sigma: float
) -> tuple[np.ndarray, dict[str, float | None]]:
    """Losses above mean + σ × std of the points lost per contract, per underlying."""
    flags = np.zeros(len(trades), dtype=bool)
    limits: dict[str, float | None] = {}
    lost = -trades["points"].to_numpy()
    for name, index in trades.groupby("underlying", sort=True).indices.items():
        losing = index[lost[index] > 0]
        limits[name] = threshold(lost[losing], sigma)
        if limits[name] is not None:
            flags[losing] = lost[losing] > limits[name]
    return flags, limits


def excessive_risk(
    trades: pd.DataFrame, risk: np.ndarray, sigma: float
) -> tuple[np.ndarray, dict[str, float | None]]:
    """Risk points above mean + σ × std of the risk points of trades with a stop, per underlying."""
    flags = np.zeros(len(trades), dtype=bool)
    limits: dict[str, float | None] = {}
    for name, index in trades.groupby("underlying", sort=True).indices.items():
        known = index[~np.isnan(risk[index])]
        limits[name] = threshold(risk[known], sigma)
        if limits[name] is not None:
            flags[known] = risk[known] > limits[name]
    return flags, limits


def revenge_window(trades: pd.DataFrame, k: float) -> float:
    """Median holding time of all trades × k, in seconds."""
    if trades.empty:
        return 0.0
    held = (trades["exit_time"] - trades["entry_time"]).dt.total_seconds()
    return float(held.median() * k)


def revenge_trades(trades: pd.DataFrame, window_seconds: float) -> np.ndarray:
    """Walking trades in exit order: a trade entered no later than the window after the exit
    of the previous trade, where that previous trade lost (``pnl`` below zero). A trade
    entered before that exit (the rest of a position being scaled out) is not a reaction to
    the loss."""
    exits = nanoseconds(trades["exit_time"])
    order = np.argsort(exits, kind="stable")
    flags = np.zeros(len(trades), dtype=bool)
    entry = nanoseconds(trades["entry_time"])[order]
    exit_ = exits[order]
    lost = (trades["pnl"].to_numpy() < 0)[order]
    window = round(window_seconds * SECOND)
    follow = np.zeros(len(order), dtype=bool)
    follow[1:] = lost[:-1] & (entry[1:] >= exit_[:-1]) & (entry[1:] <= exit_[:-1] + window)
    flags[order] = follow
    return flags
