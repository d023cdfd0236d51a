"""Paper bots on the database: start and stop, one bar at a time stored in one transaction,
and the supervisor that runs them.

A bar's work (the runner and the paper broker) and its records (the account as of the bar,
its fills once per client order id, its events) are committed together, with the lease
renewed in the same transaction. A process killed before the commit leaves the account as of
the bar before; the next holder handles that bar again, names the same orders, and stores
each fill once. Exactly one supervisor runs a bot: it holds the bot's lease and renews it on
every bar; a dead holder's lease lapses and another supervisor takes the bot over.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pandas as pd
from sqlalchemy.orm import Session, sessionmaker

from tradeloop.bots.runner import BotRunner
from tradeloop.brokers.paper import BarReport, PaperBroker
from tradeloop.core.codes import BotAction, BotStatus, EventDetail, event_details
from tradeloop.core.errors import InvalidInput
from tradeloop.execution.inputs import conversion
from tradeloop.execution.rules import EXIT_REASONS
from tradeloop.execution.settings import ExecutionSettings
from tradeloop.market.feeds import Bar
from tradeloop.market.instruments import resolve_instrument
from tradeloop.store import paper as repo
from tradeloop.store.bots import get_bot, log_event
from tradeloop.store.datasets import dataset_bars, get_dataset
from tradeloop.store.db import transaction
from tradeloop.store.models import Bot, BotFill, PaperAccount
from tradeloop.strategies.base import get_strategy

log = logging.getLogger("tradeloop.bots")


def bot_settings(bot: Bot) -> ExecutionSettings:
    """The execution settings a bot's configuration means."""
    stops = (
        {"sl_atr": bot.sl_atr_multiplier, "tp_atr": bot.tp_atr_multiplier}
        if getattr(bot.stop_mode, "value", bot.stop_mode) == "atr"
        else {"sl_pips": bot.sl_pips, "tp_pips": bot.tp_pips}
    )
    sizing_choice = (
        {"risk_percent": bot.risk_percent} if bot.risk_percent else {"lots": bot.lot_size}
    )
    return ExecutionSettings(**stops, **sizing_choice)


def start_bot(
    session: Session, user_id: int, bot_id: int, dataset_id: int, seconds_per_bar: float
) -> Bot:
    """Run the user's bot on a paper account, replaying one of the user's datasets from its
    first bar (``seconds_per_bar`` apart; 0: as fast as possible)."""
    bot = get_bot(session, user_id, bot_id)
    dataset = get_dataset(session, user_id, dataset_id)
    if not 0 <= seconds_per_bar <= 3600:
        raise InvalidInput("seconds_per_bar must be between 0 and 3600")
    bot_settings(bot)  # refuses what cannot be traded before anything changes
    resolve_instrument(bot.market)
    repo.reset_account(session, bot.id)
    bot.feed = {"dataset_id": dataset.id, "seconds_per_bar": seconds_per_bar}
    bot.status = BotStatus.RUNNING
    bot.lease_holder = bot.lease_until = None
    log_event(session, user_id, bot.id, BotAction.BOT_STARTED)
    session.flush()
    return bot


def fills_of(session: Session, user_id: int, bot_id: int) -> list[BotFill]:
    """The user's paper bot's fills, oldest first."""
    return repo.bot_fills(session, user_id, bot_id)


def stop_bot(session: Session, user_id: int, bot_id: int) -> Bot:
    """Pause the user's bot: its supervisor stops at its next bar."""
    bot = get_bot(session, user_id, bot_id)
    bot.status = BotStatus.PAUSED
    log_event(session, user_id, bot.id, BotAction.BOT_PAUSED)
    session.flush()
    return bot


