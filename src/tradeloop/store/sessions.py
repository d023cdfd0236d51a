"""The browser sessions and API tokens users hold: created at sign-in, checked on every
request, listed and revoked one by one or all at once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from tradeloop.store.models import UserSession
from tradeloop.store.pagination import Page, paginate

AGENT_LENGTH = 200
ADDRESS_LENGTH = 64


def add(
    session: Session,
    user_id: int,
    *,
    token_id: str,
    kind: str,
    created_at: datetime,
    expires_at: datetime,
    address: str,
    agent: str,
) -> UserSession:
    """Record a new session or token."""
    row = UserSession(
        user_id=user_id,
        token_id=token_id,
        kind=kind,
        created_at=created_at,
        expires_at=expires_at,
        address=address[:ADDRESS_LENGTH],
        agent=agent[:AGENT_LENGTH],
    )
    session.add(row)
    session.flush()
    return row


def is_active(session: Session, user_id: int, token_id: str, now: datetime) -> bool:
    """Whether the session ``token_id`` of ``user_id`` exists, is not revoked and not expired."""
    found = session.scalar(
        select(UserSession.id).where(
            UserSession.token_id == token_id,
            UserSession.user_id == user_id,
            UserSession.revoked_at.is_(None),
            UserSession.expires_at > now,
        )
    )
    return found is not None


def active(
    session: Session, user_id: int, now: datetime, limit: int, offset: int
) -> Page[UserSession]:
    """The user's sessions and tokens still valid at ``now``, newest first."""
    query = (
        select(UserSession)
        .where(
            UserSession.user_id == user_id,
            UserSession.revoked_at.is_(None),
            UserSession.expires_at > now,
        )
        .order_by(UserSession.id.desc())
    )
    return paginate(session, query, limit, offset)


def revoke(session: Session, user_id: int, session_id: int, now: datetime) -> bool:
    """Revoke one of the user's sessions; False when it is not theirs or already ended."""
    result = session.execute(
        update(UserSession)
        .where(
            UserSession.id == session_id,
            UserSession.user_id == user_id,
            UserSession.revoked_at.is_(None),
        )
        .values(revoked_at=now)
    )
    return bool(result.rowcount)


def revoke_all(session: Session, user_id: int, now: datetime) -> int:
    """Revoke every session and token of the user; how many were active."""
    result = session.execute(
        update(UserSession)
        .where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return result.rowcount or 0


def forget_ended(session: Session, before: datetime) -> int:
    """Delete sessions that expired or were revoked before ``before``; how many went."""
    result = session.execute(
        delete(UserSession).where(
            (UserSession.expires_at < before) | (UserSession.revoked_at < before)
        )
    )
    return result.rowcount or 0
