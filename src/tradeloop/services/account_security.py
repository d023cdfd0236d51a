"""What a user sees of their account's security: the sessions and tokens they hold (each
revocable) and their audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from tradeloop.core.errors import NotFound
from tradeloop.store import audit, sessions
from tradeloop.store.models import AuditEvent, UserSession
from tradeloop.store.pagination import Page

# the actions this module's callers record (more come from sign-in, deletions, bots …)
TWO_FACTOR_ENABLED = "two_factor_enabled"
TWO_FACTOR_DISABLED = "two_factor_disabled"
TWO_FACTOR_FAILED = "two_factor_failed"
RECOVERY_CODES_RENEWED = "recovery_codes_renewed"
SESSION_REVOKED = "session_revoked"


def active_sessions(
    session: Session, user_id: int, now: datetime, limit: int, offset: int
) -> Page[UserSession]:
    """The user's sessions and tokens valid at ``now``, newest first."""
    return sessions.active(session, user_id, now, limit, offset)


def revoke_session(session: Session, user_id: int, session_id: int, now: datetime) -> None:
    """End one of the user's sessions; NotFound when it is another user's or already ended."""
    if not sessions.revoke(session, user_id, session_id, now):
        raise NotFound(
            f"no active session {session_id}",
            key="error.session_not_found",
            values={"id": session_id},
        )


def events(session: Session, user_id: int, limit: int, offset: int) -> Page[AuditEvent]:
    """The user's audit events, newest first."""
    return audit.for_user(session, user_id, limit, offset)


def record(
    session: Session,
    user_id: int | None,
    action: str,
    address: str,
    *,
    outcome: str = "ok",
    detail: dict[str, Any] | None = None,
) -> None:
    """Add an audit event (stored with the caller's transaction)."""
    audit.record(session, user_id, action, outcome=outcome, address=address, detail=detail)
