"""Mentor tools: pure queries over a user's analysed journal, defined once and shared by the
API, the offline mentor and an LLM. Each has a Pydantic argument model; its JSON schema is
what an LLM is shown."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from tradeloop.habits.analysis import Analysis, trade_records
from tradeloop.habits.metrics import habit_metric

MAX_ROWS = 50
Mistake = Literal["no_stop_loss", "excessive_risk", "outsized_loss", "revenge_trade"]
MetricName = Literal[
    "insights",
    "revenge",
    "excessive-risk",
    "risk-sizing",
    "breakeven",
    "stop-loss",
    "losses",
    "calendar",
]


class NoArguments(BaseModel):
    """No arguments."""

    model_config = ConfigDict(extra="forbid")


class MetricArguments(BaseModel):
    """Which metric."""

    model_config = ConfigDict(extra="forbid")

    name: MetricName


class TradeFilter(BaseModel):
    """Which trades: dates, hours, side, symbol, result, mistakes, bounds, order, fields, page."""

    model_config = ConfigDict(extra="forbid")

    start: date | None = None
    end: date | None = None
    hour_from: int | None = Field(default=None, ge=0, le=23)
    hour_to: int | None = Field(default=None, ge=0, le=23)
    side: Literal["buy", "sell"] | None = None
    symbol: str | None = Field(default=None, max_length=32)
    result: Literal["win", "loss", "flat"] | None = None
    mistakes: list[Mistake] = Field(default_factory=list, max_length=4)
    min_risk: float | None = Field(default=None, ge=0)
    max_risk: float | None = Field(default=None, ge=0)
    min_loss: float | None = Field(default=None, ge=0, description="points lost per contract")
    max_loss: float | None = Field(default=None, ge=0)
    sort: Literal["exit_time", "-exit_time", "pnl_points", "-pnl_points"] = "exit_time"
    fields: list[str] = Field(default_factory=list, max_length=20)
    offset: int = Field(default=0, ge=0, le=1_000_000)
    limit: int = Field(default=20, ge=1, le=MAX_ROWS)


def _filtered(analysis: Analysis, f: TradeFilter, tz: str) -> pd.DataFrame:
    t = analysis.trades
    local = t["entry_time"].dt.tz_convert(tz)
    keep = pd.Series(True, index=t.index)
    conditions = [
        (f.start, lambda: local.dt.date >= f.start),
        (f.end, lambda: local.dt.date <= f.end),
        (f.hour_from, lambda: local.dt.hour >= f.hour_from),
        (f.hour_to, lambda: local.dt.hour <= f.hour_to),
        (f.side, lambda: t["side"] == f.side),
        (
            f.symbol,
            lambda: (t["symbol"] == f.symbol.upper()) | (t["underlying"] == f.symbol.upper()),
        ),
        (
            f.result,
            lambda: {
                "win": t["pnl_points"] > 0,
                "loss": t["pnl_points"] < 0,
                "flat": t["pnl_points"] == 0,
            }[f.result],
        ),
        (f.min_risk, lambda: t["risk_points"] >= f.min_risk),
        (f.max_risk, lambda: t["risk_points"] <= f.max_risk),
        (f.min_loss, lambda: -t["points"] >= f.min_loss),
        (f.max_loss, lambda: -t["points"] <= f.max_loss),
    ]
    for given, condition in conditions:
        if given is not None:
            keep &= condition()
    for code in f.mistakes:
        keep &= t["mistakes"].map(lambda found, c=code: c in found)
    return t[keep].sort_values(
        f.sort.lstrip("-"), ascending=not f.sort.startswith("-"), kind="stable"
    )


def filter_trades(analysis: Analysis, f: TradeFilter, tz: str = "UTC") -> dict[str, Any]:
    """Trades matching the filter (at most 50 a call), with the total that matched."""
    chosen = _filtered(analysis, f, tz)
    records = trade_records(analysis)
    rows = [records[i] for i in chosen.index[f.offset : f.offset + f.limit]]
    if f.fields:
        rows = [{k: v for k, v in row.items() if k in f.fields} for row in rows]
    return {"total": len(chosen), "offset": f.offset, "trades": rows}


def filter_losses(analysis: Analysis, f: TradeFilter, tz: str = "UTC") -> dict[str, Any]:
    """Losing trades matching the filter, their worst and best, and loss statistics."""
    losing = f.model_copy(update={"result": "loss"})
    chosen = _filtered(analysis, losing, tz)
    lost = -chosen["pnl_points"]
    records = trade_records(analysis)
    return filter_trades(analysis, losing, tz) | {
        "worst": records[lost.idxmax()] if len(lost) else None,
        "best": records[lost.idxmin()] if len(lost) else None,
        "stats": {
            "count": len(lost),
            "total_points": float(lost.sum()),
            "mean_points": float(lost.mean()) if len(lost) else None,
        },
    }


@dataclass(frozen=True)
class Tool:
    """A named query with its argument model."""

    name: str
    description: str
    arguments: type[BaseModel]
    run: Callable[..., Any]

    def schema(self) -> dict[str, Any]:
        """The OpenAI-style function definition."""
        return {
            "type": "function",
            "function": {
                "name": self.name,
                "description": self.description,
                "parameters": self.arguments.model_json_schema(),
            },
        }


def _summary(analysis: Analysis, _: NoArguments, tz: str) -> dict[str, Any]:
    return analysis.summary | {
        "thresholds": {k: v for k, v in analysis.thresholds.items() if k != "by_underlying"}
    }


def _metric(analysis: Analysis, args: MetricArguments, tz: str, language: str = "en") -> Any:
    return habit_metric(args.name, analysis, tz, language)


JOURNAL_TOOLS = {
    tool.name: tool
    for tool in (
        Tool(
            "get_summary",
            "Counts, win rate, payoff, expectancy, mistakes and streaks of the journal.",
            NoArguments,
            _summary,
        ),
        Tool(
            "get_metric",
            "One habit metric: insights, revenge, excessive-risk, risk-sizing, breakeven, "
            "stop-loss, losses or calendar.",
            MetricArguments,
            _metric,
        ),
        Tool(
            "filter_trades",
            "Trades by date/time range, time of day, side, symbol, result, mistakes, risk "
            "and loss bounds; sorted; at most 50 per call.",
            TradeFilter,
            filter_trades,
        ),
        Tool(
            "filter_losses",
            "Losing trades with the same filters, plus the worst and best loss and loss "
            "statistics.",
            TradeFilter,
            filter_losses,
        ),
    )
}
