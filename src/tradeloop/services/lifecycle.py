"""The data's lifecycle: backups and restores (SQLite's online backup, ``pg_dump`` and
``pg_restore`` for PostgreSQL), copying every table into another database (a SQLite install
moved to PostgreSQL), and retention (``db prune``).

Backups are written private (0600) next to their final name and renamed when complete: a
failed backup leaves no half-written file. A restore checks the file first (a backup, of this
engine, of a revision this version knows) and changes nothing when it is refused; a backup of
an older revision is migrated up after it is restored.
"""

from __future__ import annotations

import os
import secrets
import shutil
import sqlite3
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal
from urllib.parse import quote

from sqlalchemy import Engine, inspect, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError

from tradeloop.config import mask_url_password
from tradeloop.core.errors import Conflict, InvalidInput, Unavailable
from tradeloop.services.database import Database, transaction
from tradeloop.store import lifecycle as repo
from tradeloop.store import migrate, trash
from tradeloop.store.db import READ_ONLY, database_reachable, make_engine
from tradeloop.store.models import Base

Kind = Literal["sqlite", "postgresql"]
SQLITE_HEADER = b"SQLite format 3\x00"
PG_HEADER = b"PGDMP"  # pg_dump's custom format
COPY_BATCH = 1000
BUSY_MS = 30_000  # how long a SQLite backup or restore waits for the server's writers
Progress = Callable[[str, int, int], None]  # table, rows copied, rows in all
TRASH_TABLES = ("bots", "journal_imports")  # purged by ``store.trash`` with what goes along


@dataclass(frozen=True)
class BackupFile:
    """A checked backup: where, of which engine, at which revision, how large."""

    path: Path
    kind: Kind
    revision: str
    size: int
    tables: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Restored:
    """A restore: the backup's revision and the revision the database is at now."""

    revision: str
    now: str

    @property
    def upgraded(self) -> bool:
        """Whether the restored schema was migrated up to this version's."""
        return self.revision != self.now


@dataclass(frozen=True)
class Copied:
    """One table copied: its rows in the source and in the target afterwards."""

    table: str
    source: int
    target: int


@dataclass(frozen=True)
class Retention:
    """How many days rows are kept (0: forever), and how long a deleted bot or import can be
    brought back (``TRADELOOP_UNDO_DAYS``)."""

    trades_days: int = 0
    backtests_days: int = 0
    undo_days: int = 30


def kind_of(engine: Engine) -> Kind:
    """The engine's kind; other databases are refused."""
    name = engine.dialect.name
    if name not in ("sqlite", "postgresql"):
        raise InvalidInput(f"backups work on SQLite and PostgreSQL, not {name}")
    return name  # type: ignore[return-value]


def _sqlite_path(engine: Engine) -> Path:
    database = engine.url.database
    if not database or database == ":memory:" or engine.url.query.get("uri"):
        raise InvalidInput("this SQLite database is not a plain file: nothing to back up")
    return Path(database)


def _readonly(path: Path) -> str:
    """A URI opening ``path`` read-only, as an unchanging file (no lock, no -wal, no -shm)."""
    return f"file:{quote(str(path.resolve()))}?mode=ro&immutable=1"


