"""The end of an undo: bots and journal imports deleted before a moment are purged for real
(``tradeloop db prune`` calls it with the undo days, ``TRADELOOP_UNDO_DAYS``, before now).

A bot goes with its history, fills, paper account and its trades' journal import (deleted
with it); an import with its orders. The daily sessions an import's deletion emptied were
removed then (and come back with an undo); any such day still holding nothing is removed
here, on every day the purged import's fills fell on."""

from __future__ import annotations

import io
from collections import defaultdict
from datetime import date, datetime

import pandas as pd
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from tradeloop.store.lifecycle import delete_empty_sessions
from tradeloop.store.models import Bot, JournalImport, User


def _fill_days(orders: bytes, zone: str) -> set[date]:
    """The days (in ``zone``) on which an import's orders filled."""
    frame = pd.read_parquet(io.BytesIO(orders), columns=["fill_time"])
    times = pd.to_datetime(frame["fill_time"], utc=True).dropna()
    return set(times.dt.tz_convert(zone).dt.date)


def purge_deleted(session: Session, before: datetime) -> dict[str, int]:
    """Delete for real every bot and journal import deleted before ``before`` (their undo is
    over), and the daily sessions of the purged imports' days that hold nothing; how many of
    each were deleted: ``{"bots": n, "imports": n, "sessions": n}``."""
    bots = list(
        session.scalars(select(Bot.id).where(Bot.deleted_at.is_not(None), Bot.deleted_at < before))
    )
    if bots:  # their history, fills and accounts go through the foreign keys' cascades
        session.execute(delete(Bot).where(Bot.id.in_(bots)))
    gone = session.execute(
        select(JournalImport.id, JournalImport.user_id, JournalImport.orders, User.timezone)
        .join(User, User.id == JournalImport.user_id)
        .where(JournalImport.deleted_at.is_not(None), JournalImport.deleted_at < before)
    ).all()
    days: dict[int, set[date]] = defaultdict(set)
    for _, user_id, orders, zone in gone:
        days[user_id] |= _fill_days(orders, zone)
    if gone:
        session.execute(delete(JournalImport).where(JournalImport.id.in_([r[0] for r in gone])))
    sessions = sum(delete_empty_sessions(session, user, found) for user, found in days.items())
    session.flush()
    return {"bots": len(bots), "imports": len(gone), "sessions": sessions}
