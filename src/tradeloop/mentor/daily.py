"""One day's figures and report from an analysed journal, history of days and a weekly summary."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from typing import Any

import pandas as pd

from tradeloop.habits.analysis import Analysis
from tradeloop.habits.stats import streaks
from tradeloop.mentor.report import NO_TRADE_SCORE, DayFigures, build_report, day_figures

WINDOW_DAYS = 30
EMPTY_DAY = dict(
    trades=0, wins=0, losses=0, net=0.0, net_money=None, net_points={}, naked=0, revenge=0,
    oversized=0, outsized=0, clean=0, avg_win=None, usual_avg_win=None, usual_trades_per_day=0.0,
)  # fmt: skip


def _local_days(analysis: Analysis, tz: str) -> pd.Series:
    return analysis.trades["exit_time"].dt.tz_convert(tz).dt.date


def daily_figures(
    analysis: Analysis | None,
    day: date,
    tz: str = "UTC",
    window_days: int = WINDOW_DAYS,
    local_days: pd.Series | None = None,
) -> DayFigures:
    """The figures of ``day`` (in ``tz``) against the trailing ``window_days``."""
    if analysis is None:
        return DayFigures(day, **EMPTY_DAY)
    trades = analysis.trades
    local_day = _local_days(analysis, tz) if local_days is None else local_days
    in_window = (local_day > day - timedelta(days=window_days)) & (local_day <= day)
    current, _ = streaks((~trades.loc[local_day <= day, "mistakes"].map(bool)).to_numpy())
    traded_days = int(local_day[in_window].nunique())
    return day_figures(
        day, trades[local_day == day], trades[in_window], traded_days, current,
        analysis.unit, analysis.currency,
    )  # fmt: skip


def daily_report(
    analysis: Analysis | None,
    day: date,
    emotion: str = "neutral",
    language: str = "id",
    tz: str = "UTC",
    window_days: int = WINDOW_DAYS,
) -> dict[str, Any]:
    """The report of ``day`` (in ``tz``) against the trailing ``window_days``; without a
    journal it is a day without trades."""
    figures = daily_figures(analysis, day, tz, window_days)
    return build_report(figures, emotion, language) | {"date": day.isoformat(), "emotion": emotion}


def day_result(analysis: Analysis | None, day: date, tz: str = "UTC") -> dict[str, Any]:
    """The day's trades and P&L as its report states them (``net`` in ``unit``/``currency``,
    None when several markets' points would be added; ``net_points`` per market), and the
    day's money (``money`` in ``money_currency``) whenever every trade of the day has it in one
    currency, so a page can say both with their units."""
    f = daily_figures(analysis, day, tz)
    money, money_currency = None, None
    if analysis is not None and f.trades:
        trades = analysis.trades[_local_days(analysis, tz) == day]
        if trades["pnl_money"].notna().all() and trades["currency"].nunique() == 1:
            money, money_currency = (
                float(trades["pnl_money"].sum()),
                str(trades["currency"].iloc[0]),
            )
    return {
        "trades": f.trades,
        "net": f.net,
        "unit": f.unit,
        "currency": f.currency,
        "net_points": f.net_points,
        "money": money,
        "money_currency": money_currency,
    }


def _direction(scores: list[int]) -> str:
    """'up', 'down' or 'flat': the later half's mean score against the earlier half's."""
    if len(scores) < 2:
        return "flat"
    half = len(scores) // 2
    earlier, later = scores[:half], scores[len(scores) - half :]
    delta = sum(later) / len(later) - sum(earlier) / len(earlier)
    return "up" if delta >= 0.5 else "down" if delta <= -0.5 else "flat"


def history(
    analysis: Analysis | None,
    emotions: dict[date, str],
    start: date,
    end: date,
    tz: str = "UTC",
) -> dict[str, Any]:
    """Every day from ``start`` to ``end`` with trades or a journal entry, oldest first: trades,
    P&L in the journal's unit (``unit``, ``currency``; points per market in ``pnl_points``),
    risk score and emotion; and the score trend."""
    local_day = _local_days(analysis, tz) if analysis is not None else pd.Series(dtype=object)
    traded = set(local_day[(local_day >= start) & (local_day <= end)]) if len(local_day) else set()
    days = sorted(traded | {d for d in emotions if start <= d <= end})
    rows = []
    for day in days:
        f = daily_figures(analysis, day, tz, local_days=local_day) if day in traded else None
        rows.append(
            {
                "date": day.isoformat(),
                "trades": f.trades if f else 0,
                "pnl": f.net if f else 0.0,
                "pnl_points": f.net_points if f else {},
                "risk_score": f.score if f else NO_TRADE_SCORE,
                "mistakes": {
                    "no_stop_loss": f.naked if f else 0,
                    "revenge_trade": f.revenge if f else 0,
                    "outsized_loss": f.outsized if f else 0,
                    "oversized": f.oversized if f else 0,
                },
                "emotion": emotions.get(day),
            }
        )
    traded_scores = [r["risk_score"] for r in rows if r["trades"]]
    return {
        "start": start.isoformat(),
        "end": end.isoformat(),
        "unit": analysis.unit if analysis is not None else None,
        "currency": analysis.currency if analysis is not None else None,
        "days": rows,
        "score_trend": _direction(traded_scores),
    }


def weekly_summary(
    analysis: Analysis | None, emotions: dict[date, str], day: date, tz: str = "UTC"
) -> dict[str, Any]:
    """The week (Monday to Sunday) holding ``day``: totals, best and worst day, the most
    frequent mistake and the score trend."""
    monday = day - timedelta(days=day.weekday())
    week = history(analysis, emotions, monday, monday + timedelta(days=6), tz)
    traded = [r for r in week["days"] if r["trades"]]
    counts: Counter[str] = Counter()
    if analysis is not None and len(analysis.trades):
        local_day = _local_days(analysis, tz)
        in_week = (local_day >= monday) & (local_day <= monday + timedelta(days=6))
        for found in analysis.trades.loc[in_week, "mistakes"]:
            counts.update(found)
    frequent = counts.most_common(1)
    pick = lambda key: {"date": key["date"], "pnl": key["pnl"]}  # noqa: E731
    summed = [r for r in traded if r["pnl"] is not None]
    adds_up = len(summed) == len(traded) and (
        analysis is None or analysis.unit == "money" or analysis.trades["underlying"].nunique() <= 1
    )
    return week | {
        "trades": sum(r["trades"] for r in traded),
        "pnl": sum(r["pnl"] for r in traded) if adds_up else None,
        "best_day": pick(max(summed, key=lambda r: r["pnl"])) if summed else None,
        "worst_day": pick(min(summed, key=lambda r: r["pnl"])) if summed else None,
        "most_frequent_mistake": (
            {"code": frequent[0][0], "count": frequent[0][1]} if frequent else None
        ),
        "scores": [{"date": r["date"], "risk_score": r["risk_score"]} for r in traded],
    }
