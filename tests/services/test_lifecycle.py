"""The data's lifecycle on real databases: backups and restores (SQLite's online backup,
pg_dump/pg_restore), copying a SQLite install into PostgreSQL with data the features made,
retention (``prune``) and the days a deleted import leaves behind."""

from __future__ import annotations

import shutil
import sqlite3
import stat
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, text
from sqlalchemy.engine import make_url

from tests.api.test_backtests import SETTINGS, csv_bytes
from tests.conftest import PASSWORD, bearer, register
from tests.journal.helpers import export, fill
from tradeloop.app import create_app
from tradeloop.config import Settings
from tradeloop.core.codes import BotAction
from tradeloop.core.errors import Conflict, InvalidInput, Unavailable
from tradeloop.journal.synthetic import synthetic_export
from tradeloop.services import accounts, backtests, journal, lifecycle, mentor
from tradeloop.services.database import Database, open_database, transaction
from tradeloop.services.demo import load_demo
from tradeloop.store import bots, jobs, migrate, users
from tradeloop.store import lifecycle as store
from tradeloop.store import mentor as mentor_store
from tradeloop.store.db import make_engine, scratch_database
from tradeloop.store.models import Base, TradingSession, User
from tradeloop.strategies.base import get_strategy

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
OLD = NOW - timedelta(days=40)
RECENT = NOW - timedelta(days=5)
# two trades on 2 January 2024 and two on the 3rd (Tradovate orders, UTC)
FIRST = export(
    fill(1, "01/02/2024 09:00:00", "Buy", 1, 100), fill(2, "01/02/2024 09:05:00", "Sell", 1, 104),
    fill(3, "01/02/2024 10:00:00", "Sell", 1, 104), fill(4, "01/02/2024 10:05:00", "Buy", 1, 101),
    fill(5, "01/03/2024 09:00:00", "Buy", 1, 100), fill(6, "01/03/2024 09:05:00", "Sell", 1, 98),
    fill(7, "01/03/2024 10:00:00", "Buy", 1, 99), fill(8, "01/03/2024 10:05:00", "Sell", 1, 103),
)  # fmt: skip
# one trade on the 3rd and one on the 4th, fills of their own
SECOND = export(
    fill(11, "01/03/2024 14:00:00", "Buy", 1, 200), fill(12, "01/03/2024 14:05:00", "Sell", 1, 205),
    fill(13, "01/04/2024 09:00:00", "Buy", 1, 210), fill(14, "01/04/2024 09:05:00", "Sell", 1, 207),
)  # fmt: skip
DAYS = [date(2024, 1, 2), date(2024, 1, 3), date(2024, 1, 4)]


@pytest.fixture
def database(settings: Settings) -> Iterator[Database]:
    """The migrated test database (each engine), opened as the app opens it."""
    opened = open_database(settings)
    yield opened
    opened.engine.dispose()


def add_user(database: Database, email: str = "ayu@example.com") -> User:
    with transaction(database.sessions) as session:
        return users.add(session, name="Ayu", email=email, password_hash="x", language="en",
                         timezone="UTC")  # fmt: skip


def counts(engine: Engine) -> dict[str, int]:
    """Rows per model table."""
    with engine.connect() as connection:
        return {t.name: store.count_rows(connection, t) for t in store.tables_in(connection)}


def all_rows(engine: Engine) -> dict[str, list[dict[str, Any]]]:
    """Every model table's rows as the model's types read them, in key order."""
    with engine.connect() as connection:
        return {
            table.name: [
                row
                for part in store.read_batches(connection, table, list(table.c.keys()), 500)
                for row in part
            ]
            for table in store.tables_in(connection)
        }


def session_days(database: Database, user_id: int) -> list[date]:
    with transaction(database.sessions) as session:
        return list(
            session.scalars(
                select(TradingSession.session_date)
                .where(TradingSession.user_id == user_id)
                .order_by(TradingSession.session_date)
            )
        )


# --- deleting an import ----------------------------------------------------------------------


