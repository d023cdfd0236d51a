"""What the backtest pages show, as text in the reader's language: statistics grouped and
rounded by kind, strategy and parameter labels, the trade table (sorted, paginated, in lots
and account money) and the charts' data with times in the reader's zone."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

import numpy as np
import pandas as pd
from jinja2.utils import htmlsafe_json_dumps
from markupsafe import Markup

from tradeloop.backtest.chart import candles, indicator_lines, trade_marks
from tradeloop.backtest.engine import ACCOUNT_CURRENCY
from tradeloop.core.instruments import AssetClass
from tradeloop.i18n import amount, catalogue, number_text, time_text, translate, zone_label
from tradeloop.market.instruments import find_instrument
from tradeloop.strategies.base import Strategy, all_strategies

# (group, ((statistic, kind), ...)); kinds: money, pct (2 decimals), pct1, ratio, share (a
# fraction shown as %), count, duration (seconds), time (ISO)
STAT_GROUPS: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    ("performance", (
        ("net_profit", "money"), ("return_pct", "pct"), ("return_ann_pct", "pct"),
        ("cagr_pct", "pct"), ("buy_hold_return_pct", "pct"), ("profit_factor", "ratio"),
        ("expectancy", "money"), ("initial_equity", "money"), ("final_equity", "money"),
        ("peak_equity", "money"),
    )),
    ("risk", (
        ("max_drawdown_pct", "pct"), ("avg_drawdown_pct", "pct"),
        ("max_drawdown_duration_seconds", "duration"),
        ("avg_drawdown_duration_seconds", "duration"), ("volatility_ann_pct", "pct"),
        ("sharpe", "ratio"), ("sortino", "ratio"), ("calmar", "ratio"), ("sqn", "ratio"),
        ("kelly", "share"), ("max_consecutive_losses", "count"),
    )),
    ("trades", (
        ("trades", "count"), ("wins", "count"), ("losses", "count"), ("win_rate_pct", "pct1"),
        ("avg_win", "money"), ("avg_loss", "money"), ("best_trade_pct", "pct"),
        ("worst_trade_pct", "pct"), ("avg_trade_pct", "pct"),
        ("max_trade_duration_seconds", "duration"), ("avg_trade_duration_seconds", "duration"),
    )),
    ("exposure", (
        ("start", "time"), ("end", "time"), ("duration_seconds", "duration"), ("bars", "count"),
        ("exposure_pct", "pct1"), ("total_costs", "money"),
    )),
)  # fmt: skip
# statistics set side by side when runs are compared
COMPARED = (
    "net_profit", "return_pct", "profit_factor", "max_drawdown_pct", "sharpe", "trades",
    "win_rate_pct", "expectancy", "avg_win", "avg_loss", "exposure_pct", "total_costs",
)  # fmt: skip
STAT_KINDS = {name: kind for _, rows in STAT_GROUPS for name, kind in rows}
TRADE_SORTS = (
    "number", "side", "entry_time", "entry_price", "exit_time", "exit_price", "lots", "pnl",
    "pips", "reason",
)  # fmt: skip
TRADES_PER_PAGE = 50


def count_text(value: float) -> str:
    """An integer with a space between thousands: ``50 000``."""
    return f"{int(value):,}".replace(",", " ")


def duration_text(language: str, seconds: float) -> str:
    """``3 days 4 h``, ``5 h 20 min`` or ``12 min`` from the catalogue."""
    minutes = round(seconds / 60)
    days, rest = divmod(minutes, 1440)
    hours, minutes = divmod(rest, 60)
    if days:
        return translate(language, "backtests.duration_days", days=days, hours=hours)
    if hours:
        return translate(language, "backtests.duration_hours", hours=hours, minutes=minutes)
    return translate(language, "backtests.duration_minutes", minutes=minutes)


def stat_text(language: str, kind: str, value: Any, zone: str = "UTC") -> str:
    """A statistic rounded by its kind, with its unit: money with 2 decimals and the account
    currency, percentages with 2 (``pct``) or 1 (``pct1``) decimals and ``%``, ratios with 2
    decimals, counts as integers, durations in days/hours/minutes, times in ``zone``."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—"
    if kind == "money":
        return amount(language, value, "money", ACCOUNT_CURRENCY)
    if kind in ("pct", "pct1", "share"):
        scaled = value * 100 if kind == "share" else value
        return f"{number_text(language, scaled, 1 if kind == 'pct1' else 2)} %"
    if kind == "ratio":
        return number_text(language, value, 2)
    if kind == "count":
        return count_text(value)
    if kind == "duration":
        return duration_text(language, value)
    if kind == "time":
        return time_text(datetime.fromisoformat(value), zone)
    return str(value)


