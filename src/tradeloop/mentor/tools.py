"""Mentor tools: pure queries over a user's analysed journal, defined once and shared by the
API, the offline mentor and an LLM. Each has a Pydantic argument model; its JSON schema is
what an LLM is shown."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from tradeloop.backtest.stats import trade_figures
from tradeloop.core.codes import Emotion
from tradeloop.core.dates import CalendarDay
from tradeloop.core.errors import InvalidInput, NotFound
from tradeloop.habits.analysis import Analysis, trade_records
from tradeloop.habits.filters import TradeFilter, ordered, select_trades
from tradeloop.habits.metrics import habit_metric
from tradeloop.habits.stats import group_figures, summable

MAX_ROWS = 50
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


TradeField = Literal[
    "account", "symbol", "underlying", "side", "entry_time", "exit_time", "entry_price",
    "exit_price", "qty", "points", "pnl_points", "gross_money", "commission", "swap",
    "pnl_money", "currency", "pnl", "exits", "risk_points", "r_multiple", "mistakes",
]  # fmt: skip


Weekday = Literal["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
GroupBy = Literal["hour", "weekday", "day", "symbol", "side"]


class ToolTradeFilter(TradeFilter):
    """Which trades (see ``habits.filters``) and local weekday, which of their fields, which
    page, and optionally figures per group."""

    weekday: Weekday | None = Field(default=None, description="local weekday the trade closed")
    group_by: GroupBy | None = Field(
        default=None,
        description="also give figures per local entry hour, local weekday or day closed, "
        "symbol or side, over every matching trade",
    )
    fields: list[TradeField] = Field(default_factory=list, max_length=21)
    offset: int = Field(default=0, ge=0, le=1_000_000)
    limit: int = Field(default=20, ge=1, le=MAX_ROWS)


def _unit(analysis: Analysis) -> dict[str, Any]:
    return {"unit": analysis.unit, "currency": analysis.currency}


def _select(analysis: Analysis, f: ToolTradeFilter, tz: str) -> pd.DataFrame:
    chosen = select_trades(analysis.trades, f, tz)
    if f.weekday is not None:
        chosen = chosen[chosen["exit_time"].dt.tz_convert(tz).dt.day_name() == f.weekday]
    return chosen


def selection_figures(analysis: Analysis, chosen: pd.DataFrame) -> dict[str, Any]:
    """Count, wins, losses, win rate and net of some trades in the journal's unit (``net``
    None when it would add up several markets' points), and their points per underlying."""
    figures = trade_figures(chosen["pnl"].to_numpy(dtype=float))
    return {k: figures[k] for k in ("trades", "wins", "losses", "flat", "win_rate")} | {
        "net": figures["net"] if summable(chosen, analysis.unit) else None,
        "net_points": {
            str(k): float(v)
            for k, v in chosen.groupby("underlying", sort=True)["pnl_points"].sum().items()
        },
    }


def _group_key(chosen: pd.DataFrame, by: str, tz: str) -> pd.Series:
    closed = chosen["exit_time"].dt.tz_convert(tz)
    return {
        "hour": lambda: chosen["entry_time"].dt.tz_convert(tz).dt.hour,
        "weekday": lambda: closed.dt.day_name(),
        "day": lambda: closed.dt.strftime("%Y-%m-%d"),
        "symbol": lambda: chosen["symbol"],
        "side": lambda: chosen["side"],
    }[by]()


def filter_trades(analysis: Analysis, f: ToolTradeFilter, tz: str = "UTC") -> dict[str, Any]:
    """Trades matching the filter (at most 50 a call), with the total that matched and the
    figures of all of them (and per group with ``group_by``); ``pnl`` is in the journal's
    unit."""
    chosen = _select(analysis, f, tz)
    rows = trade_records(analysis, chosen.index[f.offset : f.offset + f.limit])
    if f.fields:
        rows = [{k: v for k, v in row.items() if k in f.fields} for row in rows]
    found = {
        "total": len(chosen),
        "offset": f.offset,
        "trades": rows,
        "figures": selection_figures(analysis, chosen),
    }
    if f.group_by is not None:
        key = _group_key(chosen, f.group_by, tz)
        found["groups"] = group_figures(chosen, key, analysis.unit == "money")
    return found | _unit(analysis)


