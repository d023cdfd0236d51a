"""One analysis of a journal: trades with their mistakes, and every figure built on them.

Each trade gets ``pnl``: its result in the journal's unit (account money when every trade's
money is known in one currency, else points; see ``habits.stats``). Wins, losses, revenge
and every headline figure use it; the points detectors (outsized loss, excessive risk) stay
per underlying. Trades from files that cannot show stops (fills or closed pairs only) have
``stops_known`` false: they are never called trades without a stop.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from tradeloop.backtest.stats import trade_figures
from tradeloop.core.records import iso_times, records
from tradeloop.habits import detectors as d
from tradeloop.habits.settings import HabitSettings
from tradeloop.habits.stats import group_figures, summable, summary, unit_of

MAX_DERIVED = 256


@dataclass
class Analysis:
    """Trades (with ``pnl``, ``mistakes``, ``risk_points``, ``r_multiple``) and the figures;
    ``unit`` is 'money' (in ``currency``) or 'points'."""

    trades: pd.DataFrame
    settings: HabitSettings
    thresholds: dict[str, Any]
    risk_sizing: dict[str, Any]
    revenge: dict[str, Any]
    summary: dict[str, Any]
    unit: str = "points"
    currency: str | None = None
    derived: dict[Any, Any] = field(default_factory=dict, repr=False, compare=False)

    def once(self, key: Any, compute: Callable[[], Any]) -> Any:
        """``compute()``, worked out once per analysis (an analysis never changes once made,
        so its figures for ``key`` do not either)."""
        if key not in self.derived:
            if len(self.derived) >= MAX_DERIVED:  # many different filters: start again
                self.derived.clear()
            self.derived[key] = compute()
        return self.derived[key]

    @property
    def adds_up(self) -> bool:
        """Whether trade results may be summed (money, or one underlying's points)."""
        return summable(self.trades, self.unit)


def _subset_figures(trades: pd.DataFrame, adds_up: bool) -> dict[str, Any]:
    """Count, win rate, payoff and net of some trades (payoff and net only where their results
    compare: money, or one market's points)."""
    figures = trade_figures(trades["pnl"].to_numpy())
    compares = adds_up or trades["underlying"].nunique() <= 1
    return {
        "count": figures["trades"],
        "win_rate": figures["win_rate"],
        "payoff_ratio": figures["payoff_ratio"] if compares else None,
        "net_pnl": figures["net"] if compares else None,
    }


def analyze(
    trades: pd.DataFrame, orders: pd.DataFrame, settings: HabitSettings | None = None
) -> Analysis:
    """Run every detector over ``trades`` (in exit order) built from ``orders``."""
    s = settings or HabitSettings()
    trades = trades.sort_values("exit_time", kind="stable").reset_index(drop=True)
    if "stops_known" not in trades:
        trades["stops_known"] = True
    unit, currency = unit_of(trades)
    trades["pnl"] = trades["pnl_money"] if unit == "money" else trades["pnl_points"]
    stops = d.check_stops(trades, orders)
    known = trades["stops_known"].to_numpy(dtype=bool)
    risk_points = np.where(known, stops.risk_points, np.nan)
    outsized, loss_limits = d.outsized_losses(trades, s.sigma_loss)
    excessive, risk_limits = d.excessive_risk(trades, risk_points, s.sigma_risk)
    window = d.revenge_window(trades, s.k)
    revenge = d.revenge_trades(trades, window)
    flags = {
        "no_stop_loss": ~stops.protected & known,
        "excessive_risk": excessive,
        "outsized_loss": outsized,
        "revenge_trade": revenge,
    }
    trades = trades.assign(
        risk_points=risk_points,
        r_multiple=np.where(
            risk_points > 0, trades["pnl_points"] / (risk_points * trades["qty"]), np.nan
        ),
        mistakes=[[code for code in d.MISTAKES if flags[code][i]] for i in range(len(trades))],
    )
    adds_up = summable(trades, unit)
    sizing = {
        str(name): _risk_sizing(risk_points[index], s.vr)
        for name, index in trades.groupby("underlying", sort=True).indices.items()
    }
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
        risk_sizing=(
            next(iter(sizing.values())) if len(sizing) == 1 else _risk_sizing(np.array([]), s.vr)
        )
        | {
            "count": int(sum(f["count"] for f in sizing.values())),
            "by_underlying": sizing,
        },
        revenge={**_subset_figures(trades[revenge], adds_up), "window_seconds": window},
        summary=summary(trades, unit, currency),
        unit=unit,
        currency=currency,
    )


