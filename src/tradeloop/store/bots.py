"""Bots and their event history, always scoped to the owning user. A deleted bot (its
``deleted_at`` set) is left out of every read until it is restored or purged."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from tradeloop.core.codes import BotAction, BotStatus, EventDetail, event_details
from tradeloop.core.errors import NotFound
from tradeloop.store.models import Bot, TradeHistory
from tradeloop.store.pagination import Page, paginate

LIVE = Bot.deleted_at.is_(None)  # a bot not deleted
ACTIVE = (BotStatus.STARTING, BotStatus.RUNNING, BotStatus.STOPPING)  # a supervisor's work


def _owned(user_id: int) -> Any:
    """The ids of the user's bots that are not deleted."""
    return select(Bot.id).where(Bot.user_id == user_id, LIVE)


def list_bots(session: Session, user_id: int, limit: int, offset: int) -> Page[Bot]:
    """The user's bots, oldest first."""
    return paginate(
        session, select(Bot).where(Bot.user_id == user_id, LIVE).order_by(Bot.id), limit, offset
    )


def list_all_bots(session: Session, user_id: int) -> list[Bot]:
    """Every bot of the user, oldest first."""
    return list(session.scalars(select(Bot).where(Bot.user_id == user_id, LIVE).order_by(Bot.id)))


def bots_on_account(session: Session, user_id: int, account_id: int) -> list[Bot]:
    """The user's bots (not deleted) last started on the trading account ``account_id``."""
    owned = select(Bot).where(Bot.user_id == user_id, LIVE).order_by(Bot.id)
    return [b for b in session.scalars(owned) if (b.feed or {}).get("account_id") == account_id]


def active_bots_on_account(session: Session, user_id: int, account_id: int) -> list[Bot]:
    """The user's bots starting, running or stopping on the trading account ``account_id``."""
    return [b for b in bots_on_account(session, user_id, account_id) if b.status in ACTIVE]


def get_bot(session: Session, user_id: int, bot_id: int) -> Bot:
    """The user's bot ``bot_id``; NotFound when it does not exist, is deleted or is someone
    else's."""
    bot = session.scalar(select(Bot).where(Bot.id == bot_id, Bot.user_id == user_id, LIVE))
    if bot is None:
        raise _not_found(bot_id)
    return bot


def is_live(session: Session, user_id: int, bot_id: int) -> bool:
    """Whether the user has the bot ``bot_id`` and it is not deleted."""
    found = session.scalar(select(Bot.id).where(Bot.id == bot_id, Bot.user_id == user_id, LIVE))
    return found is not None


def _not_found(bot_id: int) -> NotFound:
    return NotFound(f"bot {bot_id} not found", key="error.bot_not_found", values={"bot_id": bot_id})


def add_bot(session: Session, user_id: int, fields: dict[str, Any]) -> Bot:
    """Create a bot for the user and log its creation."""
    bot = Bot(user_id=user_id, **fields)
    session.add(bot)
    session.flush()
    details = event_details(EventDetail.BOT_SAVED, name=bot.name)
    log_event(session, user_id, bot.id, BotAction.BOT_CREATED, details)
    return bot


def update_bot(session: Session, user_id: int, bot_id: int, fields: dict[str, Any]) -> Bot:
    """Change the given fields of the user's bot."""
    bot = get_bot(session, user_id, bot_id)
    for name, value in fields.items():
        setattr(bot, name, value)
    session.flush()
    return bot


