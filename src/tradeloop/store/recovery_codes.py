"""One-time recovery codes for two-factor sign-in, stored as SHA-256 hashes (never the code)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from tradeloop.store.models import RecoveryCode


def replace(session: Session, user_id: int, hashes: list[str]) -> None:
    """Forget the user's codes, used or not, and store ``hashes`` as their new ones."""
    remove_all(session, user_id)
    session.add_all(RecoveryCode(user_id=user_id, code_hash=h) for h in hashes)
    session.flush()


def use(session: Session, user_id: int, code_hash: str, now: datetime) -> bool:
    """Mark the user's unused code ``code_hash`` used; False when there is none (a used
    code, another user's, or no such code). One update: two requests never both use it."""
    result = session.execute(
        update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user_id,
            RecoveryCode.code_hash == code_hash,
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)


def unused(session: Session, user_id: int) -> int:
    """How many of the user's codes are left."""
    query = select(func.count(RecoveryCode.id)).where(
        RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None)
    )
    return session.scalar(query) or 0


def remove_all(session: Session, user_id: int) -> None:
    """Delete every code of the user."""
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