def stat_groups(language: str, stats: dict[str, Any], zone: str) -> list[dict[str, Any]]:
    """The statistics as groups of labelled, rounded rows."""
    return [
        {
            "key": group,
            "title": translate(language, f"backtests.group.{group}"),
            "rows": [
                {
                    "key": name,
                    "label": translate(language, f"stat.{name}"),
                    "text": stat_text(language, kind, stats.get(name), zone),
                    "value": stats.get(name),
                }
                for name, kind in rows
            ],
        }
        for group, rows in STAT_GROUPS
    ]


def strategy_label(language: str, key: str) -> str:
    """The strategy's name in ``language`` (its key for a strategy no longer in the library)."""
    return catalogue(language).get(f"strategy.{key}", key)


def strategy_class(key: str) -> type[Strategy] | None:
    """The library's strategy with ``key`` (None when there is none)."""
    return next((cls for cls in all_strategies() if cls.key == key), None)


def value_text(language: str, value: Any) -> str:
    """A parameter value: yes/no, an integer, or a number without trailing zeros."""
    if isinstance(value, bool):
        return translate(language, "backtests.yes" if value else "backtests.no")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def param_rows(language: str, key: str, values: dict[str, Any]) -> list[dict[str, str]]:
    """The strategy's parameters with their labels (the strategy's own, in both languages)."""
    cls = strategy_class(key)
    labels = {
        p.name: p.label_id if language == "id" else p.label_en for p in (cls.params if cls else ())
    }
    return [
        {"name": name, "label": labels.get(name, name), "text": value_text(language, value)}
        for name, value in values.items()
    ]


def params_text(language: str, key: str, values: dict[str, Any]) -> str:
    """``Fast period 20 · Slow period 50``."""
    return " · ".join(f"{r['label']} {r['text']}" for r in param_rows(language, key, values))


@dataclass(frozen=True)
class Market:
    """How a run's prices and sizes are shown: price decimals, pip size and its unit."""

    digits: int
    pip_size: float
    pips: bool  # the move is counted in pips (FX, metals), else in points
    contract_size: float = 100_000.0

    @classmethod
    def of(cls, parameters: dict[str, Any]) -> Market:
        """From a stored result's parameters (symbol and instrument description)."""
        described = parameters.get("instrument") or {}
        known = find_instrument(parameters.get("symbol") or "")
        pip = float(described.get("pip_size") or (known.pip_size if known else 0.0001))
        if known is not None:
            digits = known.digits
            pips = known.asset_class in (AssetClass.FX, AssetClass.METAL)
        else:
            digits = max(0, -math.floor(math.log10(pip))) + 1 if pip < 1 else 2
            pips = pip < 1
        contract = described.get("contract_size") or (known.contract_size if known else 100_000)
        return cls(digits, pip, pips, float(contract))


def trade_rows(trades: list[dict[str, Any]], market: Market) -> list[dict[str, Any]]:
    """The trade log as table rows: number (chronological), side, times, prices, lots, P&L in
    money and in pips/points (the price move, costs included in the prices), exit reason."""
    rows = []
    for number, trade in enumerate(trades, start=1):
        sign = 1 if trade["side"] == "long" else -1
        move = sign * (trade["exit_price"] - trade["entry_price"]) / market.pip_size
        rows.append(
            {
                "number": number,
                "side": trade["side"],
                "entry_time": trade["entry_time"],
                "entry_price": trade["entry_price"],
                "exit_time": trade["exit_time"],
                "exit_price": trade["exit_price"],
                "lots": trade.get("lots", trade["size"] / market.contract_size),
                "pnl": trade["pnl"],
                "pips": round(move, 1),
                "reason": trade["exit_reason"],
            }
        )
    return rows


def sorted_rows(rows: list[dict[str, Any]], sort: str, descending: bool) -> list[dict[str, Any]]:
    """``rows`` by ``sort`` (ties in chronological order, whatever the direction)."""
    ordered = sorted(rows, key=lambda r: r["number"])
    if sort == "number":
        return ordered[::-1] if descending else ordered
    return sorted(ordered, key=lambda r: r[sort], reverse=descending)


@dataclass(frozen=True)
class PageWindow:
    """One page of a list: its number (from 1), the number of pages and the rows' slice."""

    page: int
    pages: int
    start: int
    stop: int
    total: int

    @classmethod
    def of(cls, total: int, page: int, per_page: int) -> PageWindow:
        """Page ``page`` of ``total`` rows (a page past the end shows the last one)."""
        pages = max(1, math.ceil(total / per_page))
        page = min(max(page, 1), pages)
        start = (page - 1) * per_page
        return cls(page, pages, start, min(start + per_page, total), total)


