"""Optional two-factor sign-in: TOTP codes (RFC 6238: 30 s steps, 6 digits, SHA-1, as every
authenticator app makes them) and ten one-time recovery codes.

The secret is stored encrypted with the notes cipher (``users.totp_secret``), sealed together
with the last time step a code was accepted for: a code is accepted once, and never one of a
step at or before it (a replayed or older code from the ±1-step window is refused). Moving the
step on is a compare-and-set on the stored text, so two requests with one code never both pass.
Recovery codes are kept as SHA-256 hashes of their normalised form; each works once.

A password that was right for an account with two-factor on gives a *pending* token (a JWT of
kind ``two-factor``, valid 5 minutes); the sign-in finishes when a code for it is right.
"""

from __future__ import annotations

import hmac
import json
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import pyotp
import segno
from cryptography.fernet import MultiFernet
from sqlalchemy import update
from sqlalchemy.orm import Session

from tradeloop.core.errors import Conflict, InvalidInput, TooManyRequests
from tradeloop.mentor.notes import seal, unseal
from tradeloop.security import (
    TWO_FACTOR_KIND,
    code_digest,
    issue_token,
    read_token,
    verify_password,
)
from tradeloop.services import account_security
from tradeloop.services.limits import Limits, Rule, limit_key
from tradeloop.store import recovery_codes
from tradeloop.store.db import pause
from tradeloop.store.models import User

ISSUER = "tradeloop"
WINDOW = 1  # steps accepted either side of now (a clock 30 s off still works)
RECOVERY_CODES = 10
RECOVERY_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford's base 32: no i, l, o, u
RECOVERY_LENGTH = 8  # 40 bits, shown as xxxx-xxxx
PENDING_KIND = TWO_FACTOR_KIND
PENDING_LIFETIME = timedelta(minutes=5)
# code attempts per user: 5 free, then a doubling wait (1 s, 2 s … 15 min); an hour quiet resets
CODE_RULE = Rule("two-factor", hits=5, window=3600, progressive=True, max_delay=900)
_TOTP_CODE = re.compile(r"\d{6}")
_RECOVERY_CODE = re.compile(f"[{RECOVERY_ALPHABET}]{{{RECOVERY_LENGTH}}}")


@dataclass(frozen=True)
class Enrolment:
    """A secret being set up: typed into an authenticator app, or scanned as ``uri``."""

    secret: str
    uri: str

    def qr_svg(self) -> str:
        """The ``otpauth://`` URI as a QR code: an SVG ``data:`` URI for an ``<img>``."""
        return segno.make(self.uri, error="m").svg_data_uri(scale=4, dark="#000", light="#fff")


def wrong_code() -> InvalidInput:
    """The error of a wrong, or already used, code."""
    return InvalidInput(
        "wrong or already used two-factor code", [{"field": "code"}], "error.two_factor_code"
    )


def _stored(cipher: MultiFernet, user: User) -> tuple[str, int] | None:
    """The user's secret and the last step accepted (None: no secret, or unreadable)."""
    text = unseal(cipher, user.totp_secret)
    if text is None:
        return None
    data = json.loads(text)
    return str(data["secret"]), int(data["step"])


def _sealed(cipher: MultiFernet, secret: str, step: int) -> str:
    return seal(cipher, json.dumps({"secret": secret, "step": step})) or ""


def _enrolment(user: User, secret: str) -> Enrolment:
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)
    return Enrolment(secret, uri)


def is_enabled(user: User) -> bool:
    """Whether sign-in asks ``user`` for a code."""
    return user.totp_enabled_at is not None and user.totp_secret is not None


def pending(user: User, cipher: MultiFernet) -> Enrolment | None:
    """The set-up begun and not yet confirmed, if any."""
    if user.totp_enabled_at is not None:
        return None
    stored = _stored(cipher, user)
    return None if stored is None else _enrolment(user, stored[0])


def _fresh(session: Session, user: User) -> None:
    """Read the user's two-factor columns again (another request may have moved them on)."""
    session.refresh(user, ["totp_secret", "totp_enabled_at"])


def begin(session: Session, user: User, cipher: MultiFernet) -> Enrolment:
    """Start setting up two-factor with a new secret (stored encrypted, not yet enabled);
    Conflict when it is on already (turn it off first)."""
    _fresh(session, user)
    if is_enabled(user):
        raise Conflict("two-factor sign-in is already on", key="error.two_factor_on")
    secret = pyotp.random_base32()  # 160 bits
    user.totp_secret = _sealed(cipher, secret, 0)
    session.flush()
    return _enrolment(user, secret)


def cancel(session: Session, user: User) -> None:
    """Forget a set-up that was begun and not confirmed (nothing when two-factor is on)."""
    _fresh(session, user)
    if user.totp_enabled_at is None:
        user.totp_secret = None
        session.flush()


def _accept_totp(
    session: Session, user: User, cipher: MultiFernet, code: str, now: datetime
) -> bool:
    """Whether ``code`` is the TOTP of a step within ±``WINDOW`` of ``now`` after the last one
    accepted; that step is then stored as the last (compare-and-set on the stored text)."""
    stored = _stored(cipher, user)
    if stored is None or not _TOTP_CODE.fullmatch(code):
        return False
    secret, last = stored
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    for step in range(current - WINDOW, current + WINDOW + 1):
        if step > last and hmac.compare_digest(totp.generate_otp(step), code):
            moved = session.execute(
                update(User)
                .where(User.id == user.id, User.totp_secret == user.totp_secret)
                .values(totp_secret=_sealed(cipher, secret, step))
            )
            return bool(moved.rowcount)
    return False


