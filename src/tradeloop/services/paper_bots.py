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
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pandas as pd
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from tradeloop.bots.analysis import Analysis, analyse, analysis_from_json, analysis_json
from tradeloop.bots.config import ProtectionSettings
from tradeloop.bots.protections import ClosedTrade
from tradeloop.bots.runner import BotRunner
from tradeloop.brokers.base import Reconciliation
from tradeloop.brokers.errors import BrokerError
from tradeloop.brokers.paper import BarReport, PaperBroker
from tradeloop.core.codes import BotAction, BotStatus, EventDetail, event_details
from tradeloop.core.errors import Conflict, InvalidInput, UserError
from tradeloop.core.orders import Fill
from tradeloop.execution.inputs import conversion
from tradeloop.execution.rules import EXIT_REASONS
from tradeloop.execution.settings import ExecutionSettings
from tradeloop.market.feeds import Bar
from tradeloop.market.instruments import resolve_instrument
from tradeloop.services.bot_journal import forget_bot_trades, record_bot_trades, sync_days
from tradeloop.store import audit
from tradeloop.store import paper as repo
from tradeloop.store.bots import get_bot, list_all_bots, log_event
from tradeloop.store.datasets import dataset_bars, get_dataset
from tradeloop.store.db import transaction
from tradeloop.store.models import Bot, BotFill, PaperAccount
from tradeloop.strategies.base import get_strategy

if TYPE_CHECKING:
    from tradeloop.services.live_bots import LiveContext

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


CLOSE = "close"  # a bot's command: close its position now


def start_bot(
    session: Session, user_id: int, bot_id: int, dataset_id: int | None,
    seconds_per_bar: float = 1.0, account_id: int | None = None,
) -> Bot:  # fmt: skip
    """Run the user's bot: on a new paper account replaying one of the user's datasets from
    its first bar (``seconds_per_bar`` apart; 0: as fast as possible), or on one of the
    user's exchange accounts (``account_id``) on its live bars; a supervisor takes it up
    (starting → running). A bot that traded on an exchange account keeps it: starting it
    elsewhere would drop its real trades, and is refused."""
    bot = repo.lock_bot(session, user_id, bot_id)
    if bot.status in repo.ACTIVE:
        raise Conflict(
            f"bot {bot.name!r} is already {bot.status.value}: stop it first",
            key="bots.error.already_running", values={"name": bot.name},
        )  # fmt: skip
    if (dataset_id is None) == (account_id is None):
        raise InvalidInput("choose either a dataset to replay or an account to trade on",
                           [{"field": "dataset_id"}], key="bots.error.feed_choice")  # fmt: skip
    from tradeloop.services import live_bots  # the exchange side, when a bot needs it

    if live_bots.traded_elsewhere(bot, account_id, bool(repo.bot_fills(session, user_id, bot.id))):
        raise Conflict(
            f"bot {bot.name!r} traded on an exchange account: its trades stay with it. Start "
            "it there again, or make a new bot", key="bots.error.keeps_account",
            values={"name": bot.name},
        )  # fmt: skip
    if account_id is not None:
        from tradeloop.services.trading_accounts import require_account

        account = require_account(session, user_id, account_id)
        live_bots.check_live_start(session, user_id, bot, account)
        bot_settings(bot)  # refuses what cannot be traded before anything changes
        feed = live_bots.live_feed(bot, account, datetime.now(UTC))
        if (bot.feed or {}).get("account_id") != account.id:
            repo.reset_account(session, bot.id)
            forget_bot_trades(session, user_id, bot.id)
        detail = {"bot": bot.id, "account": account.id}
    else:
        dataset = get_dataset(session, user_id, int(dataset_id or 0))
        if not 0 <= seconds_per_bar <= 3600:
            raise InvalidInput("seconds_per_bar must be between 0 and 3600")
        if dataset.symbol.upper() != bot.market.upper():
            raise InvalidInput(
                f"dataset {dataset.name!r} holds {dataset.symbol} bars, not {bot.market}: "
                f"choose a dataset of {bot.market}", [{"field": "dataset_id"}],
                key="bots.error.dataset_symbol",
                values={"dataset": dataset.name, "symbol": dataset.symbol, "market": bot.market},
            )  # fmt: skip
        settings = bot_settings(bot)  # refuses what cannot be traded before anything changes
        conversion(resolve_instrument(bot.market), settings, dataset_bars(dataset))
        repo.reset_account(session, bot.id)
        forget_bot_trades(session, user_id, bot.id)
        feed = {"dataset_id": dataset.id, "seconds_per_bar": seconds_per_bar}
        detail = {"bot": bot.id, "dataset": dataset.id}
    bot.feed = feed
    bot.status, bot.status_reason, bot.command = BotStatus.STARTING, None, None
    bot.lease_holder = bot.lease_until = None
    log_event(session, user_id, bot.id, BotAction.BOT_STARTED)
    audit.record(session, user_id, "bot_started", detail=detail)
    session.flush()
    return bot


