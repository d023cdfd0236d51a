"""Bots and their notifications: the user-scoped storage calls are the units of work, and the
dashboard's counts."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tradeloop.core.codes import BotStatus
from tradeloop.store.bots import (
    add_bot,
    bot_history,
    delete_bot,
    get_bot,
    list_bots,
    mark_notifications_read,
    notifications,
    update_bot,
)
from tradeloop.store.models import BacktestResult, Bot, TradingSession

__all__ = [
    "add_bot", "bot_history", "dashboard_counts", "delete_bot", "get_bot", "list_bots",
    "mark_notifications_read", "notifications", "update_bot",
]  # fmt: skip


def _count(session: Session, *where: object) -> int:
    return session.scalar(select(func.count()).where(*where)) or 0  # type: ignore[arg-type]


def dashboard_counts(session: Session, user_id: int) -> dict[str, int]:
    """Bots (all and running), unread notifications, saved backtests and journal days."""
    return {
        "bots_total": _count(session, Bot.user_id == user_id),
        "bots_running": _count(session, Bot.user_id == user_id, Bot.status == BotStatus.RUNNING),
        "unread": notifications(session, user_id, True, 1, 0).total,
        "backtests": _count(session, BacktestResult.user_id == user_id),
        "sessions": _count(session, TradingSession.user_id == user_id),
    }
