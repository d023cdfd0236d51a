"""The journal's units of work: imports (read the export, settle the zone its times are in,
count fills already imported once, store it and bring the mentor's days up to date), and the
figures, trades, settings and goals read from the user's cached analysis.

MetaTrader reports are written in the broker server's time. The first import of an MT5/MT4
account must name that zone; it is remembered per account (and server) for the next ones.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

import pandas as pd
from cryptography.fernet import MultiFernet
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy.orm import Session

from tradeloop.core.dates import CalendarDay
from tradeloop.core.errors import InvalidInput, NotFound, first_problem
from tradeloop.habits import reports
from tradeloop.habits.analysis import Analysis, r_figures, trade_records
from tradeloop.habits.filters import Mistake, Sort, TradeFilter, select_trades
from tradeloop.habits.goals import built_in_goals, evaluate
from tradeloop.habits.metrics import habit_metric
from tradeloop.habits.settings import HabitSettings
from tradeloop.journal.formats import Format
from tradeloop.market.times import DateOrder
from tradeloop.mentor.notes import seal, unseal
from tradeloop.services.analyses import analysis_after, keep_analysis, user_analysis
from tradeloop.services.exports import (
    Journal,
    csv_text,
    journal_document,
    load_journal,
    source_record,
)
from tradeloop.services.mentor import cipher_for, sync_sessions
from tradeloop.services.work import run_cpu
from tradeloop.store import audit
from tradeloop.store import bots as bots_repo
from tradeloop.store import journal as repo
from tradeloop.store import lifecycle as lifecycle_store
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
            key="journal.error.new_account_zone",
            values={"account": imported.accounts[0], "server": server, "label": imported.label},
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
    """Delete an import (undoable with ``restore_import`` until purged) and bring the mentor's
    days up to date: the days only its trades filled, and which hold nothing else (no note,
    emotion or report), go with it (an undo brings them back)."""
    repo.get_import(session, user.id, import_id)  # 404 before any work
    audit.record(session, user.id, "import_deleted", detail={"import": import_id})
    now = datetime.now(UTC)
    change_journal(
        session, user, lambda: repo.trash_import(session, user.id, import_id, now),
        without=import_id,
    )  # fmt: skip


def change_journal(
    session: Session, user: User, change: Callable[[], object], without: int | None = None,
    restored: int | None = None,
) -> None:  # fmt: skip
    """Make ``change`` to the user's imports (``without``: one leaves the journal,
    ``restored``: one comes back) with the analysis it leads to made first, no write lock held
    meanwhile, then bring the mentor's days up to date: days it fills are made, days it
    empties that hold nothing else (no note, emotion or report) go."""
    upcoming = analysis_after(session, user.id, without=without, restored=restored)
    fresh = upcoming.still_valid(session, user.id)
    traded = lifecycle_store.traded_days(session, user.id)
    change()
    sync_sessions(session, user, upcoming if fresh else None)
    lifecycle_store.delete_empty_sessions(session, user.id, traded)
    if fresh:
        keep_analysis(session, user.id, upcoming.analysis)


def restore_import(
    session: Session, user: User, import_id: int, undo_days: float
) -> dict[str, Any]:
    """Bring back an import deleted in the last ``undo_days`` days: its trades return to the
    journal and its days to the mentor. 404 when there is none to bring back (never deleted,
    deleted earlier, another's, or a deleted bot's: that one comes back with its bot)."""
    since = datetime.now(UTC) - timedelta(days=undo_days)
    row = repo.deleted_import(session, user.id, import_id, since)  # 404 before any work
    bot_id = (row.details or {}).get("bot_id") if row.format == "bot" else None
    if bot_id is not None and not bots_repo.is_live(session, user.id, int(bot_id)):
        raise repo.import_not_found(import_id)
    audit.record(session, user.id, "import_restored", detail={"import": import_id})
    change_journal(
        session, user, lambda: repo.restore_import(session, user.id, import_id, since),
        restored=import_id,
    )  # fmt: skip
    return import_record(repo.get_import(session, user.id, import_id))


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
            raise InvalidInput(
                "no Strategy Tester report is imported", key="journal.error.no_tester_report"
            )
        raise InvalidInput(
            "the journal is empty: import a broker export first (POST /api/journal/imports)",
            key="journal.error.empty_journal",
        )
    return analysis


NOTE_LENGTH = 4000
TAG_LENGTH = 32
MAX_TAGS = 20
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class TradeQuery(BaseModel):
    """Which trades the journal lists and exports: the mentor's filter (dates, hours, side,
    symbol, result, mistake) and the trader's own: a text in their notes, tags or symbol
    (``q``), a tag, and the import a trade came from (``source``). Kept in the page's address,
    so ``from_params`` reads an empty field as not given."""

    model_config = ConfigDict(extra="ignore")

    start: CalendarDay | None = None
    end: CalendarDay | None = None
    symbol: str | None = Field(default=None, max_length=32)
    side: Literal["buy", "sell"] | None = None
    result: Literal["win", "loss", "flat"] | None = None
    mistake: Mistake | Literal["any", "none"] | None = None
    hour_from: int | None = Field(default=None, ge=0, le=23)
    hour_to: int | None = Field(default=None, ge=0, le=23)
    q: str | None = Field(default=None, max_length=100)
    tag: str | None = Field(default=None, max_length=TAG_LENGTH)
    source: int | None = Field(default=None, ge=1)
    sort: Sort = "exit_time"

    @classmethod
    def from_params(cls, params: Any) -> TradeQuery:
        """The query in ``params`` (a query string's mapping): empty values are left out, a bad
        one is InvalidInput naming it."""
        given = {k: v.strip() for k, v in params.items() if k in cls.model_fields and v.strip()}
        try:
            return cls(**given)
        except ValidationError as exc:
            field, message = first_problem(exc.errors())
            raise InvalidInput(
                f"{field}: {message}", [{"field": field}], "journal.error.bad_filter",
                {"field": field, "message": message},
            ) from exc  # fmt: skip

    def trade_filter(self) -> TradeFilter:
        """The part of the query the mentor's filter answers."""
        try:
            return TradeFilter(
                start=self.start, end=self.end, symbol=self.symbol, side=self.side,
                result=self.result, hour_from=self.hour_from, hour_to=self.hour_to,
                sort=self.sort,
                mistakes=[self.mistake] if self.mistake not in (None, "any", "none") else [],
                clean={"any": False, "none": True}.get(self.mistake or ""),
            )  # fmt: skip
        except ValidationError as exc:
            raise InvalidInput(exc.errors()[0]["msg"].removeprefix("Value error, ")) from exc

    def params(self) -> dict[str, str]:
        """The query as address parameters (only what is given, defaults left out)."""
        values = self.model_dump(exclude_none=True, exclude_defaults=True)
        return {k: v.isoformat() if isinstance(v, date) else str(v) for k, v in values.items()}


def keys_of(analysis: Analysis) -> list[str]:
    """The stable key of each trade of ``analysis`` (see ``habits.reports.trade_keys``)."""
    return analysis.once("trade keys", lambda: reports.trade_keys(analysis.trades))


def select(
    session: Session, user: User, analysis: Analysis, query: TradeQuery
) -> tuple[pd.Index, dict[str, Any]]:
    """The index labels of the trades ``query`` selects (in the user's zone) and the user's
    notes by trade key."""
    chosen = query.trade_filter()
    rows = analysis.once(
        ("trades", chosen.model_dump_json(), user.timezone),
        lambda: select_trades(analysis.trades, chosen, user.timezone).index,
    )
    notes = notes_of(session, user.id)
    if query.source is not None:
        sources = analysis.trades.loc[rows, "source"].astype(str)
        rows = rows[(sources == str(query.source)).to_numpy()]
    if query.q or query.tag:
        keys = keys_of(analysis)
        positions = analysis.trades.index.get_indexer(rows)
        text, tag = (query.q or "").casefold(), (query.tag or "").casefold()
        symbols = analysis.trades["symbol"].astype(str).to_numpy()

        def wanted(position: int) -> bool:
            found = notes.get(keys[position])
            tags = [t.casefold() for t in found.tags] if found else []
            if tag and tag not in tags:
                return False
            if not text:
                return True
            written = (found.note.casefold() + "\n" + "\n".join(tags)) if found else ""
            return text in written or text in symbols[position].casefold()

        rows = rows[[wanted(int(p)) for p in positions]]
    return rows, notes


def _with_notes(analysis: Analysis, rows: pd.Index, notes: dict[str, Any]) -> list[dict[str, Any]]:
    """Trade records of ``rows`` with their key, note and tags."""
    keys = keys_of(analysis)
    items = trade_records(analysis, rows)
    for item in items:
        key = keys[analysis.trades.index.get_loc(item["index"])]
        found = notes.get(key)
        item |= {
            "trade_key": key,
            "note": found.note if found else "",
            "tags": list(found.tags) if found else [],
        }
    return items


def trades_page(
    session: Session, user: User, query: TradeQuery, limit: int, offset: int, kind: str = "live"
) -> dict[str, Any]:
    """One page of the trades ``query`` selects (in the user's zone), with their notes and
    the unit."""
    analysis = require_analysis(session, user.id, kind)
    rows, notes = select(session, user, analysis, query)
    return {
        "items": _with_notes(analysis, rows[offset : offset + limit], notes),
        "total": len(rows),
        "limit": limit,
        "offset": offset,
        "unit": analysis.unit,
        "currency": analysis.currency,
    }


EXPORT_COLUMNS = (
    "trade_key", "entry_time", "exit_time", "account", "symbol", "side", "qty", "entry_price",
    "exit_price", "points", "pnl_points", "gross_money", "commission", "swap", "pnl_money",
    "currency", "risk_points", "r_multiple", "mistakes", "tags", "note", "import_id",
)  # fmt: skip


def export_csv(session: Session, user: User, query: TradeQuery, kind: str = "live") -> str:
    """The trades ``query`` selects as CSV: times in the user's zone with their offset
    (``2024-01-02T16:00:00+07:00``), money in ``currency``, formula-like text neutralised."""
    analysis = require_analysis(session, user.id, kind)
    rows, notes = select(session, user, analysis, query)
    trades = analysis.trades.loc[rows]
    local = {
        name: trades[name].dt.tz_convert(user.timezone).map(lambda t: t.isoformat())
        for name in ("entry_time", "exit_time")
    }
    items = _with_notes(analysis, rows, notes)
    return csv_text(
        EXPORT_COLUMNS,
        (
            [
                item["trade_key"], entry, exit_, *(item[name] for name in EXPORT_COLUMNS[3:18]),
                ";".join(item["mistakes"]), ";".join(item["tags"]), item["note"],
                source or None,
            ]
            for item, entry, exit_, source in zip(
                items, local["entry_time"], local["exit_time"], trades["source"], strict=True
            )
        ),
    )  # fmt: skip


def clean_tags(tags: list[str] | str) -> list[str]:
    """Tags from a list or a comma-separated text: trimmed, without repeats (case aside), at
    most 20 of at most 32 characters; InvalidInput otherwise."""
    given = tags.split(",") if isinstance(tags, str) else tags
    kept: dict[str, str] = {}
    for tag in given:
        tag = " ".join(str(tag).split())
        if not tag:
            continue
        if len(tag) > TAG_LENGTH or _CONTROL.search(tag):
            raise InvalidInput(
                f"tags: {tag[:40]!r} is too long (at most {TAG_LENGTH} characters)",
                [{"field": "tags"}], "journal.error.tag_too_long",
                {"tag": tag[:40], "limit": TAG_LENGTH},
            )  # fmt: skip
        kept.setdefault(tag.casefold(), tag)
    if len(kept) > MAX_TAGS:
        raise InvalidInput(
            f"tags: at most {MAX_TAGS} tags on a trade", [{"field": "tags"}],
            "journal.error.too_many_tags", {"limit": MAX_TAGS},
        )  # fmt: skip
    return list(kept.values())


@dataclass(frozen=True)
class OpenNote:
    """A trade note as its owner wrote it (decrypted), with its tags."""

    note: str
    tags: list[str]
    updated_at: datetime


_notes_cipher: list[MultiFernet] = []  # the app's notes cipher, set by configure_notes


def configure_notes(cipher: MultiFernet) -> None:
    """Encrypt trade notes with ``cipher`` (the app's notes key) in this process."""
    _notes_cipher[:] = [cipher]


def _cipher() -> MultiFernet:
    if not _notes_cipher:  # a command run outside the app: the same keys from the environment
        from tradeloop.config import get_settings

        _notes_cipher.append(cipher_for(get_settings()))
    return _notes_cipher[0]


def _sealed(note: str) -> str:
    """A trade note as stored: encrypted at rest like the journal's other notes."""
    return seal(_cipher(), note) or "" if note else ""


def _opened(row: Any) -> OpenNote | None:
    """A stored trade note decrypted (one kept before notes were sealed is shown as kept)."""
    if row is None:
        return None
    text = "" if not row.note else unseal(_cipher(), row.note)
    return OpenNote(row.note if text is None else text, list(row.tags), row.updated_at)


def notes_of(session: Session, user_id: int) -> dict[str, OpenNote]:
    """The user's trade notes by trade key, decrypted."""
    rows = repo.notes_of(session, user_id).items()
    return {key: _opened(row) for key, row in rows}  # type: ignore[misc]


def note_record(trade_key: str, row: Any) -> dict[str, Any]:
    """A trade's note as JSON-ready data (empty when it has none)."""
    return {
        "trade_key": trade_key,
        "note": row.note if row else "",
        "tags": list(row.tags) if row else [],
        "updated_at": row.updated_at.isoformat() if row else None,
    }


def trade_of(analysis: Analysis, trade_key: str) -> int:
    """The index label of the trade ``trade_key``; NotFound when the journal has none."""
    keys = analysis.once("trade key index", lambda: {k: i for i, k in enumerate(keys_of(analysis))})
    if trade_key not in keys:
        raise NotFound(
            f"trade {trade_key[:40]!r} not found in your journal",
            key="journal.error.trade_not_found",
        )
    return int(analysis.trades.index[keys[trade_key]])


def _require_trade(session: Session, user: User, trade_key: str, kind: str) -> int:
    """The trade ``trade_key`` of the user's journal; NotFound when it has no such trade (an
    empty journal has none)."""
    analysis = user_analysis(session, user.id, kind=kind)
    if analysis is None:
        raise NotFound(
            f"trade {trade_key[:40]!r} not found in your journal",
            key="journal.error.trade_not_found",
        )
    return trade_of(analysis, trade_key)


def get_note(session: Session, user: User, trade_key: str, kind: str = "live") -> dict[str, Any]:
    """The note and tags of one of the user's trades; 404 for a trade not in their journal."""
    _require_trade(session, user, trade_key, kind)
    return note_record(trade_key, _opened(repo.get_note(session, user.id, trade_key)))


def save_note(
    session: Session, user: User, trade_key: str, note: str, tags: list[str] | str,
    kind: str = "live",
) -> dict[str, Any]:  # fmt: skip
    """Keep the note and tags of one of the user's trades (empty ones delete them); 404 for a
    trade not in their journal."""
    _require_trade(session, user, trade_key, kind)
    note = note.replace("\r\n", "\n").strip()
    if len(note) > NOTE_LENGTH or _CONTROL.search(note):
        raise InvalidInput(
            f"note: at most {NOTE_LENGTH} characters of text", [{"field": "note"}],
            "journal.error.note_too_long", {"limit": NOTE_LENGTH},
        )  # fmt: skip
    row = repo.save_note(session, user.id, trade_key, _sealed(note), clean_tags(tags))
    return note_record(trade_key, _opened(row))


def all_tags(session: Session, user_id: int) -> list[str]:
    """Every tag the user has put on a trade, sorted (case aside)."""
    rows = repo.notes_of(session, user_id).values()
    tags = {t.casefold(): t for row in rows for t in row.tags}
    return [tags[k] for k in sorted(tags)]


def journal_reports(analysis: Analysis, tz: str, month: tuple[int, int] | None) -> dict[str, Any]:
    """The Journal page's reports in the user's zone: equity curves, the month calendar
    (``month``, else the last trade's), every month's totals, P&L by hour, weekday and symbol
    and the R distribution; computed once per analysis."""
    unit, currency = analysis.unit, analysis.currency
    t = analysis.trades
    year, number = month or reports.latest_month(t, tz) or (date.today().year, date.today().month)
    fixed = analysis.once(
        ("reports", tz),
        lambda: {
            "equity": reports.equity_curves(t, tz, unit, currency),
            "months": reports.month_totals(t, tz, unit, currency),
            "by_hour": reports.by_hour(t, tz, unit, currency),
            "hour_zone": reports.offsets_text(t["entry_time"], tz),
            "by_weekday": reports.by_weekday(t, tz, unit, currency),
            "by_symbol": reports.by_symbol(t, unit, currency),
            "r": reports.r_distribution(t),
        },
    )
    shown = analysis.once(
        ("calendar", tz, year, number),
        lambda: reports.month_calendar(t, tz, year, number, unit, currency),
    )
    return fixed | {"calendar": shown}


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
    "TradeQuery",
    "all_tags",
    "change_journal",
    "delete_goal",
    "delete_import",
    "export_csv",
    "get_note",
    "get_settings",
    "goals_of",
    "import_export",
    "import_record",
    "journal_reports",
    "list_imports",
    "metric_of",
    "read_export",
    "require_analysis",
    "restore_import",
    "save_goal",
    "save_note",
    "save_settings",
    "source_record",
    "summary_of",
    "trades_page",
]  # fmt: skip
