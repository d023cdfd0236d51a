"""Limit/offset pagination shared by every list."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

T = TypeVar("T")
MAX_LIMIT = 200
MAX_OFFSET = 1_000_000_000


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list and the total number of rows behind it."""

    items: list[T]
    total: int
    limit: int
    offset: int


def paginate(session: Session, query: Select[Any], limit: int, offset: int) -> Page[Any]:
    """Run ``query`` for one page; ``total`` counts every row the query matches."""
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    items = list(session.scalars(query.limit(limit).offset(offset)))
    return Page(items=items, total=total, limit=limit, offset=offset)
