"""Import an export and analyse it: what the CLI, the API and the mentor share."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from tradeloop.habits.analysis import Analysis, analyze, trade_records
from tradeloop.habits.goals import Goal, built_in_goals, evaluate
from tradeloop.habits.settings import HabitSettings
from tradeloop.journal.importers import Format, import_orders
from tradeloop.journal.trades import rebuild_trades, unknown_point_values
from tradeloop.market.errors import DataError


@dataclass
class Journal:
    """An imported export: its orders, format, and the analysis of its trades."""

    orders: pd.DataFrame
    format: str
    analysis: Analysis
    warnings: list[str]


def load_journal(
    data: bytes, fmt: Format = "auto", tz: str = "UTC", settings: HabitSettings | None = None
) -> Journal:
    """Import ``data`` and analyse it; a file without a closed trade is a DataError."""
    orders, chosen = import_orders(data, fmt, tz)
    trades = rebuild_trades(orders)
    if trades.empty:
        raise DataError(
            "the file has no closed trade: it needs filled orders that open and close a position"
        )
    unknown = unknown_point_values(trades)
    warnings = (
        [f"point value of {', '.join(unknown)} is unknown: money P&L is left empty"]
        if unknown
        else []
    )
    return Journal(orders, chosen, analyze(trades, orders, settings), warnings)


def journal_document(journal: Journal, goals: list[Goal] | None = None) -> dict[str, Any]:
    """The JSON document of an analysis (the CLI's ``--json``)."""
    a = journal.analysis
    chosen = goals if goals is not None else built_in_goals()
    return {
        "settings": a.settings.model_dump(),
        "format": journal.format,
        "rows": len(journal.orders),
        "warnings": journal.warnings,
        "trades": trade_records(a),
        "summary": a.summary,
        "thresholds": {k: v for k, v in a.thresholds.items() if k != "by_underlying"},
        "risk_sizing": a.risk_sizing,
        "revenge": {
            "count": a.revenge["count"],
            "win_rate": a.revenge["win_rate"],
            "net_pnl_points": a.revenge["net_pnl_points"],
        },
        "goals": [evaluate(goal, a.trades) for goal in chosen],
    }
