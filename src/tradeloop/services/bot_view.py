"""What the bot pages and the dashboard show of paper bots, read from what their supervisors
stored: the account and open position as of the last bar, the round trips, the equity after
each, the latest action, all in the reader's language."""

from __future__ import annotations

import math
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tradeloop.bots.journal import bot_orders
from tradeloop.core.instruments import Instrument
from tradeloop.execution.settings import ExecutionSettings
from tradeloop.execution.step import CASH, ENTRY, SIDE, SIZE, STOP_LEVEL, TARGET_LEVEL
from tradeloop.journal.trades import rebuild_trades
from tradeloop.market.instruments import resolve_instrument
from tradeloop.services.bot_journal import held_orders
from tradeloop.services.bots import event_text, get_bot
from tradeloop.store import paper as repo
from tradeloop.store.bots import LIVE
from tradeloop.store.models import Bot, Dataset, PaperAccount, TradeHistory, TradingAccount

INITIAL_CASH = ExecutionSettings().initial_cash  # a paper account's starting balance


def _instrument(bot: Bot) -> Instrument | None:
    try:
        return resolve_instrument(bot.market)
    except Exception:  # a market saved before it could be traded: nothing to value
        return None


def account_view(session: Session, bot: Bot, account: PaperAccount | None) -> dict[str, Any]:
    """The bot's paper account as of its last bar: balance (closed P&L and fees), equity
    (marked at the last close), P&L since the start, and the open position (None if flat);
    ``exchange``: the bot trades on an exchange account (its equity is the account's)."""
    if account is None:
        return {"bot_id": bot.id, "balance": None, "equity": None, "pnl": None,
                "currency": "USD", "updated_at": None, "position": None,
                "exchange": "account_id" in (bot.feed or {})}  # fmt: skip
    if not account.state:  # a bot on an exchange account: the exchange's figures
        return _exchange_account_view(session, bot, account)
    st = [math.nan if v is None else float(v) for v in account.state]
    position = None
    instrument = _instrument(bot)
    if st[SIDE] != 0 and account.position_id is not None and instrument is not None:
        opened = repo.fill_time(session, bot.id, account.position_id)
        position = {
            "client_order_id": account.position_id, "symbol": instrument.symbol,
            "side": "buy" if st[SIDE] > 0 else "sell", "quantity": st[SIZE],
            "lots": st[SIZE] / instrument.contract_size, "entry_price": st[ENTRY],
            "opened_at": None if opened is None else opened.isoformat(),
            "stop": None if math.isnan(st[STOP_LEVEL]) else st[STOP_LEVEL],
            "target": None if math.isnan(st[TARGET_LEVEL]) else st[TARGET_LEVEL],
        }  # fmt: skip
    return {
        "bot_id": bot.id, "balance": st[CASH], "equity": account.equity,
        "pnl": account.equity - INITIAL_CASH, "currency": "USD",
        "updated_at": account.updated_at.isoformat(), "position": position, "exchange": False,
    }  # fmt: skip


def _exchange_account_view(session: Session, bot: Bot, account: PaperAccount) -> dict[str, Any]:
    """A bot on an exchange account: the account's equity as the exchange last told it, the
    bot's P&L from its own fills (closed round trips, fees included), its open position as
    its entry fill tells it."""
    stored = repo.bot_fills(session, bot.user_id, bot.id)
    entries = {f.client_order_id: f for f in stored if f.reason == "entry"}
    pnl = -sum(f.commission for f in stored)
    for fill in stored:
        opened = entries.get(fill.position) if fill.reason != "entry" else None
        if opened is not None:
            sign = 1 if opened.side == "buy" else -1
            pnl += sign * (fill.price - opened.price) * fill.quantity
    position = None
    entry = entries.get(account.position_id or "")
    instrument = _instrument(bot)
    if entry is not None and instrument is not None:
        position = {
            "client_order_id": entry.client_order_id, "symbol": instrument.symbol,
            "side": entry.side, "quantity": entry.quantity,
            "lots": entry.quantity / instrument.contract_size, "entry_price": entry.price,
            "opened_at": entry.time.isoformat(), "stop": entry.stop, "target": None,
        }  # fmt: skip
    return {
        "bot_id": bot.id, "balance": None, "equity": account.equity, "pnl": pnl,
        "currency": "USD", "updated_at": account.updated_at.isoformat(), "position": position,
        "exchange": True,
    }  # fmt: skip


