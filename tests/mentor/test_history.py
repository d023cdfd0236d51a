"""History of days and the weekly summary, on hand-made exports."""

from __future__ import annotations

from datetime import date

from tests.journal.helpers import export
from tests.mentor.test_report import REVENGE, history, trade
from tradeloop.mentor.daily import _direction, daily_figures, daily_report, weekly_summary
from tradeloop.mentor.daily import history as day_history
from tradeloop.services.exports import load_journal

CALM_WEEK = load_journal(export(*history())).analysis  # 12/23-12/29/2023: +8, -4, +8, ... points
WITH_REVENGE = load_journal(export(*history(), *REVENGE)).analysis  # plus 3 losses on 01/02/2024


def test_a_calm_week_hand_worked() -> None:
    week = weekly_summary(CALM_WEEK, {}, date(2023, 12, 27))
    assert (week["start"], week["end"]) == ("2023-12-25", "2023-12-31")
    assert [d["date"] for d in week["days"]] == [f"2023-12-{d}" for d in range(25, 30)]
    # MNQ is worth $2 a point: +8 +(-4) +8 +(-4) +8 = 16 points = $32
    assert (week["trades"], week["pnl"]) == (5, 32.0)
    assert week["best_day"] == {"date": "2023-12-25", "pnl": 16.0}
    assert week["worst_day"] == {"date": "2023-12-26", "pnl": -8.0}
    assert week["most_frequent_mistake"] is None
    assert [s["risk_score"] for s in week["scores"]] == [10] * 5
    assert week["score_trend"] == "flat"


def test_history_holds_traded_days_and_journal_days_with_the_trend() -> None:
    emotions = {date(2024, 1, 2): "frustrated", date(2023, 12, 31): "calm"}
    result = day_history(WITH_REVENGE, emotions, date(2023, 12, 20), date(2024, 1, 2))
    days = {d["date"]: d for d in result["days"]}
    assert list(days) == [f"2023-12-{d}" for d in range(23, 30)] + ["2023-12-31", "2024-01-02"]
    assert days["2023-12-31"] == {
        "date": "2023-12-31",
        "trades": 0,
        "pnl": 0.0,
        "pnl_points": {},
        "risk_score": 5,
        "mistakes": {"no_stop_loss": 0, "revenge_trade": 0, "outsized_loss": 0, "oversized": 0},
        "emotion": "calm",
    }
    spiral = days["2024-01-02"]
    # -5, -4, -4 points; the 2nd and 3rd were entered a minute after a loss
    assert (spiral["trades"], spiral["pnl_points"], spiral["pnl"]) == (3, {"NQ": -13.0}, -26.0)
    assert spiral["mistakes"]["revenge_trade"] == 2 and spiral["emotion"] == "frustrated"
    expected = daily_report(WITH_REVENGE, date(2024, 1, 2), "frustrated", "en")
    assert spiral["risk_score"] == expected["risk_management_score"] < 10
    assert result["score_trend"] == "down"


def test_the_weekly_summary_names_the_most_frequent_mistake() -> None:
    week = weekly_summary(WITH_REVENGE, {}, date(2024, 1, 4))
    assert week["start"] == "2024-01-01" and week["trades"] == 3
    assert week["most_frequent_mistake"] == {"code": "revenge_trade", "count": 2}
    assert week["best_day"] == week["worst_day"] == {"date": "2024-01-02", "pnl": -26.0}
    empty = weekly_summary(None, {}, date(2024, 1, 4))
    assert (empty["trades"], empty["best_day"], empty["most_frequent_mistake"]) == (0, None, None)


def test_score_direction_compares_the_later_half_with_the_earlier() -> None:
    assert _direction([3, 3, 7, 7]) == "up"
    assert _direction([7, 7, 3]) == "down"
    assert _direction([6, 5, 6, 5]) == "flat"  # 5.5 vs 5.5
    assert _direction([5]) == "flat"


def test_the_usual_day_is_counted_in_the_users_time_zone() -> None:
    """Two trades 9 hours apart: different UTC dates, one Jakarta day (UTC+7)."""
    rows = trade("01/01/2024 20:00:00", "01/01/2024 20:30:00", "Buy", 100, 104)
    rows += trade("01/02/2024 05:00:00", "01/02/2024 05:30:00", "Buy", 100, 104)
    analysis = load_journal(export(*rows)).analysis
    jakarta = daily_figures(analysis, date(2024, 1, 2), "Asia/Jakarta")
    assert (jakarta.trades, jakarta.usual_trades_per_day) == (2, 2.0)
    utc = daily_figures(analysis, date(2024, 1, 2), "UTC")
    assert (utc.trades, utc.usual_trades_per_day) == (1, 1.0)
