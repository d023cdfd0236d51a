"""The database a process works on: opened from the settings, migrated, checked, and used one
unit of work at a time (``transaction``: committed before the caller answers, rolled back on
any error; ``reading`` for work that only reads; ``pause`` before long work)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from tradeloop.config import Settings
from tradeloop.core.errors import InvalidInput, Unavailable
from tradeloop.store import migrate
from tradeloop.store.db import (
    READ_ONLY,
    database_reachable,
    make_engine,
    make_session_factory,
    pause,
    reading,
    transaction,
)
from tradeloop.store.pagination import MAX_LIMIT, MAX_OFFSET, Page

__all__ = [
    "MAX_LIMIT", "MAX_OFFSET", "Database", "Page", "Session", "open_database", "pause",
    "reading", "transaction",
]  # fmt: skip


@dataclass
class Database:
    """An engine and its session factory."""

    engine: Engine
    sessions: sessionmaker[Session]
    readers: sessionmaker[Session]  # sessions whose transactions only read

    def reachable(self) -> bool:
        """True when a trivial query succeeds."""
        return database_reachable(self.engine)

    def upgrade(self, revision: str = "head") -> str | None:
        """Migrate up to ``revision``; the revision it is then at."""
        migrate.upgrade(self.engine, revision)
        return migrate.current_revision(self.engine)

    def downgrade(self, revision: str = "-1") -> str | None:
        """Migrate down to ``revision``; the revision it is then at (None: empty)."""
        migrate.downgrade(self.engine, revision)
        return migrate.current_revision(self.engine)

    def reset(self) -> str | None:
        """Drop every table and migrate up again."""
        migrate.reset(self.engine)
        return migrate.current_revision(self.engine)

    def revision(self) -> str | None:
        """The revision the database is at (None: empty)."""
        return migrate.current_revision(self.engine)

    def require_current(self) -> None:
        """Refuse, naming the command to run, a database this version cannot work on: one
        that does not answer, is empty, or is at another revision."""
        if not self.reachable():
            raise Unavailable(
                f"cannot reach the database ({self.engine.url.render_as_string()}): "
                "check TRADELOOP_DATABASE_URL",
                key="error.database_unreachable",
                values={"url": self.engine.url.render_as_string()},
            )
        revision = self.revision()
        if revision != migrate.HEAD:
            state = "empty" if revision is None else f"at revision {revision}"
            raise InvalidInput(
                f"the database is {state} and this version needs revision {migrate.HEAD}: "
                "run `tradeloop db upgrade` first",
                key="error.database_empty" if revision is None else "error.database_outdated",
                values={"revision": revision, "head": migrate.HEAD},
            )


def open_database(settings: Settings) -> Database:
    """The configured database (TRADELOOP_DATABASE_URL, else SQLite in the data folder)."""
    engine = make_engine(settings.effective_database_url, settings.db_pool_size)
    readers = make_session_factory(engine.execution_options(**{READ_ONLY: True}))
    return Database(engine, make_session_factory(engine), readers)
