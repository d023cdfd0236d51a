"""User accounts. Deleting a user removes everything they own through the cascades."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from tradeloop.store.models import User
from tradeloop.store.pagination import Page, paginate


def normalise_email(email: str) -> str:
    """Emails compare case-insensitively and without surrounding spaces."""
    return email.strip().lower()


def get_by_email(session: Session, email: str) -> User | None:
    """The user with ``email``, if any."""
    return session.scalar(select(User).where(User.email == normalise_email(email)))


def get(session: Session, user_id: int) -> User | None:
    """The user with ``user_id``, if any."""
    return session.get(User, user_id)


def add(
    session: Session,
    *,
    name: str,
    email: str,
    password_hash: str,
    language: str,
    timezone: str,
    role: str = "user",
) -> User:
    """Insert a user and return it with its id."""
    user = User(
        name=name,
        email=normalise_email(email),
        password_hash=password_hash,
        language=language,
        timezone=timezone,
        role=role,
    )
    session.add(user)
    session.flush()
    return user


def list_users(session: Session, limit: int, offset: int) -> Page[User]:
    """Every user, oldest first (an operator's view, used by the CLI only)."""
    return paginate(session, select(User).order_by(User.id), limit, offset)


def remove(session: Session, user_id: int) -> bool:
    """Delete the user and, by cascade, all of their data. True when a row went."""
    result = session.execute(delete(User).where(User.id == user_id))
    return bool(result.rowcount)


def lock_user(session: Session, user_id: int) -> None:
    """Serialise the user's concurrent writers until commit (row lock on PostgreSQL; SQLite's
    transactions already take the write lock at BEGIN): a read-then-write of one of the
    user's rows (a note, a preference, a report) cannot race another request's."""
    session.execute(select(User.id).where(User.id == user_id).with_for_update())