def _private_part(path: Path) -> Path:
    """A new empty file (0600) beside ``path`` to write into before renaming it to ``path``."""
    part = path.with_name(f".{path.name}.{secrets.token_hex(4)}.part")
    os.close(os.open(part, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    return part


def _check_destination(path: Path, replace: bool) -> None:
    if path.is_dir():
        raise InvalidInput(f"{str(path)!r} is a folder: give the backup file's name")
    if not path.parent.is_dir():
        raise InvalidInput(f"folder {str(path.parent)!r} does not exist")
    if path.exists() and not replace:
        raise InvalidInput(f"{str(path)!r} exists: add --yes to replace it")


def pg_tool(name: str) -> str:
    """The path of a PostgreSQL client program; a clear refusal when it is not installed."""
    found = shutil.which(name)
    if found is None:
        raise Unavailable(
            f"{name} is not installed: install the PostgreSQL client tools (e.g. "
            f"`apt install postgresql-client`, the server's major version or newer) or put "
            f"{name} on PATH"
        )
    return found


def pg_connection(url: str) -> tuple[list[str], dict[str, str]]:
    """The arguments naming the database of ``url`` to pg_dump/pg_restore, and the
    environment to run them in: the password goes in PGPASSWORD, never on the command line."""
    parsed = make_url(url)
    conninfo = URL.create(  # ``URL.set(password=None)`` would keep the password
        "postgresql", parsed.username, None, parsed.host, parsed.port, parsed.database,
        parsed.query,
    )  # fmt: skip
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    args = ["--no-password", f"--dbname={conninfo.render_as_string(hide_password=False)}"]
    return args, env


def _run(command: list[str], env: dict[str, str], what: str) -> str:
    """Run a PostgreSQL client program; its standard output, or a one-line refusal."""
    done = subprocess.run(  # noqa: S603 (a PostgreSQL tool, no shell)
        command, env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        raise Unavailable(f"{what} failed: {lines[-1] if lines else f'exit {done.returncode}'}")
    return done.stdout


def backup(database: Database, path: Path, replace: bool = False) -> BackupFile:
    """Write a consistent backup of the database to ``path`` (0600) while the server may run:
    SQLite's online backup, or ``pg_dump`` in its custom format. An existing file is replaced
    only with ``replace``."""
    kind = kind_of(database.engine)
    _check_destination(path, replace)
    if kind == "postgresql":
        pg_tool("pg_dump")
    if not database.reachable():
        raise Unavailable(
            f"cannot reach the database ({mask_url_password(str(database.engine.url))})"
        )
    if database.revision() is None:
        raise InvalidInput("the database is empty: nothing to back up")
    part = _private_part(path)
    try:
        if kind == "sqlite":
            _sqlite_backup(_sqlite_path(database.engine), part)
        else:
            url = database.engine.url.render_as_string(hide_password=False)
            args, env = pg_connection(url)
            _run([pg_tool("pg_dump"), "--format=custom", f"--file={part}", *args], env, "pg_dump")
        checked = read_backup(part)
        os.replace(part, path)
        os.chmod(path, 0o600)
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    return BackupFile(path, checked.kind, checked.revision, checked.size, checked.tables)


def _sqlite_backup(source: Path, target: Path) -> None:
    """Copy the live database ``source`` into ``target`` in one step (a consistent snapshot;
    WAL writers go on meanwhile), as a single self-contained file."""
    src = sqlite3.connect(source, timeout=BUSY_MS / 1000)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
        dst.execute("PRAGMA journal_mode=DELETE")  # no -wal or -shm beside the backup
        dst.commit()
    finally:
        dst.close()
        src.close()


def read_backup(path: Path) -> BackupFile:
    """Check that ``path`` is a tradeloop backup (SQLite file or pg_dump custom archive, with
    its ``alembic_version``) and read its revision; InvalidInput otherwise."""
    size = path.stat().st_size if path.is_file() else 0
    if backup_kind(path) == "sqlite":
        return BackupFile(path, "sqlite", _sqlite_revision(path), size)
    revision, tables = _pg_revision(path)
    return BackupFile(path, "postgresql", revision, size, tables)


def backup_kind(path: Path) -> Kind:
    """Which engine's backup ``path`` looks like from its first bytes; InvalidInput when it
    is neither a SQLite file nor a pg_dump archive."""
    if not path.is_file():
        raise InvalidInput(f"backup {str(path)!r} does not exist")
    with path.open("rb") as handle:
        head = handle.read(len(SQLITE_HEADER))
    if head.startswith(SQLITE_HEADER):
        return "sqlite"
    if head.startswith(PG_HEADER):
        return "postgresql"
    raise InvalidInput(
        f"{str(path)!r} is not a tradeloop backup (neither a SQLite file nor a pg_dump archive)"
    )


def _not_a_backup(path: Path, why: str) -> InvalidInput:
    return InvalidInput(f"{str(path)!r} is not a tradeloop backup: {why}")


def _sqlite_revision(path: Path) -> str:
    try:
        connection = sqlite3.connect(_readonly(path), uri=True)
        try:
            check = connection.execute("PRAGMA quick_check").fetchone()[0]
            if check != "ok":
                raise _not_a_backup(path, f"the file is damaged ({check})")
            row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
        finally:
            connection.close()
    except sqlite3.DatabaseError as exc:
        raise _not_a_backup(path, str(exc)) from None
    if row is None:
        raise _not_a_backup(path, "it holds no schema revision")
    return str(row[0])


def _pg_revision(path: Path) -> tuple[str, frozenset[str]]:
    """The revision and tables of a pg_dump archive."""
    tool = pg_tool("pg_restore")
    listing = subprocess.run(  # noqa: S603
        [tool, "--list", str(path)], capture_output=True, text=True, check=False
    )
    if listing.returncode != 0:
        lines = listing.stderr.strip().splitlines() or ["unreadable"]
        raise _not_a_backup(path, lines[-1])
    tables = set()
    for line in listing.stdout.splitlines():
        words = line.split()
        if not line.startswith(";") and "TABLE" in words and words.index("TABLE") + 2 < len(words):
            at = words.index("TABLE")
            if words[at - 1] != "DATA":  # "TABLE DATA" entries name the same tables
                tables.add(words[at + 2])
    if "alembic_version" not in tables:
        raise _not_a_backup(path, "it holds no schema revision")
    data = subprocess.run(  # noqa: S603
        [tool, "--data-only", "--table=alembic_version", "--file=-", str(path)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    lines = data.stdout.splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith("COPY ")), None)
    if (
        data.returncode != 0
        or start is None
        or start + 1 >= len(lines)
        or lines[start + 1] == "\\."
    ):
        raise _not_a_backup(path, "it holds no schema revision")
    return lines[start + 1].strip(), frozenset(tables)


def holds_data(database: Database) -> bool:
    """Whether the database has a schema (a restore would replace it)."""
    return database.reachable() and database.revision() is not None


def check_restorable(database: Database, path: Path) -> BackupFile:
    """The backup at ``path`` if it can be restored into the database: a backup, of the same
    engine, of a revision this version knows. Nothing is changed."""
    kind, found = kind_of(database.engine), backup_kind(path)
    if found != kind:
        raise InvalidInput(
            f"{str(path)!r} is a {found} backup and the database is {kind}: restore it into a "
            f"{found} database (then `tradeloop db copy --to URL` moves it)"
        )
    backup_file = read_backup(path)
    if backup_file.revision not in repo.known_revisions():
        raise InvalidInput(
            f"{str(path)!r} was made by a newer tradeloop (schema revision "
            f"{backup_file.revision}; this version knows up to {migrate.HEAD}): restore it with "
            "that version"
        )
    if not database.reachable():
        raise Unavailable(
            f"cannot reach the database ({mask_url_password(str(database.engine.url))})"
        )
    return backup_file


def restore(database: Database, path: Path) -> Restored:
    """Replace the database's contents with the backup at ``path`` (checked first: a refused
    file changes nothing), then migrate it up when it is older than this version."""
    backup_file = check_restorable(database, path)
    database.engine.dispose()  # none of this process's connections stays on the old data
    if backup_file.kind == "sqlite":
        _sqlite_restore(backup_file.path, _sqlite_path(database.engine))
    else:
        _pg_restore(database.engine, backup_file)
    database.engine.dispose()
    now = database.revision()
    if now != backup_file.revision:
        raise Conflict(f"the restored database is at revision {now}, not {backup_file.revision}")
    if now != migrate.HEAD:
        now = database.upgrade()
    return Restored(backup_file.revision, now or "")


def _sqlite_restore(source: Path, target: Path) -> None:
    """Write every page of the backup into the database through SQLite (its WAL and locks
    kept right: a running server waits, then sees the restored data)."""
    src = sqlite3.connect(_readonly(source), uri=True)
    dst = sqlite3.connect(target, timeout=BUSY_MS / 1000)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()


def _pg_restore(engine: Engine, backup_file: BackupFile) -> None:
    """``pg_restore --clean --if-exists`` in one transaction. Tables of a later revision than
    the backup's (which the restore would not replace) are dropped first."""
    tool = pg_tool("pg_restore")
    ours = {table.name for table in Base.metadata.sorted_tables} | {"alembic_version"}
    with engine.begin() as connection:
        present = set(inspect(connection).get_table_names())
        for name in sorted((present & ours) - backup_file.tables):
            quoted = connection.dialect.identifier_preparer.quote(name)
            connection.execute(text(f"DROP TABLE IF EXISTS {quoted} CASCADE"))
    engine.dispose()
    args, env = pg_connection(engine.url.render_as_string(hide_password=False))
    options = ["--clean", "--if-exists", "--no-owner", "--no-privileges", "--single-transaction"]
    _run([tool, *options, *args, str(backup_file.path)], env, "pg_restore")


def copy_to(
    database: Database, target_url: str, batch: int = COPY_BATCH, progress: Progress | None = None
) -> list[Copied]:
    """Copy every table of the database into the database at ``target_url``: migrated first,
    refused when it holds rows; tables in foreign-key order, ``batch`` rows at a time, read
    from one snapshot and written in one transaction (a failure leaves the target empty);
    PostgreSQL sequences set past the copied keys; the row counts compared per table."""
    database.require_current()
    try:
        target_parsed = make_url(target_url)
    except ArgumentError:
        raise InvalidInput(
            "--to: not a database URL (e.g. postgresql+psycopg://user:pw@host/db)"
        ) from None
    source = database.engine.url
    if target_parsed.render_as_string(hide_password=False) == source.render_as_string(
        hide_password=False
    ):
        raise InvalidInput("--to names the database being copied: give another one")
    shown = mask_url_password(target_url)
    try:
        target = make_engine(target_url, pool_size=2)
    except Exception as exc:  # a driver missing, a bad option
        raise InvalidInput(f"--to: {shown}: {exc}") from None
    try:
        if not database_reachable(target):
            raise Unavailable(f"cannot reach the target database ({shown})")
        migrate.upgrade(target)
        with target.connect() as connection:
            filled = [
                f"{table.name} ({rows})"
                for table in repo.tables_in(connection)
                if (rows := repo.count_rows(connection, table))
            ]
        if filled:
            raise Conflict(
                f"the target database ({shown}) is not empty: {', '.join(filled[:5])}; copy "
                "only into a new, empty database"
            )
        return _copy_tables(database.engine, target, batch, progress)
    finally:
        target.dispose()


def _copy_tables(
    source: Engine, target: Engine, batch: int, progress: Progress | None
) -> list[Copied]:
    reading = source.connect().execution_options(**{READ_ONLY: True})
    if source.dialect.name == "postgresql":
        reading = reading.execution_options(isolation_level="REPEATABLE READ")
    with reading, target.connect() as sink, reading.begin(), sink.begin():
        names = {table.name for table in repo.tables_in(sink)}
        plan = [
            (table, repo.count_rows(reading, table))
            for table in repo.tables_in(reading)
            if table.name in names
        ]
        for table, total in plan:
            both = repo.column_names(reading, table) & repo.column_names(sink, table)
            columns = [column.name for column in table.columns if column.name in both]
            if progress is not None:
                progress(table.name, 0, total)
            done = 0
            for rows in repo.read_batches(reading, table, columns, batch):
                try:
                    repo.insert_rows(sink, table, rows)
                except DBAPIError as exc:  # e.g. a NUL or an over-long value PostgreSQL refuses
                    reason = (
                        str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
                    )
                    raise InvalidInput(
                        f"cannot copy table {table.name}: {reason} (nothing was copied)"
                    ) from None
                done += len(rows)
                if progress is not None:
                    progress(table.name, done, total)
        repo.reset_sequences(sink, [table for table, _ in plan])
        copied = [Copied(table.name, total, repo.count_rows(sink, table)) for table, total in plan]
        wrong = [f"{c.table} {c.source} → {c.target}" for c in copied if c.source != c.target]
        if wrong:  # the transaction rolls back: the target stays empty
            raise Conflict(
                f"row counts differ after copying ({', '.join(wrong)}): nothing was copied"
            )
    return copied


def prune(
    database: Database, retention: Retention, dry_run: bool = False, now: datetime | None = None
) -> list[tuple[str, int]]:
    """Delete what retention no longer keeps, in one transaction: bots and imports deleted
    before the undo window (or the trades' retention, when shorter), with what goes with them;
    then ``store.lifecycle.purges``. Each kind with how many rows it deleted; ``dry_run``
    counts the same way and rolls back."""
    moment = now or datetime.now(UTC)

    def cutoff(days: int) -> datetime | None:
        return moment - timedelta(days=days) if days > 0 else None

    windows = [days for days in (retention.undo_days, retention.trades_days) if days > 0]
    deleted_before = cutoff(min(windows)) if windows else None
    counts: list[tuple[str, int]] = []
    with transaction(database.sessions) as session:
        purged = trash.purge_deleted(session, deleted_before) if deleted_before is not None else {}
        counts += [
            ("deleted bots", purged.get("bots", 0)),
            ("deleted imports", purged.get("imports", 0)),
        ]
        kinds = repo.purges(
            cutoff(retention.trades_days), cutoff(retention.backtests_days), deleted_before,
            skip=TRASH_TABLES,
        )  # fmt: skip
        for purge in kinds:
            rows = repo.run_purge(session, purge)
            if purge.kind == "empty sessions":  # with the days of the imports purged
                rows += purged.get("sessions", 0)
            counts.append((purge.kind, rows))
        if dry_run:
            session.rollback()
    return counts
