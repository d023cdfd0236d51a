"""``tradeloop db backup | restore | copy | prune``: the data's lifecycle, added to ``db``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from tradeloop.cli.console import out
from tradeloop.core.errors import InvalidInput


def register(db_app: typer.Typer) -> None:
    """Add the lifecycle commands to the ``db`` group."""
    db_app.command("backup")(db_backup)
    db_app.command("restore")(db_restore)
    db_app.command("copy")(db_copy)
    db_app.command("prune")(db_prune)


def db_backup(
    path: Annotated[Path, typer.Argument(help="the backup file to write (0600)")],
    yes: Annotated[bool, typer.Option("--yes", help="replace PATH if it exists")] = False,
) -> None:
    """Back the database up while the server runs (SQLite: online backup; PostgreSQL:
    pg_dump's custom format)."""
    from tradeloop.cli.main import _database
    from tradeloop.services import lifecycle

    made = lifecycle.backup(_database(), path, replace=yes)
    out.print(
        f"{made.kind} backup of revision {made.revision} written to {path} ({made.size:,} bytes)",
        highlight=False,
        soft_wrap=True,
    )


def db_restore(
    path: Annotated[Path, typer.Argument(help="a backup made by `tradeloop db backup`")],
    yes: Annotated[bool, typer.Option("--yes", help="replace the database without asking")] = False,
) -> None:
    """Replace the database with a backup, then migrate it up if it is older. Stop the server
    first."""
    from tradeloop.cli.main import _database
    from tradeloop.config import mask_url_password
    from tradeloop.services import lifecycle

    database = _database()
    checked = lifecycle.check_restorable(database, path)  # a refused file changes nothing
    if not yes and lifecycle.holds_data(database):
        where = mask_url_password(database.engine.url.render_as_string(hide_password=False))
        if not sys.stdin.isatty():
            raise InvalidInput(f"restoring replaces everything in {where}: add --yes to confirm")
        typer.confirm(f"Replace everything in {where} with {path}?", abort=True)
    done = lifecycle.restore(database, checked.path)
    upgraded = f", migrated up to {done.now}" if done.upgraded else ""
    out.print(
        f"restored {path} (revision {done.revision}{upgraded})", highlight=False, soft_wrap=True
    )


def db_copy(
    to: Annotated[
        str,
        typer.Option(
            "--to", envvar="TRADELOOP_COPY_TO",
            help="the new, empty database's URL (or TRADELOOP_COPY_TO, kept off the command "
            "line), e.g. postgresql+psycopg://user:pw@host:5432/tradeloop",
        ),
    ],
    batch: Annotated[int, typer.Option(min=1, max=100_000, help="rows per insert")] = 1000,
) -> None:  # fmt: skip
    """Copy every table into another database (a SQLite install moved to PostgreSQL): it is
    migrated first and must be empty; row counts are checked per table."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn
    from rich.table import Table

    from tradeloop.cli.main import _ready_database
    from tradeloop.config import mask_url_password
    from tradeloop.services import lifecycle

    database = _ready_database()
    columns = (TextColumn("{task.description:<20}"), BarColumn(), MofNCompleteColumn())
    bar = Progress(*columns, transient=False)
    tasks: dict[str, TaskID] = {}

    def progress(table: str, done: int, total: int) -> None:
        if not tasks:  # shown once the copying starts (not for a refused target)
            bar.start()
        if table not in tasks:
            tasks[table] = bar.add_task(table, total=total)
        bar.update(tasks[table], completed=done)

    try:
        copied = lifecycle.copy_to(database, to, batch, progress)
    finally:
        if tasks:
            bar.stop()
    table = Table("table", "source rows", "copied rows", box=None)
    for item in copied:
        table.add_row(item.table, str(item.source), str(item.target))
    out.print(table)
    rows = sum(item.target for item in copied)
    out.print(
        f"{rows} rows in {len(copied)} tables copied to {mask_url_password(to)}; counts match. "
        "Point TRADELOOP_DATABASE_URL at it to use it.",
        highlight=False,
        soft_wrap=True,
    )


def db_prune(
    trades_days: Annotated[
        int | None,
        typer.Option(
            "--trades-days", min=0,
            help="delete bot events and notifications older than N days, and bots/imports "
            "deleted before then (default TRADELOOP_RETAIN_TRADES_DAYS; 0 keeps them)",
        ),
    ] = None,
    backtests_days: Annotated[
        int | None,
        typer.Option(
            "--backtests-days", min=0,
            help="delete backtests older than N days (default TRADELOOP_RETAIN_BACKTESTS_DAYS; "
            "0 keeps them)",
        ),
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="count, delete nothing")] = False,
) -> None:  # fmt: skip
    """Delete what the retention settings no longer keep, finished jobs past it, bots and
    imports deleted before the undo window (TRADELOOP_UNDO_DAYS), and daily sessions left
    empty; prints how many rows of each kind."""
    from tradeloop.cli.main import _ready_database, _settings
    from tradeloop.services import lifecycle

    settings = _settings()
    retention = lifecycle.Retention(
        settings.retain_trades_days if trades_days is None else trades_days,
        settings.retain_backtests_days if backtests_days is None else backtests_days,
        settings.undo_days,
    )
    counts = lifecycle.prune(_ready_database(), retention, dry_run)
    verb = "would delete" if dry_run else "deleted"
    for kind, rows in counts:
        out.print(f"{kind:<24}{rows:>8}", highlight=False, soft_wrap=True)
    kept = [
        name for name, days in
        (("trade history", retention.trades_days), ("backtests", retention.backtests_days))
        if not days
    ]  # fmt: skip
    note = f" ({' and '.join(kept)} kept forever)" if kept else ""
    out.print(
        f"{verb} {sum(rows for _, rows in counts)} rows{note}", highlight=False, soft_wrap=True
    )
