"""Goals and streaks: runs of trades (or trading days) without chosen mistakes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

import pandas as pd

from tradeloop.backtest.stats import streaks
from tradeloop.habits.detectors import has_mistake

BUILT_IN = (
    (
        "clean_trades",
        {"id": "Transaksi bersih", "en": "Clean trades"},
        ("no_stop_loss", "excessive_risk", "outsized_loss", "revenge_trade"),
        50,
    ),
    (
        "risk_management",
        {"id": "Manajemen risiko", "en": "Risk management"},
        ("no_stop_loss", "excessive_risk", "outsized_loss"),
        100,
    ),
    ("no_revenge", {"id": "Tanpa balas dendam", "en": "No revenge"}, ("revenge_trade",), 100),
)


@dataclass(frozen=True)
class Goal:
    """Avoid ``mistakes`` for ``target`` trades or trading days in a row, counted from ``start``."""

    key: str
    title: dict[str, str]
    mistakes: tuple[str, ...]
    target: int
    metric: Literal["trades", "days"] = "trades"
    start: date | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def built_in_goals() -> list[Goal]:
    """The three goals every user has."""
    return [Goal(key, title, mistakes, target) for key, title, mistakes, target in BUILT_IN]


def evaluate(goal: Goal, trades: pd.DataFrame, tz: str = "UTC") -> dict[str, Any]:
    """Current and best streak of the goal, and progress towards its target (0–1)."""
    rows = trades
    if goal.start is not None:
        rows = rows[rows["exit_time"].dt.tz_convert(tz).dt.date >= goal.start]
    ok = pd.Series(~has_mistake(rows, goal.mistakes), index=rows.index)
    if goal.metric == "days":
        ok = ok.groupby(rows["exit_time"].dt.tz_convert(tz).dt.date).all()
    run, best = streaks(ok.to_numpy(dtype=bool))
    return {
        "key": goal.key,
        "title": goal.title,
        "mistakes": list(goal.mistakes),
        "metric": goal.metric,
        "target": goal.target,
        "start": goal.start.isoformat() if goal.start else None,
        "current": run,
        "best": best,
        "progress": min(1.0, run / goal.target) if goal.target else 1.0,
        "achieved": best >= goal.target,
        **goal.extra,
    }
