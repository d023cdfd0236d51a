"""Account service: register, sign in, change name/password/language, delete with all data."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints, field_validator
from pydantic_core import PydanticCustomError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tradeloop.config import Language, Settings
from tradeloop.core.errors import Conflict, InvalidInput, NotFound, TooManyRequests, Unauthorized
from tradeloop.core.text import PRINTABLE, has_control_characters
from tradeloop.security import (
    hash_password,
    new_token_id,
    verify_dummy,
    verify_password,
)
from tradeloop.services.limits import Limits, Rule, limit_key
from tradeloop.store import audit, users
from tradeloop.store import sessions as user_sessions
from tradeloop.store.db import pause
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


def register(
    session: Session,
    data: Registration,
    default_language: str,
    address: str = "",
    role: str = "user",
) -> User:
    """Create an account (``role`` user or admin); Conflict when the email is taken."""
    if users.get_by_email(session, data.email) is not None:
        raise Conflict(
            "an account with this email already exists", [{"field": "email"}], "error.email_taken"
        )
    try:
        user = users.add(
            session,
            name=data.name,
            email=data.email,
            password_hash=hash_password(data.password),
            language=data.language or default_language,
            timezone=data.timezone,
            role=role,
        )
    except IntegrityError as exc:  # a concurrent registration won the race
        session.rollback()
        raise Conflict(
            "an account with this email already exists", [{"field": "email"}], "error.email_taken"
        ) from exc
    audit.record(session, user.id, "registered", address=address, detail={"role": role})
    return user


@dataclass(frozen=True)
class SignIn:
    """One sign-in attempt: the credentials, where it comes from, and the device cookie's
    account and id when the browser carries a valid one."""

    email: str
    password: str
    address: str
    device_user: int | None = None
    device_id: str = ""


def sign_in_rule(settings: Settings) -> Rule:
    """The progressive delay on failed sign-ins."""
    window = float(settings.login_window_seconds)
    return Rule("sign-in", settings.login_max_failures, window, True, window)


def _too_many(wait: int) -> TooManyRequests:
    return TooManyRequests(
        f"too many failed sign-ins: try again in {wait} s",
        wait,
        key="error.too_many_sign_ins",
        values={"seconds": wait},
    )


def authenticate(session: Session, limits: Limits, settings: Settings, attempt: SignIn) -> User:
    """The user owning the email and password; 401 when wrong, 429 while failures from this
    address, or on this account from browsers it never signed in from, make the attempt wait.

    A browser whose device cookie names this account is counted on its own: guesses from
    elsewhere never keep the owner out. Each failure is written to the audit log."""
    rule = sign_in_rule(settings)
    from_address = replace(rule, hits=rule.hits * settings.limit_address_factor)
    email = users.normalise_email(attempt.email)
    user = None if has_control_characters(email) else users.get_by_email(session, email)
    pause(session)  # no lock held while limits are counted and the password is checked
    if user is not None and attempt.device_user == user.id and attempt.device_id:
        checks = [(limit_key(rule, "device", attempt.device_id), rule)]
    else:  # an address may hold several accounts' users: it gets more attempts
        checks = [
            (limit_key(rule, "address", attempt.address), from_address),
            (limit_key(rule, "account", email), rule),
        ]
    for key, counted in checks:
        wait = limits.hit(key, counted)
        if wait:
            raise _too_many(wait)
    keys = [key for key, _ in checks]
    if user is None:
        verify_dummy(attempt.password)
    elif verify_password(user.password_hash, attempt.password):
        limits.clear(*keys)
        return user
    record_apart(limits, user.id if user else None, "sign_in_failed", "failed", attempt.address)
    raise Unauthorized("wrong email or password", key="error.wrong_credentials")


def record_apart(
    limits: Limits, user_id: int | None, action: str, outcome: str, address: str
) -> None:
    """An audit event written in its own transaction (kept when the request fails)."""
    with limits.sessions() as session:
        audit.record(session, user_id, action, outcome=outcome, address=address)
        session.commit()


def open_session(
    session: Session,
    user: User,
    kind: str,
    lifetime: timedelta,
    address: str,
    agent: str,
) -> str:
    """Record a new browser session or API token of ``user`` (audited); its id (``sid``)."""
    now = datetime.now(UTC)
    sid = new_token_id()
    user_sessions.add(
        session,
        user.id,
        token_id=sid,
        kind=kind,
        created_at=now,
        expires_at=now + lifetime,
        address=address,
        agent=agent,
    )
    audit.record(session, user.id, "sign_in", address=address, detail={"kind": kind})
    return sid


def session_active(session: Session, user_id: int, sid: str) -> bool:
    """Whether the session or token ``sid`` of ``user_id`` is still valid."""
    return user_sessions.is_active(session, user_id, sid, datetime.now(UTC))


def sign_out_everywhere(session: Session, user: User, address: str = "") -> None:
    """End every browser session and API token of ``user`` (incremented by the database: a
    concurrent sign-out is never lost)."""
    user.session_version = type(user).session_version + 1
    session.flush()
    session.refresh(user, ["session_version"])
    user_sessions.revoke_all(session, user.id, datetime.now(UTC))
    audit.record(session, user.id, "sign_out_everywhere", address=address)


def update_profile(session: Session, user: User, change: ProfileUpdate) -> User:
    """Apply the given profile fields."""
    for field in change.model_fields_set:
        value = getattr(change, field)
        if value is not None:
            setattr(user, field, value)
    session.flush()
    return user


def change_password(
    session: Session, user: User, change: PasswordChange, address: str = ""
) -> User:
    """Replace the password; every token issued before stops working."""
    if not verify_password(user.password_hash, change.current_password):
        raise InvalidInput(
            "current password is wrong",
            [{"field": "current_password"}],
            "error.wrong_current_password",
        )
    user.password_hash = hash_password(change.new_password)
    session.flush()
    user_sessions.revoke_all(session, user.id, datetime.now(UTC))
    audit.record(session, user.id, "password_changed", address=address)
    return user


def delete_account(session: Session, user: User, password: str, address: str = "") -> None:
    """Delete the account and all its data after confirming the password."""
    if not verify_password(user.password_hash, password):
        raise InvalidInput(
            "password is wrong: the account was not deleted",
            [{"field": "password"}],
            "error.wrong_password_delete",
        )
    users.remove(session, user.id)
    audit.record(session, None, "account_deleted", address=address, detail={"user": user.id})


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
    audit.record(session, None, "account_deleted", detail={"user": user.id, "by": "operator"})


def set_role(session: Session, admin: User, user_id: int, role: str, address: str) -> User:
    """Give account ``user_id`` the ``role`` (an administrator's act; audited). An admin
    cannot change their own role (the last admin could lock everyone out)."""
    user = users.get(session, user_id)
    if user is None:
        raise NotFound("no such user", key="error.no_user")
    if user.id == admin.id:
        raise InvalidInput("you cannot change your own role", key="error.own_role")
    user.role = role
    session.flush()
    detail = {"user": user.id, "role": role}
    audit.record(session, admin.id, "role_changed", address=address, detail=detail)
    return user


def remove_by_admin(session: Session, admin: User, user_id: int, address: str) -> None:
    """Delete account ``user_id`` and its data (an administrator's act; audited)."""
    if user_id == admin.id:
        raise InvalidInput("delete your own account from the profile page", key="error.own_account")
    if not users.remove(session, user_id):
        raise NotFound("no such user", key="error.no_user")
    detail = {"user": user_id, "by": admin.id}
    audit.record(session, admin.id, "account_deleted", address=address, detail=detail)


def audit_events(session: Session, limit: int, offset: int, **filters: Any) -> Page[Any]:
    """Every user's audit events (administrators), newest first, optionally filtered."""
    return audit.query(session, limit, offset, **filters)


def own_audit_events(session: Session, user: User, limit: int, offset: int) -> Page[Any]:
    """The user's own audit events, newest first."""
    return audit.for_user(session, user.id, limit, offset)
