"""One day's report from an analysed journal: slice the day and its trailing window."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from tradeloop.habits.analysis import Analysis
from tradeloop.habits.stats import streaks
from tradeloop.mentor.report import DayFigures, build_report, day_figures

WINDOW_DAYS = 30


def daily_report(
    analysis: Analysis,
    day: date,
    emotion: str = "neutral",
    language: str = "id",
    tz: str = "UTC",
    window_days: int = WINDOW_DAYS,
) -> dict[str, Any]:
    """The report of ``day`` (in ``tz``) against the trailing ``window_days``; without a
    journal it is a day without trades."""
    if analysis is None:
        figures = DayFigures(day, 0, 0, 0, 0.0, None, 0, 0, 0, 0, 0, None, None, 0.0)
        return build_report(figures, emotion, language) | {
            "date": day.isoformat(),
            "emotion": emotion,
        }
    trades = analysis.trades
    local_day = trades["exit_time"].dt.tz_convert(tz).dt.date
    in_window = (local_day > day - timedelta(days=window_days)) & (local_day <= day)
    up_to_day = trades[local_day <= day]
    current, _ = streaks((~up_to_day["mistakes"].map(bool)).to_numpy())
    figures = day_figures(day, trades[local_day == day], trades[in_window], current)
    return build_report(figures, emotion, language) | {"date": day.isoformat(), "emotion": emotion}
