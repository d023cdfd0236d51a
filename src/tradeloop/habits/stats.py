"""Habit statistics: the summary, per-detector figures, R-multiples, calendar and streaks.

Points compare only within one underlying; the summary pools all trades of the export (the
reference exports trade one underlying). Money figures appear when point values are known.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from tradeloop.habits.detectors import MISTAKES

BREAKEVEN_CUSHION = 0.01


def _mean(values: pd.Series) -> float | None:
    return float(values.mean()) if len(values) else None


def category(delta: float | None) -> str | None:
    """How the win rate compares with breakeven: comfortably above, just above, around, below."""
    if delta is None:
        return None
    if delta >= 0.02:
        return "comfortably_above"
    if delta > 0:
        return "just_above"
    if delta >= -0.02:
        return "around"
    return "below"


def streaks(clean: np.ndarray) -> tuple[int, int]:
    """Current (ending at the last trade) and best run of clean trades."""
    best = run = 0
    for ok in clean:
        run = run + 1 if ok else 0
        best = max(best, run)
    return run, best


def summary(trades: pd.DataFrame) -> dict[str, Any]:
    """Counts, win rate, averages, payoff, expectancy, breakeven, clean-trade figures, streaks.

    Expectancy = win rate × average win − (1 − win rate) × average loss, in points × qty.
    Breakeven win rate = average loss / (average win + average loss) + 0.01.
    """
    pnl = trades["pnl_points"]
    wins, losses = pnl[pnl > 0], -pnl[pnl < 0]
    n = len(trades)
    win_rate = len(wins) / n if n else None
    avg_win, avg_loss = _mean(wins), _mean(losses)
    payoff = avg_win / avg_loss if avg_win is not None and avg_loss else None
    expectancy = (win_rate * (avg_win or 0.0) - (1 - win_rate) * (avg_loss or 0.0)) if n else None
    breakeven = (
        avg_loss / (avg_win + avg_loss) + BREAKEVEN_CUSHION
        if avg_win is not None and avg_loss is not None
        else None
    )
    delta = win_rate - breakeven if win_rate is not None and breakeven is not None else None
    mistakes = trades["mistakes"] if "mistakes" in trades else pd.Series([[]] * n)
    clean = np.array([not m for m in mistakes], dtype=bool)
    current, best = streaks(clean)
    money = trades["pnl_money"].dropna()
    money_wins, money_losses = money[money > 0], -money[money < 0]
    return {
        "total_trades": n,
        "wins": len(wins),
        "losses": len(losses),
        "flat": int((pnl == 0).sum()),
        "win_rate": win_rate,
        "avg_win": avg_win,
        "avg_loss": avg_loss,
        "avg_win_money": _mean(money_wins),
        "avg_loss_money": _mean(money_losses),
        "net_pnl_points": float(pnl.sum()),
        "net_pnl_money": float(money.sum()) if len(money) else None,
        "payoff_ratio": payoff,
        "expectancy": expectancy,
        "breakeven_win_rate": breakeven,
        "category": category(delta),
        "clean_trade_rate": float(clean.mean()) if n else None,
        "flagged_trades": int((~clean).sum()),
        "mistake_counts": {code: int(sum(code in m for m in mistakes)) for code in MISTAKES},
        "streak_current": current,
        "streak_best": best,
        "max_consecutive_losses": streaks((pnl < 0).to_numpy())[1],
    }


def group_figures(trades: pd.DataFrame, key: pd.Series) -> list[dict[str, Any]]:
    """Trades, wins, win rate and net points per value of ``key`` (day, hour, weekday, side)."""
    rows = []
    for value, group in trades.groupby(key, sort=True):
        pnl = group["pnl_points"]
        rows.append(
            {
                "key": value if not isinstance(value, np.generic) else value.item(),
                "trades": len(group),
                "wins": int((pnl > 0).sum()),
                "win_rate": float((pnl > 0).mean()),
                "net_pnl_points": float(pnl.sum()),
            }
        )
    return rows
