"""One user's row by id: the lookup every repository makes before reading or changing it."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from tradeloop.core.errors import NotFound

Row = TypeVar("Row")


def owned_row(session: Session, model: type[Row], user_id: int, row_id: int, what: str) -> Row:
    """The user's ``model`` row ``row_id``; NotFound ("<what> <id> not found") when it is
    missing or someone else's."""
    table: Any = model
    row = session.scalar(select(model).where(table.id == row_id, table.user_id == user_id))
    if row is None:
        raise NotFound(f"{what} {row_id} not found")
    return row