def normalise(code: str) -> str:
    """A code as typed, without spaces or dashes, in lower case."""
    return re.sub(r"[\s-]", "", code).lower()


def code_hash(code: str) -> str:
    """The stored form of a recovery code: SHA-256 hex of its normalised text."""
    return code_digest(normalise(code))


def check(
    session: Session, user: User, cipher: MultiFernet, code: str, now: datetime | None = None
) -> bool:
    """Whether ``code`` lets ``user`` in: a TOTP code within ±1 step not used before, or an
    unused recovery code (then marked used). False when two-factor is off."""
    _fresh(session, user)
    if not is_enabled(user):
        return False
    now = now or datetime.now(UTC)
    typed = normalise(code)
    if _TOTP_CODE.fullmatch(typed):
        return _accept_totp(session, user, cipher, typed, now)
    if _RECOVERY_CODE.fullmatch(typed):
        return recovery_codes.use(session, user.id, code_hash(typed), now)
    return False


def require(
    session: Session, user: User, cipher: MultiFernet, code: str, now: datetime | None = None
) -> None:
    """``check`` or InvalidInput (field ``code``)."""
    if not check(session, user, cipher, code, now):
        raise wrong_code()


def _new_codes(session: Session, user: User) -> list[str]:
    codes = []
    for _ in range(RECOVERY_CODES):
        text = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_LENGTH))
        codes.append(f"{text[:4]}-{text[4:]}")
    recovery_codes.replace(session, user.id, [code_hash(c) for c in codes])
    return codes


def confirm(
    session: Session, user: User, cipher: MultiFernet, code: str, now: datetime | None = None
) -> list[str]:
    """Turn two-factor on when ``code`` is right for the secret begun; the 10 new recovery
    codes (shown once). Conflict when it is on already or was not begun."""
    _fresh(session, user)
    if is_enabled(user):
        raise Conflict("two-factor sign-in is already on", key="error.two_factor_on")
    if user.totp_secret is None:
        raise Conflict(
            "two-factor set-up was not started: start it first", key="error.two_factor_not_started"
        )
    now = now or datetime.now(UTC)
    if not _accept_totp(session, user, cipher, normalise(code), now):
        raise wrong_code()
    user.totp_enabled_at = now
    session.flush()
    return _new_codes(session, user)


def _require_on(user: User) -> None:
    if not is_enabled(user):
        raise Conflict("two-factor sign-in is off", key="error.two_factor_off")


def disable(
    session: Session,
    user: User,
    cipher: MultiFernet,
    password: str,
    code: str,
    now: datetime | None = None,
) -> None:
    """Turn two-factor off: the password and a code are both needed (InvalidInput naming the
    wrong one; the password is checked first, so a wrong one uses up no recovery code)."""
    _fresh(session, user)
    _require_on(user)
    if not verify_password(user.password_hash, password):
        raise InvalidInput("password is wrong", [{"field": "password"}], "error.wrong_password")
    require(session, user, cipher, code, now)
    user.totp_secret = None
    user.totp_enabled_at = None
    recovery_codes.remove_all(session, user.id)
    session.flush()


def new_recovery_codes(
    session: Session, user: User, cipher: MultiFernet, code: str, now: datetime | None = None
) -> list[str]:
    """Replace the recovery codes (the old ones stop working) after a right code."""
    _fresh(session, user)
    _require_on(user)
    require(session, user, cipher, code, now)
    return _new_codes(session, user)


def recovery_codes_left(session: Session, user: User) -> int:
    """How many recovery codes the user has not used."""
    return recovery_codes.unused(session, user.id)


def pending_token(secret: str, user_id: int, stamp: str) -> str:
    """A token saying the password of ``user_id`` was right; the code is still to come."""
    return issue_token(secret, user_id, stamp, PENDING_KIND, PENDING_LIFETIME)


def read_pending(secret: str, token: str) -> tuple[int, str]:
    """The ``(user_id, password stamp)`` of a valid pending token; Unauthorized otherwise."""
    return read_token(secret, token, PENDING_KIND)


def attempts_key(user_id: int) -> str:
    """The abuse-limit key counting the code attempts of ``user_id``."""
    return limit_key(CODE_RULE, "user", user_id)


def count_attempt(limits: Limits, user_id: int) -> None:
    """Count one code attempt before the code is checked (parallel guesses cannot slip
    past); TooManyRequests with Retry-After when the user is waiting out a delay."""
    wait = limits.hit(attempts_key(user_id), CODE_RULE)
    if wait:
        raise TooManyRequests(
            f"too many two-factor codes tried: try again in {wait} s",
            wait,
            key="error.too_many_codes",
            values={"seconds": wait},
        )


def attempt_passed(limits: Limits, user_id: int) -> None:
    """Forget the user's code attempts after a right code."""
    limits.clear(attempts_key(user_id))


T = TypeVar("T")


def limited_change(
    session: Session,
    limits: Limits,
    cipher: MultiFernet,
    user: User,
    change: Callable[..., T],
    *codes: str,
    event: str,
    address: str,
) -> T:
    """``change(session, user, cipher, *codes)`` (confirm, disable, new_recovery_codes) as
    one counted code attempt; once it succeeded, ``event`` goes into the audit log and the
    attempts are forgotten. Its UserError (wrong code, too many attempts) reaches the caller
    with nothing stored."""
    pause(session)  # the limit counts in a transaction of its own
    count_attempt(limits, user.id)
    result = change(session, user, cipher, *codes)
    account_security.record(session, user.id, event, address)
    pause(session)  # stored before the attempts are forgotten (SQLite: one writer)
    attempt_passed(limits, user.id)
    return result
