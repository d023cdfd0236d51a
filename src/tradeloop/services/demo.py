"""Demo data owned by a demo user whose random password lives in the data directory (0600)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session

from tradeloop.config import write_private_file
from tradeloop.core.codes import BotAction, BotStatus, Emotion, MarketCondition
from tradeloop.security import hash_password, verify_password
from tradeloop.store import bots, users
from tradeloop.store.models import TradingSession

DEMO_EMAIL = "demo@tradeloop.app"
DEMO_NAME = "Demo Trader"
CREDENTIALS_FILE = "demo_password"


@dataclass(frozen=True)
class DemoAccount:
    """The demo sign-in and whether this call created the data."""

    email: str
    password: str
    created: bool


def _demo_password(path: Path) -> str:
    if path.exists() and path.read_text().strip():
        return path.read_text().strip()
    password = secrets.token_urlsafe(12)
    write_private_file(path, password + "\n")
    return password


def load_demo(session: Session, data_dir: Path) -> DemoAccount:
    """Create the demo user and data once; later calls keep the data and repair the password."""
    password = _demo_password(data_dir / CREDENTIALS_FILE)
    user = users.get_by_email(session, DEMO_EMAIL)
    if user is not None:
        if not verify_password(user.password_hash, password):
            user.password_hash = hash_password(password)
        return DemoAccount(DEMO_EMAIL, password, created=False)
    user = users.add(
        session,
        name=DEMO_NAME,
        email=DEMO_EMAIL,
        password_hash=hash_password(password),
        language="id",
        timezone="Asia/Jakarta",
    )
    euro = bots.add_bot(
        session,
        user.id,
        {
            "name": "EURUSD Trend",
            "market": "EURUSD",
            "timeframe": "H1",
            "strategy": "ma_crossover",
            "strategy_params": {"fast_period": 20, "slow_period": 50},
            "lot_size": 0.1,
            "sl_pips": 30,
            "tp_pips": 60,
        },
    )
    bots.add_bot(
        session,
        user.id,
        {
            "name": "Gold Breakout",
            "market": "XAUUSD",
            "timeframe": "H4",
            "strategy": "turtle_breakout",
            "strategy_params": {"entry_period": 20, "exit_period": 10},
            "risk_percent": 1.0,
            "stop_mode": "atr",
            "status": BotStatus.PAUSED,
        },
    )
    bots.log_event(session, user.id, euro.id, BotAction.BOT_STARTED, "paper account", notify=True)
    bots.log_event(
        session,
        user.id,
        euro.id,
        BotAction.POSITION_OPENED,
        "BUY 0.10 EURUSD @ 1.08500",
        notify=True,
    )
    bots.log_event(
        session,
        user.id,
        euro.id,
        BotAction.POSITION_CLOSED,
        "SELL 0.10 EURUSD @ 1.08800, +30.0 pips",
        notify=True,
    )
    yesterday = datetime.now(UTC).date() - timedelta(days=1)
    session.add(
        TradingSession(
            user_id=user.id,
            session_date=date.fromordinal(yesterday.toordinal()),
            emotions=Emotion.CALM,
            market_conditions=MarketCondition.TRENDING,
        )
    )
    session.flush()
    return DemoAccount(DEMO_EMAIL, password, created=True)
