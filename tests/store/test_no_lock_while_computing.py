"""A change to the journal (an import, a deletion, new detector settings) computes the
journal's analysis with no write lock held: another writer is never kept waiting while a
worker computes. Each computation is probed through ``run_cpu``'s step hook, on both
databases, by trying to take the lock from another connection without waiting."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

import orjson
import pandas as pd
import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from tests.api.test_journal import SMALL
from tests.journal.helpers import export, fill
from tradeloop.habits.settings import HabitSettings
from tradeloop.services import analyses, journal
from tradeloop.services.work import work_steps
from tradeloop.store import users
from tradeloop.store.db import make_engine, make_session_factory, transaction
from tradeloop.store.models import JournalImport, User

# two more trades, on fills of their own
LATER = export(
    fill(11, "10:00:00", "Buy", 1, 100), fill(12, "10:05:00", "Sell", 1, 104, "Limit"),
    fill(13, "10:10:00", "Sell", 1, 104), fill(14, "10:20:00", "Buy", 1, 101, "Limit"),
)  # fmt: skip


def _can_write(engine: Engine, user_id: int) -> bool:
    """Whether another connection could write the user's row at once."""
    if engine.dialect.name == "sqlite":
        probe = sqlite3.connect(engine.url.database, timeout=0, isolation_level=None)
        try:
            probe.execute("BEGIN IMMEDIATE")
            probe.execute("ROLLBACK")
            return True
        except sqlite3.OperationalError:
            return False
        finally:
            probe.close()
    other = make_engine(engine.url.render_as_string(hide_password=False))
    try:
        with other.begin() as connection:
            connection.execute(
                text("SELECT id FROM users WHERE id = :id FOR UPDATE NOWAIT"), {"id": user_id}
            )
        return True
    except OperationalError:
        return False
    finally:
        other.dispose()


@dataclass
class Trader:
    """A user with one import (``first``) and the sessions to work on the database."""

    sessions: sessionmaker[Session]
    user: User
    first: JournalImport


@pytest.fixture
def trader(engine: Engine) -> Trader:
    sessions = make_session_factory(engine)
    with transaction(sessions) as session:
        user = users.add(session, name="L", email="lock@example.com", password_hash="x",
                         language="en", timezone="UTC")  # fmt: skip
    with transaction(sessions) as session:
        _, first = journal.import_export(session, user, "a.csv", SMALL, tz="UTC")
    return Trader(sessions, user, first)


@pytest.mark.parametrize("change", ["import", "second import", "delete", "settings"])
def test_journal_changes_compute_with_no_write_lock_held(
    engine: Engine, trader: Trader, change: str
) -> None:
    sessions, user, first = trader.sessions, trader.user, trader.first
    if change == "delete":
        with transaction(sessions) as session:
            journal.import_export(session, user, "later.csv", LATER, tz="UTC")
    probes: list[bool] = []

    def probe(finished: bool) -> None:
        if not finished:
            probes.append(_can_write(engine, user.id))

    token = work_steps.set(probe)
    try:
        with transaction(sessions) as session:
            if change == "import":
                journal.import_export(session, user, "b.csv", SMALL + b"\n", tz="UTC")
            elif change == "second import":
                journal.import_export(session, user, "later.csv", LATER, tz="UTC")
            elif change == "delete":
                journal.delete_import(session, user, first.id)
            else:
                journal.save_settings(session, user, HabitSettings(sigma_loss=2.0))
    finally:
        work_steps.reset(token)
    assert probes and all(probes), probes
    with transaction(sessions) as session:  # and the change took
        trades = journal.summary_of(session, user.id)["total_trades"]
        assert trades == {"import": 2, "second import": 4, "delete": 2, "settings": 2}[change]
        if change == "delete":
            assert journal.list_imports(session, user.id, 10, 0).total == 1


def test_a_report_or_feedback_after_an_import_computes_with_no_write_lock_held(
    engine: Engine, trader: Trader, tmp_path
) -> None:
    from datetime import date

    from tradeloop.config import Settings
    from tradeloop.services import mentor

    sessions, user = trader.sessions, trader.user
    analyses.cache.clear()  # as another server process, or after a restart
    probes: list[bool] = []
    token = work_steps.set(lambda finished: finished or probes.append(_can_write(engine, user.id)))
    try:
        with transaction(sessions) as session:
            report = mentor.generate_report(session, user, date(2024, 1, 2), "en")
        with transaction(sessions) as session:
            mentor.quick_feedback(session, user, Settings(data_dir=tmp_path), date(2024, 1, 2),
                                  "calm", None, None, "en")  # fmt: skip
    finally:
        work_steps.reset(token)
    assert probes == [True], probes  # computed once, lock-free; the feedback reused it
    assert report["date"] == "2024-01-02" and report["emotion"] == "neutral"


@pytest.mark.parametrize("change", ["import", "delete", "settings"])
def test_the_analysis_made_before_a_change_is_the_one_read_after_it(
    trader: Trader, change: str
) -> None:
    sessions, user, first = trader.sessions, trader.user, trader.first
    with transaction(sessions) as session:
        if change == "import":
            journal.import_export(session, user, "later.csv", LATER, tz="UTC")
        elif change == "delete":
            journal.import_export(session, user, "later.csv", LATER, tz="UTC")
            journal.delete_import(session, user, first.id)
        else:
            journal.save_settings(session, user, HabitSettings(sigma_loss=0.5, k=3.0))

    def views() -> tuple:
        with transaction(sessions) as session:
            analysis = analyses.user_analysis(session, user.id)
            summary = orjson.dumps(journal.summary_of(session, user.id), default=str)
            return summary, analysis.trades.copy()

    kept = views()  # the analysis made before the change, kept under the new stamp
    analyses.cache.clear()
    made = views()  # made again from what is stored: the same
    assert made[0] == kept[0]
    pd.testing.assert_frame_equal(made[1], kept[1])
