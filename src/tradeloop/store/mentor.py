"""Trading sessions (one per user per day) and the mentor's stored reports."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tradeloop.core.errors import NotFound
from tradeloop.store.models import AIMentorReport, DailyTradingData, TradingSession
from tradeloop.store.pagination import Page, paginate

REPORT_FIELDS = (
    "trading_patterns_analysis",
    "emotional_analysis",
    "risk_management_score",
    "recommendations",
    "motivation_message",
)


def get_session(session: Session, user_id: int, day: date) -> TradingSession | None:
    """The user's session of ``day``, if any."""
    return session.scalar(
        select(TradingSession).where(
            TradingSession.user_id == user_id, TradingSession.session_date == day
        )
    )


def require_session(session: Session, user_id: int, day: date) -> TradingSession:
    """The user's session of ``day``; NotFound otherwise."""
    row = get_session(session, user_id, day)
    if row is None:
        raise NotFound(f"no session on {day.isoformat()}")
    return row


def ensure_session(session: Session, user_id: int, day: date) -> TradingSession:
    """The user's session of ``day``, created when missing (safe when two requests race)."""
    row = get_session(session, user_id, day)
    if row is not None:
        return row
    try:
        with session.begin_nested():
            row = TradingSession(user_id=user_id, session_date=day)
            session.add(row)
    except IntegrityError:
        row = get_session(session, user_id, day)
    return row


def set_totals(
    session: Session, row: TradingSession, journal_trades: int, journal_pnl: float
) -> TradingSession:
    """Recompute the day's totals from its trades: the journal's plus the bots' (never added up)."""
    bot_rows = session.execute(
        select(DailyTradingData.profit_loss).where(DailyTradingData.session_id == row.id)
    ).all()
    row.total_trades = journal_trades + len(bot_rows)
    row.total_profit_loss = journal_pnl + sum(value for (value,) in bot_rows)
    session.flush()
    return row


def list_sessions(session: Session, user_id: int, limit: int, offset: int) -> Page[TradingSession]:
    """The user's sessions, newest first."""
    query = (
        select(TradingSession)
        .where(TradingSession.user_id == user_id)
        .order_by(TradingSession.session_date.desc())
    )
    return paginate(session, query, limit, offset)


def delete_session(session: Session, user_id: int, day: date) -> None:
    """Delete the user's session of ``day`` with its reports and bot trades."""
    session.delete(require_session(session, user_id, day))
    session.flush()


def save_report(session: Session, row: TradingSession, report: dict[str, Any]) -> AIMentorReport:
    """Store a report for the session; regenerating in a language replaces it."""
    stored = session.scalar(
        select(AIMentorReport).where(
            AIMentorReport.session_id == row.id, AIMentorReport.language == report["language"]
        )
    )
    stored = stored or AIMentorReport(session_id=row.id, language=report["language"])
    for name in REPORT_FIELDS:
        setattr(stored, name, report[name])
    row.risk_score = report["risk_management_score"]
    session.add(stored)
    session.flush()
    return stored


def get_report(session: Session, user_id: int, day: date, language: str) -> AIMentorReport:
    """The stored report of the user's ``day`` in ``language``; NotFound otherwise."""
    row = require_session(session, user_id, day)
    stored = session.scalar(
        select(AIMentorReport).where(
            AIMentorReport.session_id == row.id, AIMentorReport.language == language
        )
    )
    if stored is None:
        raise NotFound(f"no {language} report for {day.isoformat()}: generate it first")
    return stored
