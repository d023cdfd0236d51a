"""Password hashing (argon2id), signed tokens (JWT: sessions, API tokens, devices) and CSRF
tokens (bound to the session once signed in)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from tradeloop.core.errors import Unauthorized

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
JWT_ALGORITHM = "HS256"
SESSION_KIND = "session"
ACCESS_KIND = "access"
DEVICE_KIND = "device"
TWO_FACTOR_KIND = "two-factor"  # a right password waiting for its second factor


def hash_password(password: str) -> str:
    """An argon2id hash of ``password``."""
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True when ``password`` matches ``password_hash``."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


# A hash verified when the email is unknown, so both paths take the same time.
_DUMMY_HASH = _hasher.hash(secrets.token_hex(16))


def verify_dummy(password: str) -> None:
    """Spend the time of a real verification for an unknown account."""
    verify_password(_DUMMY_HASH, password)


def session_stamp(password_hash: str, session_version: int) -> str:
    """A fingerprint tokens carry: a password change or a sign-out (new version) revokes them."""
    return hashlib.sha256(f"{session_version}:{password_hash}".encode()).hexdigest()[:16]


def new_token_id() -> str:
    """A random id for a session, token or device (the ``sid`` claim)."""
    return secrets.token_hex(16)


def issue_token(
    secret: str, user_id: int, stamp: str, kind: str, lifetime: timedelta, sid: str = ""
) -> str:
    """A signed token for ``user_id`` of ``kind`` (session cookie, API bearer, device), naming
    its stored session ``sid``."""
    now = datetime.now(UTC)
    claims = {"sub": str(user_id), "kind": kind, "pwd": stamp, "iat": now, "exp": now + lifetime}
    if sid:
        claims["sid"] = sid
    return jwt.encode(claims, secret, algorithm=JWT_ALGORITHM)


def read_token(secret: str, token: str, kind: str) -> tuple[int, str]:
    """The ``(user_id, password stamp)`` of a valid token of ``kind``; Unauthorized otherwise."""
    claims = read_claims(secret, token, kind)
    return int(claims["sub"]), str(claims.get("pwd", ""))


def read_claims(secret: str, token: str, kind: str) -> dict[str, Any]:
    """The claims of a valid token of ``kind`` (``sub`` is digits); Unauthorized otherwise."""
    try:
        claims = jwt.decode(token, secret, algorithms=[JWT_ALGORITHM], options={"require": ["exp"]})
    except jwt.ExpiredSignatureError as exc:
        raise Unauthorized("token expired: sign in again", key="error.token_expired") from exc
    except jwt.PyJWTError as exc:
        raise Unauthorized("malformed or invalid token", key="error.token_invalid") from exc
    if claims.get("kind") != kind or not str(claims.get("sub", "")).isdigit():
        raise Unauthorized("malformed or invalid token", key="error.token_invalid")
    return claims


def new_csrf_token() -> str:
    """A fresh random CSRF token (kept in a cookie, echoed by forms and the page's JS)."""
    return secrets.token_urlsafe(32)


def session_csrf_token(secret: str, sid: str) -> str:
    """The CSRF token of a signed-in session: derived from its id, so a token planted before
    sign-in, or taken from another session, does not pass."""
    digest = hmac.new(secret.encode(), f"csrf:{sid}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def csrf_matches(cookie_value: str | None, submitted: str | None) -> bool:
    """Double-submit check: the submitted token equals the cookie's."""
    if not cookie_value or not submitted:
        return False
    return hmac.compare_digest(cookie_value, submitted)


def code_digest(code: str) -> str:
    """The SHA-256 (hex) of a one-time code, as stored."""
    return hashlib.sha256(code.encode()).hexdigest()
