"""A user's own data as one zip (``GET /api/me/export``, ``tradeloop user export``): one JSON
file per kind of data, CSVs of trades with formula cells neutralised, and a README.txt in the
user's language saying what each file holds.

Every query names the user. Rows are read a page at a time and each file is written into the
zip as it is read; the zip itself goes to a temporary file that stays in memory only while it
is small. Soft-deleted bots and imports are included, with their ``deleted_at``. Notes and
mentor messages are decrypted for their owner; the password hash, the two-factor secret and
recovery codes, and session token ids are never written.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import IO, Any
from zoneinfo import ZoneInfo

import numpy as np
import orjson
import pandas as pd
from cryptography.fernet import MultiFernet
from sqlalchemy import Select, inspect, select
from sqlalchemy.orm import Session, defer

from tradeloop.config import Settings
from tradeloop.core.errors import NotFound
from tradeloop.i18n import translate
from tradeloop.journal.frame import upgrade_orders
from tradeloop.mentor.notes import unseal
from tradeloop.services import journal as journal_service
from tradeloop.services.analyses import user_analysis
from tradeloop.services.bot_view import bot_trades
from tradeloop.services.exports import csv_cell, csv_text
from tradeloop.services.mentor import cipher_for
from tradeloop.store import audit, users
from tradeloop.store import journal as journal_repo
from tradeloop.store.models import (
    AIMentorReport,
    AuditEvent,
    BacktestResult,
    Bot,
    BotFill,
    BrokerAccount,
    DailyTradingData,
    Dataset,
    HabitGoal,
    Job,
    JournalImport,
    LLMCall,
    MentorMessage,
    MentorPreference,
    MentorThread,
    OptimisationRow,
    OptimisationRun,
    PaperAccount,
    TradeHistory,
    TradeNote,
    TradingAccount,
    TradingSession,
    User,
    UserSession,
)

PAGE = 500  # rows read per query
RESULT_PAGE = 20  # backtest results (with their curves and trade logs) read per query
TRADE_PAGE = 1000  # journal trades turned into records at a time
SPOOL_BYTES = 8 * 1024 * 1024  # a zip larger than this goes to disk while it is served
CHUNK_BYTES = 64 * 1024
FERNET_PREFIX = "gAAAAA"  # how every Fernet token starts (version byte 0x80, base64)
BOT_TRADE_COLUMNS = (
    "bot_id", "bot_name", "market", "side", "lots", "entry_time", "exit_time", "entry_price",
    "exit_price", "pnl", "equity", "reason",
)  # fmt: skip
# The files of an export in the order written, each described in the README (export.file.*)
FILES = (
    "profile.json", "sign_in_sessions.json", "audit_events.json", "bots.json",
    "bot_fills.json", "trade_history.json", "paper_accounts.json", "trading_accounts.json",
    "datasets.json",
    "backtest_results.json", "optimisation_runs.json", "optimisation_rows.json",
    "journal_imports.json", "broker_accounts.json", "trades.json",
    "trade_notes.json", "trading_sessions.json", "habits.json", "mentor_threads.json",
    "llm_calls.json", "jobs.json", "journal_trades.csv", "tester_trades.csv", "bot_trades.csv",
)  # fmt: skip
README = "README.txt"


@dataclass
class Export:
    """A finished export: the zip (read from its start), its size and how many records each
    file holds."""

    file: IO[bytes]
    size: int
    counts: dict[str, int]


@dataclass
class _Spliced:
    """A record written with one key's list streamed in after the other fields."""

    fields: dict[str, Any]
    key: str
    items: Iterable[dict[str, Any]]


def _default(value: Any) -> Any:
    """What orjson cannot write by itself: pandas times, numpy scalars."""
    if value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not exported")


def _json(value: Any) -> bytes:
    return orjson.dumps(
        value, default=_default, option=orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS
    )


def _write_list(archive: zipfile.ZipFile, name: str, records: Iterable[Any]) -> int:
    """Write ``records`` as a JSON array, one record a line, as they come; how many."""
    count = 0
    with archive.open(name, "w") as out:
        out.write(b"[")
        for record in records:
            out.write(b"\n" if count == 0 else b",\n")
            if isinstance(record, _Spliced):
                head = _json(record.fields | {record.key: []})
                out.write(head[:-2])  # the record without its closing "]}"
                for position, item in enumerate(record.items):
                    out.write(b"," if position else b"")
                    out.write(_json(item))
                out.write(b"]}")
            else:
                out.write(_json(record))
            count += 1
        out.write(b"\n]\n")
    return count


def _write_object(archive: zipfile.ZipFile, name: str, value: dict[str, Any]) -> None:
    archive.writestr(name, _json(value) + b"\n")