@dataclass
class BotRun:
    """One running bot, taken up from the database: its bars, runner and paper broker."""

    bot_id: int
    user_id: int
    bars: pd.DataFrame
    runner: BotRunner
    seconds_per_bar: float

    @classmethod
    def load(cls, session: Session, bot_id: int) -> BotRun:
        """The bot as of its last stored bar."""
        bot = session.get(Bot, bot_id)
        if bot is None or bot.feed is None:
            raise InvalidInput(f"bot {bot_id} has no feed")
        bars = dataset_bars(get_dataset(session, bot.user_id, bot.feed["dataset_id"]))
        instrument = resolve_instrument(bot.market)
        settings = bot_settings(bot)
        mode, rate, _ = conversion(instrument, settings, bars)
        broker = PaperBroker(f"bot:{bot.id}", instrument, settings, mode, rate)
        strategy = get_strategy(bot.strategy, bot.strategy_params or {})
        runner = BotRunner(strategy, instrument, settings, broker, mode)
        account = repo.paper_account(session, bot.id)
        if account is not None:
            seen = bars.iloc[: account.bar_index + 1]
            volume = seen["volume"] if "volume" in seen else pd.Series(0.0, index=seen.index)
            for time, o, h, low, c, v in zip(
                seen.index,
                seen["open"],
                seen["high"],
                seen["low"],
                seen["close"],
                volume,
                strict=True,
            ):
                runner.tape.add_bar(time, o, h, low, c, v)
            opened = _opened_at(session, bot, account)
            last = bars.index[account.bar_index].to_pydatetime()
            broker.restore(
                account.state, account.equity, account.pending_entry, account.pending_exit,
                account.position_id, opened, last,
            )  # fmt: skip
        return cls(bot.id, bot.user_id, bars, runner, float(bot.feed["seconds_per_bar"]))

    def step(self, session: Session, holder: str, now: datetime, lease: timedelta) -> bool:
        """The next bar, stored in ``session``'s transaction with the lease renewed for
        ``lease``; False when the lease is gone, the bot was stopped, or the replay ended."""
        if not repo.renew_lease(session, self.bot_id, holder, now + lease):
            return False
        i = self.runner.tape.size
        if i >= len(self.bars):
            return self._finish(session)
        row = self.bars.iloc[i]
        bar = Bar(
            self.bars.index[i], float(row["open"]), float(row["high"]), float(row["low"]),
            float(row["close"]), float(row.get("volume", 0.0)), i == len(self.bars) - 1,
        )  # fmt: skip
        report = self.runner.on_bar(bar)
        self._store(session, report, i, now)
        if bar.last:
            return self._finish(session)
        return True

    def _store(self, session: Session, report: BarReport, i: int, now: datetime) -> None:
        broker = self.runner.broker
        account = repo.paper_account(session, self.bot_id) or PaperAccount(
            bot_id=self.bot_id, user_id=self.user_id
        )
        account.state = broker.stored_state()
        account.pending_entry, account.pending_exit = broker.pending_entry, broker.pending_exit
        account.position_id, account.equity = broker.position_id, broker.equity
        account.bar_index, account.updated_at = i, now
        session.add(account)
        instrument = self.runner.instrument
        for fill in report.fills:
            request = broker.orders[fill.client_order_id].request
            entry = fill.reason == "entry"
            session.add(
                BotFill(
                    bot_id=self.bot_id, user_id=self.user_id,
                    client_order_id=fill.client_order_id,
                    position=fill.client_order_id if entry else (request.closes or ""),
                    reason=fill.reason, side=fill.side.value, quantity=fill.quantity,
                    price=fill.price, commission=fill.commission,
                    stop=request.stop if entry else None, time=fill.time.to_pydatetime(),
                )
            )  # fmt: skip
            if entry:  # the closing side is told by the round trip below
                details = event_details(
                    EventDetail.POSITION_OPENED, side=fill.side.value,
                    lots=fill.quantity / instrument.contract_size, market=instrument.symbol,
                    price=fill.price, time=fill.time.to_pydatetime(),
                )  # fmt: skip
                log_event(session, self.user_id, self.bot_id, BotAction.POSITION_OPENED,
                          details, notify=True)  # fmt: skip
        for row in report.closed:
            side = "buy" if row[2] > 0 else "sell"
            pips = (row[4] - row[3]) * row[2] / instrument.pip_size
            details = event_details(
                EventDetail.POSITION_CLOSED, side=side, lots=float(row[6]),
                market=instrument.symbol, price=float(row[4]), pips=float(pips),
                pnl=float(row[7]), currency="USD", reason=EXIT_REASONS[int(row[9])],
                time=self.runner.tape.times[int(row[1])].to_pydatetime(),
            )  # fmt: skip
            log_event(session, self.user_id, self.bot_id, BotAction.POSITION_CLOSED, details,
                      notify=True)  # fmt: skip
        session.flush()

    def _finish(self, session: Session) -> bool:
        bot = session.get(Bot, self.bot_id)
        if bot is not None and bot.status == BotStatus.RUNNING:
            bot.status = BotStatus.PAUSED  # the replay is over
            log_event(session, self.user_id, self.bot_id, BotAction.BOT_PAUSED)
        return False