def bot_account(session: Session, user_id: int, bot_id: int) -> dict[str, Any]:
    """The user's bot's ``account_view``."""
    return account_of(session, get_bot(session, user_id, bot_id))


def account_of(session: Session, bot: Bot) -> dict[str, Any]:
    """The ``account_view`` of a bot already read (and checked to be the caller's)."""
    return account_view(session, bot, repo.paper_account(session, bot.id))


def bot_trades(session: Session, bot: Bot) -> list[dict[str, Any]]:
    """The bot's round trips, oldest first, as the journal rebuilds them from its fills, each
    with the equity after it (none where the quote is not the account currency, whose money
    the journal does not know: USDJPY's trades are counted in points there)."""
    instrument = _instrument(bot)
    stored = repo.bot_fills(session, bot.user_id, bot.id)
    if instrument is None or not stored:
        return []
    orders, fills = held_orders(stored, instrument.symbol)
    trades = rebuild_trades(bot_orders(f"bot:{bot.id}", instrument, orders, fills))
    reasons = {f.position: f.reason for f in stored if f.reason != "entry"}
    rows, equity = [], INITIAL_CASH
    for trade in trades.itertuples():
        pnl = float(trade.pnl_money)
        if math.isnan(pnl):  # a quote not in the account currency: the journal counts points
            return []
        equity += pnl
        rows.append({
            "side": trade.side, "lots": float(trade.qty),
            "entry_time": trade.entry_time.to_pydatetime(),
            "exit_time": trade.exit_time.to_pydatetime(),
            "entry_price": float(trade.entry_price), "exit_price": float(trade.exit_price),
            "pnl": pnl, "equity": equity,
            "reason": reasons.get(str(trade.position), ""),
        })  # fmt: skip
    return rows


def activity(
    session: Session, bot_ids: list[int], language: str, zone: str, limit: int
) -> list[dict[str, Any]]:
    """The newest ``limit`` events of the bots ``bot_ids`` (the caller's own), in words."""
    if not bot_ids:
        return []
    rows = session.scalars(
        select(TradeHistory)
        .where(TradeHistory.bot_id.in_(bot_ids))
        .order_by(TradeHistory.timestamp.desc(), TradeHistory.id.desc())
        .limit(limit)
    ).all()
    return [
        {"id": row.id, "bot_id": row.bot_id, "action": row.action, "time": row.timestamp,
         "text": event_text(language, zone, row.details), "notification": row.is_notification}
        for row in rows
    ]  # fmt: skip


def feed_view(session: Session, bot: Bot) -> dict[str, Any] | None:
    """What the bot trades on, for its page: the dataset replayed and its pace, or the
    exchange account."""
    if bot.feed is None:
        return None
    if "account_id" in bot.feed:
        owned = (TradingAccount.id == bot.feed["account_id"],
                 TradingAccount.user_id == bot.user_id)  # fmt: skip
        name = session.scalar(select(TradingAccount.name).where(*owned))
        return {"account": name or "—", "account_id": bot.feed["account_id"]}
    dataset = session.scalar(
        select(Dataset.name).where(
            Dataset.id == bot.feed["dataset_id"], Dataset.user_id == bot.user_id
        )
    )
    return {"dataset": dataset or "—", "seconds_per_bar": bot.feed["seconds_per_bar"],
            "dataset_id": bot.feed["dataset_id"]}  # fmt: skip


def dashboard_figures(
    session: Session, user_id: int, language: str, zone: str, shown: int = 8
) -> dict[str, Any]:
    """The dashboard's bot figures: the paper accounts' equity and P&L summed (None before any
    bot traded), how many accounts, and the newest events of the user's bots."""
    owned = list(session.scalars(select(Bot).where(Bot.user_id == user_id, LIVE).order_by(Bot.id)))
    views = [account_of(session, bot) for bot in owned]
    traded = [v for v in views if v["equity"] is not None]
    paper = [v for v in traded if not v.get("exchange")]  # an exchange's equity is the account's
    return {
        "equity": sum(v["equity"] for v in paper) if paper else None,
        "pnl": sum(v["pnl"] for v in traded) if traded else None,
        "accounts": len(traded),
        "open_positions": sum(1 for v in traded if v["position"]),
        "activity": activity(session, [b.id for b in owned], language, zone, shown),
    }