def _columns(row: Any, leave_out: tuple[str, ...] = ()) -> dict[str, Any]:
    """A stored row's columns by name, except ``leave_out``."""
    return {
        attribute.key: getattr(row, attribute.key)
        for attribute in inspect(type(row)).mapper.column_attrs
        if attribute.key not in leave_out
    }


def _pages(
    session: Session, statement: Select[Any], key: Any, size: int = PAGE
) -> Iterator[list[Any]]:
    """The rows of ``statement`` ordered by ``key`` (a unique column), ``size`` at a time."""
    last = None
    while True:
        query = statement if last is None else statement.where(key > last)
        rows = list(session.scalars(query.order_by(key).limit(size)))
        if not rows:
            return
        yield rows
        last = getattr(rows[-1], key.key)


def _rows(session: Session, statement: Select[Any], key: Any, size: int = PAGE) -> Iterator[Any]:
    for page in _pages(session, statement, key, size):
        yield from page


def _owned(
    session: Session, model: Any, user_id: int, leave_out: tuple[str, ...] = (), size: int = PAGE
) -> Iterator[dict[str, Any]]:
    """Every row of ``model`` whose ``user_id`` is the user's, by id, as column records."""
    statement = select(model).where(model.user_id == user_id)
    for row in _rows(session, statement, model.id, size):
        yield _columns(row, leave_out)


def _note(cipher: MultiFernet, stored: str | None) -> str | None:
    """A trade note as its owner wrote it: decrypted when it is stored sealed, else as kept."""
    if stored and stored.startswith(FERNET_PREFIX):
        opened = unseal(cipher, stored)
        if opened is not None:
            return opened
    return stored


def frame_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """A table as JSON-ready records: times as ISO 8601 text, missing values as None."""
    out = frame.copy()
    for name in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[name]):
            out[name] = [None if pd.isna(t) else t.isoformat() for t in out[name]]
    out = out.astype(object)
    return out.where(out.notna(), None).to_dict("records")


def _profile(session: Session, user: User, now: datetime) -> dict[str, Any]:
    preference = session.get(MentorPreference, user.id)
    return {
        "id": user.id,
        "name": user.name,
        "email": user.email,
        "language": user.language,
        "timezone": user.timezone,
        "role": user.role,
        "join_date": user.join_date,
        "two_factor": {
            "enabled": user.totp_enabled_at is not None,
            "enabled_at": user.totp_enabled_at,
        },
        "mentor": {
            "llm_consent": bool(preference and preference.llm_consent),
            "consent_changed_at": preference.consent_changed_at if preference else None,
        },
        "exported_at": now,
    }


def _trade_history(session: Session, user_id: int) -> Iterator[dict[str, Any]]:
    owned = select(Bot.id).where(Bot.user_id == user_id)
    statement = select(TradeHistory).where(TradeHistory.bot_id.in_(owned))
    for row in _rows(session, statement, TradeHistory.id):
        yield _columns(row)


def _paper_accounts(session: Session, user_id: int) -> Iterator[dict[str, Any]]:
    statement = select(PaperAccount).where(PaperAccount.user_id == user_id)
    for row in _rows(session, statement, PaperAccount.bot_id):
        yield _columns(row)


def _datasets(session: Session, user_id: int) -> Iterator[dict[str, Any]]:
    statement = select(Dataset).options(defer(Dataset.data)).where(Dataset.user_id == user_id)
    for row in _rows(session, statement, Dataset.id):
        yield _columns(row, ("data",))


def _imports(session: Session, user_id: int) -> Iterator[_Spliced]:
    statement = (
        select(JournalImport)
        .options(defer(JournalImport.orders))
        .where(JournalImport.user_id == user_id)
    )
    for row in _rows(session, statement, JournalImport.id):
        blob = session.scalar(
            select(JournalImport.orders).where(
                JournalImport.id == row.id, JournalImport.user_id == user_id
            )
        )
        orders = upgrade_orders(pd.read_parquet(io.BytesIO(blob))) if blob else pd.DataFrame()
        yield _Spliced(_columns(row, ("orders",)), "orders", frame_records(orders))


def _trades(session: Session, user: User) -> Iterator[dict[str, Any]]:
    """The journal's trades as ``GET /api/journal/trades`` lists them, each with its kind."""
    query = journal_service.TradeQuery()
    for kind in ("live", "tested"):
        if user_analysis(session, user.id, kind=kind) is None:
            continue
        offset, total = 0, 1
        while offset < total:
            page = journal_service.trades_page(session, user, query, TRADE_PAGE, offset, kind)
            for item in page["items"]:
                yield item | {"kind": kind}
            offset, total = offset + TRADE_PAGE, page["total"]


