"""Habit metrics by name: the figures behind each journal endpoint and mentor tool.

P&L figures are in the journal's unit (``unit``, ``currency``); loss sizes and risk are
points, per underlying, because points only compare within one market.
"""

from __future__ import annotations

from typing import Any

from tradeloop.habits.analysis import Analysis, calendar_figures, stop_loss_figures
from tradeloop.habits.detectors import has_mistake
from tradeloop.habits.insights import insights


def _losses(analysis: Analysis) -> dict[str, Any]:
    """Points lost per contract on each losing trade, with the outsized-loss threshold, per
    underlying."""
    t = analysis.trades
    losing = t[t["points"] < 0]
    limits = analysis.thresholds["by_underlying"]
    by_underlying = {}
    for name, part in losing.groupby("underlying", sort=True):
        lost = -part["points"]
        outsized = int(has_mistake(part, ["outsized_loss"]).sum())
        by_underlying[str(name)] = {
            "count": len(lost),
            "mean": float(lost.mean()),
            "std": float(lost.std(ddof=0)),
            "threshold": limits.get(name, {}).get("outsized_loss_points"),
            "outsized": outsized,
            "outsized_pct": outsized / len(lost) * 100,
        }
    outsized = int(has_mistake(losing, ["outsized_loss"]).sum())
    single = next(iter(by_underlying.values())) if len(by_underlying) == 1 else {}
    return {
        "count": len(losing),
        "mean": single.get("mean"),
        "std": single.get("std"),
        "threshold": analysis.thresholds["outsized_loss_points"],
        "outsized": outsized,
        "outsized_pct": outsized / len(losing) * 100 if len(losing) else None,
        "by_underlying": by_underlying,
        "points": [
            {
                "index": int(i),
                "lost": float(-row.points),
                "underlying": row.underlying,
                "mistakes": row.mistakes,
            }
            for i, row in zip(losing.index, losing.itertuples(), strict=True)
        ],
    }


def habit_metric(
    name: str, analysis: Analysis, tz: str, language: str
) -> dict[str, Any] | list[Any]:
    """The figures behind one metric name (shared with the mentor's tools)."""
    t, s = analysis.trades, analysis.summary
    unit = {"unit": analysis.unit, "currency": analysis.currency}
    if name == "losses":
        return _losses(analysis)
    if name == "excessive-risk":
        count, with_stop = (
            int(has_mistake(t, ["excessive_risk"]).sum()),
            analysis.risk_sizing["count"],
        )
        risky = t.loc[has_mistake(t, ["excessive_risk"]), "risk_points"]
        return {
            "threshold": analysis.thresholds["excessive_risk_points"],
            "by_underlying": {
                name: limits["excessive_risk_points"]
                for name, limits in analysis.thresholds["by_underlying"].items()
            },
            "count": count,
            "trades_with_stop": with_stop,
            "pct": count / with_stop * 100 if with_stop else None,
            "avg_risk_flagged": (
                float(risky.mean()) if len(risky) and t["underlying"].nunique() == 1 else None
            ),
            "avg_risk_all": analysis.risk_sizing["mean"],
        }
    if name == "risk-sizing":
        return analysis.risk_sizing
    if name == "revenge":
        return (
            analysis.revenge
            | {
                "overall_win_rate": s["win_rate"],
                "overall_payoff": s["payoff_ratio"],
                "overall_net_pnl": s["net_pnl"],
            }
            | unit
        )
    if name == "stop-loss":
        return stop_loss_figures(analysis) | unit
    if name == "breakeven":
        return {
            "win_rate": s["win_rate"],
            "breakeven_win_rate": s["breakeven_win_rate"],
            "category": s["category"],
            "by_underlying": {
                name: {k: f[k] for k in ("win_rate", "breakeven_win_rate", "category")}
                for name, f in s["by_underlying"].items()
            },
        } | unit
    if name == "calendar":
        return (
            calendar_figures(analysis, tz)
            | {"max_consecutive_losses": s["max_consecutive_losses"]}
            | unit
        )
    return insights(analysis, language)
