"""A paper bot's trades in the journal: its stored fills as journal orders under account
``bot:<id>`` (one journal import per bot, replaced as its trades close), so they pass through
the same FIFO rebuild, habit detectors and daily sessions as imported trades."""

from __future__ import annotations

from sqlalchemy.orm import Session

from tradeloop.bots.journal import bot_orders
from tradeloop.core.instruments import Instrument
from tradeloop.core.orders import Fill, Order, OrderRequest, OrderStatus, Side
from tradeloop.store import journal as journal_repo
from tradeloop.store import paper as repo
from tradeloop.store import users
from tradeloop.store.models import BotFill


def held_orders(stored: list[BotFill], symbol: str) -> tuple[list[Order], list[Fill]]:
    """The broker's orders and fills as the stored fills tell them."""
    orders, fills = [], []
    for row in stored:
        entry = row.reason == "entry"
        request = OrderRequest(
            row.client_order_id, symbol, Side(row.side), row.quantity,
            stop=row.stop if entry else None, closes=None if entry else row.position,
        )  # fmt: skip
        orders.append(Order(request, OrderStatus.FILLED, row.time, row.time, row.reason))
        fill = Fill(
            row.client_order_id, symbol, Side(row.side), row.quantity, row.price,
            row.commission, row.time, row.reason,
        )  # fmt: skip
        fills.append(fill)
    return orders, fills


def record_bot_trades(
    session: Session, user_id: int, bot_id: int, name: str, instrument: Instrument
) -> None:
    """Put the bot's fills so far into the journal (in ``session``'s transaction)."""
    stored = repo.bot_fills(session, user_id, bot_id)
    orders, fills = held_orders(stored, instrument.symbol)
    frame = bot_orders(f"bot:{bot_id}", instrument, orders, fills)
    closed = sum(1 for row in stored if row.reason != "entry")
    journal_repo.put_bot_import(session, user_id, bot_id, name, frame, closed)


def forget_bot_trades(session: Session, user_id: int, bot_id: int) -> None:
    """Take the bot's trades out of the journal (a new run starts, or the bot is deleted)."""
    journal_repo.drop_bot_import(session, user_id, bot_id)


def sync_days(session: Session, user_id: int) -> None:
    """Bring the user's daily sessions up to date with the journal (after bot trades): the
    analysis is made with no write lock held, and used when nothing changed meanwhile."""
    from tradeloop.services.analyses import analysis_after, keep_analysis  # the mentor's
    from tradeloop.services.mentor import sync_sessions  # stack, loaded only when needed

    upcoming = analysis_after(session, user_id)
    user = users.get(session, user_id)
    if user is not None and upcoming.still_valid(session, user_id):
        sync_sessions(session, user, upcoming)
        keep_analysis(session, user_id, upcoming.analysis)
