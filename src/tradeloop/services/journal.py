"""The journal's units of work: imports (read the export, settle the zone its times are in,
count fills already imported once, store it and bring the mentor's days up to date), and the
figures, trades, settings and goals read from the user's cached analysis.

MetaTrader reports are written in the broker server's time. The first import of an MT5/MT4
account must name that zone; it is remembered per account (and server) for the next ones.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from tradeloop.core.errors import InvalidInput
from tradeloop.habits.analysis import Analysis, r_figures, trade_records
from tradeloop.habits.filters import TradeFilter, select_trades
from tradeloop.habits.goals import built_in_goals, evaluate
from tradeloop.habits.metrics import habit_metric
from tradeloop.habits.settings import HabitSettings
from tradeloop.journal.formats import Format
from tradeloop.market.times import DateOrder
from tradeloop.services.analyses import analysis_after, keep_analysis, user_analysis
from tradeloop.services.exports import Journal, journal_document, load_journal, source_record
from tradeloop.services.mentor import sync_sessions
from tradeloop.services.work import run_cpu
from tradeloop.store import journal as repo
from tradeloop.store.db import pause
from tradeloop.store.models import JournalImport, User
from tradeloop.store.pagination import Page

SERVER_TIME_FORMATS = ("mt5", "mt4")


def _account_zone(
    session: Session, user: User, journal: Journal, tz: str | None
) -> tuple[str | None, bool]:
    """The zone a server-time report must be read in (None: the one it was read in is right),
    and whether the user must still be asked for it."""
    imported = journal.imported
    if imported.format not in SERVER_TIME_FORMATS or not imported.accounts:
        return None, False
    remembered = repo.account_zone(session, user.id, imported.accounts[0], imported.server)
    if tz is not None:
        return None, False
    if remembered is None:
        return None, True
    return remembered.timezone, False


def read_export(
    session: Session,
    user: User,
    data: bytes,
    fmt: Format = "auto",
    tz: str | None = None,
    date_order: DateOrder = "auto",
    currency: str = "",
) -> tuple[Journal, str]:
    """The analysed export and the zone its times were read in: ``tz`` when given, the
    remembered zone of an MT5/MT4 account, else the user's zone. A new MT5/MT4 account without
    ``tz`` is refused with a message asking for its server's zone."""
    settings = repo.get_settings(session, user.id)
    zone = tz or user.timezone
    pause(session)  # nothing is held while the file is read
    journal = run_cpu(load_journal, data, fmt, zone, settings, date_order, currency)
    remembered, must_ask = _account_zone(session, user, journal, tz)
    if must_ask:
        imported = journal.imported
        server = f" ({imported.server})" if imported.server else ""
        raise InvalidInput(
            f"account {imported.accounts[0]}{server} is new: {imported.label} times are the "
            "broker server's clock, so give its time zone once (tz; most MT5 servers run on "
            "Europe/Athens time, UTC+2/+3) and tradeloop remembers it for this account",
            [{"field": "tz", "account": imported.accounts[0], "server": imported.server}],
        )
    if remembered is not None and remembered != zone:
        zone = remembered
        pause(session)
        journal = run_cpu(load_journal, data, fmt, zone, settings, date_order, currency)
    return journal, zone


def import_export(
    session: Session,
    user: User,
    file_name: str,
    data: bytes,
    fmt: Format = "auto",
    tz: str | None = None,
    date_order: DateOrder = "auto",
    currency: str = "",
    store: bool = True,
) -> tuple[dict[str, Any], JournalImport | None]:
    """Import (or, with ``store`` false, only analyse) an export; the document says what the
    file is, its figures, and how many of its fills were already imported."""
    journal, zone = read_export(session, user, data, fmt, tz, date_order, currency)
    imported = journal.imported
    duplicates, files = repo.duplicates_of(session, user.id, imported.orders, imported.kind)
    fills = int(((imported.orders["status"] == "filled") & (imported.orders["qty"] > 0)).sum())
    if duplicates:
        journal.warnings.append(
            f"{duplicates} of its {fills} fills were already imported ({', '.join(files)}): "
            "they are counted once"
        )
    document = journal_document(journal) | {
        "stored": store,
        "timezone": zone,
        "duplicates": {"fills": duplicates, "of": fills, "files": files},
    }
    if not store:
        return document, None
    details = {"date_order": date_order, "warnings": journal.warnings}
    trades = len(journal.analysis.trades)
    live = imported.kind == "live"
    upcoming = (
        analysis_after(session, user.id, added=(imported.orders, imported.stops_known))
        if live else None
    )  # fmt: skip
    fresh = upcoming is not None and upcoming.still_valid(session, user.id)
    row = repo.add_import(session, user.id, file_name, data, imported, trades, zone, details)
    for account in imported.accounts if imported.format in SERVER_TIME_FORMATS else []:
        repo.remember_account(session, user.id, account, imported.server, zone, imported.currency)
    if live:
        sync_sessions(session, user, upcoming if fresh else None)
        if fresh and upcoming is not None and upcoming.analysis is not None:
            trades = upcoming.analysis.trades  # the new import's trades get its id
            trades["source"] = trades["source"].replace(str(repo.NEW_IMPORT), str(row.id))
            keep_analysis(session, user.id, upcoming.analysis)
    return document, row


def delete_import(session: Session, user: User, import_id: int) -> None:
    """Delete an import and bring the mentor's days up to date."""
    repo.get_import(session, user.id, import_id)  # 404 before any work
    upcoming = analysis_after(session, user.id, without=import_id)
    fresh = upcoming.still_valid(session, user.id)
    repo.delete_import(session, user.id, import_id)
    sync_sessions(session, user, upcoming if fresh else None)
    if fresh:
        keep_analysis(session, user.id, upcoming.analysis)