def lots_text(lots: float) -> str:
    """Lots with 2 decimals (``0.10``), more when a size is finer than a hundredth."""
    if abs(lots * 100 - round(lots * 100)) < 1e-6:
        return f"{lots:.2f}"
    return f"{lots:.6f}".rstrip("0")


def link(path: str, query: dict[str, Any], **changes: Any) -> str:
    """``path`` with ``query`` and ``changes`` (None removes a parameter) as its query."""
    values = {**query, **changes}
    pairs = [(k, v) for k, v in values.items() if v is not None and k != "notice"]
    flat = [(k, item) for k, v in pairs for item in (v if isinstance(v, list) else [v])]
    return f"{path}?{urlencode(flat)}" if flat else path


def local_index(seconds: np.ndarray, zone: str) -> pd.DatetimeIndex:
    """Epoch seconds as times in ``zone``."""
    return pd.to_datetime(np.asarray(seconds, dtype=np.int64), unit="s", utc=True).tz_convert(zone)


def zone_caption(times: pd.DatetimeIndex, zone: str) -> str:
    """The zone of chart times: their UTC offset when it never changes (``UTC+07:00``), else
    the zone's name (it has summer time)."""
    if len(times) == 0:
        return zone_label(pd.Timestamp.now(tz=zone).to_pydatetime())
    offsets = times.tz_localize(None).as_unit("s").asi8 - times.as_unit("s").asi8
    return zone_label(times[0].to_pydatetime()) if len(np.unique(offsets)) == 1 else zone


def wall_minutes(times: pd.DatetimeIndex) -> list[int]:
    """Zoned times as minutes since 1970-01-01 00:00 of their own wall clock: the chart's
    date axis (which knows no zones) shows the reader's local times, in few bytes."""
    return (times.tz_localize(None).as_unit("s").asi8 // 60).tolist()


def compact_json(value: Any) -> Markup:
    """``value`` as JSON without spaces, safe inside a ``<script>`` element."""
    return htmlsafe_json_dumps(value, dumps=json.dumps, separators=(",", ":"))


def _rounded(values: np.ndarray, digits: int) -> list[float | None]:
    return [None if math.isnan(v) else v for v in np.round(values, digits).tolist()]


def price_chart(
    bars: pd.DataFrame, strategy: Strategy | None, trades: list[dict[str, Any]], zone: str,
    language: str, market: Market,
) -> dict[str, Any]:  # fmt: skip
    """The candlestick chart's data: candles in ``zone`` (aggregated when the run is long),
    the strategy's labelled indicator lines and the trades' entries and exits."""
    made = candles(bars)
    times = local_index(made["start"], zone)
    lines = indicator_lines(bars, strategy, made["last"]) if strategy is not None else {}
    marks = trade_marks(trades, made["start"], market.contract_size)
    digits = market.digits
    return {
        "interval": made["interval"],
        "bars_interval": made["bars_interval"],
        "resampled": made["resampled"],
        "zone": zone_caption(times, zone),
        "digits": digits,
        "time": wall_minutes(times),
        **{k: _rounded(made[k], digits) for k in ("open", "high", "low", "close")},
        "lines": [
            {
                "name": catalogue(language).get(f"strategy.line.{name}", name),
                "y": _rounded(values, digits),
            }
            for name, values in lines.items()
        ],
        "marks": {
            "side": marks["side"].tolist(),
            "entry": marks["entry"].tolist(),
            "exit": marks["exit"].tolist(),
            "entry_at": marks["entry_at"].tolist(),
            "exit_at": marks["exit_at"].tolist(),
            "entry_price": _rounded(marks["entry_price"], digits),
            "exit_price": _rounded(marks["exit_price"], digits),
            "pnl": _rounded(marks["pnl"], 2),
            "lots": [round(v, 6) for v in marks["lots"].tolist()],
        },
    }


def equity_chart(curve: dict[str, list[Any]], zone: str) -> dict[str, Any]:
    """The stored equity and drawdown curve with its times in ``zone``."""
    times = pd.to_datetime(pd.Series(curve.get("time", []), dtype=object), utc=True)
    local = pd.DatetimeIndex(times).tz_convert(zone)
    return {
        "zone": zone_caption(local, zone),
        "time": wall_minutes(local),
        "equity": [round(v, 2) for v in curve.get("equity", [])],
        "drawdown": [round(v, 2) + 0.0 for v in curve.get("drawdown_pct", [])],  # no -0.0
    }