def _trade_notes(session: Session, user_id: int, cipher: MultiFernet) -> Iterator[dict[str, Any]]:
    for record in _owned(session, TradeNote, user_id):
        yield record | {"note": _note(cipher, record["note"])}


def _trading_sessions(
    session: Session, user_id: int, cipher: MultiFernet
) -> Iterator[dict[str, Any]]:
    """Each trading day with its bot trades and the mentor's reports; the note decrypted."""
    statement = select(TradingSession).where(TradingSession.user_id == user_id)
    for page in _pages(session, statement, TradingSession.id):
        ids = [row.id for row in page]
        daily: dict[int, list[dict[str, Any]]] = {i: [] for i in ids}
        reports: dict[int, list[dict[str, Any]]] = {i: [] for i in ids}
        for data in session.scalars(
            select(DailyTradingData)
            .join(TradingSession, DailyTradingData.session_id == TradingSession.id)
            .where(TradingSession.user_id == user_id, DailyTradingData.session_id.in_(ids))
            .order_by(DailyTradingData.id)
        ):
            daily[data.session_id].append(_columns(data))
        for report in session.scalars(
            select(AIMentorReport)
            .join(TradingSession, AIMentorReport.session_id == TradingSession.id)
            .where(TradingSession.user_id == user_id, AIMentorReport.session_id.in_(ids))
            .order_by(AIMentorReport.id)
        ):
            reports[report.session_id].append(_columns(report))
        for row in page:
            yield _columns(row) | {
                "personal_notes": unseal(cipher, row.personal_notes),
                "daily_trading_data": daily[row.id],
                "mentor_reports": reports[row.id],
            }


def _habits(session: Session, user_id: int) -> dict[str, Any]:
    return {
        "settings": journal_repo.get_settings(session, user_id).model_dump(),
        "goals": list(_owned(session, HabitGoal, user_id)),
    }


def _message(cipher: MultiFernet, row: MentorMessage) -> dict[str, Any]:
    details = unseal(cipher, row.details) if row.details else None
    return _columns(row) | {
        "content": unseal(cipher, row.content),
        "details": orjson.loads(details) if details else None,
    }


def _threads(session: Session, user_id: int, cipher: MultiFernet) -> Iterator[dict[str, Any]]:
    """Each mentor conversation with its messages, decrypted, oldest first."""
    statement = select(MentorThread).where(MentorThread.user_id == user_id)
    for thread in _rows(session, statement, MentorThread.id):
        messages = (
            select(MentorMessage)
            .join(MentorThread, MentorMessage.thread_id == MentorThread.id)
            .where(MentorThread.user_id == user_id, MentorMessage.thread_id == thread.id)
        )
        yield _Spliced(
            _columns(thread),
            "messages",
            (_message(cipher, m) for m in _rows(session, messages, MentorMessage.id)),
        )


def _journal_csv(session: Session, user: User, kind: str) -> tuple[str, int]:
    """The journal's trades of ``kind`` as the Journal page exports them (all of them)."""
    analysis = user_analysis(session, user.id, kind=kind)
    if analysis is None:
        return csv_text(journal_service.EXPORT_COLUMNS, []), 0
    text = journal_service.export_csv(session, user, journal_service.TradeQuery(), kind)
    return text, len(analysis.trades)


def _write_bot_trades(archive: zipfile.ZipFile, session: Session, user: User) -> int:
    """Every bot's round trips, times in the user's zone, cells neutralised; how many."""
    zone = ZoneInfo(user.timezone)
    count = 0
    with archive.open("bot_trades.csv", "w") as raw, io.TextIOWrapper(
        raw, encoding="utf-8", newline=""
    ) as out:  # fmt: skip
        out.write("\ufeff")
        writer = csv.writer(out)
        writer.writerow(BOT_TRADE_COLUMNS)
        for bot in _rows(session, select(Bot).where(Bot.user_id == user.id), Bot.id):
            for trade in bot_trades(session, bot):
                row = [
                    bot.id, bot.name, bot.market, trade["side"], trade["lots"],
                    trade["entry_time"].astimezone(zone).isoformat(),
                    trade["exit_time"].astimezone(zone).isoformat(), trade["entry_price"],
                    trade["exit_price"], trade["pnl"], trade["equity"], trade["reason"],
                ]  # fmt: skip
                writer.writerow([csv_cell(value) for value in row])
                count += 1
    return count


