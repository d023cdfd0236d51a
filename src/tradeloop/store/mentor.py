"""Trading sessions (one per user per day), stored reports, chat threads, LLM consent and audit."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tradeloop.core.errors import NotFound
from tradeloop.store.models import (
    AIMentorReport,
    DailyTradingData,
    LLMCall,
    MentorMessage,
    MentorPreference,
    MentorThread,
    TradingSession,
)
from tradeloop.store.pagination import Page, paginate
from tradeloop.store.users import lock_user

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
        raise NotFound(
            f"no session on {day.isoformat()}",
            key="mentor.error.no_session",
            values={"day": day.isoformat()},
        )
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
    lock_user(session, row.user_id)
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


def find_report(session: Session, user_id: int, day: date, language: str) -> AIMentorReport | None:
    """The stored report of the user's ``day`` in ``language``, if any."""
    return session.scalar(
        select(AIMentorReport)
        .join(TradingSession, AIMentorReport.session_id == TradingSession.id)
        .where(
            TradingSession.user_id == user_id,
            TradingSession.session_date == day,
            AIMentorReport.language == language,
        )
    )


def reports_of(session: Session, user_id: int) -> list[tuple[date, AIMentorReport]]:
    """Every stored report of the user with its day."""
    rows = session.execute(
        select(TradingSession.session_date, AIMentorReport)
        .join(TradingSession, AIMentorReport.session_id == TradingSession.id)
        .where(TradingSession.user_id == user_id)
    ).all()
    return [(day, report) for day, report in rows]


def get_report(session: Session, user_id: int, day: date, language: str) -> AIMentorReport:
    """The stored report of the user's ``day`` in ``language``; NotFound otherwise."""
    stored = find_report(session, user_id, day, language)
    if stored is None:
        raise NotFound(
            f"no {language} report for {day.isoformat()}: generate it first",
            key="mentor.error.no_report",
            values={"language": language, "day": day.isoformat()},
        )
    return stored


def sessions_between(
    session: Session, user_id: int, start: date | None, end: date | None, limit: int | None = None
) -> list[TradingSession]:
    """The user's sessions from ``start`` to ``end`` (inclusive, either open), newest first."""
    query = select(TradingSession).where(TradingSession.user_id == user_id)
    if start is not None:
        query = query.where(TradingSession.session_date >= start)
    if end is not None:
        query = query.where(TradingSession.session_date <= end)
    return list(session.scalars(query.order_by(TradingSession.session_date.desc()).limit(limit)))


def add_thread(session: Session, user_id: int, title: str) -> MentorThread:
    """Start a conversation."""
    thread = MentorThread(user_id=user_id, title=title[:200])
    session.add(thread)
    session.flush()
    return thread


def get_thread(session: Session, user_id: int, thread_id: int) -> MentorThread:
    """One of the user's threads; NotFound otherwise."""
    thread = session.scalar(
        select(MentorThread).where(MentorThread.id == thread_id, MentorThread.user_id == user_id)
    )
    if thread is None:
        raise NotFound(
            f"thread {thread_id} not found",
            key="mentor.error.thread_not_found",
            values={"thread_id": thread_id},
        )
    return thread


def list_threads(session: Session, user_id: int, limit: int, offset: int) -> Page[MentorThread]:
    """The user's threads, newest first."""
    query = (
        select(MentorThread).where(MentorThread.user_id == user_id).order_by(MentorThread.id.desc())
    )
    return paginate(session, query, limit, offset)


def thread_messages(session: Session, thread: MentorThread) -> list[MentorMessage]:
    """The thread's messages, oldest first."""
    return list(
        session.scalars(
            select(MentorMessage)
            .where(MentorMessage.thread_id == thread.id)
            .order_by(MentorMessage.id)
        )
    )


def add_message(
    session: Session,
    thread: MentorThread,
    role: str,
    content: str,
    provider: str = "offline",
    details: str | None = None,
) -> MentorMessage:
    """Append a message to the thread (``details``: its sealed notice and evidence)."""
    message = MentorMessage(
        thread_id=thread.id, role=role, content=content, provider=provider, details=details
    )
    session.add(message)
    session.flush()
    return message


def delete_message(session: Session, user_id: int, thread_id: int, message_id: int) -> None:
    """Delete one message of one of the user's threads; NotFound otherwise."""
    thread = get_thread(session, user_id, thread_id)
    message = session.scalar(
        select(MentorMessage).where(
            MentorMessage.id == message_id, MentorMessage.thread_id == thread.id
        )
    )
    if message is None:
        raise NotFound(
            f"message {message_id} not found",
            key="mentor.error.message_not_found",
            values={"message_id": message_id},
        )
    session.delete(message)
    session.flush()


def delete_threads(session: Session, user_id: int, thread_id: int | None = None) -> int:
    """Delete one of the user's threads, or all of them; returns how many."""
    if thread_id is not None:
        session.delete(get_thread(session, user_id, thread_id))
        session.flush()
        return 1
    threads = list(session.scalars(select(MentorThread).where(MentorThread.user_id == user_id)))
    for thread in threads:
        session.delete(thread)
    session.flush()
    return len(threads)


def llm_consent(session: Session, user_id: int) -> bool:
    """Whether the user agreed to send questions and journal figures to the LLM."""
    row = session.get(MentorPreference, user_id)
    return bool(row and row.llm_consent)


def set_llm_consent(session: Session, user_id: int, consent: bool, now: datetime) -> None:
    """Record the user's consent (or its withdrawal) and when it changed."""
    lock_user(session, user_id)
    row = session.get(MentorPreference, user_id) or MentorPreference(user_id=user_id)
    if bool(row.llm_consent) != consent or row.consent_changed_at is None:
        row.consent_changed_at = now
    row.llm_consent = consent
    session.add(row)
    session.flush()


def add_llm_call(session: Session, user_id: int, **fields: Any) -> LLMCall:
    """Append one LLM call to the audit log (figures only, never content)."""
    row = LLMCall(user_id=user_id, **fields)
    session.add(row)
    session.flush()
    return row


def finish_llm_call(session: Session, row: LLMCall, **fields: Any) -> None:
    """Record how a reserved LLM call ended."""
    for name, value in fields.items():
        setattr(row, name, value)
    session.add(row)
    session.flush()


def llm_usage_since(session: Session, user_id: int, since: datetime) -> tuple[int, int]:
    """How many LLM questions the user asked since ``since``, and how many tokens they used."""
    count, tokens = session.execute(
        select(
            func.count(LLMCall.id),
            func.coalesce(func.sum(LLMCall.prompt_tokens + LLMCall.completion_tokens), 0),
        ).where(LLMCall.user_id == user_id, LLMCall.created_at >= since)
    ).one()
    return int(count), int(tokens)


def list_llm_calls(session: Session, user_id: int, limit: int, offset: int) -> Page[LLMCall]:
    """The user's LLM audit log, newest first."""
    query = select(LLMCall).where(LLMCall.user_id == user_id).order_by(LLMCall.id.desc())
    return paginate(session, query, limit, offset)
