"""A user's journal: imports (orders kept as Parquet), detector settings, goals and the notes
and tags on trades. A deleted import (its ``deleted_at`` set) is left out of every read until
it is restored or purged."""

from __future__ import annotations

import hashlib
import io
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import pandas as pd
from sqlalchemy import or_, select
from sqlalchemy.orm import Session, defer

from tradeloop.core.errors import Conflict, NotFound
from tradeloop.habits.goals import Goal
from tradeloop.habits.settings import HabitSettings
from tradeloop.journal.dedup import FillIndex, drop_duplicates
from tradeloop.journal.frame import Imported, upgrade_orders
from tradeloop.store.models import (
    BrokerAccount,
    HabitGoal,
    HabitSettingsRow,
    JournalImport,
    TradeNote,
    User,
)
from tradeloop.store.pagination import Page, paginate
from tradeloop.store.users import lock_user

LIVE = JournalImport.deleted_at.is_(None)  # an import not deleted


def _parquet(orders: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    orders.to_parquet(buffer)
    return buffer.getvalue()


def add_import(
    session: Session,
    user_id: int,
    file_name: str,
    data: bytes,
    imported: Imported,
    trades: int,
    tz: str,
    details: dict[str, Any] | None = None,
) -> JournalImport:
    """Keep an imported export (with how many trades it made and ``details`` such as its
    warnings); the same file twice is a Conflict, unless the earlier one is deleted: that one
    is purged (its undo is over) and the file stored anew."""
    digest = hashlib.sha256(data).hexdigest()
    earlier = session.scalar(
        select(JournalImport)
        .options(defer(JournalImport.orders))
        .where(JournalImport.user_id == user_id, JournalImport.sha256 == digest)
    )
    if earlier is not None and earlier.deleted_at is not None:
        session.delete(earlier)
        session.flush()
    elif earlier is not None:
        raise Conflict(
            f"{file_name!r} is already imported (as {earlier.file_name!r}): its trades are "
            "counted once; delete the earlier import to load it again",
            key="journal.error.already_imported",
            values={"file": repr(file_name), "earlier": repr(earlier.file_name)},
        )
    row = JournalImport(
        user_id=user_id,
        file_name=file_name[:200],
        format=imported.format,
        kind=imported.kind,
        timezone=tz,
        currency=imported.currency[:8],
        stops_known=imported.stops_known,
        rows=len(imported.orders),
        trades=trades,
        sha256=digest,
        details={
            "label": imported.label,
            "accounts": imported.accounts[:20],
            "server": imported.server,
            "language": imported.language,
            "stated": imported.stated,
            **(details or {}),
        },
        orders=_parquet(imported.orders),
    )
    session.add(row)
    session.flush()
    touch_journal(session, user_id)
    return row


def bot_digest(bot_id: int) -> str:
    """The stand-in file digest of a paper bot's journal import (one per bot)."""
    return hashlib.sha256(f"bot:{bot_id}".encode()).hexdigest()


def put_bot_import(
    session: Session, user_id: int, bot_id: int, name: str, orders: pd.DataFrame, trades: int
) -> JournalImport:
    """Keep a paper bot's orders as its journal import (format ``bot``), replacing the last
    (one deleted alone, its bot running on, comes back, as a new import did before)."""
    row = session.scalar(
        select(JournalImport).where(
            JournalImport.user_id == user_id, JournalImport.sha256 == bot_digest(bot_id)
        )
    )
    if row is None:
        row = JournalImport(
            user_id=user_id, sha256=bot_digest(bot_id), format="bot", kind="live",
            timezone="UTC", currency="USD", stops_known=True,
            details={"label": name[:100], "accounts": [f"bot:{bot_id}"], "bot_id": bot_id},
        )  # fmt: skip
        session.add(row)
    row.file_name = f"bot:{bot_id} {name}"[:200]
    row.rows, row.trades, row.orders = len(orders), trades, _parquet(orders)
    row.deleted_at = None
    session.flush()
    touch_journal(session, user_id)
    return row


def drop_bot_import(session: Session, user_id: int, bot_id: int) -> None:
    """Forget a paper bot's journal import (its trades leave the journal), deleted or not."""
    row = session.scalar(
        select(JournalImport)
        .options(defer(JournalImport.orders))
        .where(JournalImport.user_id == user_id, JournalImport.sha256 == bot_digest(bot_id))
    )
    if row is not None:
        session.delete(row)
        session.flush()
        touch_journal(session, user_id)


def bot_import(session: Session, user_id: int, bot_id: int) -> JournalImport | None:
    """A paper bot's journal import, deleted or not (None before its first closed trade)."""
    return session.scalar(
        select(JournalImport)
        .options(defer(JournalImport.orders))
        .where(JournalImport.user_id == user_id, JournalImport.sha256 == bot_digest(bot_id))
    )


def list_imports(session: Session, user_id: int, limit: int, offset: int) -> Page[JournalImport]:
    """The user's imports, newest first."""
    query = (
        select(JournalImport)
        .options(defer(JournalImport.orders))
        .where(JournalImport.user_id == user_id, LIVE)
        .order_by(JournalImport.id.desc())
    )
    return paginate(session, query, limit, offset)


def get_import(session: Session, user_id: int, import_id: int) -> JournalImport:
    """The user's import ``import_id`` (without its orders); 404 when missing, deleted or
    another's."""
    row = session.scalar(
        select(JournalImport)
        .options(defer(JournalImport.orders))
        .where(JournalImport.id == import_id, JournalImport.user_id == user_id, LIVE)
    )
    if row is None:
        raise import_not_found(import_id)
    return row


def import_not_found(import_id: int) -> NotFound:
    """The 404 of an import that is missing, deleted or another's."""
    return NotFound(
        f"import {import_id} not found",
        key="journal.error.import_not_found",
        values={"import_id": import_id},
    )


def trash_import(session: Session, user_id: int, import_id: int, now: datetime) -> None:
    """Mark the user's import deleted at ``now``: its trades leave the journal, undoable
    (``restore_import``) until it is purged."""
    get_import(session, user_id, import_id).deleted_at = now
    session.flush()
    touch_journal(session, user_id)


def deleted_import(
    session: Session, user_id: int, import_id: int, since: datetime
) -> JournalImport:
    """The user's import ``import_id`` deleted at ``since`` or later (without its orders);
    NotFound otherwise (not deleted, deleted earlier, missing or another's)."""
    row = session.scalar(
        select(JournalImport)
        .options(defer(JournalImport.orders))
        .where(
            JournalImport.id == import_id, JournalImport.user_id == user_id,
            JournalImport.deleted_at.is_not(None), JournalImport.deleted_at >= since,
        )
    )  # fmt: skip
    if row is None:
        raise import_not_found(import_id)
    return row


def restore_import(session: Session, user_id: int, import_id: int, since: datetime) -> None:
    """Bring back the user's import deleted at ``since`` or later: its trades are in the
    journal again."""
    deleted_import(session, user_id, import_id, since).deleted_at = None
    session.flush()
    touch_journal(session, user_id)


@dataclass
class StoredOrders:
    """One stored import's orders (fills already held by an earlier import left out)."""

    import_id: int
    file_name: str
    stops_known: bool
    orders: pd.DataFrame
    duplicates: int


NEW_IMPORT = 0  # the id that stands for an import not stored yet (see ``stored_orders``)


def stored_orders(
    session: Session, user_id: int, kind: str = "live",
    added: tuple[pd.DataFrame, bool] | None = None, without: int | None = None,
    restored: int | None = None,
) -> list[StoredOrders]:  # fmt: skip
    """The orders of the user's imports of ``kind`` (deleted ones left out), oldest first,
    each without the fills an earlier import already holds (the same fills are counted once).
    ``added`` (orders, stops known) is an import about to be stored, last, as ``NEW_IMPORT``;
    ``without`` leaves an import out, ``restored`` takes a deleted one in, in its place: the
    journal as it will be after a change."""
    query = (
        select(
            JournalImport.id, JournalImport.file_name, JournalImport.stops_known,
            JournalImport.orders,
        )
        .where(
            JournalImport.user_id == user_id, JournalImport.kind == kind,
            LIVE if restored is None else or_(LIVE, JournalImport.id == restored),
        )
        .order_by(JournalImport.id)
    )  # fmt: skip
    if without is not None:
        query = query.where(JournalImport.id != without)
    stored = [tuple(row) for row in session.execute(query).all()]
    parts = [upgrade_orders(pd.read_parquet(io.BytesIO(blob))) for *_, blob in stored]
    if added is not None:  # as it will be read back once stored
        stored.append((NEW_IMPORT, "", added[1], b""))
        parts.append(upgrade_orders(pd.read_parquet(io.BytesIO(_parquet(added[0])))))
    kept, dropped = drop_duplicates(parts)
    return [
        StoredOrders(import_id, name, bool(known), orders, duplicates)
        for (import_id, name, known, _), orders, duplicates in zip(
            stored, kept, dropped, strict=True
        )
    ]


def duplicates_of(
    session: Session, user_id: int, orders: pd.DataFrame, kind: str = "live"
) -> tuple[int, list[str]]:
    """How many fills of ``orders`` the user's imports already hold, and which files."""
    earlier = stored_orders(session, user_id, kind)
    index = FillIndex()
    files = []
    for part in earlier:
        before = int(index.duplicates(orders).sum())
        index.add(part.orders)
        if int(index.duplicates(orders).sum()) > before:
            files.append(part.file_name)
    return int(index.duplicates(orders).sum()), files


def journal_stamp(session: Session, user_id: int) -> int:
    """The stamp of the user's journal and settings in this transaction (see
    ``touch_journal``); no query when the user is already loaded in it."""
    user = session.get(User, user_id)
    return 0 if user is None else user.journal_stamp


def stored_stamp(session: Session, user_id: int) -> int:
    """The user's journal stamp as the database holds it now (not as loaded earlier)."""
    return int(session.scalar(select(User.journal_stamp).where(User.id == user_id)) or 0)


def touch_journal(session: Session, user_id: int) -> None:
    """Give the user's journal a new random stamp when its imports or settings change: no
    analysis cached under an earlier stamp is served again (a rolled-back change leaves a
    stamp nobody else will draw)."""
    user = session.get(User, user_id)
    if user is not None:
        user.journal_stamp = secrets.randbits(62)
        session.flush()


def account_zone(session: Session, user_id: int, account: str, server: str) -> BrokerAccount | None:
    """The remembered server zone and currency of one of the user's broker accounts."""
    return session.scalar(
        select(BrokerAccount).where(
            BrokerAccount.user_id == user_id,
            BrokerAccount.account == account[:64],
            BrokerAccount.server == server[:128],
        )
    )


def remember_account(
    session: Session, user_id: int, account: str, server: str, tz: str, currency: str
) -> BrokerAccount:
    """Remember the zone (and currency) of a broker account for its next imports."""
    lock_user(session, user_id)  # two imports of a new account at once: one row
    row = account_zone(session, user_id, account, server) or BrokerAccount(
        user_id=user_id, account=account[:64], server=server[:128]
    )
    row.timezone = tz
    row.currency = currency[:8] or row.currency or ""
    session.add(row)
    session.flush()
    return row


def get_settings(session: Session, user_id: int) -> HabitSettings:
    """The user's detector settings (defaults until changed)."""
    row = session.get(HabitSettingsRow, user_id)
    if row is None:
        return HabitSettings()
    return HabitSettings(sigma_loss=row.sigma_loss, sigma_risk=row.sigma_risk, k=row.k, vr=row.vr)


def save_settings(session: Session, user_id: int, settings: HabitSettings) -> HabitSettings:
    """Store the user's detector settings (concurrent saves wait for each other)."""
    lock_user(session, user_id)
    row = session.get(HabitSettingsRow, user_id) or HabitSettingsRow(user_id=user_id)
    for name, value in settings.model_dump().items():
        setattr(row, name, value)
    session.add(row)
    session.flush()
    touch_journal(session, user_id)
    return settings


def list_goals(session: Session, user_id: int) -> list[HabitGoal]:
    """The user's own goals."""
    return list(
        session.scalars(
            select(HabitGoal).where(HabitGoal.user_id == user_id).order_by(HabitGoal.id)
        )
    )


def get_goal(session: Session, user_id: int, goal_id: int) -> HabitGoal:
    """One of the user's goals; NotFound otherwise."""
    goal = session.scalar(
        select(HabitGoal).where(HabitGoal.id == goal_id, HabitGoal.user_id == user_id)
    )
    if goal is None:
        raise NotFound(
            f"goal {goal_id} not found",
            key="journal.error.goal_not_found",
            values={"goal_id": goal_id},
        )
    return goal


def save_goal(
    session: Session, user_id: int, fields: dict[str, Any], goal_id: int | None = None
) -> HabitGoal:
    """Create a goal, or change one of the user's goals."""
    goal = HabitGoal(user_id=user_id) if goal_id is None else get_goal(session, user_id, goal_id)
    for name, value in fields.items():
        setattr(goal, name, value)
    session.add(goal)
    session.flush()
    return goal


def delete_goal(session: Session, user_id: int, goal_id: int) -> None:
    """Delete one of the user's goals."""
    session.delete(get_goal(session, user_id, goal_id))
    session.flush()


def as_goal(row: HabitGoal) -> Goal:
    """A stored goal as a habits Goal."""
    start = row.start_date if isinstance(row.start_date, date) else None
    return Goal(
        key=f"goal-{row.id}",
        title={"id": row.name, "en": row.name},
        mistakes=tuple(row.mistakes),
        target=row.target,
        metric=row.metric,
        start=start,
        extra={"id": row.id},
    )  # type: ignore[arg-type]


def notes_of(session: Session, user_id: int) -> dict[str, TradeNote]:
    """The user's trade notes by trade key."""
    rows = session.scalars(select(TradeNote).where(TradeNote.user_id == user_id))
    return {row.trade_key: row for row in rows}


def get_note(session: Session, user_id: int, trade_key: str) -> TradeNote | None:
    """The user's note on the trade ``trade_key``, if any."""
    return session.scalar(
        select(TradeNote).where(TradeNote.user_id == user_id, TradeNote.trade_key == trade_key)
    )


def save_note(
    session: Session, user_id: int, trade_key: str, note: str, tags: list[str]
) -> TradeNote | None:
    """Keep the note and tags of one trade (an empty note without tags deletes it; None).
    The user's concurrent saves of a note wait for each other."""
    lock_user(session, user_id)
    row = get_note(session, user_id, trade_key)
    if not note and not tags:
        if row is not None:
            session.delete(row)
            session.flush()
        return None
    row = row or TradeNote(user_id=user_id, trade_key=trade_key)
    row.note, row.tags, row.updated_at = note, tags, datetime.now(UTC)
    session.add(row)
    session.flush()
    return row
