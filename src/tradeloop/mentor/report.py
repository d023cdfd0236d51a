"""The daily report, computed without any network: pattern, emotion, risk score, actions.

Every number a report says comes from ``DayFigures``; the texts live in the message
catalogues (``mentor.*``) in Bahasa Indonesia and English.

Risk score (1–10): each trade of the day earns one point per rule it keeps — a stop was used,
risk within plan (not flagged excessive), size within plan (quantity at most 1.5 × the usual
quantity of the trailing window), not a revenge trade, and the daily loss limit not yet broken
when it was entered (limit: 3 × the trailing average loss). A trade scores 1 + 9 × kept / 5;
the day's score is the mean rounded down, so more trades never raise it by themselves and any
broken rule shows; a day with no trades scores 5.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from tradeloop.i18n import translate

RULES = ("stop_used", "risk_within_plan", "size_within_plan", "no_revenge", "loss_limit_respected")
SIZE_TOLERANCE = 1.5
LOSS_LIMIT_MULTIPLE = 3.0
NO_TRADE_SCORE = 5


@dataclass(frozen=True)
class DayFigures:
    """The facts of one trading day, against the trailing window."""

    day: date
    trades: int
    wins: int
    losses: int
    net_points: float
    net_money: float | None
    naked: int
    revenge: int
    oversized: int
    outsized: int
    clean: int
    avg_win: float | None
    usual_avg_win: float | None
    usual_trades_per_day: float
    rules_kept: dict[str, int] = field(default_factory=dict)
    score: int = NO_TRADE_SCORE
    streak_current: int = 0


def _number(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def net_pnl(trades: pd.DataFrame) -> float:
    """The trades' P&L: money when every trade's money value is known, else points (never a
    sum of both)."""
    if "pnl_money" in trades and trades["pnl_money"].notna().all():
        return float(trades["pnl_money"].sum())
    return float(trades["pnl_points"].sum())


def day_figures(
    day: date,
    day_trades: pd.DataFrame,
    window: pd.DataFrame,
    traded_days: int,
    streak_current: int = 0,
) -> DayFigures:
    """Figures of ``day_trades`` (analysed trades of one day, in exit order) against ``window``
    (the analysed trades of the trailing window, the day included); ``traded_days`` counts the
    window's days with trades in the user's time zone."""
    pnl = day_trades["pnl_points"]
    mistakes = day_trades["mistakes"] if len(day_trades) else pd.Series(dtype=object)
    has = lambda code: mistakes.map(lambda found: code in found)  # noqa: E731
    usual_qty = float(window["qty"].median()) if len(window) else 1.0
    window_losses = -window.loc[window["pnl_points"] < 0, "pnl_points"]
    limit = LOSS_LIMIT_MULTIPLE * float(window_losses.mean()) if len(window_losses) else np.inf
    running_before = (
        np.concatenate(([0.0], np.cumsum(pnl.to_numpy())[:-1])) if len(pnl) else np.array([])
    )
    kept = {
        "stop_used": ~has("no_stop_loss"),
        "risk_within_plan": ~has("excessive_risk"),
        "size_within_plan": day_trades["qty"] <= SIZE_TOLERANCE * usual_qty,
        "no_revenge": ~has("revenge_trade"),
        "loss_limit_respected": pd.Series(running_before > -limit, index=day_trades.index),
    }
    per_trade = (
        sum(rule.astype(int) for rule in kept.values()) if len(day_trades) else pd.Series(dtype=int)
    )
    score = (
        math.floor(float((1 + 9 * per_trade / len(RULES)).mean()) + 1e-9)
        if len(day_trades)
        else NO_TRADE_SCORE
    )
    wins = pnl[pnl > 0]
    window_wins = window.loc[window["pnl_points"] > 0, "pnl_points"]
    money_known = (
        "pnl_money" in day_trades and len(day_trades) and day_trades["pnl_money"].notna().all()
    )
    return DayFigures(
        day=day,
        trades=len(day_trades),
        wins=len(wins),
        losses=int((pnl < 0).sum()),
        net_points=float(pnl.sum()),
        net_money=float(day_trades["pnl_money"].sum()) if money_known else None,
        naked=int(has("no_stop_loss").sum()),
        revenge=int(has("revenge_trade").sum()),
        oversized=int((~kept["size_within_plan"] | has("excessive_risk")).sum()),
        outsized=int(has("outsized_loss").sum()),
        clean=int((~mistakes.map(bool)).sum()),
        avg_win=float(wins.mean()) if len(wins) else None,
        usual_avg_win=float(window_wins.mean()) if len(window_wins) else None,
        usual_trades_per_day=len(window) / traded_days if traded_days else 0.0,
        rules_kept={name: int(rule.sum()) for name, rule in kept.items()},
        score=score,
        streak_current=streak_current,
    )


def main_pattern(f: DayFigures) -> str:
    """The day's main pattern, by priority."""
    if f.trades == 0:
        return "no_trades"
    if f.revenge >= 2 or (f.revenge and f.net_points < 0):
        return "revenge_spiral"
    if f.naked:
        return "naked_trades"
    if f.oversized:
        return "oversized_risk"
    if f.trades >= 5 and f.usual_trades_per_day and f.trades > 2 * f.usual_trades_per_day:
        return "overtrading"
    return "disciplined"