def test_deleting_an_import_deletes_the_days_only_it_filled(database: Database, settings) -> None:
    user = add_user(database)
    with transaction(database.sessions) as session:
        _, first = journal.import_export(session, user, "first.csv", FIRST, tz="UTC")
        _, second = journal.import_export(session, user, "second.csv", SECOND, tz="UTC")
    assert session_days(database, user.id) == DAYS
    with transaction(database.sessions) as session:  # the trader's own note on the 2nd
        mentor.quick_feedback(session, user, settings, DAYS[0], "calm", None, "kept", "en")
    with transaction(database.sessions) as session:
        journal.delete_import(session, user, first.id)
    # the 2nd holds the note, the 3rd the second file's trade, the 4th only the second's
    assert session_days(database, user.id) == DAYS
    with transaction(database.sessions) as session:
        rows = mentor_store.sessions_between(session, user.id, None, None)
        assert sorted((r.session_date, r.total_trades) for r in rows) == [
            (DAYS[0], 0), (DAYS[1], 1), (DAYS[2], 1),
        ]  # fmt: skip
    with transaction(database.sessions) as session:
        journal.delete_import(session, user, second.id)
    assert session_days(database, user.id) == [DAYS[0]]  # the noted day only


def test_deleting_a_large_import_leaves_no_session(database: Database) -> None:
    user = add_user(database)
    data = synthetic_export(120, seed=7, start="2024-03-04 08:00:00")
    with transaction(database.sessions) as session:
        _, row = journal.import_export(session, user, "big.csv", data, tz="UTC")
    assert session_days(database, user.id) == [date(2024, 3, d) for d in range(4, 9)]
    with database.engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM trading_sessions")).scalar() == 5
    with transaction(database.sessions) as session:
        journal.delete_import(session, user, row.id)
    with database.engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM trading_sessions")).scalar() == 0
        live = "SELECT count(*) FROM journal_imports WHERE deleted_at IS NULL"
        assert connection.execute(text(live)).scalar() == 0


# --- retention ---------------------------------------------------------------------------------


def _set(database: Database, sql: str, **values: Any) -> None:
    with database.engine.begin() as connection:
        connection.execute(text(sql), values)


def _prune_data(database: Database, settings: Settings) -> dict[str, Any]:
    """A user with bot events, notifications, backtests, jobs, sessions (one empty), a bot
    deleted 40 days ago and an import deleted 10 days ago, the rest 40 or 5 days old; the
    ids to check."""
    user = add_user(database)
    with transaction(database.sessions) as session:
        fields = {"market": "EURUSD", "strategy": "ma_crossover"}
        bot = bots.add_bot(session, user.id, {"name": "B", **fields})  # logs BOT_CREATED
        gone = bots.add_bot(session, user.id, {"name": "Gone", **fields})
        started = BotAction.BOT_STARTED
        events = [bots.log_event(session, user.id, bot.id, started).id for _ in range(3)]
        notes = [bots.log_event(session, user.id, bot.id, started, notify=True).id
                 for _ in range(2)]  # fmt: skip
        bots.log_event(session, user.id, gone.id, started)
        journal.import_export(session, user, "first.csv", FIRST, tz="UTC")
        _, second = journal.import_export(session, user, "second.csv", SECOND, tz="UTC")
    with transaction(database.sessions) as session:  # the 4th, only its day, goes at once
        journal.delete_import(session, user, second.id)
    execution = backtests.execution_settings({"sl_atr": 2, "tp_atr": 4, "units": 1})
    strategy = get_strategy("ma_crossover", {"fast_period": 5, "slow_period": 20})
    upload = ("EURUSD_H1.csv", csv_bytes(400))
    with transaction(database.sessions) as session:
        old_run = backtests.run_and_save(session, user.id, strategy, execution, upload)
    with transaction(database.sessions) as session:
        new_run = backtests.run_and_save(
            session, user.id, strategy, execution, dataset_id=old_run.dataset_id
        )
    with transaction(database.sessions) as session:
        done_old, done_new, running = (jobs.add_job(session, user.id, "backtest") for _ in range(3))
        mentor_store.ensure_session(session, user.id, date(2024, 2, 1))  # holds nothing
        mentor.quick_feedback(session, user, settings, date(2024, 2, 2), "calm", None, None, "en")
        mentor.generate_report(session, user, date(2024, 2, 3), "en")  # a report, no trades
    _set(database, "UPDATE trade_history SET timestamp = :t", t=RECENT)
    _set(database, "UPDATE trade_history SET timestamp = :t WHERE id IN (:a, :b, :n)",
         t=OLD, a=events[0], b=events[1], n=notes[0])  # fmt: skip
    _set(database, "UPDATE backtest_results SET timestamp = :t", t=RECENT)
    _set(database, "UPDATE backtest_results SET timestamp = :t WHERE id = :i", t=OLD, i=old_run.id)
    for job, state, moment in ((done_old, "done", OLD), (done_new, "failed", RECENT),
                               (running, "running", OLD)):  # fmt: skip
        _set(database, "UPDATE jobs SET state = :s, finished_at = :f, heartbeat_at = :t WHERE id = :i",
             s=state, f=None if state == "running" else moment, t=moment, i=job.id)  # fmt: skip
    _set(database, "UPDATE bots SET deleted_at = :t WHERE id = :i", t=OLD, i=gone.id)
    _set(database, "UPDATE journal_imports SET deleted_at = :t WHERE id = :i",
         t=NOW - timedelta(days=10), i=second.id)  # fmt: skip
    with database.engine.connect() as connection:
        kept = connection.execute(
            text("SELECT id FROM trade_history WHERE bot_id = :b AND id NOT IN (:x, :y, :z)"),
            {"b": bot.id, "x": events[0], "y": events[1], "z": notes[0]},
        )
        history = [row[0] for row in kept]
    return {"user": user.id, "bot": bot.id, "history": history, "new_run": new_run.id,
            "done_new": done_new.id, "running": running.id, "second": second.id}  # fmt: skip


