"""Queries of the data lifecycle: the tables in foreign-key order, read and written in batches
(``db copy``), PostgreSQL sequences, the migrations' revisions, what retention deletes
(``db prune``) and the days a journal change left empty."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from alembic.script import ScriptDirectory
from sqlalchemy import (
    ColumnElement,
    Connection,
    Integer,
    Table,
    and_,
    delete,
    exists,
    func,
    inspect,
    or_,
    select,
    text,
)
from sqlalchemy.orm import Session

from tradeloop.store.jobs import FINAL
from tradeloop.store.migrate import migrations_dir
from tradeloop.store.models import (
    AIMentorReport,
    BacktestResult,
    Base,
    DailyTradingData,
    Job,
    TradeHistory,
    TradingSession,
)

SOFT_DELETE = "deleted_at"  # tables with this column keep deleted rows for an undo


def known_revisions() -> list[str]:
    """The revisions of this version's migrations, oldest first."""
    script = ScriptDirectory(str(migrations_dir()))
    return [rev.revision for rev in reversed(list(script.walk_revisions()))]


def tables_in(connection: Connection) -> list[Table]:
    """The model's tables the database holds, parents before children (foreign-key order)."""
    present = set(inspect(connection).get_table_names())
    return [table for table in Base.metadata.sorted_tables if table.name in present]


def column_names(connection: Connection, table: Table) -> set[str]:
    """The columns the database's ``table`` has."""
    return {column["name"] for column in inspect(connection).get_columns(table.name)}


def count_rows(connection: Connection, table: Table) -> int:
    """How many rows ``table`` holds."""
    return int(connection.execute(select(func.count()).select_from(table)).scalar_one())


def read_batches(
    connection: Connection, table: Table, columns: Sequence[str], batch: int
) -> Iterator[list[dict[str, Any]]]:
    """``table``'s rows (only ``columns``) in primary-key order, ``batch`` at a time, as the
    model's types read them."""
    chosen = [table.c[name] for name in columns]
    query = select(*chosen).order_by(*table.primary_key.columns)
    result = connection.execution_options(yield_per=batch).execute(query)
    for part in result.partitions(batch):
        yield [dict(row._mapping) for row in part]


def insert_rows(connection: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert ``rows`` (column name → value) into ``table``."""
    if rows:
        connection.execute(table.insert(), rows)


def reset_sequences(connection: Connection, tables: Sequence[Table]) -> int:
    """On PostgreSQL, move each integer key's sequence past the largest key copied in (the
    next insert does not collide); returns how many sequences were set. Nothing elsewhere."""
    if connection.dialect.name != "postgresql":
        return 0
    done = 0
    quote = connection.dialect.identifier_preparer.quote
    for table in tables:
        keys = list(table.primary_key.columns)
        if len(keys) != 1 or not isinstance(keys[0].type, Integer):
            continue
        name, column = quote(table.name), quote(keys[0].name)
        sequence = connection.execute(
            text("SELECT pg_get_serial_sequence(:table, :column)"),
            {"table": name, "column": keys[0].name},
        ).scalar()
        if sequence is None:
            continue
        largest = f"COALESCE((SELECT MAX({column}) FROM {name}), 0)"  # noqa: S608 (quoted names)
        connection.execute(
            text(f"SELECT setval(:sequence, {largest} + 1, false)"), {"sequence": sequence}
        )
        done += 1
    return done


@dataclass(frozen=True)
class Purge:
    """One kind of row retention deletes: its name, its table and which rows."""

    kind: str
    table: Table
    where: ColumnElement[bool]


def _table(model: type[Base]) -> Table:
    return Base.metadata.tables[model.__tablename__]


def empty_session() -> ColumnElement[bool]:
    """A daily session holding nothing: no trades (journal or bot), no emotion or note stated,
    no mentor report. An import deleted leaves such days behind."""
    return and_(
        TradingSession.total_trades == 0,
        TradingSession.feedback_at.is_(None),
        or_(TradingSession.personal_notes.is_(None), TradingSession.personal_notes == ""),
        ~exists().where(AIMentorReport.session_id == TradingSession.id),
        ~exists().where(DailyTradingData.session_id == TradingSession.id),
    )


def purges(
    trades_before: datetime | None,
    backtests_before: datetime | None,
    deleted_before: datetime | None = None,
    skip: Collection[str] = (),
) -> list[Purge]:
    """What retention deletes, in an order that leaves no orphan: with ``trades_before`` the
    bots' events and notifications older than it; with ``deleted_before`` the rows of tables
    with ``deleted_at`` (soft delete) deleted before it, but for the tables in ``skip``
    (purged with what goes with them elsewhere); with ``backtests_before`` the backtests older
    than it; finished jobs older than the earlier of the two retention cut-offs given; and
    always the empty daily sessions."""
    found: list[Purge] = []
    if trades_before is not None:
        history, older = _table(TradeHistory), TradeHistory.timestamp < trades_before
        found += [
            Purge("bot events", history, older & TradeHistory.is_notification.is_(False)),
            Purge("notifications", history, older & TradeHistory.is_notification.is_(True)),
        ]
    if deleted_before is not None:
        for table in Base.metadata.sorted_tables:
            if SOFT_DELETE in table.c and table.name not in skip:
                gone = table.c[SOFT_DELETE]
                kind = f"deleted {table.name.replace('_', ' ')}"
                found.append(Purge(kind, table, gone.is_not(None) & (gone < deleted_before)))
    if backtests_before is not None:
        older_runs = BacktestResult.timestamp < backtests_before
        found.append(Purge("backtests", _table(BacktestResult), older_runs))
    cutoffs = [moment for moment in (trades_before, backtests_before) if moment is not None]
    if cutoffs:
        ended = func.coalesce(Job.finished_at, Job.heartbeat_at)
        finished = Job.state.in_(FINAL) & (ended < min(cutoffs))
        found.append(Purge("jobs", _table(Job), finished))
    found.append(Purge("empty sessions", _table(TradingSession), empty_session()))
    return found


def run_purge(session: Session, purge: Purge) -> int:
    """Delete the rows of ``purge``; how many were deleted."""
    result = session.execute(delete(purge.table).where(purge.where))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def traded_days(session: Session, user_id: int) -> set[date]:
    """The days on which the user's sessions hold trades."""
    rows = session.scalars(
        select(TradingSession.session_date).where(
            TradingSession.user_id == user_id, TradingSession.total_trades > 0
        )
    )
    return set(rows)


def delete_empty_sessions(session: Session, user_id: int, days: Collection[date]) -> int:
    """Delete the user's sessions of ``days`` that now hold nothing (see ``empty_session``);
    how many were deleted."""
    if not days:
        return 0
    result = session.execute(
        delete(TradingSession)
        .where(
            TradingSession.user_id == user_id,
            TradingSession.session_date.in_(sorted(days)),
            empty_session(),
        )
        .execution_options(synchronize_session="fetch")
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
