"""An export read and analysed on its own, without a database: what the CLI's ``habits
analyze`` and the import API share (the latter then stores it); and CSV written for
spreadsheets without formula injection."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from tradeloop.habits.analysis import Analysis, analyze, r_figures, trade_records
from tradeloop.habits.goals import Goal, built_in_goals, evaluate
from tradeloop.habits.settings import HabitSettings
from tradeloop.journal.formats import Format
from tradeloop.journal.frame import Imported
from tradeloop.journal.importers import import_file
from tradeloop.journal.trades import rebuild_trades, unknown_money
from tradeloop.market.errors import DataError
from tradeloop.market.times import DateOrder

STATED_TOLERANCE = 0.005
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?")


def csv_cell(value: Any) -> str:
    """One CSV cell that a spreadsheet shows as text, never runs: text starting with ``=``,
    ``+``, ``-``, ``@``, a tab or a carriage return gets a leading apostrophe, except a plain
    number (``-12.5`` stays a number). None is empty."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    text = value if isinstance(value, str) else str(value)
    if text.startswith(FORMULA_STARTS) and not PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def csv_text(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A CSV document (comma-separated, CRLF lines as RFC 4180) with every cell through
    ``csv_cell``."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([csv_cell(name) for name in header])
    for row in rows:
        writer.writerow([csv_cell(value) for value in row])
    return buffer.getvalue()


@dataclass
class Journal:
    """An imported export: what the importer read, and the analysis of its trades."""

    imported: Imported
    analysis: Analysis
    warnings: list[str] = field(default_factory=list)

    @property
    def orders(self) -> pd.DataFrame:
        """The export's orders in the one Orders shape."""
        return self.imported.orders

    @property
    def format(self) -> str:
        """The format key it was read as."""
        return self.imported.format


def trades_of(imported: Imported, orders: pd.DataFrame | None = None) -> pd.DataFrame:
    """The closed trades of an import (of ``orders``, a subset of its orders, when given)."""
    trades = rebuild_trades(imported.orders if orders is None else orders)
    trades["stops_known"] = imported.stops_known
    return trades


def check_warnings(imported: Imported, trades: pd.DataFrame) -> list[str]:
    """What a user must know about an import: money that cannot be known, and stated totals
    its trades do not reproduce (never a silent misread)."""
    warnings = []
    unknown = unknown_money(trades)
    if unknown:
        warnings.append(
            f"point value of {', '.join(unknown)} is unknown: their money P&L is left empty and "
            "figures are in points"
        )
    stated = imported.stated.get("net_profit")
    if stated is not None and trades["pnl_money"].notna().all():
        found = float(trades["pnl_money"].sum())
        if abs(found - stated) > STATED_TOLERANCE:
            warnings.append(
                f"the report states a total net profit of {stated:.2f}; its closed trades add "
                f"up to {found:.2f} (costs of positions still open are not in any trade)"
            )
    if not imported.stops_known:
        warnings.append(
            "this export cannot show stop orders: trades are not checked for a missing "
            "stop-loss, and planned risk is unknown"
        )
    return warnings


def load_journal(
    data: bytes,
    fmt: Format = "auto",
    tz: str = "UTC",
    settings: HabitSettings | None = None,
    date_order: DateOrder = "auto",
    currency: str = "",
) -> Journal:
    """Import ``data`` and analyse it; a file without a closed trade is a DataError."""
    imported = import_file(data, fmt, tz, date_order, currency)
    trades = trades_of(imported)
    if trades.empty:
        raise DataError(
            "the file has no closed trade: it needs filled orders that open and close a position",
            key="journal.error.no_closed_trade",
        )
    analysis = analyze(trades, imported.orders, settings)
    return Journal(imported, analysis, imported.warnings + check_warnings(imported, trades))


def source_record(imported: Imported) -> dict[str, Any]:
    """What the file is: format, label, kind, accounts, currency, server, language."""
    return {
        "format": imported.format,
        "label": imported.label,
        "kind": imported.kind,
        "accounts": imported.accounts,
        "currency": imported.currency or None,
        "server": imported.server or None,
        "language": imported.language or None,
        "stated": imported.stated,
    }


def journal_document(
    journal: Journal, goals: list[Goal] | None = None, with_trades: bool = True
) -> dict[str, Any]:
    """The JSON document of an analysis (the CLI's ``--json``, the import API's answer);
    without its ``trades`` unless ``with_trades``."""
    a = journal.analysis
    chosen = goals if goals is not None else built_in_goals()
    return {
        "settings": a.settings.model_dump(),
        **source_record(journal.imported),
        "rows": len(journal.orders),
        "warnings": journal.warnings,
        **({"trades": trade_records(a)} if with_trades else {}),
        "summary": a.summary | r_figures(a),
        "thresholds": a.thresholds,
        "risk_sizing": a.risk_sizing,
        "revenge": {k: a.revenge[k] for k in ("count", "win_rate", "net_pnl")},
        "goals": [evaluate(goal, a.trades) for goal in chosen],
    }