def test_prune_deletes_what_retention_no_longer_keeps(database: Database, settings) -> None:
    ids = _prune_data(database, settings)
    assert session_days(database, ids["user"]) == [
        *DAYS[:2],
        *(date(2024, 2, d) for d in (1, 2, 3)),
    ]
    before = counts(database.engine)
    retention = lifecycle.Retention(trades_days=30, backtests_days=30, undo_days=30)
    pruned = [
        ("deleted bots", 1), ("deleted imports", 0), ("bot events", 2), ("notifications", 1),
        ("backtests", 1), ("jobs", 1), ("empty sessions", 1),
    ]  # fmt: skip
    assert lifecycle.prune(database, retention, dry_run=True, now=NOW) == pruned
    assert counts(database.engine) == before  # a dry run deletes nothing
    assert lifecycle.prune(database, retention, now=NOW) == pruned
    after = counts(database.engine)
    assert before["trade_history"] - after["trade_history"] == 2 + 1 + 2  # and the bot's own two
    with database.engine.connect() as connection:

        def ids_of(sql: str) -> list[int]:
            return [row[0] for row in connection.execute(text(sql))]

        assert ids_of("SELECT id FROM trade_history ORDER BY id") == ids["history"]
        assert len(ids["history"]) == 3  # its creation, the third start, the second notice
        assert ids_of("SELECT id FROM bots") == [ids["bot"]]
        assert ids_of("SELECT id FROM backtest_results") == [ids["new_run"]]
        assert ids_of("SELECT id FROM jobs ORDER BY id") == [ids["done_new"], ids["running"]]
        assert ids_of("SELECT count(*) FROM datasets") == [1]  # datasets are the user's to delete
        assert len(ids_of("SELECT id FROM journal_imports")) == 2  # still in its undo window
    # the two traded days, the day with feedback and the day with a report stay
    assert session_days(database, ids["user"]) == [*DAYS[:2], date(2024, 2, 2), date(2024, 2, 3)]
    assert lifecycle.prune(database, retention, now=NOW) == [(kind, 0) for kind, _ in pruned]
    shorter = lifecycle.Retention(trades_days=7, undo_days=30)  # retention beats the undo window
    assert lifecycle.prune(database, shorter, now=NOW)[:2] == [
        ("deleted bots", 0),
        ("deleted imports", 1),
    ]


def test_prune_with_retention_off_keeps_all_but_the_undo_window(
    database: Database, settings
) -> None:
    _prune_data(database, settings)
    before = counts(database.engine)
    off = lifecycle.Retention(undo_days=60)  # nothing is old enough
    assert lifecycle.prune(database, off, now=NOW) == [
        ("deleted bots", 0), ("deleted imports", 0), ("empty sessions", 1),
    ]  # fmt: skip
    assert counts(database.engine) == before | {"trading_sessions": before["trading_sessions"] - 1}
    undo = lifecycle.Retention(undo_days=30)
    assert lifecycle.prune(database, undo, now=NOW) == [
        ("deleted bots", 1), ("deleted imports", 0), ("empty sessions", 0),
    ]  # fmt: skip
    only_trades = lifecycle.Retention(trades_days=30)
    assert dict(lifecycle.prune(database, only_trades, now=NOW))["jobs"] == 1  # its cut-off