def _readme(language: str, user: User, now: datetime, counts: dict[str, int]) -> str:
    lines = [
        translate(language, "export.readme_title", email=user.email, when=now.isoformat()),
        "",
        translate(language, "export.readme_intro"),
        "",
    ]
    for name in FILES:
        stem = name.replace(".", "_")
        lines.append(f"{name} ({translate(language, 'export.records', count=counts[name])})")
        lines.append(f"    {translate(language, f'export.file.{stem}')}")
        lines.append("")
    return "\r\n".join(lines)


def write_export(
    session: Session, user: User, settings: Settings, target: IO[bytes], now: datetime | None = None
) -> dict[str, int]:
    """Write the user's data as a zip into ``target``; how many records each file holds."""
    now = now or datetime.now(UTC)
    cipher = cipher_for(settings)
    uid = user.id
    counts: dict[str, int] = {}
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        _write_object(archive, "profile.json", _profile(session, user, now))
        counts["profile.json"] = 1
        lists: list[tuple[str, Iterable[Any]]] = [
            ("sign_in_sessions.json", _owned(session, UserSession, uid, ("token_id",))),
            ("audit_events.json", _owned(session, AuditEvent, uid)),
            ("bots.json", _owned(session, Bot, uid)),
            ("bot_fills.json", _owned(session, BotFill, uid)),
            ("trade_history.json", _trade_history(session, uid)),
            ("paper_accounts.json", _paper_accounts(session, uid)),
            ("trading_accounts.json", _owned(session, TradingAccount, uid, ("credentials",))),
            ("datasets.json", _datasets(session, uid)),
            ("backtest_results.json", _owned(session, BacktestResult, uid, size=RESULT_PAGE)),
            ("optimisation_runs.json", _owned(session, OptimisationRun, uid)),
            ("optimisation_rows.json", _owned(session, OptimisationRow, uid, ("daily",))),
            ("journal_imports.json", _imports(session, uid)),
            ("broker_accounts.json", _owned(session, BrokerAccount, uid)),
            ("trades.json", _trades(session, user)),
            ("trade_notes.json", _trade_notes(session, uid, cipher)),
            ("trading_sessions.json", _trading_sessions(session, uid, cipher)),
        ]
        for name, records in lists:
            counts[name] = _write_list(archive, name, records)
        habits = _habits(session, uid)
        _write_object(archive, "habits.json", habits)
        counts["habits.json"] = len(habits["goals"])
        for name, records in [
            ("mentor_threads.json", _threads(session, uid, cipher)),
            ("llm_calls.json", _owned(session, LLMCall, uid)),
            ("jobs.json", _owned(session, Job, uid)),
        ]:
            counts[name] = _write_list(archive, name, records)
        for name, kind in (("journal_trades.csv", "live"), ("tester_trades.csv", "tested")):
            text, counts[name] = _journal_csv(session, user, kind)
            archive.writestr(name, ("\ufeff" + text).encode())
        counts["bot_trades.csv"] = _write_bot_trades(archive, session, user)
        archive.writestr(README, _readme(user.language, user, now, counts).encode())
    return counts


def build_export(
    session: Session, user: User, settings: Settings, now: datetime | None = None
) -> Export:
    """The user's export in a temporary file (in memory while small), ready to be read."""
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 (returned open)
    try:
        counts = write_export(session, user, settings, spool, now)
        size = spool.tell()
        spool.seek(0)
    except BaseException:
        spool.close()
        raise
    return Export(spool, size, counts)  # type: ignore[arg-type]


def chunks(file: IO[bytes]) -> Iterator[bytes]:
    """The file's bytes a chunk at a time, closing it at the end."""
    try:
        while chunk := file.read(CHUNK_BYTES):
            yield chunk
    finally:
        file.close()


def file_name(user: User, now: datetime | None = None) -> str:
    """The download's name: ``tradeloop-export-<the user's local date>.zip``."""
    local: date = (now or datetime.now(UTC)).astimezone(ZoneInfo(user.timezone)).date()
    return f"tradeloop-export-{local.isoformat()}.zip"


def record_export(session: Session, user_id: int, address: str, via: str) -> None:
    """Note the export in the user's audit log (``via``: ``api`` or ``cli``)."""
    audit.record(session, user_id, "export", address=address, detail={"via": via})


def user_by_email(session: Session, email: str) -> User:
    """The account with ``email`` (the operator's CLI); NotFound otherwise."""
    user = users.get_by_email(session, email)
    if user is None:
        raise NotFound(f"no user with email {email}")
    return user


def save_export(session: Session, user: User, settings: Settings, path: Path) -> dict[str, int]:
    """Write the user's export to ``path`` (readable by its owner only), whole or not at all."""
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".export-", suffix=".zip")
    try:
        with os.fdopen(descriptor, "wb") as out:
            counts = write_export(session, user, settings, out)
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return counts
