"""Engine and session factory. SQLite always runs with foreign keys on, WAL and a busy timeout;
a transaction that will write takes the write lock when it begins (concurrent writers queue
instead of failing), one that only reads does not (readers never wait for writers)."""

from __future__ import annotations

import os
import stat
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

SQLITE_BUSY_TIMEOUT_MS = 5000


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN itself (see _begin_immediate)
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def private_dir(path: Path) -> None:
    """Create ``path`` and its missing parents for the owner only (0700); folders that exist
    are left as they are."""
    missing = []
    while not path.exists():
        missing.append(path)
        path = path.parent
    for folder in reversed(missing):
        folder.mkdir(mode=0o700, exist_ok=True)


def private_sqlite_file(path: Path) -> None:
    """Make a SQLite file readable by the owner only before it is opened: created empty with
    0600 when missing (SQLite gives its -wal, -shm and -journal files the same mode), and an
    existing one, with those files, narrowed to 0600 (a file of another owner is left)."""
    private_dir(path.parent)
    with suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    for suffix in ("", "-wal", "-shm", "-journal"):
        part = Path(f"{path}{suffix}")
        try:
            mode = stat.S_IMODE(part.stat().st_mode)
            if mode & 0o077:
                os.chmod(part, mode & 0o700)
        except OSError:  # not there, or not ours
            continue


def make_engine(url: str, pool_size: int = 10) -> Engine:
    """Create an engine for ``url`` keeping ``pool_size`` connections (and as many again at
    peaks); SQLite files are created private (0600, missing folders 0700) and get the pragmas."""
    parsed = make_url(url)
    kwargs: dict[str, Any] = {"future": True, "hide_parameters": True}  # none in logs, errors
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        kwargs["connect_args"] = {"check_same_thread": False}
        if database and database != ":memory:":
            if not parsed.query.get("uri"):  # a plain path (a file: URI is opened as given)
                private_sqlite_file(Path(database))
            kwargs.update(pool_size=pool_size, max_overflow=pool_size)
    else:
        kwargs.update(pool_pre_ping=True, pool_size=pool_size, max_overflow=pool_size)
    engine = create_engine(parsed, **kwargs)
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _begin_immediate)
    return engine


READ_ONLY = "tradeloop_read_only"


def _begin_immediate(connection: Any) -> None:
    """Take SQLite's write lock at BEGIN: concurrent writers then wait (busy timeout) instead of
    failing with "database is locked" when a read transaction tries to start writing. A
    transaction marked read-only (``reading``) begins deferred: WAL readers take no lock."""
    reading = connection.get_execution_options().get(READ_ONLY, False)
    connection.exec_driver_sql("BEGIN" if reading else "BEGIN IMMEDIATE")


def reading(session: Session) -> Session:
    """Mark ``session``'s next transaction as one that only reads (SQLite: no write lock)."""
    session.connection(execution_options={READ_ONLY: True})
    return session


def pause(session: Session) -> Session:
    """End ``session``'s transaction before long work (SQLite's write lock is released for
    others meanwhile); the next statement begins a new one."""
    session.commit()
    return session


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded attributes after commit, so services can return them."""
    return sessionmaker(bind=engine, expire_on_commit=False, future=True)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session that commits on success and rolls back on any error."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def database_reachable(engine: Engine) -> bool:
    """True when a trivial query succeeds."""
    try:
        with engine.connect().execution_options(**{READ_ONLY: True}) as connection:
            connection.execute(text("SELECT 1"))
        return True
    except Exception:
        return False


def scratch_database(server_url: str, prefix: str, template: str | None = None) -> Iterator[str]:
    """A new, empty PostgreSQL database on the server of ``server_url`` (a copy of
    ``template`` when given), yielded as its URL and dropped afterwards: for tests and
    benchmarks. A generator: wrap it in ``contextlib.contextmanager`` or ``yield from``."""
    admin = make_engine(server_url).execution_options(isolation_level="AUTOCOMMIT")
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    copy = f' TEMPLATE "{template}"' if template else ""
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"{copy}'))
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