def start_all(session: Session, user_id: int) -> dict[str, Any]:
    """Start again, on the replay each last ran, every stopped bot that has run before;
    ``skipped``: bots that never ran; ``failed``: bots refused, each with the reason."""
    started, skipped, failed = [], [], []
    for bot in list_all_bots(session, user_id):
        if bot.status in repo.ACTIVE:
            continue
        if bot.feed is None:
            skipped.append(bot.id)
            continue
        feed = dict(bot.feed)
        reason = _each(session, lambda b=bot, f=feed: start_bot(
            session, user_id, b.id, f.get("dataset_id"), f.get("seconds_per_bar", 1.0),
            f.get("account_id")))  # fmt: skip
        if reason is None:
            started.append(bot.id)
        else:
            failed.append({"bot_id": bot.id, "reason": reason})
    return {"started": started, "skipped": skipped, "failed": failed}


def _each(session: Session, act: Callable[[], object]) -> str | None:
    """``act`` for one bot of many in a savepoint of its own: its refusal (the reason, in
    words) undoes that bot's part only."""
    try:
        with session.begin_nested():
            act()
    except UserError as exc:
        return exc.message
    return None


def fills_of(session: Session, user_id: int, bot_id: int) -> list[BotFill]:
    """The user's paper bot's fills, oldest first."""
    return repo.bot_fills(session, user_id, bot_id)


def stop_bot(session: Session, user_id: int, bot_id: int, close: bool = False) -> Bot:
    """Stop the user's bot (and with ``close`` its position): its supervisor does it at once
    (stopping → paused); with no supervisor holding it, it is done here."""
    bot = repo.lock_bot(session, user_id, bot_id)
    now = datetime.now(UTC)
    if bot.status in repo.ACTIVE and repo.held_elsewhere(bot, now):
        bot.status = BotStatus.STOPPING
        bot.command = CLOSE if close else bot.command
    else:
        if close:
            _close_here(session, bot, now)
        if bot.status in repo.ACTIVE:
            bot.status, bot.command = BotStatus.PAUSED, None
            log_event(session, user_id, bot.id, BotAction.BOT_PAUSED)
    audit.record(session, user_id, "bot_stopped", detail={"bot": bot.id, "close": close})
    session.flush()
    return bot


def stop_all(session: Session, user_id: int, close: bool = False) -> dict[str, Any]:
    """Stop every bot of the user (the kill switch with ``close``: and close every position),
    each told in a notification; a bot whose position cannot be closed here (its dataset
    gone, say) is still stopped, and listed in ``failed`` with the reason."""
    stopped, failed = [], []
    for bot in list_all_bots(session, user_id):
        account = repo.paper_account(session, bot.id)
        holds = account is not None and account.position_id is not None
        if bot.status not in repo.ACTIVE and not (close and holds):
            continue
        reason = _each(session, lambda b=bot: stop_bot(session, user_id, b.id, close))
        if reason is not None:  # stopped all the same, its position left as it is
            failed.append({"bot_id": bot.id, "reason": reason})
            _each(session, lambda b=bot: stop_bot(session, user_id, b.id))
            continue
        if close:
            details = event_details(EventDetail.KILL_SWITCH, time=datetime.now(UTC))
            log_event(session, user_id, bot.id, BotAction.BOT_PAUSED, details, notify=True)
        stopped.append(bot.id)
    if close:
        detail = {"stopped": len(stopped), "failed": len(failed)}
        audit.record(session, user_id, "kill_switch", detail=detail)
    return {"stopped": stopped, "failed": failed}


