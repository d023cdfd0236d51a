"""Insights: short, prioritised diagnostics in Bahasa Indonesia and English. Every number in
them is taken from the analysis; the texts live in the message catalogues (``insight.*``)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from tradeloop.backtest.stats import BREAKEVEN_CUSHION
from tradeloop.habits.analysis import Analysis, stop_loss_figures
from tradeloop.habits.detectors import has_mistake
from tradeloop.i18n import amount, number_text, points_by_market, translate


def _pct(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value * 100:.1f}%" if 0 < abs(value) < 0.1 else f"{value * 100:.0f}%"


def pct_pair(a: float, b: float) -> tuple[str, str]:
    """Two shares as percentages with the fewest decimals (0, 1 or 2) that tell them apart,
    so "50%" is never set against "50%" when they differ; equal ones as whole percentages."""
    for digits in (0, 1, 2):
        first, second = f"{a * 100:.{digits}f}", f"{b * 100:.{digits}f}"
        if first != second:
            return f"{first}%", f"{second}%"
    return f"{a * 100:.0f}%", f"{b * 100:.0f}%"


def _breakeven_items(s: dict[str, Any]) -> list[tuple[float, str, dict[str, Any]]]:
    """The win rate against the breakeven win rate of the average win and loss (without the
    statistic's safety cushion, so "to break even" is exactly true): below it, at it (within
    the cushion, or equal once rounded), or above it."""
    if s["category"] is None or s["win_rate"] is None or s["breakeven_win_rate"] is None:
        return []
    breakeven = s["breakeven_win_rate"] - BREAKEVEN_CUSHION
    win_text, breakeven_text = pct_pair(s["win_rate"], breakeven)
    values = {"win_rate": win_text, "breakeven": breakeven_text}
    if s["category"] in ("below", "around"):
        if s["win_rate"] < breakeven and win_text != breakeven_text:
            return [(200.0, "below_breakeven", values)]
        return [(150.0, "around_breakeven", values)]
    return [(1.0, "above_breakeven", values)]


def losses_of(trades: pd.DataFrame, code: str) -> float:
    """What the losing trades flagged ``code`` lost, in the journal's unit (positive)."""
    flagged = trades[has_mistake(trades, [code])]
    return float(-flagged.loc[flagged["pnl"] < 0, "pnl"].sum())


def threshold_text(analysis: Analysis, key: str, language: str, code: str | None = None) -> str:
    """A points threshold, per underlying when the journal trades several (only those with a
    trade flagged ``code``, when given)."""
    t = analysis.trades
    flagged = set(t.loc[has_mistake(t, [code]), "underlying"]) if code else None
    limits = {
        name: f[key]
        for name, f in analysis.thresholds["by_underlying"].items()
        if flagged is None or name in flagged
    }
    return (
        points_by_market(language, limits)
        if len(limits) > 1
        else amount(language, next(iter(limits.values()), None), "points")
    )


def pnl_text(analysis: Analysis, value: float | None, language: str) -> str:
    """A P&L figure of the journal in its unit."""
    return amount(language, value, analysis.unit, analysis.currency)


def insight_items(
    analysis: Analysis, language: str = "en"
) -> list[tuple[float, str, dict[str, Any]]]:
    """(priority, code, values) for each diagnostic that applies; higher priority first."""
    t, s = analysis.trades, analysis.summary
    _num = lambda v: "—" if v is None else number_text(language, v)  # noqa: E731
    counts = s["mistake_counts"]
    items: list[tuple[float, str, dict[str, Any]]] = []
    stops = stop_loss_figures(analysis)
    if counts["no_stop_loss"]:
        items.append(
            (
                losses_of(t, "no_stop_loss") + 1000,
                "no_stop_loss",
                {
                    "count": counts["no_stop_loss"],
                    "total": s["total_trades"],
                    "share": _pct(stops["without_stop"] / s["total_trades"]),
                },
            )
        )
    if counts["revenge_trade"]:
        r = analysis.revenge
        items.append(
            (
                losses_of(t, "revenge_trade") + 500,
                "revenge_trade",
                {
                    "count": r["count"],
                    "win_rate": _pct(r["win_rate"]),
                    "overall": _pct(s["win_rate"]),
                    "net": pnl_text(analysis, r["net_pnl"], language),
                    "minutes": f"{r['window_seconds'] / 60:.1f}",
                },
            )
        )
    if counts["outsized_loss"]:
        items.append(
            (
                losses_of(t, "outsized_loss"),
                "outsized_loss",
                {
                    "count": counts["outsized_loss"],
                    "threshold": threshold_text(
                        analysis, "outsized_loss_points", language, "outsized_loss"
                    ),
                    "cost": pnl_text(analysis, losses_of(t, "outsized_loss"), language),
                },
            )
        )
    if counts["excessive_risk"]:
        items.append(
            (
                losses_of(t, "excessive_risk"),
                "excessive_risk",
                {
                    "count": counts["excessive_risk"],
                    "threshold": threshold_text(
                        analysis, "excessive_risk_points", language, "excessive_risk"
                    ),
                },
            )
        )
    sizing = analysis.risk_sizing
    if sizing["consistent"] is False:
        items.append(
            (
                50.0,
                "inconsistent_risk",
                {"ratio": _num(sizing["variation_ratio"]), "limit": _num(analysis.settings.vr)},
            )
        )
    items.extend(_breakeven_items(s))
    if s["flagged_trades"] == 0 and s["total_trades"]:
        items.append((0.5, "all_clean", {"total": s["total_trades"]}))
    return sorted(items, key=lambda item: -item[0])


def insights(analysis: Analysis, language: str) -> list[dict[str, str]]:
    """The diagnostics as title + text in ``language``."""
    return [
        {
            "code": code,
            "title": translate(language, f"insight.{code}.title"),
            "text": translate(language, f"insight.{code}.text", **values),
        }
        for _, code, values in insight_items(analysis, language)
    ]
