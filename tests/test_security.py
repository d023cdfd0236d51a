"""Security primitives: hashing, tokens, CSRF tokens, and the limits' decisions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tradeloop.core.errors import Unauthorized
from tradeloop.security import (
    ACCESS_KIND,
    SESSION_KIND,
    csrf_matches,
    hash_password,
    issue_token,
    read_token,
    session_csrf_token,
    verify_password,
)
from tradeloop.services.limits import Rule, decide

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


def test_session_csrf_token_is_bound_to_its_session_and_key() -> None:
    token = session_csrf_token(SECRET, "a" * 32)
    assert token == session_csrf_token(SECRET, "a" * 32) and len(token) == 43
    assert token != session_csrf_token(SECRET, "b" * 32)
    assert token != session_csrf_token("x" * 40, "a" * 32)


T0 = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
SIGN_IN = Rule("sign-in", hits=5, window=900.0, progressive=True, max_delay=900.0)
HOURLY = Rule("uploads", hits=3, window=3600.0)


def _run(rule: Rule, times: list[float]) -> list[int]:
    """The wait answered for each hit at ``times`` (seconds after T0), 0 when allowed."""
    state, waits = None, []
    for at in times:
        new, wait = decide(state, rule, T0 + timedelta(seconds=at))
        waits.append(wait)
        state = new or state
    return waits


def test_sign_in_failures_wait_twice_as_long_each_time_after_five() -> None:
    # failures 1-4 free; the 5th sets a 1 s wait, the 6th 2 s, the 7th 4 s, the 8th 8 s
    assert _run(SIGN_IN, [0, 1, 2, 3, 4]) == [0, 0, 0, 0, 0]
    # at 7.5 s the 7th failure (at 7 s) has set 4 s, 3.5 s of which are left
    waits = _run(SIGN_IN, [0, 1, 2, 3, 4, 4.5, 5, 7, 7.5, 11, 19])
    assert waits == [0, 0, 0, 0, 0, 1, 0, 0, 4, 0, 0]
    # each failure made as soon as allowed: the waits double up to max_delay (900 s)
    state, at, waits = None, T0, []
    for _ in range(20):
        state, wait = decide(state, SIGN_IN, at)
        assert wait == 0 and state is not None
        if state.blocked_until is not None:
            waits.append((state.blocked_until - at).total_seconds())
            at = state.blocked_until
    assert waits == [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900, 900, 900, 900, 900]


def test_sign_in_failures_are_forgotten_after_a_quiet_window() -> None:
    state = None
    for at in range(6):
        state, _ = decide(state, SIGN_IN, T0 + timedelta(seconds=at * 100))
    assert state.hits == 6  # type: ignore[union-attr]
    # the 6th failure (at 500 s) set a 2 s wait: quiet 900 s after it ends, all is forgotten
    still, _ = decide(state, SIGN_IN, T0 + timedelta(seconds=502 + 899))
    assert still.hits == 7  # type: ignore[union-attr]
    later, wait = decide(state, SIGN_IN, T0 + timedelta(seconds=502 + 900))
    assert wait == 0 and later.hits == 1 and later.blocked_until is None  # type: ignore[union-attr]


def test_an_hourly_rate_refuses_until_its_window_ends() -> None:
    assert _run(HOURLY, [0, 10, 20, 30, 3599, 3600, 3601]) == [0, 0, 0, 3570, 1, 0, 0]