def import_record(row: JournalImport) -> dict[str, Any]:
    """A stored import as JSON-ready data: the file, what it is, and its figures."""
    details = row.details or {}
    return {
        "id": row.id,
        "file_name": row.file_name,
        "format": row.format,
        "kind": row.kind,
        "label": details.get("label", row.format),
        "accounts": details.get("accounts", []),
        "currency": row.currency or None,
        "server": details.get("server") or None,
        "language": details.get("language") or None,
        "timezone": row.timezone,
        "date_order": details.get("date_order", "auto"),
        "stops_known": row.stops_known,
        "rows": row.rows,
        "trades": row.trades,
        "warnings": details.get("warnings", []),
        "created_at": row.created_at.isoformat() if row.created_at else None,
    }


def get_import(session: Session, user_id: int, import_id: int) -> dict[str, Any]:
    """One of the user's imports as ``import_record`` data; 404 when missing or another's."""
    return import_record(repo.get_import(session, user_id, import_id))


def list_imports(session: Session, user_id: int, limit: int, offset: int) -> Page[dict[str, Any]]:
    """The user's imports, newest first, as ``import_record`` data."""
    page = repo.list_imports(session, user_id, limit, offset)
    return Page([import_record(row) for row in page.items], page.total, limit, offset)


def require_analysis(session: Session, user_id: int, kind: str = "live") -> Analysis:
    """The analysis of the user's imports of ``kind``; a message saying what to import when
    there is none."""
    analysis = user_analysis(session, user_id, kind=kind)
    if analysis is None:
        if kind == "tested":
            raise InvalidInput("no Strategy Tester report is imported")
        raise InvalidInput(
            "the journal is empty: import a broker export first (POST /api/journal/imports)"
        )
    return analysis


def trades_page(
    session: Session, user: User, chosen: TradeFilter, limit: int, offset: int, kind: str = "live"
) -> dict[str, Any]:
    """One page of the trades ``chosen`` selects (in the user's zone), with the unit."""
    analysis = require_analysis(session, user.id, kind)
    rows = analysis.once(
        ("trades", chosen.model_dump_json(), user.timezone),
        lambda: select_trades(analysis.trades, chosen, user.timezone).index,
    )
    return {
        "items": trade_records(analysis, rows[offset : offset + limit]),
        "total": len(rows),
        "limit": limit,
        "offset": offset,
        "unit": analysis.unit,
        "currency": analysis.currency,
    }


def summary_of(session: Session, user_id: int, kind: str = "live") -> dict[str, Any]:
    """The journal's headline figures with R multiples, thresholds and settings."""
    analysis = require_analysis(session, user_id, kind)
    return analysis.once(
        "summary",
        lambda: {
            **analysis.summary,
            **r_figures(analysis),
            "thresholds": analysis.thresholds,
            "settings": analysis.settings.model_dump(),
        },
    )


def metric_of(
    session: Session, user: User, name: str, language: str, kind: str = "live"
) -> dict[str, Any]:
    """One habit metric of the journal (see ``habits.metrics``)."""
    return metric(require_analysis(session, user.id, kind), user, name, language)


def metric(analysis: Analysis, user: User, name: str, language: str) -> dict[str, Any]:
    """One habit metric of ``analysis`` in the user's zone, computed once per analysis."""
    return analysis.once(
        ("metric", name, user.timezone, language),
        lambda: habit_metric(name, analysis, user.timezone, language),
    )


def get_settings(session: Session, user_id: int) -> HabitSettings:
    """The detector settings (defaults until changed)."""
    return repo.get_settings(session, user_id)


def save_settings(session: Session, user: User, settings: HabitSettings) -> HabitSettings:
    """Change the detector settings; the mentor's days are re-analysed with them."""
    upcoming = analysis_after(session, user.id, settings=settings)
    fresh = upcoming.still_valid(session, user.id)
    saved = repo.save_settings(session, user.id, settings)
    sync_sessions(session, user, upcoming if fresh else None)
    if fresh:
        keep_analysis(session, user.id, upcoming.analysis)
    return saved


def goals_of(session: Session, user: User) -> list[dict[str, Any]]:
    """Built-in and own goals with their streaks and progress (zero without a journal)."""
    analysis = user_analysis(session, user.id)
    goals = built_in_goals() + [repo.as_goal(row) for row in repo.list_goals(session, user.id)]
    if analysis is not None:
        return [evaluate(goal, analysis.trades, user.timezone) for goal in goals]
    return [
        {
            "key": g.key, "title": g.title, "mistakes": list(g.mistakes), "target": g.target,
            "metric": g.metric, "current": 0, "best": 0, "progress": 0.0, "achieved": False,
            **g.extra,
        }
        for g in goals
    ]  # fmt: skip


def save_goal(
    session: Session, user_id: int, fields: dict[str, Any], goal_id: int | None = None
) -> int:
    """Create an own goal, or change one; its id."""
    return repo.save_goal(session, user_id, fields, goal_id).id


def delete_goal(session: Session, user_id: int, goal_id: int) -> None:
    """Delete an own goal."""
    repo.delete_goal(session, user_id, goal_id)


__all__ = [
    "delete_goal", "delete_import", "get_settings", "goals_of", "import_export", "import_record",
    "list_imports", "metric_of", "read_export", "require_analysis", "save_goal", "save_settings",
    "source_record", "summary_of", "trades_page",
]  # fmt: skip
