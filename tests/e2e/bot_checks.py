"""What every supervised paper bot must end with, checked against its backtest."""

from __future__ import annotations

import json
from collections import Counter

import pandas as pd
import pytest
from sqlalchemy import select

from tradeloop.backtest.engine import run_backtest
from tradeloop.core.codes import BotAction
from tradeloop.market.instruments import resolve_instrument
from tradeloop.services import paper_bots
from tradeloop.services.database import Database
from tradeloop.store.db import transaction
from tradeloop.store.models import Bot, BotFill, PaperAccount, TradeHistory
from tradeloop.strategies.base import get_strategy


def check_trades(database: Database, bot_id: int, bars: pd.DataFrame) -> int:
    """The bot's stored fills are exactly its backtest's trades, each once, and so are its
    position events; its account is flat with the backtest's equity. The number of trades."""
    with transaction(database.readers) as session:
        bot = session.get(Bot, bot_id)
        fills = list(session.scalars(select(BotFill).where(BotFill.bot_id == bot_id)
                                     .order_by(BotFill.time, BotFill.id)))  # fmt: skip
        account = session.get(PaperAccount, bot_id)
        events = list(session.scalars(select(TradeHistory).where(TradeHistory.bot_id == bot_id)
                                      .order_by(TradeHistory.id)))  # fmt: skip
        settings = paper_bots.bot_settings(bot)
        strategy = get_strategy(bot.strategy, bot.strategy_params)
    backtest = run_backtest(bars, strategy, resolve_instrument("EURUSD"), settings)
    trades = backtest.trades
    assert len({f.client_order_id for f in fills}) == len(fills)  # each order filled once
    entries = [f for f in fills if f.reason == "entry"]
    exits = [f for f in fills if f.reason != "entry"]
    assert len(entries) == len(exits) == len(trades) > 0
    assert [f.time for f in entries] == list(trades["entry_time"])
    assert [f.time for f in exits] == list(trades["exit_time"])
    assert [f.price for f in entries] == pytest.approx(list(trades["entry_price"]), abs=1e-9)
    assert [f.price for f in exits] == pytest.approx(list(trades["exit_price"]), abs=1e-9)
    assert [f.reason for f in exits] == list(trades["exit_reason"])
    assert {f.position for f in exits} == {f.client_order_id for f in entries}
    assert account.bar_index == len(bars) - 1
    assert account.position_id is None and account.state[0] == 0  # flat at the end
    assert account.equity == pytest.approx(float(backtest.equity.iloc[-1]), abs=1e-6)

    actions = Counter(e.action for e in events)
    assert actions[BotAction.BOT_STARTED] == actions[BotAction.BOT_PAUSED] == 1
    assert actions[BotAction.BOT_ERROR] == 0
    assert actions[BotAction.POSITION_OPENED] == len(entries)  # each event stored once
    assert actions[BotAction.POSITION_CLOSED] == len(exits)
    for action, filled in ((BotAction.POSITION_OPENED, entries),
                           (BotAction.POSITION_CLOSED, exits)):  # fmt: skip
        told = [json.loads(e.details)["values"] for e in events if e.action == action]
        assert sorted(v["time"] for v in told) == sorted(f.time.isoformat() for f in filled)
        assert sorted(v["price"] for v in told) == pytest.approx(
            sorted(f.price for f in filled), abs=1e-9
        )
    return len(trades)
