"""Habit metrics by name: the figures behind each journal endpoint and mentor tool."""

from __future__ import annotations

from typing import Any

from tradeloop.habits.analysis import Analysis, calendar_figures, stop_loss_figures
from tradeloop.habits.insights import insights


def habit_metric(
    name: str, analysis: Analysis, tz: str, language: str
) -> dict[str, Any] | list[Any]:
    """The figures behind one metric name (shared with the mentor's tools)."""
    t, s = analysis.trades, analysis.summary
    flagged = lambda code: t["mistakes"].map(lambda found: code in found)  # noqa: E731
    if name == "losses":
        lost = -t.loc[t["pnl_points"] < 0, "points"]
        outsized = int(flagged("outsized_loss").sum())
        return {
            "count": len(lost),
            "mean": float(lost.mean()) if len(lost) else None,
            "std": float(lost.std(ddof=0)) if len(lost) else None,
            "threshold": analysis.thresholds["outsized_loss_points"],
            "outsized": outsized,
            "outsized_pct": outsized / len(lost) * 100 if len(lost) else None,
            "points": [
                {"index": int(i), "lost": float(v), "mistakes": t.at[i, "mistakes"]}
                for i, v in lost.items()
            ],
        }
    if name == "excessive-risk":
        count, with_stop = int(flagged("excessive_risk").sum()), analysis.risk_sizing["count"]
        risky = t.loc[flagged("excessive_risk"), "risk_points"]
        return {
            "threshold": analysis.thresholds["excessive_risk_points"],
            "count": count,
            "trades_with_stop": with_stop,
            "pct": count / with_stop * 100 if with_stop else None,
            "avg_risk_flagged": float(risky.mean()) if len(risky) else None,
            "avg_risk_all": analysis.risk_sizing["mean"],
        }
    if name == "risk-sizing":
        return analysis.risk_sizing
    if name == "revenge":
        return analysis.revenge | {
            "overall_win_rate": s["win_rate"],
            "overall_payoff": s["payoff_ratio"],
            "overall_net_pnl_points": s["net_pnl_points"],
        }
    if name == "stop-loss":
        return stop_loss_figures(analysis)
    if name == "breakeven":
        return {
            "win_rate": s["win_rate"],
            "breakeven_win_rate": s["breakeven_win_rate"],
            "category": s["category"],
        }
    if name == "calendar":
        return calendar_figures(analysis, tz) | {
            "max_consecutive_losses": s["max_consecutive_losses"]
        }
    return insights(analysis, language)
