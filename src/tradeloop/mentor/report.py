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

from tradeloop.backtest.stats import trade_figures
from tradeloop.i18n import amount, catalogue, points_by_market, translate

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
    net: float | None  # in ``unit``; None when it would add up several markets' points
    net_money: float | None
    net_points: dict[str, float]  # per underlying: points never add up across markets
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
    stops_unknown: int = 0  # trades from exports that cannot show stop orders
    unit: str = "points"
    currency: str | None = None


def _number(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def net_pnl(trades: pd.DataFrame) -> float | None:
    """The trades' P&L: money when every trade's money is known in one currency, else the
    points of their one market; None rather than a sum of both, or of several markets'
    points."""
    if not len(trades):
        return 0.0
    if trades["pnl_money"].notna().all() and trades["currency"].nunique() == 1:
        return float(trades["pnl_money"].sum())
    if trades["underlying"].nunique() == 1:
        return float(trades["pnl_points"].sum())
    return None


def day_figures(
    day: date,
    day_trades: pd.DataFrame,
    window: pd.DataFrame,
    traded_days: int,
    streak_current: int = 0,
    unit: str = "points",
    currency: str | None = None,
) -> DayFigures:
    """Figures of ``day_trades`` (analysed trades of one day, in exit order) against ``window``
    (the analysed trades of the trailing window, the day included); ``traded_days`` counts the
    window's days with trades in the user's time zone. Results are ``pnl``, in ``unit``."""
    pnl = day_trades["pnl"]
    mistakes = day_trades["mistakes"] if len(day_trades) else pd.Series(dtype=object)
    has = lambda code: mistakes.map(lambda found: code in found)  # noqa: E731
    known = day_trades.get("stops_known", pd.Series(True, index=day_trades.index)).astype(bool)
    usual_qty = float(window["qty"].median()) if len(window) else 1.0
    window_losses = -window.loc[window["pnl"] < 0, "pnl"]
    comparable = unit == "money" or window["underlying"].nunique() <= 1  # points of one market
    limit = (
        LOSS_LIMIT_MULTIPLE * float(window_losses.mean())
        if len(window_losses) and comparable
        else np.inf
    )
    running_before = (
        np.concatenate(([0.0], np.cumsum(pnl.to_numpy())[:-1])) if len(pnl) else np.array([])
    )
    kept = {
        "stop_used": ~has("no_stop_loss") & known,
        "risk_within_plan": ~has("excessive_risk"),
        "size_within_plan": day_trades["qty"] <= SIZE_TOLERANCE * usual_qty,
        "no_revenge": ~has("revenge_trade"),
        "loss_limit_respected": pd.Series(running_before > -limit, index=day_trades.index),
    }
    per_trade = (
        sum(rule.astype(int) for rule in kept.values()) if len(day_trades) else pd.Series(dtype=int)
    )
    applicable = len(RULES) - (~known).astype(int)  # an export without stops cannot tell
    score = (
        math.floor(float((1 + 9 * per_trade / applicable).mean()) + 1e-9)
        if len(day_trades)
        else NO_TRADE_SCORE
    )
    today = trade_figures(pnl.to_numpy())
    usual = trade_figures(window["pnl"].to_numpy())
    adds_up = unit == "money" or day_trades["underlying"].nunique() <= 1
    return DayFigures(
        day=day,
        trades=today["trades"],
        wins=today["wins"],
        losses=today["losses"],
        net=today["net"] if adds_up else None,
        net_money=today["net"] if unit == "money" else None,
        net_points={
            str(k): float(v)
            for k, v in day_trades.groupby("underlying", sort=True)["pnl_points"].sum().items()
        },
        naked=int(has("no_stop_loss").sum()),
        revenge=int(has("revenge_trade").sum()),
        oversized=int((~kept["size_within_plan"] | has("excessive_risk")).sum()),
        outsized=int(has("outsized_loss").sum()),
        clean=int((~mistakes.map(bool)).sum()),
        avg_win=today["avg_win"] if comparable else None,
        usual_avg_win=usual["avg_win"] if comparable else None,
        stops_unknown=int((~known).sum()),
        usual_trades_per_day=len(window) / traded_days if traded_days else 0.0,
        rules_kept={name: int(rule.sum()) for name, rule in kept.items()},
        score=score,
        streak_current=streak_current,
        unit=unit,
        currency=currency,
    )


def main_pattern(f: DayFigures) -> str:
    """The day's main pattern, by priority."""
    if f.trades == 0:
        return "no_trades"
    if f.revenge >= 2 or (f.revenge and outcome(f) == "loss"):
        return "revenge_spiral"
    if f.naked:
        return "naked_trades"
    if f.oversized:
        return "oversized_risk"
    if f.trades >= 5 and f.usual_trades_per_day and f.trades > 2 * f.usual_trades_per_day:
        return "overtrading"
    return "disciplined"


STEADY_EMOTIONS = ("calm", "neutral")


def emotion_alignment(emotion: str, f: DayFigures) -> str:
    """How the stated emotion lines up with what the trades show; any emotion other than calm
    or neutral is always named (a frustrated day without trades is not "no pressure")."""
    steady = emotion in STEADY_EMOTIONS
    if f.trades == 0:
        return "no_trades" if steady else "no_trades_feeling"
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
    disciplined = main_pattern(f) == "disciplined"
    if steady:
        return "calm_discipline" if disciplined else "mismatch"
    return "feeling_held" if disciplined else "feeling_mismatch"


def outcome(f: DayFigures) -> str:
    """'none', 'win', 'loss' or 'flat': the day's P&L sign (with several markets in points,
    more winning than losing trades is a winning day)."""
    if f.trades == 0:
        return "none"
    sign = f.net if f.net is not None else f.wins - f.losses
    return "win" if sign > 0 else "loss" if sign < 0 else "flat"


def net_text(f: DayFigures, language: str) -> str:
    """The day's P&L with its unit, or points per market when they do not add up."""
    if f.net is None:
        return points_by_market(language, dict(f.net_points))
    return amount(language, f.net, f.unit, f.currency)


def _values(f: DayFigures, language: str, emotion: str = "neutral") -> dict[str, str]:
    money = lambda v: "—" if v is None else amount(language, v, f.unit, f.currency)  # noqa: E731
    title = translate(language, f"mentor.pattern.{main_pattern(f)}.title")
    return {
        "emotion": (
            translate(language, f"emotion.{emotion}")
            if f"emotion.{emotion}" in catalogue(language)
            else emotion
        ),
        "pattern": title[:1].lower() + title[1:],
        "trades": str(f.trades),
        "wins": str(f.wins),
        "losses": str(f.losses),
        "net": net_text(f, language),
        "naked": str(f.naked),
        "revenge": str(f.revenge),
        "oversized": str(f.oversized),
        "outsized": str(f.outsized),
        "clean": str(f.clean),
        "usual": _number(f.usual_trades_per_day, 1),
        "score": str(f.score),
        "avg_win": money(f.avg_win),
        "usual_avg_win": money(f.usual_avg_win),
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
    values = _values(f, language, emotion)
    t = lambda key: translate(language, key, **values)  # noqa: E731
    pattern = main_pattern(f)
    alignment = emotion_alignment(emotion, f)
    motivation = t(f"mentor.motivation.{outcome(f)}")
    if f.streak_current >= 5:
        motivation += " " + t("mentor.motivation.streak")
    return {
        "trading_patterns_analysis": {
            "pattern": pattern,
            "title": t(f"mentor.pattern.{pattern}.title"),
            "analysis": t(
                f"mentor.pattern.{pattern}.analysis"
                + ("_stops_unknown" if pattern == "disciplined" and f.stops_unknown else "")
            ),
            "strength": t(_strength(f)),
            "improvement": t(f"mentor.pattern.{pattern}.improve"),
            "figures": {
                "trades": f.trades,
                "wins": f.wins,
                "losses": f.losses,
                "net": f.net,
                "unit": f.unit,
                "currency": f.currency,
                "net_money": f.net_money,
                "net_points": f.net_points,
                "naked": f.naked,
                "revenge": f.revenge,
                "oversized": f.oversized,
                "outsized": f.outsized,
                "clean": f.clean,
                "streak_current": f.streak_current,
                "stops_unknown": f.stops_unknown,
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
    if f.naked == 0 and f.stops_unknown == 0:
        return "mentor.strength.stops"
    if f.clean:
        return "mentor.strength.clean"
    return "mentor.strength.showed_up"