# --- backups and restores ------------------------------------------------------------------------


def _with_password(database: Database, settings: Settings) -> Database:
    """On PostgreSQL, the same database named with a password in its URL (the local server
    trusts it): pg_dump and pg_restore must find it in PGPASSWORD."""
    if database.engine.dialect.name != "postgresql":
        return database
    url = make_url(settings.effective_database_url).set(password="not-on-the-command-line")
    return open_database(
        Settings(data_dir=settings.data_dir, database_url=url.render_as_string(hide_password=False))
    )


def test_backup_then_restore_brings_every_row_back(database: Database, settings, tmp_path) -> None:
    user = add_user(database)
    with transaction(database.sessions) as session:
        journal.import_export(session, user, "first.csv", FIRST, tz="UTC")
    before = all_rows(database.engine)
    (tmp_path / "backups").mkdir()
    target = tmp_path / "backups" / "tradeloop.backup"
    made = lifecycle.backup(_with_password(database, settings), target)
    assert (made.kind, made.revision) == (database.engine.dialect.name, migrate.HEAD)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600 and made.size == target.stat().st_size
    assert [p.name for p in target.parent.iterdir()] == ["tradeloop.backup"]  # no part left
    with pytest.raises(InvalidInput, match="exists: add --yes to replace it"):
        lifecycle.backup(database, target)
    with transaction(database.sessions) as session:
        accounts.remove_user(session, "ayu@example.com")
    add_user(database, "other@example.com")
    assert counts(database.engine)["users"] == 1
    restored = lifecycle.restore(_with_password(database, settings), target)
    assert (restored.revision, restored.now, restored.upgraded) == (
        migrate.HEAD,
        migrate.HEAD,
        False,
    )
    assert all_rows(database.engine) == before
    with transaction(database.sessions) as session:  # the app works on it: a new row gets a new id
        again = users.add(session, name="N", email="new@example.com", password_hash="x",
                          language="en", timezone="UTC")  # fmt: skip
    assert again.id == user.id + 1


def test_restore_of_an_older_backup_migrates_it_up(database: Database, tmp_path) -> None:
    older = store.known_revisions()[-2]
    database.downgrade(older)
    with database.engine.begin() as connection:
        connection.execute(
            text("INSERT INTO users (name, email, password_hash) VALUES ('A', 'a@x.io', 'x')")
        )
    made = lifecycle.backup(database, tmp_path / "old.backup")
    assert made.revision == older
    database.upgrade()
    add_user(database)
    restored = lifecycle.restore(database, tmp_path / "old.backup")
    assert (restored.revision, restored.now, restored.upgraded) == (older, migrate.HEAD, True)
    assert database.revision() == migrate.HEAD
    database.require_current()
    with database.engine.connect() as connection:
        assert connection.execute(text("SELECT email FROM users")).all() == [("a@x.io",)]


def _newer(database: Database, tmp_path: Path) -> Path:
    """A backup whose schema revision this version does not know."""
    if database.engine.dialect.name == "sqlite":
        path = tmp_path / "newer.backup"
        lifecycle.backup(database, path)
        with sqlite3.connect(path) as connection:
            connection.execute("UPDATE alembic_version SET version_num = '9999'")
        return path
    server = database.engine.url.render_as_string(hide_password=False)
    for url in scratch_database(server, "tradeloop_newer"):
        engine = make_engine(url)
        migrate.upgrade(engine)
        with engine.begin() as connection:
            connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
        engine.dispose()
        other = Database(make_engine(url), database.sessions, database.readers)
        lifecycle.backup(other, tmp_path / "newer.backup")
        other.engine.dispose()
    return tmp_path / "newer.backup"


