"""A user's journal: imports (orders kept as Parquet), detector settings and goals."""

from __future__ import annotations

import hashlib
import io
from datetime import date
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, defer

from tradeloop.core.errors import Conflict, NotFound
from tradeloop.habits.analysis import Analysis, analyze
from tradeloop.habits.goals import Goal
from tradeloop.habits.settings import HabitSettings
from tradeloop.journal.service import Journal
from tradeloop.journal.trades import rebuild_trades
from tradeloop.store.models import HabitGoal, HabitSettingsRow, JournalImport
from tradeloop.store.pagination import Page, paginate


def _parquet(orders: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    orders.to_parquet(buffer)
    return buffer.getvalue()


def add_import(
    session: Session, user_id: int, file_name: str, data: bytes, journal: Journal, tz: str
) -> JournalImport:
    """Keep an analysed export; the same file twice is a Conflict."""
    digest = hashlib.sha256(data).hexdigest()
    if session.scalar(
        select(JournalImport.id).where(
            JournalImport.user_id == user_id, JournalImport.sha256 == digest
        )
    ):
        raise Conflict(
            f"{file_name!r} is already imported: delete the earlier import to load it again"
        )
    row = JournalImport(
        user_id=user_id,
        file_name=file_name[:200],
        format=journal.format,
        timezone=tz,
        rows=len(journal.orders),
        trades=len(journal.analysis.trades),
        sha256=digest,
        orders=_parquet(journal.orders),
    )
    session.add(row)
    session.flush()
    return row


def list_imports(session: Session, user_id: int, limit: int, offset: int) -> Page[JournalImport]:
    """The user's imports, newest first."""
    query = (
        select(JournalImport)
        .options(defer(JournalImport.orders))
        .where(JournalImport.user_id == user_id)
        .order_by(JournalImport.id.desc())
    )
    return paginate(session, query, limit, offset)


def delete_import(session: Session, user_id: int, import_id: int) -> None:
    """Delete an import and its orders."""
    row = session.scalar(
        select(JournalImport).where(JournalImport.id == import_id, JournalImport.user_id == user_id)
    )
    if row is None:
        raise NotFound(f"import {import_id} not found")
    session.delete(row)
    session.flush()


def get_settings(session: Session, user_id: int) -> HabitSettings:
    """The user's detector settings (defaults until changed)."""
    row = session.get(HabitSettingsRow, user_id)
    if row is None:
        return HabitSettings()
    return HabitSettings(sigma_loss=row.sigma_loss, sigma_risk=row.sigma_risk, k=row.k, vr=row.vr)


def save_settings(session: Session, user_id: int, settings: HabitSettings) -> HabitSettings:
    """Store the user's detector settings (safe when two saves race to create the row)."""
    values = settings.model_dump()
    try:
        with session.begin_nested():
            row = session.get(HabitSettingsRow, user_id) or HabitSettingsRow(user_id=user_id)
            for name, value in values.items():
                setattr(row, name, value)
            session.add(row)
    except IntegrityError:  # a concurrent request created the row first: update it
        row = session.get(HabitSettingsRow, user_id, populate_existing=True)
        for name, value in values.items():
            setattr(row, name, value)
        session.flush()
    return settings


def user_analysis(
    session: Session, user_id: int, settings: HabitSettings | None = None
) -> Analysis | None:
    """The analysis of all the user's imports (None when there is none)."""
    stored = session.execute(
        select(JournalImport.id, JournalImport.orders)
        .where(JournalImport.user_id == user_id)
        .order_by(JournalImport.id)
    ).all()
    if not stored:
        return None
    parts = []
    for import_id, blob in stored:  # accounts of different imports never share lots or stops
        part = pd.read_parquet(io.BytesIO(blob))
        parts.append(part.assign(account=f"{import_id}:" + part["account"].astype(str)))
    trades = pd.concat([rebuild_trades(part) for part in parts], ignore_index=True)
    orders = pd.concat(parts, ignore_index=True)
    return analyze(trades, orders, settings or get_settings(session, user_id))


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
        raise NotFound(f"goal {goal_id} not found")
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
