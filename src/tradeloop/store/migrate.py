"""Alembic driven from code: upgrade, downgrade, reset and the current revision."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine

import tradeloop
from tradeloop.store.models import Base

HEAD = "0015"


def migrations_dir() -> Path:
    """The Alembic scripts: inside the installed package, or ``migrations/`` of a checkout."""
    packaged = Path(tradeloop.__file__).parent / "_migrations"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[3] / "migrations"


def _config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    return config


def _run(engine: Engine, action: str, revision: str) -> None:
    config = _config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        getattr(command, action)(config, revision)


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema up to ``revision``."""
    _run(engine, "upgrade", revision)


def downgrade(engine: Engine, revision: str = "base") -> None:
    """Take the schema down to ``revision`` (``base`` drops every table)."""
    _run(engine, "downgrade", revision)


def reset(engine: Engine) -> None:
    """Drop everything tradeloop created, then migrate up again."""
    downgrade(engine, "base")
    with engine.begin() as connection:  # tables left by a broken earlier state
        Base.metadata.drop_all(connection)
    upgrade(engine, "head")


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or None for an empty database."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()
