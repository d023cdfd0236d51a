"""Insights: short, prioritised diagnostics in Bahasa Indonesia and English. Every number in
them is taken from the analysis; the texts live in the message catalogues (``insight.*``)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from tradeloop.habits.analysis import Analysis, stop_loss_figures
from tradeloop.i18n import translate


def _pct(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value * 100:.1f}%" if 0 < abs(value) < 0.1 else f"{value * 100:.0f}%"


def _num(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def _losses_of(trades: pd.DataFrame, code: str) -> float:
    flagged = trades[trades["mistakes"].map(lambda m: code in m)]
    return float(-flagged.loc[flagged["pnl_points"] < 0, "pnl_points"].sum())


def insight_items(analysis: Analysis) -> list[tuple[float, str, dict[str, Any]]]:
    """(priority, code, values) for each diagnostic that applies; higher priority first."""
    t, s = analysis.trades, analysis.summary
    counts = s["mistake_counts"]
    items: list[tuple[float, str, dict[str, Any]]] = []
    stops = stop_loss_figures(analysis)
    if counts["no_stop_loss"]:
        items.append(
            (
                _losses_of(t, "no_stop_loss") + 1000,
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
                _losses_of(t, "revenge_trade") + 500,
                "revenge_trade",
                {
                    "count": r["count"],
                    "win_rate": _pct(r["win_rate"]),
                    "overall": _pct(s["win_rate"]),
                    "net": _num(r["net_pnl_points"]),
                    "minutes": f"{r['window_seconds'] / 60:.1f}",
                },
            )
        )
    if counts["outsized_loss"]:
        items.append(
            (
                _losses_of(t, "outsized_loss"),
                "outsized_loss",
                {
                    "count": counts["outsized_loss"],
                    "threshold": _num(analysis.thresholds["outsized_loss_points"]),
                    "cost": _num(_losses_of(t, "outsized_loss")),
                },
            )
        )
    if counts["excessive_risk"]:
        items.append(
            (
                _losses_of(t, "excessive_risk"),
                "excessive_risk",
                {
                    "count": counts["excessive_risk"],
                    "threshold": _num(analysis.thresholds["excessive_risk_points"]),
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
    if s["category"] in ("below", "around"):
        items.append(
            (
                200.0,
                "below_breakeven",
                {"win_rate": _pct(s["win_rate"]), "breakeven": _pct(s["breakeven_win_rate"])},
            )
        )
    elif s["category"] is not None:
        items.append(
            (
                1.0,
                "above_breakeven",
                {"win_rate": _pct(s["win_rate"]), "breakeven": _pct(s["breakeven_win_rate"])},
            )
        )
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
        for _, code, values in insight_items(analysis)
    ]