def filter_losses(analysis: Analysis, f: ToolTradeFilter, tz: str = "UTC") -> dict[str, Any]:
    """Losing trades matching the filter, their worst and best, and loss statistics in the
    journal's unit (none when that would add up several markets' points)."""
    losing = f.model_copy(update={"result": "loss"})
    chosen = _select(analysis, losing, tz)
    lost = -chosen["pnl"]
    adds_up = analysis.unit == "money" or chosen["underlying"].nunique() <= 1
    pick = lambda i: trade_records(analysis, pd.Index([i]))[0]  # noqa: E731
    return filter_trades(analysis, losing, tz) | {
        "worst": pick(lost.idxmax()) if len(lost) else None,
        "best": pick(lost.idxmin()) if len(lost) else None,
        "stats": {
            "count": len(lost),
            "total": float(lost.sum()) if adds_up else None,
            "mean": float(lost.mean()) if len(lost) and adds_up else None,
        },
    }


class SessionFilter(BaseModel):
    """Which days: a date range, an emotion, a page."""

    model_config = ConfigDict(extra="forbid")

    start: CalendarDay | None = None
    end: CalendarDay | None = None
    emotion: Emotion | None = None
    limit: int = Field(default=30, ge=1, le=MAX_ROWS)

    @model_validator(mode="after")
    def _ranges(self) -> SessionFilter:
        ordered(self, ("start", "end"))
        return self


class ReportArguments(BaseModel):
    """Which day's report (default: today) and in which language."""

    model_config = ConfigDict(extra="forbid")

    date: CalendarDay | None = None
    language: Literal["id", "en"] | None = None


def _no_sessions(start: date | None, end: date | None) -> list[dict[str, Any]]:
    return []


def _no_report(day: date, language: str) -> dict[str, Any] | None:
    return None


@dataclass(frozen=True)
class ToolContext:
    """What the tools see of one user: the analysed journal, the user's clock and language,
    and readers for the user's stored sessions and reports (none for a bare file)."""

    analysis: Analysis | None
    tz: str = "UTC"
    language: str = "en"
    today: date | None = None
    sessions: Callable[[date | None, date | None], list[dict[str, Any]]] = _no_sessions
    stored_report: Callable[[date, str], dict[str, Any] | None] = _no_report

    def journal(self) -> Analysis:
        """The analysed journal; an empty journal is the user's to fix."""
        if self.analysis is None:
            raise InvalidInput(
                "the journal is empty: import a broker export first",
                key="mentor.error.empty_journal",
            )
        return self.analysis

    def local_today(self) -> date:
        """Today in the user's time zone (or the fixed day the context was built for)."""
        if self.today is not None:
            return self.today
        from zoneinfo import ZoneInfo

        return datetime.now(UTC).astimezone(ZoneInfo(self.tz)).date()


@dataclass(frozen=True)
class Tool:
    """A named query with its argument model."""

    name: str
    description: str
    arguments: type[BaseModel]
    run: Callable[[ToolContext, Any], Any]

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


RECENT_DAYS = 31


def compact_metric(name: str, figures: Any) -> Any:
    """A metric sized for a conversation on any journal: the per-trade list of ``losses`` is
    left to ``filter_losses`` and ``calendar`` keeps its last 31 trading days."""
    if name == "losses":
        rest = {k: v for k, v in figures.items() if k != "points"}
        return rest | {"per_trade": "call filter_losses for the losing trades"}
    if name == "calendar":
        days = figures["by_day"]  # oldest first
        return figures | {"by_day": days[-RECENT_DAYS:], "days_total": len(days)}
    return figures


