"""Password hashing (argon2id), signed tokens (JWT), CSRF tokens and the sign-in limiter."""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
import threading
import time
from collections import deque
from datetime import UTC, datetime, timedelta

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from tradeloop.core.errors import TooManyRequests, Unauthorized

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
JWT_ALGORITHM = "HS256"
SESSION_KIND = "session"
ACCESS_KIND = "access"


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


def issue_token(secret: str, user_id: int, stamp: str, kind: str, lifetime: timedelta) -> str:
    """A signed token for ``user_id`` of ``kind`` (session cookie or API bearer)."""
    now = datetime.now(UTC)
    claims = {"sub": str(user_id), "kind": kind, "pwd": stamp, "iat": now, "exp": now + lifetime}
    return jwt.encode(claims, secret, algorithm=JWT_ALGORITHM)


def read_token(secret: str, token: str, kind: str) -> tuple[int, str]:
    """The ``(user_id, password stamp)`` of a valid token of ``kind``; Unauthorized otherwise."""
    try:
        claims = jwt.decode(token, secret, algorithms=[JWT_ALGORITHM], options={"require": ["exp"]})
    except jwt.ExpiredSignatureError as exc:
        raise Unauthorized("token expired: sign in again", key="error.token_expired") from exc
    except jwt.PyJWTError as exc:
        raise Unauthorized("malformed or invalid token", key="error.token_invalid") from exc
    if claims.get("kind") != kind or not str(claims.get("sub", "")).isdigit():
        raise Unauthorized("malformed or invalid token", key="error.token_invalid")
    return int(claims["sub"]), str(claims.get("pwd", ""))


def new_csrf_token() -> str:
    """A fresh random CSRF token (kept in a cookie, echoed by forms and the page's JS)."""
    return secrets.token_urlsafe(32)


def csrf_matches(cookie_value: str | None, submitted: str | None) -> bool:
    """Double-submit check: the submitted token equals the cookie's."""
    if not cookie_value or not submitted:
        return False
    return hmac.compare_digest(cookie_value, submitted)


class LoginLimiter:
    """Counts failed sign-ins per email; too many within the window answers 429.

    Each attempt reserves a failure slot atomically *before* the slow password check, so
    parallel attempts cannot slip past the limit; a successful sign-in clears the email.
    """

    SWEEP_AT = 10_000  # tracked emails before expired entries are swept

    def __init__(self, max_failures: int, window_seconds: int) -> None:
        self.max_failures = max_failures
        self.window = window_seconds
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._failures)

    def _prune(self, key: str, now: float) -> deque[float]:
        times = self._failures.get(key, deque())
        while times and now - times[0] >= self.window:
            times.popleft()
        if not times:
            self._failures.pop(key, None)
        return times

    def attempt(self, email: str) -> None:
        """Reserve one failure slot for ``email``; TooManyRequests when none is left."""
        key = email.strip().lower()
        now = time.monotonic()
        with self._lock:
            if len(self._failures) >= self.SWEEP_AT:
                for other in list(self._failures):
                    self._prune(other, now)
            times = self._prune(key, now)
            if len(times) >= self.max_failures:
                retry = max(1, math.ceil(self.window - (now - times[0])))
                raise TooManyRequests(
                    f"too many failed sign-ins for this email: try again in {retry} s",
                    retry,
                    key="error.too_many_sign_ins",
                    values={"seconds": retry},
                )
            times.append(now)
            self._failures[key] = times

    def succeeded(self, email: str) -> None:
        """Forget the failures of ``email`` after a good sign-in."""
        with self._lock:
            self._failures.pop(email.strip().lower(), None)