def close_position(session: Session, user_id: int, bot_id: int) -> Bot:
    """Close the bot's open position by hand, at the last bar's close: by its supervisor
    when one runs it (the bot goes on), else here."""
    bot = repo.lock_bot(session, user_id, bot_id)
    account = repo.paper_account(session, bot.id)
    if account is None or account.position_id is None:
        raise InvalidInput(
            f"bot {bot.name!r} has no open position", key="bots.error.no_position",
            values={"name": bot.name},
        )  # fmt: skip
    now = datetime.now(UTC)
    if bot.status in repo.ACTIVE and repo.held_elsewhere(bot, now):
        bot.command = CLOSE
    else:
        _close_here(session, bot, now)
    audit.record(session, user_id, "position_closed", detail={"bot": bot.id})
    session.flush()
    return bot


def _close_here(session: Session, bot: Bot, now: datetime) -> None:
    """Close the bot's position in this transaction (no supervisor holds it); a bot on a
    trading account is closed by its supervisor only (this process reaches no broker)."""
    account = repo.paper_account(session, bot.id)
    if account is None or account.position_id is None:
        return
    if "account_id" in (bot.feed or {}):
        raise Conflict(
            f"bot {bot.name!r} is not running: start it to close its position, or close the "
            "position at the broker", key="bots.error.close_not_running",
            values={"name": bot.name},
        )  # fmt: skip
    run = BotRun.load(session, bot.id)
    run.close_now(session, now)


def latest_analysis(session: Session, user_id: int, bot_id: int) -> Analysis | None:
    """The bot's analysis of its last bar as its supervisor stored it (None before one)."""
    get_bot(session, user_id, bot_id)
    account = repo.paper_account(session, bot_id)
    stored = (account.runner or {}).get("analysis") if account is not None else None
    return None if stored is None else analysis_from_json(stored)


ANALYSIS_EVERY = timedelta(seconds=1)  # how often a fast replay stores its analysis
KEEP_CLOSED = 200  # closed trades kept for the protections