def get_sessions(ctx: ToolContext, f: SessionFilter) -> dict[str, Any]:
    """The user's days (newest first): emotion, market, trades, P&L and risk score; never the
    personal notes."""
    rows = ctx.sessions(f.start, f.end)
    if f.emotion is not None:
        rows = [row for row in rows if row["emotion"] == f.emotion.value]
    return {"total": len(rows), "sessions": rows[: f.limit]}


def get_report(ctx: ToolContext, args: ReportArguments) -> dict[str, Any]:
    """The stored report of a day; without one, the report computed now from the journal."""
    from tradeloop.mentor.daily import daily_report

    day = args.date or ctx.local_today()
    language = args.language or ctx.language
    stored = ctx.stored_report(day, language)
    if stored is not None:
        return stored | {"stored": True}
    emotions = [row["emotion"] for row in ctx.sessions(day, day) if row["emotion"]]
    report = daily_report(
        ctx.analysis, day, emotions[0] if emotions else "neutral", language, ctx.tz
    )
    return report | {"stored": False}


def run_tool(ctx: ToolContext, name: str, arguments: dict[str, Any] | None) -> Any:
    """Validate ``arguments`` for tool ``name`` and run it; unknown tools and bad arguments
    are the caller's to fix (NotFound, InvalidInput naming the field)."""
    tool = TOOLS.get(name)
    if tool is None:
        raise NotFound(
            f"unknown tool {name!r}: known tools are {', '.join(TOOLS)}",
            key="mentor.error.unknown_tool",
            values={"name": repr(name), "tools": ", ".join(TOOLS)},
        )
    try:
        args = tool.arguments.model_validate(arguments or {})
    except ValidationError as exc:
        details = [
            {
                "field": ".".join(map(str, e["loc"])),
                "message": e["msg"].removeprefix("Value error, "),
            }
            for e in exc.errors()
        ]
        raise InvalidInput(
            f"invalid arguments for {name}: "
            + "; ".join(
                f"{d['field']}: {d['message']}" if d["field"] else d["message"] for d in details
            ),
            details,
        ) from exc
    return tool.run(ctx, args)


TOOLS = {
    tool.name: tool
    for tool in (
        Tool(
            "get_summary",
            "Counts, win rate, payoff, expectancy, mistakes and streaks of the journal.",
            NoArguments,
            lambda ctx, _: (
                ctx.journal().summary
                | {
                    "thresholds": {
                        k: v for k, v in ctx.journal().thresholds.items() if k != "by_underlying"
                    }
                }
            ),
        ),
        Tool(
            "get_metric",
            "One habit metric: insights, revenge, excessive-risk, risk-sizing, breakeven, "
            "stop-loss, losses or calendar.",
            MetricArguments,
            lambda ctx, args: compact_metric(
                args.name, habit_metric(args.name, ctx.journal(), ctx.tz, ctx.language)
            ),
        ),
        Tool(
            "filter_trades",
            "Trades by date/time range, time of day, weekday, side, symbol, result, mistakes, "
            "risk and loss bounds; sorted; at most 50 per call; with the figures of every "
            "match (count, wins, win rate, net) and, with group_by, per hour, weekday, day, "
            "symbol or side.",
            ToolTradeFilter,
            lambda ctx, f: filter_trades(ctx.journal(), f, ctx.tz),
        ),
        Tool(
            "filter_losses",
            "Losing trades with the same filters, plus the worst and best loss and loss "
            "statistics.",
            ToolTradeFilter,
            lambda ctx, f: filter_losses(ctx.journal(), f, ctx.tz),
        ),
        Tool(
            "get_sessions",
            "The trader's days, newest first: emotion, market, number of trades, P&L and "
            "risk score; by date range and emotion.",
            SessionFilter,
            get_sessions,
        ),
        Tool(
            "get_report",
            "The daily report of a date (default today): pattern, emotional read, risk score "
            "1-10, recommendations, motivation.",
            ReportArguments,
            get_report,
        ),
    )
}
JOURNAL_TOOLS = TOOLS
