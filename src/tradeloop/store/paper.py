"""Paper bots' storage: leases on running bots, paper accounts and fills. A deleted bot is
never claimed nor renewed: no supervisor runs it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from tradeloop.core.codes import BotStatus
from tradeloop.store.bots import ACTIVE as ACTIVE  # a supervisor's work, kept with the bots
from tradeloop.store.bots import LIVE, get_bot
from tradeloop.store.models import Bot, BotFill, PaperAccount


def claim_bots(session: Session, holder: str, until: datetime, now: datetime) -> list[int]:
    """Renew ``holder``'s leases (its heartbeat, one statement) and take the lease of every
    starting, running or stopping bot with a feed that is free or lapsed and not deleted,
    until ``until``; the ids ``holder`` now holds (never a deleted bot)."""
    working = Bot.status.in_(ACTIVE) & LIVE
    session.execute(
        update(Bot).where(Bot.lease_holder == holder, working).values(lease_until=until)
    )
    free = or_(Bot.lease_holder.is_(None), Bot.lease_until < now)
    candidates = session.scalars(select(Bot.id).where(working, Bot.feed.is_not(None), free)).all()
    for bot_id in candidates:  # one conditional update each: two claimers never both win
        session.execute(
            update(Bot)
            .where(Bot.id == bot_id, working, free)
            .values(lease_holder=holder, lease_until=until)
        )
    return list(session.scalars(select(Bot.id).where(Bot.lease_holder == holder, working)))


def renew_lease(
    session: Session, bot_id: int, holder: str, until: datetime
) -> tuple[BotStatus, str | None] | None:
    """Extend ``holder``'s lease of a bot it still has work on; the bot's status and command,
    None when it is no longer held (or was deleted)."""
    renewed = session.execute(
        update(Bot)
        .where(Bot.id == bot_id, Bot.lease_holder == holder, Bot.status.in_(ACTIVE), LIVE)
        .values(lease_until=until)
        .returning(Bot.status, Bot.command)
    ).first()
    return None if renewed is None else (BotStatus(renewed[0]), renewed[1])


def lock_bot(session: Session, user_id: int, bot_id: int) -> Bot:
    """The user's bot, its row locked until the transaction ends (PostgreSQL: a supervisor's
    claim waits, then sees the change; SQLite's writes are serial already); NotFound else
    (a deleted bot too)."""
    bot = session.scalar(
        select(Bot)
        .where(Bot.id == bot_id, Bot.user_id == user_id, LIVE)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return bot if bot is not None else get_bot(session, user_id, bot_id)


def held_elsewhere(bot: Bot, now: datetime) -> bool:
    """Whether a supervisor holds ``bot``'s lease now (it must do the bot's work)."""
    return bot.lease_holder is not None and bot.lease_until is not None and bot.lease_until > now


def wanted(session: Session, holder: str) -> list[int]:
    """The bots ``holder`` holds that were asked something: a stop or a close."""
    return list(
        session.scalars(
            select(Bot.id).where(
                Bot.lease_holder == holder,
                or_(Bot.status == BotStatus.STOPPING, Bot.command.is_not(None)),
            )
        )
    )


def release_lease(session: Session, bot_id: int, holder: str) -> None:
    """Give up ``holder``'s lease of the bot."""
    session.execute(
        update(Bot)
        .where(Bot.id == bot_id, Bot.lease_holder == holder)
        .values(lease_holder=None, lease_until=None)
    )


def paper_account(session: Session, bot_id: int) -> PaperAccount | None:
    """The bot's paper account, None before its first bar."""
    return session.get(PaperAccount, bot_id)


def reset_account(session: Session, bot_id: int) -> None:
    """Forget the bot's paper account and fills (a new run starts from scratch)."""
    account = session.get(PaperAccount, bot_id)
    if account is not None:
        session.delete(account)
    for fill in session.scalars(select(BotFill).where(BotFill.bot_id == bot_id)):
        session.delete(fill)
    session.flush()


def bot_fills(session: Session, user_id: int, bot_id: int) -> list[BotFill]:
    """The user's bot's fills, oldest first."""
    return list(
        session.scalars(
            select(BotFill)
            .where(BotFill.bot_id == bot_id, BotFill.user_id == user_id)
            .order_by(BotFill.id)
        )
    )


def fill_time(session: Session, bot_id: int, client_order_id: str) -> datetime | None:
    """When the bot's order ``client_order_id`` filled (None if it has not)."""
    return session.scalar(
        select(BotFill.time).where(
            BotFill.bot_id == bot_id, BotFill.client_order_id == client_order_id
        )
    )