@dataclass
class BotRun:
    """One running bot, taken up from the database: its bars, runner and paper broker."""

    bot_id: int
    user_id: int
    name: str
    bars: pd.DataFrame
    runner: BotRunner
    seconds_per_bar: float
    events_seen: int = 0
    analysed_at: datetime | None = None
    traded: bool = False  # trades closed since the journal's days were last synced
    broken: bool = False  # an error worth retrying: taken up again after ``wait_seconds``

    @classmethod
    def load(cls, session: Session, bot_id: int) -> BotRun:
        """The bot as of its last stored bar, checked against its stored fills."""
        bot = session.get(Bot, bot_id)
        if bot is None or bot.feed is None:
            raise InvalidInput(f"bot {bot_id} has no feed")
        bars = dataset_bars(get_dataset(session, bot.user_id, bot.feed["dataset_id"]))
        instrument = resolve_instrument(bot.market)
        settings = bot_settings(bot)
        mode, rate, _ = conversion(instrument, settings, bars)
        broker = PaperBroker(f"bot:{bot.id}", instrument, settings, mode, rate)
        strategy = get_strategy(bot.strategy, bot.strategy_params or {})
        protections = ProtectionSettings(**bot.protections).build() if bot.protections else []
        runner = BotRunner(strategy, instrument, settings, broker, mode, protections=protections)
        account = repo.paper_account(session, bot.id)
        if account is not None:
            _restore(session, bot, account, bars, runner)
        return cls(bot.id, bot.user_id, bot.name, bars, runner, float(bot.feed["seconds_per_bar"]))

    def wait_seconds(self, lease: timedelta) -> float:
        """Seconds until this bot's next step: the replay's pace."""
        return self.seconds_per_bar

    def step(self, session: Session, holder: str, now: datetime, lease: timedelta) -> bool:
        """The bot's next move, stored in ``session``'s transaction with the lease renewed
        for ``lease``: a close or stop it was asked for, else its next bar; False when the
        lease is gone, the bot stopped, or the replay ended."""
        held = repo.renew_lease(session, self.bot_id, holder, now + lease)
        if held is None:
            return False
        status, command = held
        if status is not BotStatus.RUNNING or command is not None:  # asked something
            bot = session.get(Bot, self.bot_id)
            if bot is None:
                return False
            if status is BotStatus.STARTING:
                bot.status = BotStatus.RUNNING
            if command == CLOSE:
                bot.command = None
                self.close_now(session, now)
            if status is BotStatus.STOPPING:
                bot.status, bot.command = BotStatus.PAUSED, None
                log_event(session, self.user_id, self.bot_id, BotAction.BOT_PAUSED)
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
        self._store(session, report, i, now, analyse_now=bar.last)
        if bar.last:
            return self._finish(session)
        return True

    def close_now(self, session: Session, now: datetime) -> None:
        """Close the open position at the last bar's close, stored with its events."""
        i = self.runner.tape.size - 1
        if i < 0 or self.runner.broker.position_id is None:
            return
        report = self.runner.close_now()
        self._store(session, report, i, now, analyse_now=True)

    def _store(
        self, session: Session, report: BarReport, i: int, now: datetime, analyse_now: bool
    ) -> None:
        runner = self.runner
        account = repo.paper_account(session, self.bot_id) or PaperAccount(
            bot_id=self.bot_id, user_id=self.user_id
        )
        self._keep_account(account, i, now)
        kept = account.runner or {}
        if (
            analyse_now
            or self.seconds_per_bar
            or self.analysed_at is None
            or (now - self.analysed_at >= ANALYSIS_EVERY)
        ):
            analysis = analyse(runner)
            kept = kept | {"analysis": None if analysis is None else analysis_json(analysis)}
            self.analysed_at = now
        account.runner = kept | {
            "closed": [[t.exit_time.isoformat(), t.pnl, t.reason]
                       for t in runner.closed[-KEEP_CLOSED:]],
            "paused_until": _iso(runner.paused_until),
        } | self._kept()  # fmt: skip
        session.add(account)
        for fill in report.fills:
            self._store_fill(session, fill)
        for row in report.closed:
            self._closed_event(session, row)
        for event in runner.events[self.events_seen :]:
            log_event(session, self.user_id, self.bot_id, event.action, event.details,
                      notify=event.notify)  # fmt: skip
        self.events_seen = len(runner.events)
        if report.closed:
            record_bot_trades(session, self.user_id, self.bot_id, self.name, runner.instrument)
            self.traded = True
        session.flush()

    def _keep_account(self, account: PaperAccount, i: int, now: datetime) -> None:
        """The account row as of bar ``i``: the paper broker's state."""
        broker = self.runner.broker
        account.state = broker.stored_state()
        account.pending_entry, account.pending_exit = broker.pending_entry, broker.pending_exit
        account.position_id, account.equity = broker.position_id, broker.equity
        account.bar_index, account.updated_at = i, now

    def _kept(self) -> dict[str, Any]:
        """What else the account row's runner state keeps (a live bot: its last bar)."""
        return {}

    def _store_fill(self, session: Session, fill: Fill) -> None:
        position, stop = self.runner.broker.fill_record(fill)
        session.add(
            BotFill(
                bot_id=self.bot_id, user_id=self.user_id,
                client_order_id=fill.client_order_id, position=position,
                reason=fill.reason, side=fill.side.value, quantity=fill.quantity,
                price=fill.price, commission=fill.commission, stop=stop,
                time=pd.Timestamp(fill.time).to_pydatetime(),
            )
        )  # fmt: skip
        if fill.reason == "entry":  # the closing side is told by the round trip
            instrument = self.runner.instrument
            details = event_details(
                EventDetail.POSITION_OPENED, side=fill.side.value,
                lots=fill.quantity / instrument.contract_size, market=instrument.symbol,
                price=fill.price, time=pd.Timestamp(fill.time).to_pydatetime(),
            )  # fmt: skip
            log_event(session, self.user_id, self.bot_id, BotAction.POSITION_OPENED,
                      details, notify=True)  # fmt: skip

    def _closed_event(self, session: Session, row: Any) -> None:
        instrument = self.runner.instrument
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

    def _finish(self, session: Session) -> bool:
        bot = session.get(Bot, self.bot_id)
        if bot is not None and bot.status in repo.ACTIVE:
            bot.status, bot.command = BotStatus.PAUSED, None  # the replay is over
            log_event(session, self.user_id, self.bot_id, BotAction.BOT_PAUSED)
        return False


