"""``tradeloop user export EMAIL OUT.zip``: a user's data as they download it, for the operator."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tradeloop.cli.console import out
from tradeloop.core.errors import InvalidInput


def register(user_app: typer.Typer) -> None:
    """Add ``export`` to the ``user`` group."""
    user_app.command("export")(user_export)


def user_export(
    email: Annotated[str, typer.Argument(help="the user's email")],
    path: Annotated[Path, typer.Argument(help="the zip file to write (readable by you only)")],
    yes: Annotated[bool, typer.Option("--yes", help="replace PATH if it exists")] = False,
) -> None:
    """Write all of a user's data to a zip file: the export they download from their profile
    (notes decrypted). Noted in their audit log."""
    from tradeloop.cli.main import _ready_database, _settings
    from tradeloop.services import data_export, work
    from tradeloop.services.database import transaction

    if path.exists() and not yes:
        raise InvalidInput(f"{path} exists: add --yes to replace it")
    if not path.parent.is_dir():
        raise InvalidInput(f"{path.parent} is not a directory")
    work.configure(1, processes=False)  # one export: no worker processes to start
    settings = _settings()
    database = _ready_database()
    with transaction(database.readers) as session:
        user = data_export.user_by_email(session, email)
        counts = data_export.save_export(session, user, settings, path)
        user_id = user.id
    with transaction(database.sessions) as session:
        data_export.record_export(session, user_id, "", "cli")
    out.print(
        f"exported {user.email}: {sum(counts.values())} records in {len(counts)} files "
        f"and README.txt to {path}",
        highlight=False,
    )
