"""The schema matches the seed document on SQLite and PostgreSQL, and its promises hold."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import IntegrityError

from tradeloop.store import migrate
from tradeloop.store.models import Base

# Seed columns (plus the additions the foundation issue asks for) and which are NOT NULL.
COLUMNS = {
    "users": {
        "id": True,
        "name": True,
        "email": True,
        "password_hash": True,
        "join_date": False,
        "language": True,
        "timezone": True,
        "session_version": True,
        "journal_stamp": True,
        "role": True,
        "totp_secret": False,
        "totp_enabled_at": False,
    },
    "bots": {
        "id": True,
        "user_id": True,
        "name": True,
        "market": True,
        "status": True,
        "lot_size": True,
        "sl_pips": True,
        "tp_pips": True,
        "timeframe": True,
        "check_interval_seconds": True,
        "strategy": True,
        "strategy_params": False,
        "risk_percent": False,
        "stop_mode": True,
        "sl_atr_multiplier": True,
        "tp_atr_multiplier": True,
        "enable_strategy_switching": True,
        "feed": False,
        "lease_holder": False,
        "lease_until": False,
        "status_reason": False,
        "command": False,
        "protections": False,
        "deleted_at": False,
    },
    "paper_accounts": {
        "bot_id": True,
        "user_id": True,
        "state": True,
        "pending_entry": False,
        "pending_exit": False,
        "position_id": False,
        "equity": True,
        "bar_index": True,
        "updated_at": True,
        "runner": False,
    },
    "bot_fills": {
        "id": True,
        "bot_id": True,
        "user_id": True,
        "client_order_id": True,
        "position": True,
        "reason": True,
        "side": True,
        "quantity": True,
        "price": True,
        "commission": True,
        "stop": False,
        "time": True,
    },
    "trade_history": {
        "id": True,
        "bot_id": True,
        "timestamp": False,
        "action": True,
        "details": False,
        "is_notification": True,
        "is_read": True,
    },
    "backtest_results": {
        "id": True,
        "user_id": True,
        "timestamp": False,
        "strategy_name": True,
        "data_filename": True,
        "total_profit_usd": True,
        "total_trades": True,
        "win_rate_percent": True,
        "max_drawdown_percent": True,
        "wins": True,
        "losses": True,
        "equity_curve": False,
        "trade_log": False,
        "parameters": False,
        "stats": False,
        "dataset_id": False,
    },
    "journal_imports": {
        "id": True,
        "user_id": True,
        "file_name": True,
        "format": True,
        "kind": True,
        "timezone": True,
        "currency": True,
        "stops_known": True,
        "rows": True,
        "trades": True,
        "sha256": True,
        "details": True,
        "deleted_at": False,
        "orders": True,
        "created_at": False,
    },
    "broker_accounts": {
        "id": True,
        "user_id": True,
        "account": True,
        "server": True,
        "timezone": True,
        "currency": True,
        "updated_at": False,
    },
    "habit_settings": {
        "user_id": True,
        "sigma_loss": True,
        "sigma_risk": True,
        "k": True,
        "vr": True,
    },
    "habit_goals": {
        "id": True,
        "user_id": True,
        "name": True,
        "mistakes": True,
        "target": True,
        "metric": True,
        "start_date": False,
        "created_at": False,
    },
    "mentor_threads": {"id": True, "user_id": True, "title": True, "created_at": False},
    "mentor_messages": {
        "id": True,
        "thread_id": True,
        "role": True,
        "content": True,
        "provider": True,
        "created_at": False,
        "details": False,
    },
    "mentor_preferences": {"user_id": True, "llm_consent": True, "consent_changed_at": False},
    "llm_calls": {
        "id": True,
        "user_id": True,
        "created_at": True,
        "model": True,
        "tools": True,
        "rounds": True,
        "prompt_tokens": True,
        "completion_tokens": True,
        "duration_ms": True,
        "outcome": True,
        "reason": False,
    },
    "jobs": {
        "id": True,
        "user_id": True,
        "kind": True,
        "state": True,
        "progress": True,
        "stage": True,
        "error": False,
        "result_id": False,
        "cancel_requested": True,
        "created_at": True,
        "started_at": False,
        "finished_at": False,
        "heartbeat_at": True,
    },
    "datasets": {
        "id": True,
        "user_id": True,
        "name": True,
        "symbol": True,
        "timeframe": True,
        "bars": True,
        "start_time": True,
        "end_time": True,
        "sha256": True,
        "data": True,
        "report": True,
        "created_at": False,
    },
    "trade_notes": {
        "id": True,
        "user_id": True,
        "trade_key": True,
        "note": True,
        "tags": True,
        "updated_at": True,
    },
    "trading_sessions": {
        "id": True,
        "session_date": True,
        "user_id": True,
        "total_trades": True,
        "total_profit_loss": True,
        "emotions": True,
        "market_conditions": True,
        "personal_notes": False,
        "risk_score": False,
        "created_at": False,
        "feedback_at": False,
    },
    "ai_mentor_reports": {
        "id": True,
        "session_id": True,
        "trading_patterns_analysis": False,
        "emotional_analysis": False,
        "risk_management_score": False,
        "recommendations": False,
        "motivation_message": False,
        "language": True,
        "created_at": False,
    },
    "daily_trading_data": {
        "id": True,
        "session_id": True,
        "bot_id": True,
        "symbol": True,
        "entry_time": False,
        "exit_time": False,
        "profit_loss": True,
        "lot_size": True,
        "stop_loss_used": False,
        "take_profit_used": False,
        "risk_percent": False,
        "strategy_used": False,
        "created_at": False,
    },
    "throttles": {"key": True, "hits": True, "window_start": True, "blocked_until": False},
    "audit_events": {
        "id": True,
        "user_id": False,
        "at": True,
        "action": True,
        "outcome": True,
        "address": True,
        "detail": True,
    },
    "user_sessions": {
        "id": True,
        "user_id": True,
        "token_id": True,
        "kind": True,
        "created_at": True,
        "expires_at": True,
        "address": True,
        "agent": True,
        "revoked_at": False,
    },
    "recovery_codes": {"id": True, "user_id": True, "code_hash": True, "used_at": False},
    "trading_accounts": {
        "id": True,
        "user_id": True,
        "name": True,
        "kind": True,
        "exchange": False,
        "market_type": True,
        "mode": False,
        "credentials": False,
        "key_hint": True,
        "mt5_login": False,
        "mt5_server": False,
        "max_order_size": False,
        "max_open_positions": False,
        "max_daily_loss": False,
        "created_at": True,
        "updated_at": True,
    },
    "optimisation_runs": {
        "id": True,
        "user_id": True,
        "dataset_id": False,
        "job_id": False,
        "strategy": True,
        "request": True,
        "status": True,
        "total": False,
        "result": False,
        "error": False,
        "created_at": True,
        "finished_at": False,
    },
    "optimisation_rows": {
        "id": True,
        "run_id": True,
        "user_id": True,
        "combo_index": True,
        "params": False,
        "settings": False,
        "stats": False,
        "skipped": False,
        "daily": False,
    },
}

# Foreign keys: (table, column) -> referred table; every one cascades on delete.
FOREIGN_KEYS = {
    ("bots", "user_id"): "users",
    ("backtest_results", "user_id"): "users",
    ("trade_history", "bot_id"): "bots",
    ("trading_sessions", "user_id"): "users",
    ("ai_mentor_reports", "session_id"): "trading_sessions",
    ("daily_trading_data", "session_id"): "trading_sessions",
    ("daily_trading_data", "bot_id"): "bots",
}

# The seed's "Query Optimization" indexes.
SEED_INDEXES = [
    ("trade_history", ["bot_id", "timestamp"]),
    ("backtest_results", ["timestamp"]),
    ("bots", ["status"]),
    ("trading_sessions", ["session_date", "user_id"]),
    ("daily_trading_data", ["session_id"]),
    ("ai_mentor_reports", ["session_id"]),
]


def run(engine: Engine, sql: str, **params: object) -> list:
    with engine.begin() as connection:
        result = connection.execute(text(sql), params)
        return list(result) if result.returns_rows else []


def seed_user(engine: Engine, email: str = "a@example.com") -> int:
    run(engine, "INSERT INTO users (name, email, password_hash) VALUES ('A', :e, 'h')", e=email)
    return run(engine, "SELECT id FROM users WHERE email = :e", e=email)[0][0]


def seed_tree(engine: Engine, user_id: int) -> dict[str, int]:
    """A bot with history, a backtest, a session with a report and a bot trade."""
    run(
        engine,
        "INSERT INTO bots (user_id, name, market, strategy) VALUES (:u, 'b', 'EURUSD', 'ma')",
        u=user_id,
    )
    bot = run(engine, "SELECT max(id) FROM bots")[0][0]
    run(engine, "INSERT INTO trade_history (bot_id, action) VALUES (:b, 'BOT_STARTED')", b=bot)
    run(
        engine,
        "INSERT INTO datasets (user_id, name, symbol, timeframe, bars, start_time, end_time, sha256, data)"
        " VALUES (:u, 'f.csv', 'EURUSD', 'H1', 2, '2025-01-01 00:00:00', '2025-01-01 01:00:00', :h, :d)",
        u=user_id,
        h=f"{user_id:064d}",
        d=b"PAR1",
    )
    dataset = run(engine, "SELECT max(id) FROM datasets")[0][0]
    run(
        engine,
        "INSERT INTO backtest_results (user_id, strategy_name, data_filename, total_profit_usd,"
        " total_trades, win_rate_percent, max_drawdown_percent, wins, losses, dataset_id)"
        " VALUES (:u, 's', 'f.csv', 1.5, 2, 50.0, 3.0, 1, 1, :d)",
        u=user_id,
        d=dataset,
    )
    run(
        engine,
        "INSERT INTO trading_sessions (session_date, user_id) VALUES ('2025-01-15', :u)",
        u=user_id,
    )
    session = run(engine, "SELECT max(id) FROM trading_sessions")[0][0]
    run(engine, "INSERT INTO ai_mentor_reports (session_id) VALUES (:s)", s=session)
    run(
        engine,
        "INSERT INTO daily_trading_data (session_id, bot_id, symbol, profit_loss, lot_size)"
        " VALUES (:s, :b, 'EURUSD', 45.5, 0.01)",
        s=session,
        b=bot,
    )
    return {"bot": bot, "session": session, "dataset": dataset}


def count(engine: Engine, table: str) -> int:
    return run(engine, f"SELECT count(*) FROM {table}")[0][0]


def test_tables_columns_and_not_null_match_the_seed(engine: Engine) -> None:
    inspector = inspect(engine)
    assert set(inspector.get_table_names()) == set(COLUMNS) | {"alembic_version"}
    for table, expected in COLUMNS.items():
        actual = {col["name"]: not col["nullable"] for col in inspector.get_columns(table)}
        assert actual == expected, table


def test_foreign_keys_reference_their_parent_and_cascade(engine: Engine) -> None:
    inspector = inspect(engine)
    found = {}
    for table in COLUMNS:
        for fk in inspector.get_foreign_keys(table):
            found[(table, fk["constrained_columns"][0])] = (
                fk["referred_table"],
                (fk.get("options") or {}).get("ondelete", "").upper(),
            )
    expected = {key: (parent, "CASCADE") for key, parent in FOREIGN_KEYS.items()}
    expected[("datasets", "user_id")] = ("users", "CASCADE")
    owned = (
        "journal_imports",
        "broker_accounts",
        "habit_settings",
        "habit_goals",
        "mentor_threads",
        "trade_notes",
    )
    owned_too = ("audit_events", "user_sessions", "recovery_codes", "trading_accounts")
    for table in (*owned, *owned_too, "mentor_preferences", "llm_calls", "jobs", "paper_accounts",
                  "bot_fills"):  # fmt: skip
        expected[(table, "user_id")] = ("users", "CASCADE")
    for table in ("paper_accounts", "bot_fills"):  # a bot's paper account and fills go with it
        expected[(table, "bot_id")] = ("bots", "CASCADE")
    expected[("mentor_messages", "thread_id")] = ("mentor_threads", "CASCADE")
    expected[("backtest_results", "dataset_id")] = ("datasets", "SET NULL")  # results outlive data
    expected[("optimisation_runs", "user_id")] = ("users", "CASCADE")
    expected[("optimisation_rows", "user_id")] = ("users", "CASCADE")
    expected[("optimisation_rows", "run_id")] = ("optimisation_runs", "CASCADE")
    expected[("optimisation_runs", "dataset_id")] = ("datasets", "SET NULL")
    assert found == expected


def test_defaults_are_the_seeds(engine: Engine) -> None:
    user = seed_user(engine)
    ids = seed_tree(engine, user)
    now = datetime.now(UTC).replace(tzinfo=None)

    join_date, language, timezone = run(engine, "SELECT join_date, language, timezone FROM users")[
        0
    ]
    assert (language, timezone) == ("id", "UTC")
    stamp = join_date if isinstance(join_date, datetime) else datetime.fromisoformat(join_date)
    assert abs((stamp.replace(tzinfo=None) - now).total_seconds()) < 120

    bot = run(
        engine,
        "SELECT status, lot_size, sl_pips, tp_pips, timeframe, check_interval_seconds, strategy_params,"
        " risk_percent, stop_mode, sl_atr_multiplier, tp_atr_multiplier, enable_strategy_switching"
        " FROM bots WHERE id = :b",
        b=ids["bot"],
    )[0]
    assert tuple(bot) == ("paused", 0.01, 100, 200, "H1", 60, None, None, "pips", 2.0, 4.0, False)

    history = run(engine, "SELECT timestamp, is_notification, is_read FROM trade_history")[0]
    assert history[0] is not None and (history[1], history[2]) == (False, False)

    session = run(
        engine,
        "SELECT total_trades, total_profit_loss, emotions, market_conditions, risk_score, created_at"
        " FROM trading_sessions",
    )[0]
    assert tuple(session[:5]) == (0, 0.0, "neutral", "normal", 5) and session[5] is not None

    report = run(
        engine, "SELECT language, created_at, risk_management_score FROM ai_mentor_reports"
    )[0]
    assert report[0] == "id" and report[1] is not None and report[2] is None

    trade = run(
        engine, "SELECT stop_loss_used, take_profit_used, created_at FROM daily_trading_data"
    )[0]
    assert (trade[0], trade[1]) == (False, False) and trade[2] is not None
    assert run(engine, "SELECT timestamp FROM backtest_results")[0][0] is not None


@pytest.mark.parametrize(
    ("sql", "why"),
    [
        (
            "INSERT INTO users (name, email, password_hash) VALUES ('B', 'a@example.com', 'h')",
            "duplicate email",
        ),
        (
            "INSERT INTO trading_sessions (session_date, user_id) VALUES ('2025-01-15', :u)",
            "second session that day",
        ),
        (
            "INSERT INTO bots (user_id, name, market, strategy, status) VALUES (:u, 'b', 'X', 's', 'Aktif')",
            "status code",
        ),
        (
            "INSERT INTO trading_sessions (session_date, user_id, emotions) VALUES ('2025-01-16', :u, 'tenang')",
            "emotion code",
        ),
        (
            "INSERT INTO bots (user_id, name, market, strategy) VALUES (9999, 'b', 'X', 's')",
            "unknown owner",
        ),
        (
            "INSERT INTO trading_sessions (session_date) VALUES ('2025-01-17')",
            "session without a user",
        ),
        (
            "INSERT INTO bots (user_id, market, strategy) VALUES (:u, 'X', 's')",
            "bot without a name",
        ),
    ],
)
def test_constraints_reject_bad_rows(engine: Engine, sql: str, why: str) -> None:
    user = seed_user(engine)
    run(
        engine,
        "INSERT INTO trading_sessions (session_date, user_id) VALUES ('2025-01-15', :u)",
        u=user,
    )
    with pytest.raises(IntegrityError):
        run(engine, sql, u=user)


def test_same_date_is_allowed_for_another_user(engine: Engine) -> None:
    first, second = seed_user(engine), seed_user(engine, "b@example.com")
    for user in (first, second):
        run(
            engine,
            "INSERT INTO trading_sessions (session_date, user_id) VALUES ('2025-01-15', :u)",
            u=user,
        )
    assert count(engine, "trading_sessions") == 2


def test_deleting_a_bot_removes_its_history_and_bot_trades(engine: Engine) -> None:
    ids = seed_tree(engine, seed_user(engine))
    run(engine, "DELETE FROM bots WHERE id = :b", b=ids["bot"])
    assert count(engine, "trade_history") == 0
    assert count(engine, "daily_trading_data") == 0
    assert count(engine, "trading_sessions") == 1


def test_deleting_a_session_removes_its_reports_and_trades(engine: Engine) -> None:
    ids = seed_tree(engine, seed_user(engine))
    run(engine, "DELETE FROM trading_sessions WHERE id = :s", s=ids["session"])
    assert count(engine, "ai_mentor_reports") == 0
    assert count(engine, "daily_trading_data") == 0
    assert count(engine, "bots") == 1 and count(engine, "trade_history") == 1


def test_deleting_a_user_removes_everything_of_theirs_only(engine: Engine) -> None:
    doomed, kept = seed_user(engine), seed_user(engine, "b@example.com")
    seed_tree(engine, doomed)
    seed_tree(engine, kept)
    run(engine, "DELETE FROM users WHERE id = :u", u=doomed)
    for table in (
        "datasets",
        "bots",
        "trade_history",
        "backtest_results",
        "trading_sessions",
        "ai_mentor_reports",
        "daily_trading_data",
    ):
        assert count(engine, table) == 1, table


def test_deleting_a_dataset_keeps_its_backtest_results(engine: Engine) -> None:
    ids = seed_tree(engine, seed_user(engine))
    run(engine, "DELETE FROM datasets WHERE id = :d", d=ids["dataset"])
    assert run(engine, "SELECT dataset_id FROM backtest_results") == [(None,)]


def test_seed_indexes_exist(engine: Engine) -> None:
    inspector = inspect(engine)
    for table, columns in SEED_INDEXES:
        leading = [ix["column_names"][: len(columns)] for ix in inspector.get_indexes(table)]
        assert columns in leading, (table, columns)
    unique = [ix for ix in inspector.get_indexes("trading_sessions") if ix["unique"]]
    assert [ix["column_names"] for ix in unique] == [["session_date", "user_id"]]


def test_migrations_go_down_and_up_cleanly(engine: Engine) -> None:
    seed_tree(engine, seed_user(engine))
    migrate.downgrade(engine, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    assert migrate.current_revision(engine) is None
    migrate.upgrade(engine)
    assert migrate.current_revision(engine) == migrate.HEAD
    assert count(engine, "users") == 0
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "compare_server_default": True}
        )
        assert compare_metadata(context, Base.metadata) == []


def test_reset_empties_every_table(engine: Engine) -> None:
    seed_tree(engine, seed_user(engine))
    migrate.reset(engine)
    assert all(count(engine, table) == 0 for table in COLUMNS)
    assert migrate.current_revision(engine) == migrate.HEAD


def test_sqlite_runs_with_foreign_keys_wal_and_busy_timeout(tmp_path) -> None:
    from tradeloop.store.db import SQLITE_BUSY_TIMEOUT_MS, make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'p.db'}")
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() == SQLITE_BUSY_TIMEOUT_MS
