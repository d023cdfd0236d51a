"""Account service: register, sign in, change name/password/language, delete with all data."""

from __future__ import annotations

from functools import cache
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints, field_validator
from pydantic_core import PydanticCustomError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tradeloop.config import Language
from tradeloop.core.errors import Conflict, InvalidInput, NotFound, Unauthorized
from tradeloop.core.text import PRINTABLE, has_control_characters
from tradeloop.security import LoginLimiter, hash_password, verify_dummy, verify_password
from tradeloop.store import users
from tradeloop.store.models import User
from tradeloop.store.pagination import Page

MIN_PASSWORD_LENGTH = 10
Name = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=100, pattern=PRINTABLE),
]
Password = Annotated[str, StringConstraints(min_length=MIN_PASSWORD_LENGTH, max_length=1024)]


MAX_ZONE_NAME = 64  # as stored


def check_timezone(value: str) -> str:
    """Return ``value`` when it is an IANA zone name such as ``Asia/Jakarta``; otherwise a
    ``ValueError`` of type ``unknown_timezone`` (its message: ``validation.unknown_timezone``)."""
    try:
        if len(value) > MAX_ZONE_NAME:
            raise ValueError(value)
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        shown = value if len(value) <= MAX_ZONE_NAME else value[:MAX_ZONE_NAME] + "…"
        raise PydanticCustomError(
            "unknown_timezone",
            "unknown time zone '{zone}': use an IANA name like Asia/Jakarta",
            {"zone": shown},
        ) from exc
    return value


@cache
def time_zones() -> list[str]:
    """The IANA zones a user can choose, by name (regions only, and UTC)."""
    regions = ("Africa/", "America/", "Antarctica/", "Asia/", "Atlantic/", "Australia/",
               "Europe/", "Indian/", "Pacific/")  # fmt: skip
    return [*sorted(z for z in available_timezones() if z.startswith(regions)), "UTC"]


class Registration(BaseModel):
    """What a new user gives."""

    model_config = ConfigDict(extra="forbid")

    name: Name
    email: EmailStr
    password: Password
    language: Language | None = None
    timezone: str = "UTC"

    _tz = field_validator("timezone")(check_timezone)


class ProfileUpdate(BaseModel):
    """Fields of the profile a user may change; unset fields stay as they are."""

    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    language: Language | None = None
    timezone: str | None = None

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str | None) -> str | None:
        return None if value is None else check_timezone(value)


class PasswordChange(BaseModel):
    """The current password proves it is the owner; the new one replaces it."""

    model_config = ConfigDict(extra="forbid")

    current_password: str = Field(min_length=1, max_length=1024)
    new_password: Password


def register(session: Session, data: Registration, default_language: str) -> User:
    """Create an account; Conflict when the email is taken."""
    if users.get_by_email(session, data.email) is not None:
        raise Conflict(
            "an account with this email already exists", [{"field": "email"}], "error.email_taken"
        )
    try:
        return users.add(
            session,
            name=data.name,
            email=data.email,
            password_hash=hash_password(data.password),
            language=data.language or default_language,
            timezone=data.timezone,
        )
    except IntegrityError as exc:  # a concurrent registration won the race
        session.rollback()
        raise Conflict(
            "an account with this email already exists", [{"field": "email"}], "error.email_taken"
        ) from exc


def authenticate(session: Session, limiter: LoginLimiter, email: str, password: str) -> User:
    """The user owning ``email`` and ``password``; 401 when wrong, 429 after too many failures."""
    limiter.attempt(email)
    user = None if has_control_characters(email) else users.get_by_email(session, email)
    if user is None:
        verify_dummy(password)
    elif verify_password(user.password_hash, password):
        limiter.succeeded(email)
        return user
    raise Unauthorized("wrong email or password", key="error.wrong_credentials")


def sign_out_everywhere(session: Session, user: User) -> None:
    """End every browser session and API token of ``user`` (incremented by the database: a
    concurrent sign-out is never lost)."""
    user.session_version = type(user).session_version + 1
    session.flush()
    session.refresh(user, ["session_version"])


def update_profile(session: Session, user: User, change: ProfileUpdate) -> User:
    """Apply the given profile fields."""
    for field in change.model_fields_set:
        value = getattr(change, field)
        if value is not None:
            setattr(user, field, value)
    session.flush()
    return user


def change_password(session: Session, user: User, change: PasswordChange) -> User:
    """Replace the password; every token issued before stops working."""
    if not verify_password(user.password_hash, change.current_password):
        raise InvalidInput(
            "current password is wrong",
            [{"field": "current_password"}],
            "error.wrong_current_password",
        )
    user.password_hash = hash_password(change.new_password)
    session.flush()
    return user


def delete_account(session: Session, user: User, password: str) -> None:
    """Delete the account and all its data after confirming the password."""
    if not verify_password(user.password_hash, password):
        raise InvalidInput(
            "password is wrong: the account was not deleted",
            [{"field": "password"}],
            "error.wrong_password_delete",
        )
    users.remove(session, user.id)


def get_user(session: Session, user_id: int) -> User | None:
    """The user with ``user_id``, if the account still exists."""
    return users.get(session, user_id)


def list_users(session: Session, limit: int, offset: int) -> Page[User]:
    """Every account, oldest first (for the operator's CLI)."""
    return users.list_users(session, limit, offset)


def remove_user(session: Session, email: str) -> None:
    """Delete the account with ``email`` and all of its data (the operator's CLI)."""
    user = users.get_by_email(session, email)
    if user is None:
        raise NotFound(f"no user with email {email}")
    users.remove(session, user.id)
