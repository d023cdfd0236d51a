"""Mentor service: quick feedback, daily reports for a user, the tools scoped to a user, and
the user-scoped storage calls of sessions, reports and threads (units of work as they are)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pandas as pd
from cryptography.fernet import MultiFernet
from sqlalchemy.orm import Session

from tradeloop.config import Settings
from tradeloop.habits.analysis import Analysis
from tradeloop.i18n import LANGUAGES
from tradeloop.mentor.daily import daily_figures, daily_report, history, weekly_summary
from tradeloop.mentor.notes import derived_key, notes_cipher, seal, unseal
from tradeloop.mentor.report import NO_TRADE_SCORE, net_pnl
from tradeloop.mentor.tools import ToolContext
from tradeloop.services.analyses import Upcoming, user_analysis
from tradeloop.store import audit
from tradeloop.store import mentor as repo
from tradeloop.store.mentor import add_thread as add_thread
from tradeloop.store.mentor import delete_message as delete_message
from tradeloop.store.mentor import delete_session as delete_session
from tradeloop.store.mentor import delete_threads as delete_threads
from tradeloop.store.mentor import get_report as get_report
from tradeloop.store.mentor import get_session as get_session
from tradeloop.store.mentor import get_thread as get_thread
from tradeloop.store.mentor import list_llm_calls as list_llm_calls
from tradeloop.store.mentor import list_sessions as list_sessions
from tradeloop.store.mentor import list_threads as list_threads
from tradeloop.store.mentor import require_session as require_session
from tradeloop.store.models import AIMentorReport, TradingSession, User


def cipher_for(settings: Settings) -> MultiFernet:
    """The notes cipher of the configured keys (TRADELOOP_NOTES_KEY, else one derived from
    the secret key; TRADELOOP_NOTES_OLD_KEYS for reading only)."""
    current = (
        settings.notes_key.get_secret_value().encode()
        if settings.notes_key
        else derived_key(settings.effective_secret_key)
    )
    return notes_cipher(current, [k.get_secret_value().encode() for k in settings.notes_old_keys])


def _day_trades(analysis: Analysis | None, day: date, tz: str) -> pd.DataFrame:
    if analysis is None:
        return pd.DataFrame(columns=["pnl_points", "pnl_money", "currency", "underlying"])
    trades = analysis.trades
    return trades[trades["exit_time"].dt.tz_convert(tz).dt.date == day]


def refresh_session(
    db: Session, user: User, day: date, analysis: Analysis | None
) -> TradingSession:
    """The user's session of ``day`` with totals and risk score recomputed from that day's
    trades (P&L in money when every trade's is known, else points)."""
    row = repo.ensure_session(db, user.id, day)
    trades = _day_trades(analysis, day, user.timezone)
    row.risk_score = daily_figures(analysis, day, user.timezone).score
    return repo.set_totals(db, row, len(trades), net_pnl(trades) or 0.0)


def sync_sessions(db: Session, user: User, upcoming: Upcoming | None = None) -> int:
    """Make the user's sessions match the journal: one per day with trades (created when
    missing) and every session's totals and risk score recomputed; returns how many days hold
    trades. ``upcoming``: the journal's analysis made before this transaction changed it."""
    analysis = upcoming.analysis if upcoming is not None else user_analysis(db, user.id)
    totals: dict[date, tuple[int, float]] = {}
    local_day = pd.Series(dtype=object)
    if analysis is not None and len(analysis.trades):
        local_day = analysis.trades["exit_time"].dt.tz_convert(user.timezone).dt.date
        for day, trades in analysis.trades.groupby(local_day):
            totals[day] = (len(trades), net_pnl(trades) or 0.0)
    existing = {row.session_date: row for row in repo.sessions_between(db, user.id, None, None)}
    for day in sorted(set(totals) | set(existing)):
        row = existing.get(day) or repo.ensure_session(db, user.id, day)
        traded = day in totals
        row.risk_score = (
            daily_figures(analysis, day, user.timezone, local_days=local_day).score
            if traded
            else NO_TRADE_SCORE
        )
        repo.set_totals(db, row, *totals.get(day, (0, 0.0)))
    return len(totals)


def stated_emotion(row: TradingSession | None) -> str | None:
    """The emotion the trader gave for the day; None for a day only imports created."""
    if row is None or row.feedback_at is None:
        return None
    return getattr(row.emotions, "value", row.emotions)


def _emotions(db: Session, user: User, start: date, end: date) -> dict[date, str]:
    """Stated emotions by day (days the trader described, even without trades)."""
    rows = repo.sessions_between(db, user.id, start, end)
    return {row.session_date: e for row in rows if (e := stated_emotion(row)) is not None}


def history_of(db: Session, user: User, end: date, days: int) -> dict[str, Any]:
    """The last ``days`` days up to ``end``: P&L, risk score and emotion per day, score trend."""
    start = end - timedelta(days=days - 1)
    analysis = user_analysis(db, user.id)
    return history(analysis, _emotions(db, user, start, end), start, end, user.timezone)


def week_of(db: Session, user: User, day: date) -> dict[str, Any]:
    """The weekly summary of the week holding ``day``."""
    monday = day - timedelta(days=day.weekday())
    emotions = _emotions(db, user, monday, monday + timedelta(days=6))
    analysis = user_analysis(db, user.id)
    return weekly_summary(analysis, emotions, day, user.timezone)


def session_record(row: TradingSession, settings: Settings | None) -> dict[str, Any]:
    """A session as JSON-ready data, the personal note decrypted for its owner (left out
    without settings). Emotion and market are None until the trader gives them."""
    stated = row.feedback_at is not None
    return {
        "date": row.session_date.isoformat(),
        "emotion": stated_emotion(row),
        "market": getattr(row.market_conditions, "value", row.market_conditions)
        if stated
        else None,
        "total_trades": row.total_trades,
        "total_profit_loss": row.total_profit_loss,
        "risk_score": row.risk_score,
        "note": None if settings is None else unseal(cipher_for(settings), row.personal_notes),
    }


def report_record(stored: AIMentorReport, day: date) -> dict[str, Any]:
    """A stored report as JSON-ready data."""
    return {name: getattr(stored, name) for name in (*repo.REPORT_FIELDS, "language")} | {
        "date": day.isoformat()
    }


def tool_context(
    db: Session, user: User, today: date | None = None, detached: bool = False
) -> ToolContext:
    """The tools' view of ``user``: their journal, clock, language, sessions and reports.
    Session rows are given without the personal notes. ``detached`` reads sessions and reports
    now, so the tools need no database later (while a language model answers)."""

    def session_view(row: TradingSession) -> dict[str, Any]:
        return {k: v for k, v in session_record(row, None).items() if k != "note"}

    def sessions(start: date | None, end: date | None) -> list[dict[str, Any]]:
        return [session_view(row) for row in repo.sessions_between(db, user.id, start, end)]

    def stored_report(day: date, language: str) -> dict[str, Any] | None:
        stored = repo.find_report(db, user.id, day, language)
        return None if stored is None else report_record(stored, day)

    if detached:
        rows = sessions(None, None)
        reports = {(d, r.language): report_record(r, d) for d, r in repo.reports_of(db, user.id)}

        def sessions(start: date | None, end: date | None) -> list[dict[str, Any]]:
            low, high = (start or date.min).isoformat(), (end or date.max).isoformat()
            return [row for row in rows if low <= row["date"] <= high]

        def stored_report(day: date, language: str) -> dict[str, Any] | None:
            return reports.get((day, language))

    return ToolContext(
        user_analysis(db, user.id),
        user.timezone,
        user.language,
        today,
        sessions,
        stored_report,
    )


def quick_feedback(
    db: Session,
    user: User,
    settings: Settings,
    day: date,
    emotion: str,
    market: str | None,
    note: str | None,
    language: str,
) -> dict[str, Any]:
    """Record how the trader feels; answer at once with a read, a tip and up to three actions.
    The day's stored reports are written again, so they read the stated emotion."""
    analysis = user_analysis(db, user.id)
    row = refresh_session(db, user, day, analysis)
    row.emotions = emotion
    row.feedback_at = datetime.now(UTC)
    if market:
        row.market_conditions = market
    if note is not None:
        row.personal_notes = seal(cipher_for(settings), note)
    report = daily_report(analysis, day, emotion, language, user.timezone)
    for stored_language in LANGUAGES:
        if repo.find_report(db, user.id, day, stored_language) is not None:
            again = daily_report(analysis, day, emotion, stored_language, user.timezone)
            repo.save_report(db, row, again)
    db.flush()
    return {
        "session": session_record(row, settings),
        "feedback": report["emotional_analysis"]["feedback"],
        "tip": report["emotional_analysis"]["tip"],
        "actions": report["recommendations"][:3],
    }


def generate_report(db: Session, user: User, day: date, language: str) -> dict[str, Any]:
    """Write (or rewrite) the report of ``day`` in ``language`` and store it."""
    analysis = user_analysis(db, user.id)
    row = refresh_session(db, user, day, analysis)
    emotion = stated_emotion(row) or "neutral"
    report = daily_report(analysis, day, emotion, language, user.timezone)
    repo.save_report(db, row, report)
    return report


def mentor_card(db: Session, user: User, today: date) -> dict[str, Any]:
    """The dashboard's mentor card: today's P&L and trades, the stated emotion, one tip."""
    analysis = user_analysis(db, user.id)
    emotion = stated_emotion(repo.get_session(db, user.id, today))
    report = daily_report(analysis, today, emotion or "neutral", user.language, user.timezone)
    figures = report["trading_patterns_analysis"]["figures"]
    pnl = figures["net"]
    tip = report["recommendations"][0] if figures["trades"] else report["emotional_analysis"]["tip"]
    return {
        "date": today.isoformat(),
        "trades": figures["trades"],
        "pnl": pnl,
        "unit": figures["unit"],
        "currency": figures["currency"],
        "emotion": emotion,
        "risk_score": report["risk_management_score"],
        "tip": tip,
    }


def set_llm_consent(session: Session, user_id: int, consent: bool, now: datetime) -> None:
    """Allow or refuse sending the user's figures to the language model (audited)."""
    repo.set_llm_consent(session, user_id, consent, now)
    audit.record(session, user_id, "llm_consent", detail={"allowed": consent})
