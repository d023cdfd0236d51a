"""Habit statistics in one unit: the summary, group figures and streaks.

A journal's figures are in account money when every trade's money is known in one currency,
and in points otherwise. Points compare only within one underlying: with several, the
headline money-like figures (net, averages, payoff, expectancy, breakeven) are left out and
each underlying has its own in ``by_underlying``; counts and the win rate still hold. Money in
several currencies is shown apart in ``by_currency``, never added. The trade statistics
themselves are ``tradeloop.backtest.stats.trade_figures``, shared with backtests.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from tradeloop.backtest.stats import BREAKEVEN_CUSHION, breakeven_category, streaks, trade_figures
from tradeloop.habits.detectors import MISTAKES

__all__ = [
    "BREAKEVEN_CUSHION",
    "breakeven_category",
    "group_figures",
    "streaks",
    "summary",
    "unit_of",
]
_FIGURES = ("net", "avg_win", "avg_loss", "payoff_ratio", "expectancy", "profit_factor", "best",
            "worst", "breakeven_win_rate", "category", "gross_profit", "gross_loss")  # fmt: skip


def unit_of(trades: pd.DataFrame) -> tuple[str, str | None]:
    """('money', currency) when every trade's money is known in one currency, else
    ('points', None)."""
    if len(trades) and trades["pnl_money"].notna().all():
        currencies = trades["currency"].unique()
        if len(currencies) == 1:
            return "money", str(currencies[0])
    return "points", None


def summable(trades: pd.DataFrame, unit: str) -> bool:
    """Whether the trades' ``pnl`` may be added up: money, or the points of one underlying."""
    return unit == "money" or trades["underlying"].nunique() <= 1


def _headline(pnl: np.ndarray, adds_up: bool) -> dict[str, Any]:
    figures = trade_figures(pnl)
    if not adds_up:
        figures |= dict.fromkeys(_FIGURES)
    return figures


def summary(trades: pd.DataFrame, unit: str, currency: str | None) -> dict[str, Any]:
    """Counts, win rate, averages, payoff, expectancy, breakeven, money totals, per-underlying
    points, clean-trade figures and streaks (see the module docstring for units)."""
    pnl = trades["pnl"].to_numpy(dtype=float)
    figures = _headline(pnl, summable(trades, unit))
    n = len(trades)
    mistakes = trades["mistakes"] if "mistakes" in trades else pd.Series([[]] * n)
    clean = np.array([not m for m in mistakes], dtype=bool)
    current, best = streaks(clean)
    by_currency = {
        str(ccy): trade_figures(part["pnl_money"].to_numpy())
        for ccy, part in trades[trades["pnl_money"].notna()].groupby("currency", sort=True)
    }
    money = unit == "money"
    return {
        "unit": unit,
        "currency": currency,
        "total_trades": n,
        "wins": figures["wins"],
        "losses": figures["losses"],
        "flat": figures["flat"],
        "win_rate": figures["win_rate"],
        "net_pnl": figures["net"],
        **{k: figures[k] for k in _FIGURES if k != "net"},
        "gross_money": float(trades["gross_money"].sum()) if money else None,
        "commission": float(trades["commission"].sum()) if money else None,
        "swap": float(trades["swap"].sum()) if money else None,
        "by_underlying": {
            str(name): trade_figures(part["pnl_points"].to_numpy())
            for name, part in trades.groupby("underlying", sort=True)
        },
        "by_currency": by_currency if len(by_currency) > 1 else {},
        "clean_trade_rate": float(clean.mean()) if n else None,
        "flagged_trades": int((~clean).sum()),
        "mistake_counts": {code: int(sum(code in m for m in mistakes)) for code in MISTAKES},
        "streak_current": current,
        "streak_best": best,
        "max_consecutive_losses": figures["max_consecutive_losses"],
    }


def group_figures(
    trades: pd.DataFrame, key: pd.Series, adds_up: bool = True
) -> list[dict[str, Any]]:
    """Trades, wins, win rate and net P&L (None when it would add up several underlyings'
    points) per value of ``key`` (day, hour, weekday, side), in sorted key order."""
    if not len(trades):
        return []
    values, inverse = np.unique(np.asarray(key), return_inverse=True)
    order = np.argsort(inverse, kind="stable")  # each group's trades in their own order
    bounds = np.flatnonzero(np.diff(inverse[order])) + 1
    pnl = np.split(trades["pnl"].to_numpy(dtype=float)[order], bounds)
    markets = np.split(trades["underlying"].to_numpy()[order], bounds)
    return [
        {
            "key": value.item() if isinstance(value, np.generic) else value,
            "trades": len(part),
            "wins": int((part > 0).sum()),
            "win_rate": float((part > 0).mean()),
            "net_pnl": float(part.sum()) if adds_up or len(set(names)) <= 1 else None,
        }
        for value, part, names in zip(values, pnl, markets, strict=True)
    ]