def _opened_at(session: Session, bot: Bot, account: PaperAccount) -> datetime | None:
    """When the open position's entry filled (None when flat)."""
    if account.position_id is None:
        return None
    return repo.fill_time(session, bot.id, account.position_id)


class Supervisor:
    """Runs every running bot whose lease it holds, each as an asyncio task; one bot's
    failure puts that bot in error with its reason and never stops another."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        lease_seconds: float = 10.0,
        holder: str | None = None,
        poll_seconds: float = 0.5,
    ) -> None:
        self.sessions = sessions
        self.lease = timedelta(seconds=lease_seconds)
        self.holder = holder or f"supervisor-{uuid.uuid4().hex[:12]}"
        self.poll_seconds = poll_seconds
        self.tasks: dict[int, asyncio.Task[None]] = {}

    def _claim(self) -> list[int]:
        now = datetime.now(UTC)
        with transaction(self.sessions) as session:
            return repo.claim_bots(session, self.holder, now + self.lease, now)

    async def run(self, stop: asyncio.Event) -> None:
        """Claim and run bots until ``stop`` is set; then stop each at once."""
        try:
            while not stop.is_set():
                for bot_id in await asyncio.to_thread(self._claim):
                    task = self.tasks.get(bot_id)
                    if task is None or task.done():
                        self.tasks[bot_id] = asyncio.create_task(self._run_bot(bot_id))
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self.poll_seconds)
        finally:
            for task in self.tasks.values():
                task.cancel()
            await asyncio.gather(*self.tasks.values(), return_exceptions=True)

    async def _run_bot(self, bot_id: int) -> None:
        try:
            run = await asyncio.to_thread(self._load, bot_id)
            while await asyncio.to_thread(self._step, run):
                if run.seconds_per_bar:
                    await asyncio.sleep(run.seconds_per_bar)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # this bot only: into error with its reason
            log.exception("bot %s failed", bot_id)
            await asyncio.to_thread(self._fail, bot_id, exc)
        finally:
            await asyncio.to_thread(self._release, bot_id)

    def _load(self, bot_id: int) -> BotRun:
        with transaction(self.sessions) as session:
            return BotRun.load(session, bot_id)

    def _step(self, run: BotRun) -> bool:
        with transaction(self.sessions) as session:
            return run.step(session, self.holder, datetime.now(UTC), self.lease)

    def _fail(self, bot_id: int, exc: Exception) -> None:
        with transaction(self.sessions) as session:
            bot = session.get(Bot, bot_id)
            if bot is not None:
                bot.status = BotStatus.ERROR
                at = datetime.now(UTC)
                details = event_details(EventDetail.BOT_FAILED, time=at)
                log_event(session, bot.user_id, bot_id, BotAction.BOT_ERROR, details, True)
                log.warning("bot %s: %s", bot_id, type(exc).__name__)

    def _release(self, bot_id: int) -> None:
        with transaction(self.sessions) as session:
            repo.release_lease(session, bot_id, self.holder)