def _risk_sizing(risk: np.ndarray, vr: float) -> dict[str, Any]:
    """Mean, population std and variation ratio of one market's risk points."""
    risk = risk[~np.isnan(risk)]
    mean = float(risk.mean()) if len(risk) else None
    std = float(risk.std(ddof=0)) if len(risk) else None
    ratio = std / mean if mean else None
    return {
        "count": len(risk),
        "mean": mean,
        "std": std,
        "variation_ratio": ratio,
        "consistent": None if len(risk) < 2 or ratio is None else ratio < vr,
    }


def _single(limits: dict[str, float | None]) -> float | None:
    """The threshold when the journal has one underlying (else see ``by_underlying``)."""
    return next(iter(limits.values())) if len(limits) == 1 else None


def _number(value: Any) -> Any:
    return None if value is None or (isinstance(value, float) and np.isnan(value)) else value


RECORD_FIELDS = (
    "account", "symbol", "underlying", "side", "qty", "entry_price", "exit_price", "points",
    "pnl_points", "gross_money", "commission", "swap", "pnl_money", "currency", "pnl",
    "exits", "lots", "exit_type", "position", "risk_points", "r_multiple",
)  # fmt: skip


def trade_records(analysis: Analysis, rows: pd.Index | None = None) -> list[dict[str, Any]]:
    """Trades (all, or the given index labels) as JSON-ready dicts (None for unknown values),
    built from the analysis' record columns (made once per analysis)."""
    columns = analysis.once("record columns", lambda: _record_columns(analysis.trades))
    if rows is not None:
        positions = analysis.trades.index.get_indexer(rows)
        columns = {name: values[positions] for name, values in columns.items()}
    return records(columns)


def _record_columns(t: pd.DataFrame) -> dict[str, np.ndarray]:
    return {
        "index": t.index.to_numpy(),
        "entry_time": iso_times(t["entry_time"]),
        "exit_time": iso_times(t["exit_time"]),
        **{name: t[name].to_numpy() for name in RECORD_FIELDS},
        "stops_known": t["stops_known"].astype(bool).to_numpy(),
        "mistakes": t["mistakes"].to_numpy(dtype=object),
    }


def trade_chunks(analysis: Analysis, size: int = 10_000) -> Iterator[list[dict[str, Any]]]:
    """``trade_records`` a chunk of ``size`` trades at a time (for streamed output)."""
    index = analysis.trades.index
    for start in range(0, len(index), size):
        yield trade_records(analysis, index[start : start + size])


def stop_loss_figures(analysis: Analysis) -> dict[str, Any]:
    """Trades with and without a stop (where the file can show stops), the average loss of
    each in the journal's unit, and how many trades came from files that cannot show stops."""
    t = analysis.trades
    known = t["stops_known"].astype(bool)
    naked = d.has_mistake(t, ["no_stop_loss"])

    def avg_loss(part: pd.DataFrame) -> float | None:
        lost = -part.loc[part["pnl"] < 0, "pnl"]
        adds_up = analysis.unit == "money" or part["underlying"].nunique() <= 1
        return float(lost.mean()) if len(lost) and adds_up else None

    return {
        "with_stop": int((~naked & known).sum()),
        "without_stop": int(naked.sum()),
        "stops_unknown": int((~known).sum()),
        "avg_loss_with_stop": avg_loss(t[~naked & known]),
        "avg_loss_without_stop": avg_loss(t[naked]),
    }


def calendar_figures(analysis: Analysis, tz: str = "UTC") -> dict[str, Any]:
    """P&L by calendar day, hour of day and weekday (in ``tz``), and long against short."""
    t = analysis.trades
    local = t["exit_time"].dt.tz_convert(tz)
    money = analysis.unit == "money"
    return {
        "by_day": group_figures(t, local.dt.strftime("%Y-%m-%d"), money),
        "by_hour": group_figures(t, t["entry_time"].dt.tz_convert(tz).dt.hour, money),
        "by_weekday": group_figures(t, local.dt.day_name(), money),
        "by_side": group_figures(t, t["side"], money),
    }


def r_figures(analysis: Analysis) -> dict[str, Any]:
    """Average R-multiple (expectancy in R) over trades with a known planned risk."""
    r = analysis.trades["r_multiple"].dropna()
    return {"count": len(r), "expectancy_r": float(r.mean()) if len(r) else None}
