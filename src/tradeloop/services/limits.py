"""Abuse limits shared by every server process: kept in the database (table ``throttles``).

Two kinds of rule:

- a **rate** (``progressive=False``): at most ``hits`` per ``window`` seconds for a key, then 429
  with Retry-After until the window ends (registrations per address, uploads per user, …);
- a **progressive delay** (``progressive=True``) for sign-in failures: the first ``hits``
  failures are free, then each further one doubles the wait (1 s, 2 s, 4 s … up to
  ``max_delay``); quiet for ``window`` seconds, the key is forgotten. An attempt reserves its
  failure before the password is checked, so parallel guesses cannot slip past; a success
  clears the keys it was counted under.

Each decision is a compare-and-set on one row, so two processes never both take the last hit.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from tradeloop.core.errors import TooManyRequests
from tradeloop.store.models import Throttle

KEY_LENGTH = 200
ATTEMPTS = 8  # compare-and-set rounds before giving up on a contended key


@dataclass(frozen=True)
class Rule:
    """How many hits a key may take and how it recovers."""

    name: str
    hits: int
    window: float
    progressive: bool = False
    max_delay: float = 900.0


@dataclass(frozen=True)
class State:
    """A key's stored state."""

    hits: int
    window_start: datetime
    blocked_until: datetime | None


def decide(state: State | None, rule: Rule, now: datetime) -> tuple[State | None, int]:
    """The key's next state after one more hit at ``now``, and 0; or ``(None, seconds)`` when
    the hit is refused and may be tried again after ``seconds``."""
    if state is not None and state.blocked_until is not None and state.blocked_until > now:
        return None, _seconds(state.blocked_until - now)
    if rule.progressive:  # quiet for a window after the last failure and its wait: forgotten
        last = state.window_start if state else now
        if state is not None and state.blocked_until is not None:
            last = max(last, state.blocked_until)
        fresh = state is None or (now - last).total_seconds() >= rule.window
        hits = 1 if fresh else state.hits + 1  # type: ignore[union-attr]
        blocked = None
        if hits >= rule.hits:
            delay = min(2.0 ** (hits - rule.hits), rule.max_delay)
            blocked = now + timedelta(seconds=delay)
        return State(hits, now, blocked), 0
    fresh = state is None or (now - state.window_start).total_seconds() >= rule.window
    if fresh:
        return State(1, now, None), 0
    if state.hits >= rule.hits:  # type: ignore[union-attr]
        end = state.window_start + timedelta(seconds=rule.window)  # type: ignore[union-attr]
        return None, _seconds(end - now)
    return State(state.hits + 1, state.window_start, None), 0  # type: ignore[union-attr]


def clock() -> datetime:
    """The time limits are counted at (tests stop it)."""
    return datetime.now(UTC)


def _state(row: Throttle | None) -> State | None:
    return None if row is None else State(row.hits, row.window_start, row.blocked_until)


def _seconds(delta: timedelta) -> int:
    return max(1, math.ceil(delta.total_seconds()))


def limit_key(rule: Rule, who: str, value: object) -> str:
    """The key of ``rule`` for one account, address, device or user (bounded length; a value
    with control characters, which PostgreSQL may refuse, or too long, goes by its SHA-256)."""
    text = str(value)
    if len(text) > KEY_LENGTH // 2 or any(ord(c) < 32 or ord(c) == 127 for c in text):
        text = "sha256-" + hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
    return f"{rule.name}:{who}:{text}"


class Limits:
    """Counts hits per key in the database, each in its own short transaction."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    def retry_after(self, key: str, rule: Rule, now: datetime | None = None) -> int:
        """Seconds until ``key`` may take a hit (0: now), without counting one."""
        now = now or clock()
        with self.sessions() as session:
            state = _state(session.get(Throttle, key))
        _, wait = decide(state, rule, now)
        return wait

    def hit(self, key: str, rule: Rule, now: datetime | None = None) -> int:
        """Count one hit for ``key``; 0 when allowed, else the seconds to wait (nothing
        counted)."""
        now = now or clock()
        for _ in range(ATTEMPTS):
            with self.sessions() as session:
                row = session.scalar(select(Throttle).where(Throttle.key == key))
                state = (
                    None if row is None else State(row.hits, row.window_start, row.blocked_until)
                )
                new, wait = decide(state, rule, now)
                if new is None:
                    return wait
                if self._store(session, key, row, new):
                    return 0
        raise TooManyRequests("server busy: try again in 1 s", 1, key="error.limit_busy")

    @staticmethod
    def _store(session: Session, key: str, row: Throttle | None, new: State) -> bool:
        values = {"hits": new.hits, "window_start": new.window_start}
        values["blocked_until"] = new.blocked_until  # type: ignore[assignment]
        try:
            if row is None:
                session.add(Throttle(key=key, **values))
                session.commit()
                return True
            result = session.execute(
                update(Throttle)
                .where(
                    Throttle.key == key,
                    Throttle.hits == row.hits,
                    Throttle.window_start == row.window_start,
                )
                .values(**values)
                .execution_options(synchronize_session=False)
            )
            session.commit()
            return bool(result.rowcount)
        except IntegrityError:  # another process inserted the key first: read it again
            session.rollback()
            return False

    def check(self, key: str, rule: Rule, message: str, message_key: str) -> None:
        """Count one hit; TooManyRequests (429, Retry-After) when ``key`` is over ``rule``."""
        wait = self.hit(key, rule)
        if wait:
            raise TooManyRequests(
                message.format(seconds=wait), wait, key=message_key, values={"seconds": wait}
            )

    def clear(self, *keys: str) -> None:
        """Forget ``keys`` (a good sign-in clears its failures)."""
        with self.sessions() as session:
            session.execute(delete(Throttle).where(Throttle.key.in_(keys)))
            session.commit()

    def forget_before(self, before: datetime) -> int:
        """Delete keys last counted before ``before`` and not blocked after it; how many."""
        with self.sessions() as session:
            result = session.execute(
                delete(Throttle).where(
                    Throttle.window_start < before,
                    (Throttle.blocked_until.is_(None)) | (Throttle.blocked_until < before),
                )
            )
            session.commit()
            return result.rowcount or 0