def emotion_alignment(emotion: str, f: DayFigures) -> str:
    """How the stated emotion lines up with what the trades show."""
    if f.trades == 0:
        return "no_trades"
    if emotion == "greedy" and f.oversized:
        return "greed_oversize"
    if (
        emotion == "fearful"
        and f.avg_win is not None
        and f.usual_avg_win
        and f.avg_win < 0.7 * f.usual_avg_win
    ):
        return "fear_cut_winners"
    if emotion in ("frustrated", "tired") and f.revenge:
        return "frustration_revenge"
    if emotion in ("calm", "neutral") and main_pattern(f) == "disciplined":
        return "calm_discipline"
    return "mismatch" if main_pattern(f) != "disciplined" else "aligned"


def _values(f: DayFigures) -> dict[str, str]:
    return {
        "trades": str(f.trades),
        "wins": str(f.wins),
        "losses": str(f.losses),
        "net": _number(f.net_points),
        "naked": str(f.naked),
        "revenge": str(f.revenge),
        "oversized": str(f.oversized),
        "outsized": str(f.outsized),
        "clean": str(f.clean),
        "usual": _number(f.usual_trades_per_day, 1),
        "score": str(f.score),
        "avg_win": _number(f.avg_win),
        "usual_avg_win": _number(f.usual_avg_win),
        "streak": str(f.streak_current),
    }


def recommendation_keys(f: DayFigures) -> list[str]:
    """Three to five actions, the most urgent first."""
    keys = [
        key
        for key, applies in (
            ("naked", f.naked > 0),
            ("revenge", f.revenge > 0),
            ("oversized", f.oversized > 0),
            ("outsized", f.outsized > 0),
            ("overtrading", main_pattern(f) == "overtrading"),
        )
        if applies
    ]
    for extra in ("journal", "plan", "review"):
        if len(keys) >= 3:
            break
        keys.append(extra)
    return keys[:5]


def build_report(f: DayFigures, emotion: str, language: str) -> dict[str, Any]:
    """The report's five parts and score in ``language``."""
    t = lambda key: translate(language, key, **_values(f))  # noqa: E731
    pattern = main_pattern(f)
    alignment = emotion_alignment(emotion, f)
    outcome = (
        "none"
        if f.trades == 0
        else "win"
        if f.net_points > 0
        else "loss"
        if f.net_points < 0
        else "flat"
    )
    motivation = t(f"mentor.motivation.{outcome}")
    if f.streak_current >= 5:
        motivation += " " + t("mentor.motivation.streak")
    return {
        "trading_patterns_analysis": {
            "pattern": pattern,
            "title": t(f"mentor.pattern.{pattern}.title"),
            "analysis": t(f"mentor.pattern.{pattern}.analysis"),
            "strength": t(_strength(f)),
            "improvement": t(f"mentor.pattern.{pattern}.improve"),
            "figures": {
                "trades": f.trades,
                "wins": f.wins,
                "losses": f.losses,
                "net_points": f.net_points,
                "net_money": f.net_money,
                "naked": f.naked,
                "revenge": f.revenge,
                "oversized": f.oversized,
                "outsized": f.outsized,
                "clean": f.clean,
                "streak_current": f.streak_current,
                "usual_trades_per_day": f.usual_trades_per_day,
                "avg_win": f.avg_win,
                "usual_avg_win": f.usual_avg_win,
                "rules_kept": f.rules_kept,
            },
        },
        "emotional_analysis": {
            "emotion": emotion,
            "alignment": alignment,
            "feedback": t(f"mentor.emotion.{alignment}.feedback"),
            "tip": t(f"mentor.emotion.{alignment}.tip"),
        },
        "risk_management_score": f.score,
        "recommendations": [t(f"mentor.action.{key}") for key in recommendation_keys(f)],
        "motivation_message": motivation,
        "language": language,
    }


def _strength(f: DayFigures) -> str:
    if f.trades == 0:
        return "mentor.strength.rest"
    if f.naked == 0:
        return "mentor.strength.stops"
    if f.clean:
        return "mentor.strength.clean"
    return "mentor.strength.showed_up"
