"""Paper bots' storage: leases on running bots, paper accounts and fills."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from tradeloop.core.codes import BotStatus
from tradeloop.store.models import Bot, BotFill, PaperAccount


def claim_bots(session: Session, holder: str, until: datetime, now: datetime) -> list[int]:
    """Take the lease of every running bot with a feed that is free, lapsed or ``holder``'s
    own, until ``until``; the ids ``holder`` now holds."""
    candidates = session.scalars(
        select(Bot.id).where(
            Bot.status == BotStatus.RUNNING,
            Bot.feed.is_not(None),
            or_(Bot.lease_holder.is_(None), Bot.lease_holder == holder, Bot.lease_until < now),
        )
    ).all()
    held = []
    for bot_id in candidates:  # one conditional update each: two claimers never both win
        taken = session.execute(
            update(Bot)
            .where(
                Bot.id == bot_id,
                Bot.status == BotStatus.RUNNING,
                or_(Bot.lease_holder.is_(None), Bot.lease_holder == holder, Bot.lease_until < now),
            )
            .values(lease_holder=holder, lease_until=until)
        )
        if taken.rowcount == 1:
            held.append(bot_id)
    return held


def renew_lease(session: Session, bot_id: int, holder: str, until: datetime) -> bool:
    """Extend ``holder``'s lease of a still running bot; False when it is no longer held."""
    renewed = session.execute(
        update(Bot)
        .where(Bot.id == bot_id, Bot.lease_holder == holder, Bot.status == BotStatus.RUNNING)
        .values(lease_until=until)
    )
    return renewed.rowcount == 1


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
