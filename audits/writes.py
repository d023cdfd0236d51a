"""Partial writes: a refused request must leave no row and no file behind. A snapshot counts
the rows of every table (but the few a refused request may rightly touch: the abuse limits'
counters, the audit log, sign-in sessions) and lists the data directory's files (but the
database's own)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, MetaData, func, select

# tables a refused upload may change: counted limits, its audit line, sessions
UNCOUNTED_TABLES = frozenset({"throttles", "audit_events", "user_sessions", "alembic_version"})
DATABASE_FILES = ("tradeloop.db", "tradeloop.db-wal", "tradeloop.db-shm", "tradeloop.db-journal")


@dataclass(frozen=True)
class Snapshot:
    """Rows per table and the data directory's files at one moment."""

    rows: dict[str, int]
    files: frozenset[str]


class Counter:
    """Takes snapshots of one database (its tables reflected once) and data directory."""

    def __init__(self, engine: Engine, data_dir: Path | None = None) -> None:
        metadata = MetaData()
        metadata.reflect(engine)
        self.engine = engine
        self.data_dir = data_dir
        tables = [t for name, t in sorted(metadata.tables.items()) if name not in UNCOUNTED_TABLES]
        self.names = [table.name for table in tables]
        counts = (select(func.count()).select_from(table).scalar_subquery() for table in tables)
        self.query = select(*counts)

    def snapshot(self) -> Snapshot:
        """Rows per table and the data directory's files now."""
        with self.engine.connect() as connection:
            counts = connection.execute(self.query).one()
        files: frozenset[str] = frozenset()
        if self.data_dir is not None and self.data_dir.exists():
            files = frozenset(
                str(path.relative_to(self.data_dir))
                for path in self.data_dir.rglob("*")
                if path.is_file() and path.name not in DATABASE_FILES
            )
        return Snapshot(dict(zip(self.names, counts, strict=True)), files)


def partial_writes(before: Snapshot, after: Snapshot) -> list[str]:
    """What changed between two snapshots: tables with other row counts, files added or
    gone (empty: nothing)."""
    changes = [
        f"{table}: {before.rows.get(table, 0)} → {after.rows.get(table, 0)} rows"
        for table in sorted(set(before.rows) | set(after.rows))
        if before.rows.get(table, 0) != after.rows.get(table, 0)
    ]
    changes += [f"new file {name}" for name in sorted(after.files - before.files)]
    changes += [f"file gone {name}" for name in sorted(before.files - after.files)]
    return changes