def test_restore_refuses_what_it_cannot_restore_and_changes_nothing(
    database: Database, tmp_path: Path, backend: str
) -> None:
    add_user(database)
    good = tmp_path / "good.backup"
    lifecycle.backup(database, good)
    (tmp_path / "notes.txt").write_text("not a backup\n")
    sqlite3.connect(tmp_path / "plain.db").execute("CREATE TABLE t (x)").connection.commit()
    (tmp_path / "half.backup").write_bytes(good.read_bytes()[:200])
    cases = {
        tmp_path
        / "notes.txt": "is not a tradeloop backup (neither a SQLite file nor a pg_dump archive)",
        tmp_path / "missing.backup": "does not exist",
        tmp_path / "half.backup": "is not a tradeloop backup: ",
        _newer(database, tmp_path): "was made by a newer tradeloop (schema revision 9999; this "
        f"version knows up to {migrate.HEAD})",
        tmp_path / "plain.db": "is a sqlite backup and the database is postgresql"
        if backend == "postgresql"
        else "is not a tradeloop backup: no such table: alembic_version",
    }
    if backend == "sqlite":  # the first bytes of a pg_dump archive
        (tmp_path / "pg.backup").write_bytes(b"PGDMP\x01\x0e\x00" + bytes(100))
        cases[tmp_path / "pg.backup"] = "is a postgresql backup and the database is sqlite"
    before = all_rows(database.engine)
    for path, message in cases.items():
        with pytest.raises(InvalidInput) as refused:
            lifecycle.restore(database, path)
        assert message in refused.value.message, (path, refused.value.message)
        assert all_rows(database.engine) == before


def test_a_postgresql_backup_needs_pg_dump(pg_server_url, tmp_path, monkeypatch) -> None:
    for url in scratch_database(pg_server_url, "tradeloop_nodump"):
        engine = make_engine(url)
        migrate.upgrade(engine)
        database = Database(engine, None, None)  # type: ignore[arg-type]
        monkeypatch.setenv("PATH", str(tmp_path))  # pg_dump is nowhere on it
        with pytest.raises(Unavailable, match=r"^pg_dump is not installed: install the PostgreSQL"):
            lifecycle.backup(database, tmp_path / "x.backup")
        engine.dispose()
    assert list(tmp_path.iterdir()) == []


def test_pg_tools_get_the_password_from_the_environment() -> None:
    args, env = lifecycle.pg_connection(
        "postgresql+psycopg://ayu:s3cr%40t@db.example:5433/tl?sslmode=require"
    )
    assert args == ["--no-password", "--dbname=postgresql://ayu@db.example:5433/tl?sslmode=require"]
    assert env["PGPASSWORD"] == "s3cr@t" and not any("s3cr" in arg for arg in args)


# --- copying into PostgreSQL -------------------------------------------------------------------


@pytest.fixture
def sqlite_install(tmp_path: Path, sqlite_template: Path) -> Settings:
    """A SQLite install: a migrated database in its data directory."""
    data = tmp_path / "data"
    data.mkdir()
    shutil.copyfile(sqlite_template, data / "tradeloop.db")
    return Settings(
        data_dir=data, database_url=f"sqlite:///{data / 'tradeloop.db'}", serve_bots=False
    )


@pytest.fixture
def empty_pg(pg_server_url: str) -> Iterator[str]:
    """A new, empty PostgreSQL database (not migrated)."""
    yield from scratch_database(pg_server_url, "tradeloop_copy")


def _views(client: TestClient, headers: dict[str, str]) -> dict[str, Any]:
    """What a user sees of their data over the API."""
    pages = {
        "trades": "/api/journal/trades?limit=200", "summary": "/api/journal/summary",
        "imports": "/api/journal/imports", "backtests": "/api/backtests",
        "sessions": "/api/mentor/sessions?limit=200", "day": "/api/mentor/sessions/2024-01-02",
        "datasets": "/api/datasets", "me": "/api/me",
    }  # fmt: skip
    views = {}
    for name, path in pages.items():
        response = client.get(path, headers=headers)
        assert response.status_code == 200, (path, response.text)
        views[name] = response.json()
    return views