def delete_bot(session: Session, user_id: int, bot_id: int, now: datetime) -> Bot:
    """Mark the user's bot deleted at ``now`` (undoable until purged), its row locked first
    (a supervisor's claim waits, then sees it): stopped at once if it was running (its
    supervisor loses the lease on its next bar), no command left for it."""
    bot = session.scalar(
        select(Bot)
        .where(Bot.id == bot_id, Bot.user_id == user_id, LIVE)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if bot is None:
        raise _not_found(bot_id)
    if bot.status in ACTIVE:
        bot.status = BotStatus.PAUSED
        log_event(session, user_id, bot.id, BotAction.BOT_PAUSED)
    bot.command = bot.lease_holder = bot.lease_until = None
    bot.deleted_at = now
    session.flush()
    return bot


def deleted_bot(session: Session, user_id: int, bot_id: int, since: datetime) -> Bot:
    """The user's bot ``bot_id`` deleted at ``since`` or later, its row locked; NotFound
    otherwise (not deleted, deleted earlier, missing or someone else's)."""
    bot = session.scalar(
        select(Bot)
        .where(
            Bot.id == bot_id, Bot.user_id == user_id, Bot.deleted_at.is_not(None),
            Bot.deleted_at >= since,
        )
        .with_for_update()
        .execution_options(populate_existing=True)
    )  # fmt: skip
    if bot is None:
        raise _not_found(bot_id)
    return bot


def restore_bot(session: Session, user_id: int, bot_id: int, since: datetime) -> Bot:
    """Bring back the user's bot deleted at ``since`` or later, paused."""
    bot = deleted_bot(session, user_id, bot_id, since)
    bot.deleted_at = None
    if bot.status in ACTIVE:
        bot.status = BotStatus.PAUSED
    bot.command = bot.lease_holder = bot.lease_until = None
    session.flush()
    return bot


def log_event(
    session: Session,
    user_id: int,
    bot_id: int,
    action: BotAction,
    details: str | None = None,
    notify: bool = False,
) -> TradeHistory:
    """Append an event to the history of the user's bot."""
    owned = session.get(Bot, bot_id)  # no query when the bot is loaded already
    if owned is None or owned.user_id != user_id:
        get_bot(session, user_id, bot_id)  # NotFound, worded
    row = TradeHistory(bot_id=bot_id, action=action.value, details=details, is_notification=notify)
    session.add(row)
    session.flush()
    return row


def bot_history(
    session: Session, user_id: int, bot_id: int, limit: int, offset: int
) -> Page[TradeHistory]:
    """The bot's events, newest first."""
    get_bot(session, user_id, bot_id)
    query = (
        select(TradeHistory)
        .where(TradeHistory.bot_id == bot_id)
        .order_by(TradeHistory.timestamp.desc(), TradeHistory.id.desc())
    )
    return paginate(session, query, limit, offset)


def events_after(session: Session, user_id: int, after: int, limit: int) -> list[TradeHistory]:
    """The user's bots' events with an id above ``after``, oldest first."""
    owned = _owned(user_id)
    query = (
        select(TradeHistory)
        .where(TradeHistory.id > after, TradeHistory.bot_id.in_(owned))
        .order_by(TradeHistory.id)
        .limit(limit)
    )
    return list(session.scalars(query))


def last_event_id(session: Session, user_id: int) -> int:
    """The id of the user's bots' newest event (0 when none)."""
    owned = _owned(user_id)
    return (
        session.scalar(select(func.max(TradeHistory.id)).where(TradeHistory.bot_id.in_(owned))) or 0
    )


def statuses(session: Session, user_id: int) -> dict[int, str]:
    """Each of the user's bots' status."""
    rows = session.execute(select(Bot.id, Bot.status).where(Bot.user_id == user_id, LIVE))
    return {bot_id: getattr(status, "value", status) for bot_id, status in rows}


def _is_users_notification(user_id: int) -> Any:
    owned = _owned(user_id)
    return TradeHistory.is_notification.is_(True) & TradeHistory.bot_id.in_(owned)


def notifications(
    session: Session, user_id: int, unread_only: bool, limit: int, offset: int
) -> Page[TradeHistory]:
    """The user's notifications across all their bots, newest first."""
    query = select(TradeHistory).where(_is_users_notification(user_id))
    if unread_only:
        query = query.where(TradeHistory.is_read.is_(False))
    query = query.order_by(TradeHistory.timestamp.desc(), TradeHistory.id.desc())
    return paginate(session, query, limit, offset)


def mark_notifications_read(session: Session, user_id: int, ids: list[int] | None) -> int:
    """Mark the user's notifications (all, or those in ``ids``) as read; returns how many."""
    statement = (
        update(TradeHistory)
        .where(_is_users_notification(user_id), TradeHistory.is_read.is_(False))
        .values(is_read=True)
    )
    if ids is not None:
        statement = statement.where(TradeHistory.id.in_(ids))
    return session.execute(statement).rowcount or 0