def _restore(
    session: Session, bot: Bot, account: PaperAccount, bars: pd.DataFrame, runner: BotRunner
) -> None:
    """Take the runner and its broker up as stored after the account's last bar, and check
    the broker's reconciliation against the stored fills."""
    seen = bars.iloc[: account.bar_index + 1]
    volume = seen["volume"] if "volume" in seen else pd.Series(0.0, index=seen.index)
    for time, o, h, low, c, v in zip(
        seen.index, seen["open"], seen["high"], seen["low"], seen["close"], volume, strict=True
    ):
        runner.tape.add_bar(time, o, h, low, c, v)
    opened = _opened_at(session, bot, account)
    last = bars.index[account.bar_index].to_pydatetime()
    runner.broker.restore(
        account.state, account.equity, account.pending_entry, account.pending_exit,
        account.position_id, opened, last,
    )  # fmt: skip
    kept = account.runner or {}
    runner.closed = [
        ClosedTrade(pd.Timestamp(t), float(p), r) for t, p, r in kept.get("closed", [])
    ]
    until = kept.get("paused_until")
    runner.paused_until = None if until is None else pd.Timestamp(until)
    problems = reconciliation_problems(
        runner.broker.reconcile(), repo.bot_fills(session, bot.user_id, bot.id)
    )
    if problems:
        raise ReconciliationFailed("; ".join(problems))


class ReconciliationFailed(UserError):
    """The broker's positions disagree with the stored fills: the bot must not trade on."""

    status = 409


def reconciliation_problems(held: Reconciliation, stored: list[BotFill]) -> list[str]:
    """Where the broker's reconciliation report and the stored fills disagree: a position
    the broker holds that no stored entry opened or that a stored exit closed, or a stored
    open position the broker does not hold."""
    entries = {f.client_order_id for f in stored if f.reason == "entry"}
    closed = {f.position for f in stored if f.reason != "entry"}
    stored_open = entries - closed
    broker_open = {p.client_order_id for p in held.positions}
    problems = [f"the broker holds {p}, which no stored fill opened"
                for p in sorted(broker_open - entries)]  # fmt: skip
    problems += [f"the broker holds {p}, which a stored fill closed"
                 for p in sorted(broker_open & closed)]  # fmt: skip
    problems += [f"stored position {p} is not at the broker"
                 for p in sorted(stored_open - broker_open)]  # fmt: skip
    return problems


def _iso(time: pd.Timestamp | None) -> str | None:
    return None if time is None else time.isoformat()


def _opened_at(session: Session, bot: Bot, account: PaperAccount) -> datetime | None:
    """When the open position's entry filled (None when flat)."""
    if account.position_id is None:
        return None
    return repo.fill_time(session, bot.id, account.position_id)


MAX_BACKOFF = 60.0  # the longest wait before a bot whose broker failed is taken up again
SYNC_EVERY = timedelta(seconds=5)  # how often the traders' daily sessions are brought up to date
BUSY_RETRIES = 8  # a bar the database was too busy to store, tried again this many times
DB_BUSY = OperationalError  # the database locked or unreachable for a moment