def test_copy_to_postgresql_keeps_every_row_and_the_app_works(
    sqlite_install: Settings, empty_pg: str
) -> None:
    with transaction(open_database(sqlite_install).sessions) as session:
        load_demo(session, sqlite_install.data_dir)  # bots, events, an import, backtests, a report
    with TestClient(create_app(sqlite_install), base_url="http://127.0.0.1") as client:
        register(client, "ayu@example.com")
        register(client, "budi@example.com")
        ayu = bearer(client, "ayu@example.com")
        upload = client.post("/api/journal/imports", headers=ayu,
                             files={"file": ("first.csv", FIRST, "text/csv")}, data={"tz": "UTC"})  # fmt: skip
        assert upload.status_code == 201, upload.text
        feedback = client.post("/api/mentor/feedback", headers=ayu,
                               json={"date": "2024-01-02", "emotion": "calm", "note": "rahasia"})  # fmt: skip
        assert feedback.status_code == 200, feedback.text
        run = client.post("/api/backtests", headers=ayu, data={"strategy": "ma_crossover", "settings": SETTINGS},
                          files={"file": ("EURUSD_H1.csv", csv_bytes(1500), "text/csv")})  # fmt: skip
        assert run.status_code == 201, run.text
        seen = _views(client, ayu)
    assert seen["day"]["note"] == "rahasia" and seen["summary"]["total_trades"] == 4
    source = open_database(sqlite_install)
    before, rows = counts(source.engine), all_rows(source.engine)
    assert before["users"] == 3 and before["trade_history"] > 0 and before["datasets"] == 2
    steps: list[tuple[str, int, int]] = []
    copied = lifecycle.copy_to(source, empty_pg, batch=2, progress=lambda *s: steps.append(s))
    assert [c.table for c in copied] == [t.name for t in Base.metadata.sorted_tables]
    assert {c.table: (c.source, c.target) for c in copied} == {t: (n, n) for t, n in before.items()}
    assert ("trade_history", before["trade_history"], before["trade_history"]) in steps
    assert ("users", 2, 3) in steps  # batches of two
    target = make_engine(empty_pg)
    assert all_rows(target) == rows  # every value, as the model reads it
    target.dispose()
    on_pg = Settings(data_dir=sqlite_install.data_dir, database_url=empty_pg, serve_bots=False)
    with TestClient(create_app(on_pg), base_url="http://127.0.0.1") as client:
        ayu = bearer(client, "ayu@example.com", PASSWORD)  # signs in with the same password
        assert _views(client, ayu) == seen
        register(client, "citra@example.com")  # sequences moved past the copied keys
        again = client.post("/api/backtests", headers=ayu, data={"strategy": "ma_crossover", "settings": SETTINGS},
                            files={"file": ("EURUSD_H1.csv", csv_bytes(1500), "text/csv")})  # fmt: skip
        assert again.status_code == 201 and again.json()["id"] == run.json()["id"] + 1
        assert again.json()["total_profit_usd"] == run.json()["total_profit_usd"]
    source.engine.dispose()


def test_copy_refuses_a_target_with_users(sqlite_install: Settings, empty_pg: str) -> None:
    source = open_database(sqlite_install)
    add_user(source)
    lifecycle.copy_to(source, empty_pg)
    with pytest.raises(Conflict, match=r"is not empty: users \(1\); copy only into a new, empty"):
        lifecycle.copy_to(source, empty_pg)
    with pytest.raises(InvalidInput, match="names the database being copied"):
        lifecycle.copy_to(source, sqlite_install.effective_database_url)
    assert counts(make_engine(empty_pg))["users"] == 1
    source.engine.dispose()


def test_a_value_postgresql_refuses_leaves_the_target_empty(
    sqlite_install: Settings, empty_pg: str
) -> None:
    source = open_database(sqlite_install)
    user = add_user(source)
    with transaction(source.sessions) as session:
        bots.add_bot(
            session,
            user.id,
            {"name": "nul\x00here", "market": "EURUSD", "strategy": "ma_crossover"},
        )
    with pytest.raises(InvalidInput, match=r"^cannot copy table bots: .*\(nothing was copied\)$"):
        lifecycle.copy_to(source, empty_pg)
    target = make_engine(empty_pg)
    assert set(counts(target).values()) == {0} and migrate.current_revision(target) == migrate.HEAD
    target.dispose()
    source.engine.dispose()


def test_copy_needs_a_current_source(sqlite_install: Settings, tmp_path: Path) -> None:
    source = open_database(sqlite_install)
    source.downgrade("-1")
    with pytest.raises(InvalidInput, match="run `tradeloop db upgrade` first"):
        lifecycle.copy_to(source, f"sqlite:///{tmp_path / 'other.db'}")
    source.engine.dispose()
