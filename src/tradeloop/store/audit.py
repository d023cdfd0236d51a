"""The audit log: security-relevant events, each user's readable by them, all by an admin."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tradeloop.store.models import AuditEvent
from tradeloop.store.pagination import Page, paginate

ADDRESS_LENGTH = 64


def record(
    session: Session,
    user_id: int | None,
    action: str,
    *,
    outcome: str = "ok",
    address: str = "",
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add one event (stored with the caller's transaction)."""
    event = AuditEvent(
        user_id=user_id,
        action=action,
        outcome=outcome,
        address=address[:ADDRESS_LENGTH],
        detail=detail or {},
    )
    session.add(event)
    session.flush()
    return event


def for_user(session: Session, user_id: int, limit: int, offset: int) -> Page[AuditEvent]:
    """The events of ``user_id``, newest first."""
    query = select(AuditEvent).where(AuditEvent.user_id == user_id).order_by(AuditEvent.id.desc())
    return paginate(session, query, limit, offset)


def query(
    session: Session,
    limit: int,
    offset: int,
    *,
    user_id: int | None = None,
    action: str | None = None,
    outcome: str | None = None,
) -> Page[AuditEvent]:
    """Every user's events, newest first, optionally of one user, action or outcome (admins)."""
    statement = select(AuditEvent).order_by(AuditEvent.id.desc())
    if user_id is not None:
        statement = statement.where(AuditEvent.user_id == user_id)
    if action is not None:
        statement = statement.where(AuditEvent.action == action)
    if outcome is not None:
        statement = statement.where(AuditEvent.outcome == outcome)
    return paginate(session, statement, limit, offset)
