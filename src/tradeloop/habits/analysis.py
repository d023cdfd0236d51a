"""One analysis of a journal: trades with their mistakes, and every figure built on them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from tradeloop.habits import detectors as d
from tradeloop.habits.settings import HabitSettings
from tradeloop.habits.stats import group_figures, summary


@dataclass
class Analysis:
    """Trades (with ``mistakes``, ``risk_points``, ``r_multiple``) and the figures."""

    trades: pd.DataFrame
    settings: HabitSettings
    thresholds: dict[str, Any]
    risk_sizing: dict[str, Any]
    revenge: dict[str, Any]
    summary: dict[str, Any]


def _subset_figures(trades: pd.DataFrame) -> dict[str, Any]:
    pnl = trades["pnl_points"]
    wins, losses = pnl[pnl > 0], -pnl[pnl < 0]
    return {
        "count": len(trades),
        "win_rate": float((pnl > 0).mean()) if len(trades) else None,
        "payoff_ratio": float(wins.mean() / losses.mean()) if len(wins) and len(losses) else None,
        "net_pnl_points": float(pnl.sum()),
    }


def analyze(
    trades: pd.DataFrame, orders: pd.DataFrame, settings: HabitSettings | None = None
) -> Analysis:
    """Run every detector over ``trades`` (in exit order) built from ``orders``."""
    s = settings or HabitSettings()
    trades = trades.sort_values("exit_time", kind="stable").reset_index(drop=True)
    stops = d.check_stops(trades, orders)
    outsized, loss_limits = d.outsized_losses(trades, s.sigma_loss)
    excessive, risk_limits = d.excessive_risk(trades, stops.risk_points, s.sigma_risk)
    window = d.revenge_window(trades, s.k)
    revenge = d.revenge_trades(trades, window)
    flags = {
        "no_stop_loss": ~stops.protected,
        "excessive_risk": excessive,
        "outsized_loss": outsized,
        "revenge_trade": revenge,
    }
    trades = trades.assign(
        risk_points=stops.risk_points,
        r_multiple=np.where(
            stops.risk_points > 0,
            trades["pnl_points"] / (stops.risk_points * trades["qty"]),
            np.nan,
        ),
        mistakes=[[code for code in d.MISTAKES if flags[code][i]] for i in range(len(trades))],
    )
    risk = stops.risk_points[~np.isnan(stops.risk_points)]
    mean_risk = float(risk.mean()) if len(risk) else None
    std_risk = float(risk.std(ddof=0)) if len(risk) else None
    ratio = std_risk / mean_risk if mean_risk else None
    return Analysis(
        trades=trades,
        settings=s,
        thresholds={
            "outsized_loss_points": _single(loss_limits),
            "excessive_risk_points": _single(risk_limits),
            "revenge_window_seconds": window,
            "by_underlying": {
                name: {
                    "outsized_loss_points": loss_limits.get(name),
                    "excessive_risk_points": risk_limits.get(name),
                }
                for name in loss_limits
            },
        },
        risk_sizing={
            "count": len(risk),
            "mean": mean_risk,
            "std": std_risk,
            "variation_ratio": ratio,
            "consistent": None if len(risk) < 2 or ratio is None else ratio < s.vr,
        },
        revenge={**_subset_figures(trades[revenge]), "window_seconds": window},
        summary=summary(trades),
    )


def _single(limits: dict[str, float | None]) -> float | None:
    """The threshold when the journal has one underlying (else see ``by_underlying``)."""
    return next(iter(limits.values())) if len(limits) == 1 else None


def trade_records(analysis: Analysis) -> list[dict[str, Any]]:
    """Trades as JSON-ready dicts in exit order."""

    def number(value: Any) -> Any:
        return None if value is None or (isinstance(value, float) and np.isnan(value)) else value

    return [
        {
            "symbol": row.symbol,
            "side": row.side,
            "entry_time": row.entry_time.isoformat(),
            "exit_time": row.exit_time.isoformat(),
            "entry_price": row.entry_price,
            "exit_price": row.exit_price,
            "qty": row.qty,
            "points": row.points,
            "pnl_points": row.pnl_points,
            "pnl_money": number(row.pnl_money),
            "commission": row.commission,
            "risk_points": number(row.risk_points),
            "r_multiple": number(row.r_multiple),
            "mistakes": list(row.mistakes),
        }
        for row in analysis.trades.itertuples()
    ]


def stop_loss_figures(analysis: Analysis) -> dict[str, Any]:
    """Trades with and without a stop, and the average loss of each."""
    t = analysis.trades
    naked = t["mistakes"].map(lambda m: "no_stop_loss" in m)

    def avg_loss(part: pd.DataFrame) -> float | None:
        lost = -part.loc[part["pnl_points"] < 0, "pnl_points"]
        return float(lost.mean()) if len(lost) else None

    return {
        "with_stop": int((~naked).sum()),
        "without_stop": int(naked.sum()),
        "avg_loss_with_stop": avg_loss(t[~naked]),
        "avg_loss_without_stop": avg_loss(t[naked]),
    }


def calendar_figures(analysis: Analysis, tz: str = "UTC") -> dict[str, Any]:
    """P&L by calendar day, hour of day and weekday (in ``tz``), and long against short."""
    t = analysis.trades
    local = t["exit_time"].dt.tz_convert(tz)
    return {
        "by_day": group_figures(t, local.dt.strftime("%Y-%m-%d")),
        "by_hour": group_figures(t, t["entry_time"].dt.tz_convert(tz).dt.hour),
        "by_weekday": group_figures(t, local.dt.day_name()),
        "by_side": group_figures(t, t["side"]),
    }


def r_figures(analysis: Analysis) -> dict[str, Any]:
    """Average R-multiple (expectancy in R) over trades with risk."""
    r = analysis.trades["r_multiple"].dropna()
    return {"count": len(r), "expectancy_r": float(r.mean()) if len(r) else None}
