"""The seven tables of the seed schema, with ownership, codes and indexes added.

Ownership: ``users`` own ``bots``, ``backtest_results`` and ``trading_sessions`` directly
(``user_id``); ``trade_history`` is owned through its bot, ``ai_mentor_reports`` and
``daily_trading_data`` through their session. Every foreign key cascades on delete.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    false,
    func,
    text,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from tradeloop.core.codes import BotStatus, Emotion, MarketCondition, StopMode
from tradeloop.store.types import JSONText, UTCDateTime

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base with stable constraint names (needed for migrations on both engines)."""

    metadata = MetaData(naming_convention=NAMING)


def _now() -> Any:
    return func.current_timestamp()


def _code_enum(enum_cls: type, name: str) -> Enum:
    """A portable enum: VARCHAR + CHECK constraint, storing the code values."""
    return Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=20,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )


def _flag(name: str, nullable: bool = False) -> Any:
    """A boolean column defaulting to false (stored as 0/1 with a CHECK on SQLite)."""
    return mapped_column(
        Boolean(create_constraint=True, name=name),
        nullable=nullable,
        server_default=false(),
        default=False,
    )


def _user_fk() -> Any:
    return ForeignKey("users.id", ondelete="CASCADE")


class User(Base):
    """An account. Passwords are argon2id hashes."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(Text, nullable=False)
    email: Mapped[str] = mapped_column(String(320), nullable=False, unique=True)
    password_hash: Mapped[str] = mapped_column(Text, nullable=False)
    join_date: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=True, server_default=_now())
    language: Mapped[str] = mapped_column(
        String(2), nullable=False, server_default=text("'id'"), default="id"
    )
    timezone: Mapped[str] = mapped_column(
        String(64), nullable=False, server_default=text("'UTC'"), default="UTC"
    )
    session_version: Mapped[int] = mapped_column(
        Integer, nullable=False, server_default=text("0"), default=0
    )
    # a new random value whenever the journal's imports change: names its analysis in caches
    journal_stamp: Mapped[int] = mapped_column(
        BigInteger, nullable=False, server_default=text("0"), default=0
    )
    role: Mapped[str] = mapped_column(
        String(8), nullable=False, server_default=text("'user'"), default="user"
    )
    # two-factor sign-in: the TOTP secret (encrypted with the notes key), set once confirmed
    totp_secret: Mapped[str | None] = mapped_column(Text, nullable=True)
    totp_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class Bot(Base):
    """A strategy bot's configuration (``deleted_at`` set: deleted, undoable until purged)."""

    __tablename__ = "bots"
    __table_args__ = (Index(None, "status"), Index(None, "user_id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(_user_fk(), nullable=False)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    name: Mapped[str] = mapped_column(Text, nullable=False)
    market: Mapped[str] = mapped_column(Text, nullable=False)
    status: Mapped[BotStatus] = mapped_column(
        _code_enum(BotStatus, "bot_status"),
        nullable=False,
        server_default=text("'paused'"),
        default=BotStatus.PAUSED,
    )
    lot_size: Mapped[float] = mapped_column(
        Float, nullable=False, server_default=text("0.01"), default=0.01
    )
    sl_pips: Mapped[int] = mapped_column(
        Integer, nullable=False, server_default=text("100"), default=100
    )
    tp_pips: Mapped[int] = mapped_column(
        Integer, nullable=False, server_default=text("200"), default=200
    )
    timeframe: Mapped[str] = mapped_column(
        Text, nullable=False, server_default=text("'H1'"), default="H1"
    )
    check_interval_seconds: Mapped[int] = mapped_column(
        Integer, nullable=False, server_default=text("60"), default=60
    )
    strategy: Mapped[str] = mapped_column(Text, nullable=False)
    strategy_params: Mapped[dict[str, Any] | None] = mapped_column(JSONText())
    risk_percent: Mapped[float | None] = mapped_column(Float)
    stop_mode: Mapped[StopMode] = mapped_column(
        _code_enum(StopMode, "stop_mode"),
        nullable=False,
        server_default=text("'pips'"),
        default=StopMode.PIPS,
    )
    sl_atr_multiplier: Mapped[float] = mapped_column(
        Float, nullable=False, server_default=text("2.0"), default=2.0
    )
    tp_atr_multiplier: Mapped[float] = mapped_column(
        Float, nullable=False, server_default=text("4.0"), default=4.0
    )
    enable_strategy_switching: Mapped[bool] = _flag("enable_strategy_switching")
    # what it trades on: {"dataset_id": N, "seconds_per_bar": S} (a replay); None: not set
    feed: Mapped[dict[str, Any] | None] = mapped_column(JSONText())
    # the supervisor running it, until when (renewed by heartbeats; a dead holder's lapses)
    lease_holder: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # why it is in error (or was stopped by the kill switch), in plain words
    status_reason: Mapped[str | None] = mapped_column(String(300))
    # asked of its supervisor: "close" its position now (a stop may come with it)
    command: Mapped[str | None] = mapped_column(String(16))
    # ``bots.config.ProtectionSettings`` as set; None: none
    protections: Mapped[dict[str, Any] | None] = mapped_column(JSONText())


class PaperAccount(Base):
    """A paper bot's account at the paper broker, as of its last processed bar: the execution
    step's state, the orders waiting, the open position's order, the equity, and the bar."""

    __tablename__ = "paper_accounts"

    bot_id: Mapped[int] = mapped_column(ForeignKey("bots.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(_user_fk(), nullable=False)
    state: Mapped[list[float | None]] = mapped_column(JSONText(), nullable=False)
    pending_entry: Mapped[str | None] = mapped_column(String(200))
    pending_exit: Mapped[str | None] = mapped_column(String(200))
    position_id: Mapped[str | None] = mapped_column(String(200))
    equity: Mapped[float] = mapped_column(Float, nullable=False)
    bar_index: Mapped[int] = mapped_column(Integer, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    # the runner's own state: closed trades the protections read, the pause, latest analysis
    runner: Mapped[dict[str, Any] | None] = mapped_column(JSONText())


class BotFill(Base):
    """A fill of a paper bot's order, once per client order id."""

    __tablename__ = "bot_fills"
    __table_args__ = (Index(None, "bot_id", "client_order_id", unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    bot_id: Mapped[int] = mapped_column(ForeignKey("bots.id", ondelete="CASCADE"), nullable=False)
    user_id: Mapped[int] = mapped_column(_user_fk(), nullable=False)
    client_order_id: Mapped[str] = mapped_column(String(200), nullable=False)
    position: Mapped[str] = mapped_column(String(200), nullable=False)
    reason: Mapped[str] = mapped_column(String(16), nullable=False)
    side: Mapped[str] = mapped_column(String(4), nullable=False)
    quantity: Mapped[float] = mapped_column(Float, nullable=False)
    price: Mapped[float] = mapped_column(Float, nullable=False)
    commission: Mapped[float] = mapped_column(Float, nullable=False)
    stop: Mapped[float | None] = mapped_column(Float)
    time: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)


class TradeHistory(Base):
    """A bot's event log; rows with ``is_notification`` are the user's notifications."""

    __tablename__ = "trade_history"
    __table_args__ = (Index(None, "bot_id", "timestamp"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    bot_id: Mapped[int] = mapped_column(ForeignKey("bots.id", ondelete="CASCADE"), nullable=False)
    timestamp: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=True, server_default=_now())
    action: Mapped[str] = mapped_column(String(32), nullable=False)
    details: Mapped[str | None] = mapped_column(Text)
    is_notification: Mapped[bool] = _flag("is_notification")
    is_read: Mapped[bool] = _flag("is_read")


class Dataset(Base):
    """A user's stored OHLC bars (Parquet), reusable for backtests and re-runs."""

    __tablename__ = "datasets"
    __table_args__ = (Index(None, "user_id", "sha256", unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(_user_fk(), nullable=False)
    name: Mapped[str] = mapped_column(Text, nullable=False)
    symbol: Mapped[str] = mapped_column(String(32), nullable=False)
    timeframe: Mapped[str] = mapped_column(String(16), nullable=False)
    bars: Mapped[int] = mapped_column(Integer, nullable=False)
    start_time: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    end_time: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    data: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    report: Mapped[dict[str, Any]] = mapped_column(  # interval, gaps, dropped bars
        JSONText(), nullable=False, server_default=text("'{}'"), default=dict
    )
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), nullable=True, server_default=_now()
    )


class BacktestResult(Base):
    """A saved backtest run with its statistics, curves and trade log."""

    __tablename__ = "backtest_results"
    __table_args__ = (Index(None, "timestamp"), Index(None, "user_id", "timestamp"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(_user_fk(), nullable=False)
    timestamp: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=True, server_default=_now())
    strategy_name: Mapped[str] = mapped_column(Text, nullable=False)
    data_filename: Mapped[str] = mapped_column(Text, nullable=False)
    total_profit_usd: Mapped[float] = mapped_column(Float, nullable=False)
    total_trades: Mapped[int] = mapped_column(Integer, nullable=False)
    win_rate_percent: Mapped[float] = mapped_column(Float, nullable=False)
    max_drawdown_percent: Mapped[float] = mapped_column(Float, nullable=False)
    wins: Mapped[int] = mapped_column(Integer, nullable=False)
    losses: Mapped[int] = mapped_column(Integer, nullable=False)
    equity_curve: Mapped[Any | None] = mapped_column(JSONText())
    trade_log: Mapped[Any | None] = mapped_column(JSONText())
    parameters: Mapped[Any | None] = mapped_column(JSONText())
    stats: Mapped[Any | None] = mapped_column(JSONText())
    dataset_id: Mapped[int | None] = mapped_column(
        ForeignKey("datasets.id", ondelete="SET NULL"), nullable=True
    )


class TradingSession(Base):
    """One trading day of one user, with the trader's own account of it."""

    __tablename__ = "trading_sessions"
    __table_args__ = (Index(None, "session_date", "user_id", unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_date: Mapped[date] = mapped_column(Date, nullable=False)
    user_id: Mapped[int] = mapped_column(_user_fk(), nullable=False)
    total_trades: Mapped[int] = mapped_column(
        Integer, nullable=False, server_default=text("0"), default=0
    )
    total_profit_loss: Mapped[float] = mapped_column(
        Float, nullable=False, server_default=text("0.0"), default=0.0
    )
    emotions: Mapped[Emotion] = mapped_column(
        _code_enum(Emotion, "emotion"),
        nullable=False,
        server_default=text("'neutral'"),
        default=Emotion.NEUTRAL,
    )
    market_conditions: Mapped[MarketCondition] = mapped_column(
        _code_enum(MarketCondition, "market_condition"),
        nullable=False,
        server_default=text("'normal'"),
        default=MarketCondition.NORMAL,
    )
    personal_notes: Mapped[str | None] = mapped_column(Text)
    risk_score: Mapped[int | None] = mapped_column(Integer, server_default=text("5"), default=5)
    feedback_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # emotion stated then
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), nullable=True, server_default=_now()
    )


class AIMentorReport(Base):
    """The mentor's report on one session, one row per language."""

    __tablename__ = "ai_mentor_reports"
    __table_args__ = (Index(None, "session_id", "language", unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("trading_sessions.id", ondelete="CASCADE"), nullable=False
    )
    trading_patterns_analysis: Mapped[Any | None] = mapped_column(JSONText())
    emotional_analysis: Mapped[Any | None] = mapped_column(JSONText())
    risk_management_score: Mapped[int | None] = mapped_column(Integer)
    recommendations: Mapped[Any | None] = mapped_column(JSONText())
    motivation_message: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str] = mapped_column(
        String(2), nullable=False, server_default=text("'id'"), default="id"
    )
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), nullable=True, server_default=_now()
    )


class DailyTradingData(Base):
    """A bot trade inside a session, kept for the mentor's analysis."""

    __tablename__ = "daily_trading_data"
    __table_args__ = (Index(None, "session_id"), Index(None, "bot_id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("trading_sessions.id", ondelete="CASCADE"), nullable=False
    )
    bot_id: Mapped[int] = mapped_column(ForeignKey("bots.id", ondelete="CASCADE"), nullable=False)
    symbol: Mapped[str] = mapped_column(Text, nullable=False)
    entry_time: Mapped[datetime | None] = mapped_column(UTCDateTime())
    exit_time: Mapped[datetime | None] = mapped_column(UTCDateTime())
    profit_loss: Mapped[float] = mapped_column(Float, nullable=False)
    lot_size: Mapped[float] = mapped_column(Float, nullable=False)
    stop_loss_used: Mapped[bool | None] = _flag("stop_loss_used", nullable=True)
    take_profit_used: Mapped[bool | None] = _flag("take_profit_used", nullable=True)
    risk_percent: Mapped[float | None] = mapped_column(Float)
    strategy_used: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), nullable=True, server_default=_now()
    )


class JournalImport(Base):
    """One uploaded broker export: its orders (Parquet), what the file is and says of itself.
    ``kind`` is 'live' or 'tested' (a strategy tester's deals: kept out of the journal's
    habits and the mentor); ``details`` holds the label, accounts, server, language, stated
    totals and warnings."""

    __tablename__ = "journal_imports"
    __table_args__ = (Index(None, "user_id", "sha256", unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(_user_fk(), nullable=False)
    # set: deleted by its owner, undoable until purged (``tradeloop db prune``)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    file_name: Mapped[str] = mapped_column(Text, nullable=False)
    format: Mapped[str] = mapped_column(String(32), nullable=False)
    kind: Mapped[str] = mapped_column(
        String(8), nullable=False, server_default=text("'live'"), default="live"
    )
    timezone: Mapped[str] = mapped_column(String(64), nullable=False)
    currency: Mapped[str] = mapped_column(
        String(8), nullable=False, server_default=text("''"), default=""
    )
    stops_known: Mapped[bool] = mapped_column(
        Boolean(create_constraint=True, name="stops_known"),
        nullable=False,
        server_default=true(),
        default=True,
    )
    rows: Mapped[int] = mapped_column(Integer, nullable=False)
    trades: Mapped[int] = mapped_column(Integer, nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    details: Mapped[dict[str, Any]] = mapped_column(
        JSONText(), nullable=False, server_default=text("'{}'"), default=dict
    )
    orders: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), nullable=True, server_default=_now()
    )


class BrokerAccount(Base):
    """A broker account a user imported: the zone its server writes times in (MT5 and MT4
    reports are in server time) and its currency, asked once and remembered."""

    __tablename__ = "broker_accounts"
    __table_args__ = (Index(None, "user_id", "account", "server", unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(_user_fk(), nullable=False)
    account: Mapped[str] = mapped_column(String(64), nullable=False)
    server: Mapped[str] = mapped_column(String(128), nullable=False, default="")
    timezone: Mapped[str] = mapped_column(String(64), nullable=False)
    currency: Mapped[str] = mapped_column(String(8), nullable=False, default="")
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), nullable=True, server_default=_now()
    )


class HabitSettingsRow(Base):
    """A user's detector settings."""

    __tablename__ = "habit_settings"

    user_id: Mapped[int] = mapped_column(_user_fk(), primary_key=True)
    sigma_loss: Mapped[float] = mapped_column(
        Float, nullable=False, server_default=text("1.0"), default=1.0
    )
    sigma_risk: Mapped[float] = mapped_column(
        Float, nullable=False, server_default=text("1.5"), default=1.5
    )
    k: Mapped[float] = mapped_column(Float, nullable=False, server_default=text("1.0"), default=1.0)
    vr: Mapped[float] = mapped_column(
        Float, nullable=False, server_default=text("0.35"), default=0.35
    )


class HabitGoal(Base):
    """A user's own goal: avoid chosen mistakes for a number of trades or trading days."""

    __tablename__ = "habit_goals"
    __table_args__ = (Index(None, "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(_user_fk(), nullable=False)
    name: Mapped[str] = mapped_column(Text, nullable=False)
    mistakes: Mapped[Any] = mapped_column(JSONText(), nullable=False)
    target: Mapped[int] = mapped_column(Integer, nullable=False)
    metric: Mapped[str] = mapped_column(String(8), nullable=False)
    start_date: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), nullable=True, server_default=_now()
    )


class MentorThread(Base):
    """A conversation with the mentor, kept locally."""

    __tablename__ = "mentor_threads"
    __table_args__ = (Index(None, "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(_user_fk(), nullable=False)
    title: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), nullable=True, server_default=_now()
    )


class MentorMessage(Base):
    """One message of a thread: the user's question or the mentor's answer."""

    __tablename__ = "mentor_messages"
    __table_args__ = (Index(None, "thread_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    thread_id: Mapped[int] = mapped_column(
        ForeignKey("mentor_threads.id", ondelete="CASCADE"), nullable=False
    )
    role: Mapped[str] = mapped_column(String(16), nullable=False)
    content: Mapped[str] = mapped_column(Text, nullable=False)
    provider: Mapped[str] = mapped_column(
        String(16), nullable=False, server_default=text("'offline'"), default="offline"
    )
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), nullable=True, server_default=_now()
    )
    # an answer's notice and the tool results it rests on, JSON encrypted like the content
    details: Mapped[str | None] = mapped_column(Text, nullable=True)


class MentorPreference(Base):
    """A user's mentor choices: consent to send questions and journal figures to the LLM."""

    __tablename__ = "mentor_preferences"

    user_id: Mapped[int] = mapped_column(_user_fk(), primary_key=True)
    llm_consent: Mapped[bool] = _flag("llm_consent")
    consent_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class LLMCall(Base):
    """Audit log of one question answered through the LLM: who, when, which tools, how many
    tokens and how it ended. Never the content."""

    __tablename__ = "llm_calls"
    __table_args__ = (Index(None, "user_id", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(_user_fk(), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    model: Mapped[str] = mapped_column(Text, nullable=False)
    tools: Mapped[Any] = mapped_column(JSONText(), nullable=False)
    rounds: Mapped[int] = mapped_column(Integer, nullable=False)
    prompt_tokens: Mapped[int] = mapped_column(Integer, nullable=False)
    completion_tokens: Mapped[int] = mapped_column(Integer, nullable=False)
    duration_ms: Mapped[int] = mapped_column(Integer, nullable=False)
    outcome: Mapped[str] = mapped_column(String(16), nullable=False)
    # why it ended without the model's answer (a timeout, or the grounding check's reason)
    reason: Mapped[str | None] = mapped_column(String(32), nullable=True)


class Job(Base):
    """Long work run in the background (an import, a dataset upload, a backtest): its state,
    progress and, once done, the object it made. ``heartbeat_at`` is renewed while its runner
    lives, so a job whose server died is seen as interrupted."""

    __tablename__ = "jobs"
    __table_args__ = (Index(None, "user_id", "id"), Index(None, "state"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(_user_fk(), nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    state: Mapped[str] = mapped_column(String(16), nullable=False)
    progress: Mapped[float] = mapped_column(Float, nullable=False, default=0.0)
    stage: Mapped[str] = mapped_column(String(32), nullable=False, default="queued")
    error: Mapped[str | None] = mapped_column(Text)
    result_id: Mapped[int | None] = mapped_column(Integer)
    cancel_requested: Mapped[bool] = _flag("cancel_requested")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    heartbeat_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)


class TradeNote(Base):
    """A user's note and tags on one journal trade; ``trade_key`` names the trade as the
    journal rebuilds it (stable across rebuilds of the same imports)."""

    __tablename__ = "trade_notes"
    __table_args__ = (Index(None, "user_id", "trade_key", unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(_user_fk(), nullable=False)
    trade_key: Mapped[str] = mapped_column(String(200), nullable=False)
    note: Mapped[str] = mapped_column(Text, nullable=False, server_default=text("''"), default="")
    tags: Mapped[list[str]] = mapped_column(
        JSONText(), nullable=False, server_default=text("'[]'"), default=list
    )
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)


class Throttle(Base):
    """The state of one abuse limit (shared by every server process): ``hits`` counted since
    ``window_start``; while ``blocked_until`` lies ahead, the key's requests answer 429.
    Keys name the limit and who it counts: ``sign-in:account:<email>``, ``upload:user:7``…"""

    __tablename__ = "throttles"
    __table_args__ = (Index(None, "window_start"),)

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    hits: Mapped[int] = mapped_column(Integer, nullable=False)
    window_start: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    blocked_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class AuditEvent(Base):
    """A security-relevant event: sign-ins and their failures, password and consent changes,
    deletions, bot starts/stops and orders, exports. ``user_id`` is kept null for an unknown
    account; ``detail`` holds ids and codes, never secrets, notes or e-mail addresses."""

    __tablename__ = "audit_events"
    __table_args__ = (Index(None, "user_id", "id"), Index(None, "action", "id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, server_default=_now())
    action: Mapped[str] = mapped_column(String(40), nullable=False)
    outcome: Mapped[str] = mapped_column(
        String(8), nullable=False, server_default=text("'ok'"), default="ok"
    )
    address: Mapped[str] = mapped_column(
        String(64), nullable=False, server_default=text("''"), default=""
    )
    detail: Mapped[dict[str, Any]] = mapped_column(
        JSONText(), nullable=False, server_default=text("'{}'"), default=dict
    )


class UserSession(Base):
    """A browser session or API token a user holds: listed on the profile, revocable one by
    one. ``token_id`` is the ``sid`` claim of its signed token."""

    __tablename__ = "user_sessions"
    __table_args__ = (Index(None, "user_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(_user_fk(), nullable=False)
    token_id: Mapped[str] = mapped_column(String(32), nullable=False, unique=True)
    kind: Mapped[str] = mapped_column(String(8), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    address: Mapped[str] = mapped_column(
        String(64), nullable=False, server_default=text("''"), default=""
    )
    agent: Mapped[str] = mapped_column(
        String(200), nullable=False, server_default=text("''"), default=""
    )
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class RecoveryCode(Base):
    """A one-time recovery code for two-factor sign-in (its SHA-256, never the code)."""

    __tablename__ = "recovery_codes"
    __table_args__ = (Index(None, "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(_user_fk(), nullable=False)
    code_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class TradingAccount(Base):
    """An account a user's bots can trade on: ``paper``, a crypto exchange through ccxt
    (``exchange``, ``market_type`` spot or futures, ``mode`` testnet, dry_run or live) or a
    MetaTrader 5 terminal (``mt5_login`` at ``mt5_server``). Its credentials are sealed with
    the notes' key and never leave the server (``key_hint``: the key's last 4 characters,
    to recognise it). The guards are checked before any order leaves."""

    __tablename__ = "trading_accounts"
    __table_args__ = (Index(None, "user_id", "name", unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(_user_fk(), nullable=False)
    name: Mapped[str] = mapped_column(String(60), nullable=False)
    kind: Mapped[str] = mapped_column(String(8), nullable=False)
    exchange: Mapped[str | None] = mapped_column(String(40), nullable=True)
    market_type: Mapped[str] = mapped_column(
        String(8), nullable=False, server_default=text("'spot'"), default="spot"
    )
    mode: Mapped[str | None] = mapped_column(String(8), nullable=True)
    credentials: Mapped[str | None] = mapped_column(Text, nullable=True)
    key_hint: Mapped[str] = mapped_column(
        String(8), nullable=False, server_default=text("''"), default=""
    )
    mt5_login: Mapped[str | None] = mapped_column(String(20), nullable=True)
    mt5_server: Mapped[str | None] = mapped_column(String(128), nullable=True)
    max_order_size: Mapped[float | None] = mapped_column(Float, nullable=True)
    max_open_positions: Mapped[int | None] = mapped_column(Integer, nullable=True)
    max_daily_loss: Mapped[float | None] = mapped_column(Float, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)


class OptimisationRun(Base):
    """A user's stored sweep: the request, the dataset, its state and, once it ended (done,
    cancelled), the result without its rows (best, overfitting odds, walk-forward)."""

    __tablename__ = "optimisation_runs"
    __table_args__ = (Index(None, "user_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(_user_fk(), nullable=False)
    dataset_id: Mapped[int | None] = mapped_column(
        ForeignKey("datasets.id", ondelete="SET NULL"), nullable=True
    )
    job_id: Mapped[int | None] = mapped_column(Integer, nullable=True)  # the latest job
    strategy: Mapped[str] = mapped_column(String(64), nullable=False)
    request: Mapped[dict[str, Any]] = mapped_column(JSONText(), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    total: Mapped[int | None] = mapped_column(Integer, nullable=True)  # combinations planned
    result: Mapped[dict[str, Any] | None] = mapped_column(JSONText(), nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class OptimisationRow(Base):
    """One finished combination of a stored sweep, with the daily returns the overfitting
    odds need (float64 bytes); written per finished chunk, so a stopped run keeps them."""

    __tablename__ = "optimisation_rows"
    __table_args__ = (Index(None, "run_id", "combo_index", unique=True), Index(None, "user_id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(
        ForeignKey("optimisation_runs.id", ondelete="CASCADE"), nullable=False
    )
    user_id: Mapped[int] = mapped_column(_user_fk(), nullable=False)
    combo_index: Mapped[int] = mapped_column(Integer, nullable=False)
    params: Mapped[dict[str, Any] | None] = mapped_column(JSONText(), nullable=True)
    settings: Mapped[dict[str, Any] | None] = mapped_column(JSONText(), nullable=True)
    stats: Mapped[dict[str, Any] | None] = mapped_column(JSONText(), nullable=True)
    skipped: Mapped[str | None] = mapped_column(Text, nullable=True)
    daily: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