class Supervisor:
    """Runs every bot whose lease it holds, each as an asyncio task; a stop or close asked of
    a bot wakes it at once; one bot's failure puts that bot in error with its reason and
    never stops another."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        lease_seconds: float = 10.0,
        holder: str | None = None,
        poll_seconds: float = 0.5,
        live: LiveContext | None = None,
    ) -> None:
        self.sessions = sessions
        self.live = live  # what bots on exchange accounts need; None: replays only
        self.lease = timedelta(seconds=lease_seconds)
        self.holder = holder or f"supervisor-{uuid.uuid4().hex[:12]}"
        self.poll_seconds = poll_seconds
        self.tasks: dict[int, asyncio.Task[None]] = {}
        self.wake: dict[int, asyncio.Event] = {}
        self.traded: set[int] = set()  # users whose bots closed trades since the last sync
        bind = sessions.kw.get("bind")
        # SQLite has one writer: its bots' bars queue here in turn, not in its busy handler
        self.writes: contextlib.AbstractContextManager[Any] = (
            threading.Lock()
            if bind is not None and bind.dialect.name == "sqlite"
            else contextlib.nullcontext()
        )

    def _claim(self) -> tuple[list[int], list[int]]:
        now = datetime.now(UTC)
        with self.writes, transaction(self.sessions) as session:
            return (
                repo.claim_bots(session, self.holder, now + self.lease, now),
                repo.wanted(session, self.holder),
            )

    async def run(self, stop: asyncio.Event) -> None:
        """Claim and run bots until ``stop`` is set; then stop each at once. A database that
        cannot be reached for a moment only delays the next claim."""
        synced = datetime.now(UTC)
        try:
            while not stop.is_set():
                try:
                    held, asked = await asyncio.to_thread(self._claim)
                except DB_BUSY:
                    log.warning("supervisor %s: database busy, claiming again", self.holder)
                    held, asked = [], []
                for bot_id in held:
                    task = self.tasks.get(bot_id)
                    if task is None or task.done():
                        self.wake[bot_id] = asyncio.Event()
                        self.tasks[bot_id] = asyncio.create_task(self._run_bot(bot_id))
                for bot_id in asked:
                    if bot_id in self.wake:
                        self.wake[bot_id].set()
                if self.traded and datetime.now(UTC) - synced >= SYNC_EVERY:
                    await self._sync_all()
                    synced = datetime.now(UTC)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self.poll_seconds)
        finally:
            for task in self.tasks.values():
                task.cancel()
            await asyncio.gather(*self.tasks.values(), return_exceptions=True)
            with contextlib.suppress(Exception):
                await self._sync_all()

    async def _run_bot(self, bot_id: int) -> None:
        busy, failures, run = 0, 0, None
        try:
            while True:
                try:
                    if run is None:  # taken up as stored (again, after a bar not stored)
                        run = await asyncio.to_thread(self._load, bot_id)
                    going = await asyncio.to_thread(self._step, run)
                    busy = 0
                except DB_BUSY:
                    busy, run = busy + 1, None
                    if busy > BUSY_RETRIES:
                        raise
                    log.warning("bot %s: database busy, tried again", bot_id)
                    await asyncio.sleep(min(0.1 * 2**busy, 5.0))
                    continue
                except BrokerError as exc:  # the broker out of reach while taking the bot up
                    if not exc.retry:
                        raise
                    failures, run = failures + 1, None
                    if not await self._back_off(bot_id, exc.message, exc.retry_after, failures):
                        break
                    continue
                if run.traded:
                    self.traded.add(run.user_id)
                    run.traded = False
                if run.broken:  # taken up again, from the broker and the stored fills
                    failures += 1
                    reason, after = getattr(run, "reason", ""), getattr(run, "backoff", 0.0)
                    run = None
                    if not await self._back_off(bot_id, reason, after, failures):
                        break
                    continue
                failures = 0
                if not going:
                    break
                wait = run.wait_seconds(self.lease)
                if wait:
                    await self._sleep(bot_id, wait)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # this bot only: into error with its reason
            if isinstance(exc, UserError):  # its message is the reason (a broker's: no address)
                log.warning("bot %s failed: %s", bot_id, exc.message)
            else:
                log.exception("bot %s failed", bot_id)
            await asyncio.to_thread(self._fail, bot_id, exc)
        finally:
            with contextlib.suppress(Exception):
                await asyncio.to_thread(self._release, bot_id)

    async def _sleep(self, bot_id: int, seconds: float) -> None:
        """Wait ``seconds``, or until the bot is asked something."""
        wake = self.wake[bot_id]
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(wake.wait(), seconds)
        wake.clear()

    async def _back_off(
        self, bot_id: int, reason: str, after: float | None, failures: int
    ) -> bool:  # fmt: skip
        """After a broker error worth retrying: the reason shown on the bot, its lease held
        through a doubling wait (``after`` when the broker named one), in slices of a third
        of the lease; False when the bot is no longer this supervisor's or was stopped."""
        wait = after or min(2.0**failures, MAX_BACKOFF)
        log.warning("bot %s: %s; taken up again in %.0f s", bot_id, reason, wait)
        deadline = asyncio.get_running_loop().time() + wait
        while True:
            if not await asyncio.to_thread(self._hold, bot_id, reason):
                return False
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                return True
            await self._sleep(bot_id, min(left, self.lease.total_seconds() / 3))

    def _hold(self, bot_id: int, reason: str) -> bool:
        """Renew the lease of a bot waiting for its broker, with the reason on it; a stop
        asked meanwhile pauses it (its position stays at the broker)."""
        now = datetime.now(UTC)
        with self._writing() as session:
            held = repo.renew_lease(session, bot_id, self.holder, now + self.lease)
            bot = session.get(Bot, bot_id)
            if held is None or bot is None:
                return False
            if held[0] is BotStatus.STOPPING:
                bot.status, bot.command = BotStatus.PAUSED, None
                log_event(session, bot.user_id, bot_id, BotAction.BOT_PAUSED)
                return False
            if held[0] is BotStatus.STARTING:
                bot.status = BotStatus.RUNNING
            bot.status_reason = f"waiting for the broker: {reason}"[:300]
            return True

    def _load(self, bot_id: int) -> BotRun:
        with transaction(self.sessions) as session:
            bot = session.get(Bot, bot_id)
            if bot is None or "account_id" not in (bot.feed or {}):
                return BotRun.load(session, bot_id)
            from tradeloop.services.live_bots import LiveBotRun  # reaches exchanges

            if self.live is None:
                raise InvalidInput("this supervisor runs replays only: start it with the "
                                   "server's settings to run bots on accounts")  # fmt: skip
            return LiveBotRun.load_live(session, bot_id, self.live)

    @contextlib.contextmanager
    def _writing(self) -> Iterator[Session]:
        with self.writes, transaction(self.sessions) as session:
            yield session

    def _step(self, run: BotRun) -> bool:
        advance = getattr(run, "advance", None)
        if advance is not None:  # a live bot: the exchange is reached outside transactions
            return bool(advance(self._writing, self.holder, self.lease))
        with self._writing() as session:
            return run.step(session, self.holder, datetime.now(UTC), self.lease)

    async def _sync_all(self) -> None:
        """Each user whose bots traded since: their daily sessions brought up to date, once."""
        users, self.traded = self.traded, set()
        for user_id in users:
            try:
                await asyncio.to_thread(self._sync, user_id)
            except Exception:
                log.exception("daily sessions of user %s not synced", user_id)
                self.traded.add(user_id)  # tried again later

    def _sync(self, user_id: int) -> None:
        with transaction(self.sessions) as session:
            sync_days(session, user_id)

    def _fail(self, bot_id: int, exc: Exception) -> None:
        with transaction(self.sessions) as session:
            bot = session.get(Bot, bot_id)
            if bot is not None:
                reason = failure_reason(exc)
                bot.status, bot.status_reason, bot.command = BotStatus.ERROR, reason, None
                details = event_details(
                    EventDetail.BOT_FAILED, time=datetime.now(UTC), reason=reason
                )
                log_event(session, bot.user_id, bot_id, BotAction.BOT_ERROR, details, True)
                log.warning("bot %s: %s", bot_id, type(exc).__name__)

    def _release(self, bot_id: int) -> None:
        with transaction(self.sessions) as session:
            repo.release_lease(session, bot_id, self.holder)


def failure_reason(exc: Exception) -> str:
    """Why a bot failed, in words a user may read: a user error's message, else the kind of
    failure only (the details are in the server's log)."""
    if isinstance(exc, UserError):
        return exc.message[:300]
    return f"internal error ({type(exc).__name__}); the server log has the details"
