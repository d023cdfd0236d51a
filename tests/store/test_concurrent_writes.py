"""Two requests of one user changing the same row at the same moment both succeed, on both
databases (the API audit found three 500s on PostgreSQL: a consent set twice at once, a day's
report written twice at once, a note saved while another request deleted it). The second
writer is held in its transaction until the first commits, exactly the interleaving that
failed."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from tradeloop.store import journal, mentor, users
from tradeloop.store.db import make_session_factory, transaction
from tradeloop.store.models import AIMentorReport, MentorPreference, TradeNote

DAY = date(2026, 11, 30)
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(engine)


@pytest.fixture
def user_id(sessions: sessionmaker[Session]) -> int:
    with transaction(sessions) as session:
        user = users.add(session, name="R", email="race@example.com", password_hash="x",
                         language="en", timezone="UTC")  # fmt: skip
        return user.id


def _report(language: str, score: int) -> dict:
    return {
        "language": language,
        "trading_patterns_analysis": {"pattern": "p"},
        "emotional_analysis": {"feedback": "f"},
        "risk_management_score": score,
        "recommendations": ["r"],
        "motivation_message": "m",
    }


def _race(
    sessions: sessionmaker[Session],
    first: Callable[[Session], object],
    second: Callable[[Session], object],
) -> None:
    """``first`` runs and stays uncommitted while ``second`` starts in another connection;
    then ``first`` commits, and ``second`` must finish and commit without an error."""
    errors: list[BaseException] = []
    done = threading.Event()
    session = sessions()
    try:
        first(session)

        def other() -> None:
            try:
                with transaction(sessions) as other_session:
                    second(other_session)
            except BaseException as exc:  # reported by the test
                errors.append(exc)
            finally:
                done.set()

        thread = threading.Thread(target=other)
        thread.start()
        # the second writer waits for the first (it is not finished before the commit)
        assert not done.wait(0.5)
        session.commit()
    finally:
        session.close()
    thread.join(timeout=30)
    assert done.is_set()
    assert errors == []


def test_consent_set_twice_at_once(sessions: sessionmaker[Session], user_id: int) -> None:
    _race(
        sessions,
        lambda s: mentor.set_llm_consent(s, user_id, True, NOW),
        lambda s: mentor.set_llm_consent(s, user_id, False, NOW),
    )
    with transaction(sessions) as session:
        rows = session.scalars(select(MentorPreference)).all()
        assert [(row.user_id, row.llm_consent) for row in rows] == [(user_id, False)]


def test_a_days_report_written_twice_at_once(sessions: sessionmaker[Session], user_id: int) -> None:
    with transaction(sessions) as session:
        mentor.ensure_session(session, user_id, DAY)

    def write(score: int) -> Callable[[Session], object]:
        def save(session: Session) -> object:
            day = mentor.ensure_session(session, user_id, DAY)
            return mentor.save_report(session, day, _report("id", score))

        return save

    _race(sessions, write(3), write(8))
    with transaction(sessions) as session:
        rows = session.scalars(select(AIMentorReport)).all()
        assert [(row.language, row.risk_management_score) for row in rows] == [("id", 8)]
        assert mentor.get_session(session, user_id, DAY).risk_score == 8


def test_a_note_saved_while_another_request_deletes_it(
    sessions: sessionmaker[Session], user_id: int
) -> None:
    with transaction(sessions) as session:
        journal.save_note(session, user_id, "t1", "first", ["a"])
    _race(
        sessions,
        lambda s: journal.save_note(s, user_id, "t1", "", []),  # deleted
        lambda s: journal.save_note(s, user_id, "t1", "again", ["b"]),
    )
    with transaction(sessions) as session:
        rows = session.scalars(select(TradeNote)).all()
        assert [(row.trade_key, row.note, row.tags) for row in rows] == [("t1", "again", ["b"])]


def test_a_note_created_twice_at_once(sessions: sessionmaker[Session], user_id: int) -> None:
    _race(
        sessions,
        lambda s: journal.save_note(s, user_id, "t2", "one", []),
        lambda s: journal.save_note(s, user_id, "t2", "two", ["x"]),
    )
    with transaction(sessions) as session:
        count = session.scalar(select(func.count()).select_from(TradeNote))
        note = journal.get_note(session, user_id, "t2")
        assert (count, note.note, note.tags) == (1, "two", ["x"])
