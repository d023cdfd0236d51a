"""Security primitives: hashing, tokens, CSRF comparison, the sign-in limiter's window."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tradeloop.core.errors import TooManyRequests, Unauthorized
from tradeloop.security import (
    ACCESS_KIND,
    SESSION_KIND,
    LoginLimiter,
    csrf_matches,
    hash_password,
    issue_token,
    read_token,
    verify_password,
)

SECRET = "k" * 40


def test_argon2id_hash_verifies_only_the_right_password() -> None:
    digest = hash_password("correct horse battery")
    assert digest.startswith("$argon2id$")
    assert verify_password(digest, "correct horse battery")
    assert not verify_password(digest, "correct horse batterY")
    assert not verify_password("not a hash", "x")


def test_tokens_carry_kind_and_expire() -> None:
    token = issue_token(SECRET, 7, "stamp", ACCESS_KIND, timedelta(minutes=5))
    assert read_token(SECRET, token, ACCESS_KIND) == (7, "stamp")
    with pytest.raises(Unauthorized, match="malformed or invalid token"):
        read_token(SECRET, token, SESSION_KIND)
    with pytest.raises(Unauthorized, match="malformed or invalid token"):
        read_token("x" * 40, token, ACCESS_KIND)
    expired = issue_token(SECRET, 7, "stamp", ACCESS_KIND, timedelta(seconds=-1))
    with pytest.raises(Unauthorized, match="token expired"):
        read_token(SECRET, expired, ACCESS_KIND)


def test_csrf_needs_both_sides_equal() -> None:
    assert csrf_matches("abc", "abc")
    assert not csrf_matches("abc", "abd")
    assert not csrf_matches(None, "abc") and not csrf_matches("abc", "")


def test_limiter_counts_per_email_and_forgets_after_the_window(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = [1000.0]
    monkeypatch.setattr("tradeloop.security.time.monotonic", lambda: clock[0])
    limiter = LoginLimiter(max_failures=5, window_seconds=60)
    for _ in range(5):
        limiter.attempt("AYU@example.com ")  # five reserved (failed) attempts are allowed
    with pytest.raises(TooManyRequests) as raised:
        limiter.attempt("ayu@example.com")
    assert raised.value.retry_after == 60
    limiter.attempt("budi@example.com")
    clock[0] += 59.0
    with pytest.raises(TooManyRequests):
        limiter.attempt("ayu@example.com")
    clock[0] += 1.0
    limiter.attempt("ayu@example.com")  # a full minute after the first failure


def test_limiter_forgets_successes_and_sweeps_expired_emails(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = [0.0]
    monkeypatch.setattr("tradeloop.security.time.monotonic", lambda: clock[0])
    monkeypatch.setattr(LoginLimiter, "SWEEP_AT", 100)
    limiter = LoginLimiter(max_failures=5, window_seconds=60)
    for index in range(1000):
        limiter.attempt(f"user{index}@example.com")
        limiter.succeeded(f"user{index}@example.com")
    assert len(limiter) == 0
    for index in range(100):
        limiter.attempt(f"guess{index}@example.com")
    clock[0] += 61.0
    limiter.attempt("late@example.com")
    assert len(limiter) == 1
