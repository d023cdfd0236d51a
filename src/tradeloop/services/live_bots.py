"""Bots on a real account: a crypto exchange through ccxt (testnet or live), or MetaTrader 5
where its package runs (Windows, next to the terminal). Started on one of the user's
accounts, taken up by the supervisor as a replay is, but fed by the broker's closed bars and
trading there through ``bots.live.LiveExecution``.

Taking a bot up: its market is found at the broker (on an exchange: the exchange's own id or
ccxt's name; on MT5: the exact name or a broker suffix; never another instrument), the last
``live_window`` closed bars are read into the runner's tape without trading (its warm-up),
and bars trade from the one after the last the bot stored: a bar handled before a crash but
not stored is handled again, and its orders, named by the bar, are found at the broker
instead of sent twice. A bot down for more than ``CATCH_UP`` bars trades from the next new
bar only: an old signal is never acted on late.

Each step renews the lease and reads what was asked (stop, close) in one transaction, asks
the broker for new bars (when one is due, at most ``poll_seconds`` apart) and trades them
with no transaction open, then stores the fills, events and the journal's trades in a second
one. An error worth retrying (network, rate limit, a terminal out of reach) takes the bot up
again after a backoff; any other puts it in error with the reason. The account's daily-loss
guard, once reached, stops every bot of the account."""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd
from cryptography.fernet import MultiFernet
from sqlalchemy.orm import Session

from tradeloop.bots.config import ProtectionSettings
from tradeloop.bots.live import LiveExecution
from tradeloop.bots.protections import ClosedTrade
from tradeloop.bots.runner import BotRunner, live_window
from tradeloop.brokers import exchanges
from tradeloop.brokers.ccxt_broker import CcxtBroker
from tradeloop.brokers.errors import BrokerError, broker_error
from tradeloop.brokers.guards import AccountGuards, DayBaseline, GuardRefused, check_day_loss
from tradeloop.brokers.mt5_broker import Mt5Bars, Mt5Broker, connect_mt5, mt5_available
from tradeloop.brokers.paper import BarReport, PaperBroker
from tradeloop.config import Settings
from tradeloop.core.codes import BotAction, BotStatus, EventDetail, event_details
from tradeloop.core.errors import Conflict, InvalidInput
from tradeloop.execution.inputs import conversion
from tradeloop.execution.rules import CONVERT_FIXED
from tradeloop.execution.step import ENTRY_I
from tradeloop.market.ccxt_feed import CcxtFeed
from tradeloop.market.instruments import resolve_instrument
from tradeloop.market.timeframes import TIMEFRAMES
from tradeloop.services.paper_bots import CLOSE, BotRun, bot_settings
from tradeloop.services.trading_accounts import credentials_of
from tradeloop.store import paper as repo
from tradeloop.store.bots import active_bots_on_account, bots_on_account, log_event
from tradeloop.store.models import Bot, PaperAccount, TradingAccount
from tradeloop.strategies.base import get_strategy

log = logging.getLogger("tradeloop.bots")
CATCH_UP = 3  # bars missed while down that are still traded on coming back


@dataclass(frozen=True)
class LiveContext:
    """What the supervisor needs to reach exchanges: the key that opens stored credentials,
    the operator's address overrides, and the longest wait between two polls."""

    cipher: MultiFernet
    ccxt_urls: dict[str, str] = field(default_factory=dict)
    poll_seconds: float = 10.0

    @classmethod
    def of(cls, settings: Settings) -> LiveContext:
        """The context the server's settings give."""
        from tradeloop.services.mentor import cipher_for  # the notes' key scheme

        return cls(cipher_for(settings), dict(settings.ccxt_urls), settings.live_poll_seconds)


def _refused(message: str, key: str, field_name: str = "account_id", **values: Any) -> Exception:
    return InvalidInput(message, [{"field": field_name}], key=f"bots.error.{key}", values=values)


def check_live_start(session: Session, user_id: int, bot: Bot, account: TradingAccount) -> None:
    """Refuse (naming why) a bot the account cannot run: a paper or MetaTrader 5 account, a
    dry run, an account without keys, or a futures market another bot of the account runs
    on or holds a position in (the exchange nets one position per market)."""
    if account.kind == "mt5":
        if not mt5_available():
            raise _refused("MetaTrader 5 bots run only on Windows next to a terminal: this "
                           "server cannot run them", "mt5_not_here")  # fmt: skip
        if account.credentials is None:
            raise _refused(f"account {account.name!r} has no password: add it first",
                           "no_password", name=account.name)  # fmt: skip
        return
    if account.kind != "ccxt":
        raise _refused("a paper account replays one of your datasets: choose a dataset",
                       "paper_account")  # fmt: skip
    if account.mode == "dry_run":  # refuses a market whose profit needs a conversion rate
        conversion(resolve_instrument(bot.market), bot_settings(bot), pd.DataFrame())
    elif account.credentials is None:
        raise _refused(f"account {account.name!r} has no API keys: add them first",
                       "no_keys", name=account.name)  # fmt: skip
    if account.market_type == "futures":
        for other in bots_on_account(session, user_id, account.id):
            held = (repo.paper_account(session, other.id) or PaperAccount()).position_id
            working = other.status in repo.ACTIVE or held is not None  # running, or holding
            if other.id != bot.id and working and other.market.upper() == bot.market.upper():
                raise Conflict(
                    f"bot {other.name!r} already trades {bot.market} on account "
                    f"{account.name!r}: a futures account holds one position per market",
                    key="bots.error.market_taken",
                    values={"other": other.name, "market": bot.market, "name": account.name},
                )  # fmt: skip


def live_feed(bot: Bot, account: TradingAccount, started: datetime) -> dict[str, Any]:
    """What a bot on an account stores as its feed; a bot started on the same account again
    keeps its first start (its fills from then on are its own)."""
    previous = bot.feed or {}
    since = previous.get("since") if previous.get("account_id") == account.id else None
    first = started.replace(microsecond=0)  # MT5 tells deal times in whole seconds
    return {"account_id": account.id, "since": since or first.isoformat()}


def traded_elsewhere(bot: Bot, account_id: int | None, has_fills: bool) -> bool:
    """Whether starting the bot on ``account_id`` (None: a replay) would drop real trades: it
    traded on an exchange account, and would now run somewhere else."""
    previous = (bot.feed or {}).get("account_id")
    return has_fills and previous is not None and previous != account_id


def guards_of(account: TradingAccount) -> AccountGuards:
    """The account's limits as the broker checks them."""
    return AccountGuards(account.max_order_size, account.max_open_positions, account.max_daily_loss)


def stop_account_bots(session: Session, account: TradingAccount, reason: str) -> list[int]:
    """Ask every active bot of the account to stop (its supervisor pauses it), with
    ``reason``; the ids asked."""
    asked = []
    for bot in active_bots_on_account(session, account.user_id, account.id):
        bot.status, bot.status_reason = BotStatus.STOPPING, reason[:300]
        asked.append(bot.id)
    session.flush()
    return asked


@dataclass
class LiveBotRun(BotRun):
    """A running bot on an exchange account."""

    feed: CcxtFeed | Mt5Bars | None = None
    account_id: int = 0
    poll_seconds: float = 10.0
    trade_from: pd.Timestamp | None = None  # bars from this one on are traded
    queued: list[Any] = field(default_factory=list)  # closed bars not traded yet
    next_poll: datetime | None = None
    backoff: float = 0.0
    last_bar: str | None = None  # the last bar stored (ISO time)
    step: pd.Timedelta = field(default_factory=lambda: pd.Timedelta(minutes=1))  # a bar's length
    reason: str = ""  # the retried error, in words
    failed_at: pd.Timestamp | None = None  # the bar being handled when an error came

    @classmethod
    def load_live(cls, session: Session, bot_id: int, context: LiveContext) -> LiveBotRun:
        """The bot as its account's exchange and its stored fills tell it, warmed up."""
        bot = session.get(Bot, bot_id)
        if bot is None or bot.feed is None or "account_id" not in bot.feed:
            raise InvalidInput(f"bot {bot_id} runs on no account")
        account = session.get(TradingAccount, bot.feed["account_id"])
        if account is None or account.user_id != bot.user_id:
            raise InvalidInput("the bot's account was deleted: start it on another one",
                               key="bots.error.account_gone")  # fmt: skip
        check_live_start(session, bot.user_id, bot, account)
        name = f"bot:{bot.id}"
        strategy = get_strategy(bot.strategy, bot.strategy_params or {})
        settings = bot_settings(bot)
        window = live_window(strategy, settings)
        instrument = resolve_instrument(bot.market)
        stored_row = repo.paper_account(session, bot.id)
        kept = (stored_row or PaperAccount()).runner or {}
        protections = ProtectionSettings(**bot.protections).build() if bot.protections else []
        if account.kind == "mt5":
            broker, feed = _mt5_side(bot, account, context, name, window)
        else:
            broker, feed = _exchange_side(bot, account, context, name, window)
        if account.mode == "dry_run":  # live prices, paper fills: the paper broker, as a replay
            mode, rate, _ = conversion(instrument, settings, pd.DataFrame())
            paper = PaperBroker(name, instrument, settings, mode, rate)
            runner = BotRunner(strategy, instrument, settings, paper, mode,
                               protections=protections, window=window)  # fmt: skip
        else:
            stored = repo.bot_fills(session, bot.user_id, bot.id)
            closings = {f.client_order_id for f in stored if f.reason != "entry"}
            execution = LiveExecution(broker, instrument, settings, name, _fills_from(bot, stored),
                                      [f.client_order_id for f in stored], closings)  # fmt: skip
            _read(execution.resume)
            day = kept.get("day_baseline")
            if day is not None:  # the account's equity when the day began, as first seen
                broker.day = DayBaseline(str(day[0]), float(day[1]))
            if account.max_daily_loss is not None:
                _read(broker.day_pnl)  # a new day (or the first) starts from the equity now
            _watch_open_stop(broker, stored)
            runner = BotRunner(strategy, instrument, settings, execution, CONVERT_FIXED,  # type: ignore[arg-type]
                               protections=protections, window=window)  # fmt: skip
        runner.closed = [ClosedTrade(pd.Timestamp(t), float(p), r)
                         for t, p, r in kept.get("closed", [])]  # fmt: skip
        until = kept.get("paused_until")
        runner.paused_until = None if until is None else pd.Timestamp(until)
        step = pd.Timedelta(seconds=TIMEFRAMES[bot.timeframe])
        last = kept.get("last_bar")
        trade_from = None if last is None else pd.Timestamp(last) + step
        if trade_from is not None and pd.Timestamp.now(tz="UTC") - trade_from > CATCH_UP * step:
            trade_from = None  # down too long: only new bars
        run = cls(bot.id, bot.user_id, bot.name, pd.DataFrame(), runner, 0.0, feed=feed,
                  account_id=account.id, poll_seconds=context.poll_seconds,
                  trade_from=trade_from, step=step)  # fmt: skip
        run.last_bar = last
        run._warm_up()
        if isinstance(runner.broker, PaperBroker) and stored_row is not None and stored_row.state:
            _resume_paper(session, bot, stored_row, runner)
        return run

    def _warm_up(self) -> None:
        """Every closed bar before ``trade_from`` into the tape (all closed so far when it is
        None); later ones wait in ``queued``. Read until a poll gives nothing new (a feed
        answers a page at a time)."""
        assert self.feed is not None
        while True:
            bars, _ = _read(self.feed.poll)
            error = getattr(self.feed, "error", None)
            if error is not None:  # an outage while warming up: taken up again later
                raise error
            for bar in bars:
                if self.trade_from is not None and bar.time >= self.trade_from:
                    self.queued.append(bar)
                else:
                    self.runner.tape.add_bar(bar.time, bar.open, bar.high, bar.low, bar.close,
                                             bar.volume)  # fmt: skip
            if not bars:
                return

    def wait_seconds(self, lease: timedelta) -> float:
        """Seconds until this bot's next step: until its next poll, at most a third of the
        lease (which each step renews)."""
        poll = self.next_poll
        due = 0.0 if poll is None else (poll - datetime.now(UTC)).total_seconds()
        return max(0.0, min(due, lease.total_seconds() / 3))

    def advance(
        self, transaction: Callable[[], AbstractContextManager[Session]], holder: str,
        lease: timedelta,
    ) -> bool:  # fmt: skip
        """One step (see the module): False when the lease is gone or the bot stopped. A
        close asked for is cleared once done (an error keeps it asked: the next try closes)."""
        now = datetime.now(UTC)
        with transaction() as session:
            held = repo.renew_lease(session, self.bot_id, holder, now + lease)
            bot = session.get(Bot, self.bot_id)
            account = session.get(TradingAccount, self.account_id)
            if held is None or bot is None or account is None:
                return False
            status, command = held
            if status is BotStatus.STARTING:
                bot.status = BotStatus.RUNNING
            if bot.status is BotStatus.RUNNING and bot.status_reason:
                bot.status_reason = None  # reached again after a retried error
            if isinstance(self.runner.broker, LiveExecution):  # the account's guards as set now
                self.runner.broker.broker.guards = guards_of(account)
        close, stopping = command == CLOSE, status is BotStatus.STOPPING
        reports: list[tuple[BarReport, int]] = []
        refused: GuardRefused | None = None
        closed = False
        try:
            if close:
                reports.append((self.runner.close_now(), self.runner.tape.size - 1))
                closed = True
            if not stopping:
                self._trade_new_bars(now, reports)
        except GuardRefused as exc:
            if exc.key != "broker.guard.daily_loss":
                raise
            refused = exc
        except BrokerError as exc:
            if not exc.retry:
                raise
            self.broken, self.backoff = True, exc.retry_after or 0.0
            self.reason = exc.message
        with transaction() as session:
            done = datetime.now(UTC)  # the exchange may have taken a while
            if repo.renew_lease(session, self.bot_id, holder, done + lease) is None:
                return False  # the next holder finds these bars' orders by their ids
            for report, i in reports:
                self._store(session, report, i, now, analyse_now=True)
            if self.broken and self.failed_at is not None:
                self._handle_again(session, self.failed_at, now)
            bot = session.get(Bot, self.bot_id)
            if bot is None:
                return False
            if closed and bot.command == CLOSE:
                bot.command = None
            if refused is not None:
                account = session.get(TradingAccount, self.account_id)
                if account is not None:
                    stop_account_bots(session, account, refused.message)
                    quote = getattr(self.runner.broker.broker, "quote", None)
                    details = event_details(
                        EventDetail.ACCOUNT_DAILY_LOSS, account=account.name, currency=quote,
                        time=now, **refused.values,
                    )  # fmt: skip
                    log_event(session, self.user_id, self.bot_id, BotAction.BOT_PAUSED,
                              details, notify=True)  # fmt: skip
            elif stopping and (closed or not close):
                log_event(session, self.user_id, self.bot_id, BotAction.BOT_PAUSED)
            if refused is not None or (stopping and (closed or not close)):
                bot.status, bot.command = BotStatus.PAUSED, None
                return False
        return not self.broken

    def _trade_new_bars(self, now: datetime, reports: list[tuple[BarReport, int]]) -> None:
        """The queued bars and the broker's new closed ones through the runner; a bar that
        closed more than ``CATCH_UP`` bars ago (the feed caught up after an outage) only
        joins the tape: an old signal is never acted on late."""
        assert self.feed is not None
        if not self.queued and self.next_poll is not None and now < self.next_poll:
            return
        if not self.queued:
            bars, wait = self.feed.poll()
            self.queued.extend(bars)
            self.next_poll = now + timedelta(seconds=min(wait, self.poll_seconds))
        late = pd.Timestamp(now) - self.step * (CATCH_UP + 1)
        while self.queued:
            bar = self.queued[0]
            if bar.time < late and (self.trade_from is None or bar.time < self.trade_from):
                self.runner.tape.add_bar(bar.time, bar.open, bar.high, bar.low, bar.close,
                                         bar.volume)  # fmt: skip
                self.queued.pop(0)
                continue
            self.failed_at = bar.time  # until its work is done: handled again after an error
            report = self.runner.on_bar(bar)
            self.failed_at = None
            reports.append((report, self.runner.tape.size - 1))
            self.queued.pop(0)
            if report.closed and isinstance(self.runner.broker, LiveExecution):
                broker = self.runner.broker.broker  # the account's daily limit: its bots stop
                check_day_loss(broker.guards, broker.day_pnl)

    def _handle_again(self, session: Session, bar_time: pd.Timestamp, now: datetime) -> None:
        """Keep the bar before ``bar_time`` as the last one handled, so the bot taken up again
        handles that bar anew (its orders, named by the bar, are looked up before any send)."""
        account = repo.paper_account(session, self.bot_id) or PaperAccount(
            bot_id=self.bot_id, user_id=self.user_id, state=[], equity=self.runner.broker.equity,
            bar_index=0, updated_at=now,
        )  # fmt: skip
        self.last_bar = (bar_time - self.step).isoformat()
        account.runner = (account.runner or {}) | {"last_bar": self.last_bar}
        session.add(account)

    def close_now(self, session: Session, now: datetime) -> None:
        """Close the open position at market now, stored with its events."""
        report = self.runner.close_now()
        self._store(session, report, self.runner.tape.size - 1, now, analyse_now=True)

    def _keep_account(self, account: PaperAccount, i: int, now: datetime) -> None:
        execution = self.runner.broker
        if isinstance(execution, PaperBroker):  # a dry run: the paper account, as a replay's
            super()._keep_account(account, max(i, 0), now)
        else:
            account.state, account.pending_entry, account.pending_exit = [], None, None
            account.position_id, account.equity = execution.position_id, execution.equity
            account.bar_index, account.updated_at = max(i, 0), now
        if i >= 0:
            self.last_bar = self.runner.tape.times[i].isoformat()

    def _kept(self) -> dict[str, Any]:
        day = getattr(getattr(self.runner.broker, "broker", None), "day", DayBaseline())
        baseline = [day.day, day.equity] if day.day else None
        return {"last_bar": self.last_bar, "day_baseline": baseline}


def _exchange_side(
    bot: Bot, account: TradingAccount, context: LiveContext, name: str, window: int
) -> tuple[CcxtBroker, CcxtFeed]:
    """The bot's broker and bar feed at its crypto exchange."""
    futures = account.market_type == "futures"
    exchange = exchanges.connect(
        account.exchange or "", account.market_type, account.mode,
        credentials_of(context.cipher, account), context.ccxt_urls.get(account.exchange or ""),
    )  # fmt: skip
    symbol = _read(lambda: exchanges.market_symbol(exchange, bot.market, futures))
    if symbol is None:
        kind = "futures" if futures else "spot"
        raise _refused(f"{account.exchange} has no {kind} market {bot.market}",
                       "no_market", "market", market=bot.market, kind=kind)  # fmt: skip
    broker = _read(lambda: CcxtBroker(exchange, symbol, f"{name}:", guards_of(account)))
    timeframe = exchanges.CCXT_TIMEFRAMES[bot.timeframe]
    since = pd.Timestamp.now(tz="UTC") - pd.Timedelta(seconds=TIMEFRAMES[bot.timeframe]) * (
        window + 1)  # fmt: skip
    feed = CcxtFeed(exchange, symbol, timeframe, errors=broker_error, since=since.to_pydatetime())
    return broker, feed


def _mt5_side(
    bot: Bot, account: TradingAccount, context: LiveContext, name: str, window: int
) -> tuple[Mt5Broker, Mt5Bars]:
    """The bot's broker and bar feed at its MetaTrader 5 terminal (Windows, the mt5 extra)."""
    password = credentials_of(context.cipher, account).get("mt5_password", "")
    mt5 = connect_mt5(account.mt5_login or "", password, account.mt5_server or "")
    broker = Mt5Broker(mt5, bot.market, f"{name}:", guards_of(account))
    return broker, Mt5Bars(mt5, bot.market, bot.timeframe, window + 1)


def _fills_from(bot: Bot, stored: list[Any]) -> datetime:
    """Where the bot's fills are read from at its broker: its open position's entry, else
    its last fill (each read stays short however long the bot has traded), else its start;
    a whole second earlier (MT5 tells deal times in seconds)."""
    closed = {f.position for f in stored if f.reason != "entry"}
    held = [f for f in stored if f.reason == "entry" and f.client_order_id not in closed]
    anchor = held[-1] if held else (stored[-1] if stored else None)
    if anchor is None:
        return datetime.fromisoformat(bot.feed["since"])  # type: ignore[index]
    time = anchor.time if anchor.time.tzinfo else anchor.time.replace(tzinfo=UTC)
    return time.replace(microsecond=0) - timedelta(seconds=1)


def _resume_paper(session: Session, bot: Bot, row: PaperAccount, runner: BotRunner) -> None:
    """A dry run's paper account as stored after its last bar, on the tape just warmed up
    (the open position's entry bar found again by its time)."""
    opened = repo.fill_time(session, bot.id, row.position_id) if row.position_id else None
    placed = pd.Timestamp(row.updated_at).to_pydatetime()
    broker = runner.broker
    broker.restore(row.state, row.equity, row.pending_entry, row.pending_exit, row.position_id,
                   opened, placed)  # fmt: skip
    if opened is not None and runner.tape.size:
        found = int(runner.tape.index().searchsorted(pd.Timestamp(opened), "right")) - 1
        broker.state[ENTRY_I] = max(found, 0)


def _read(call: Callable[[], Any]) -> Any:
    """A call to the exchange while taking a bot up: ccxt's errors as a BrokerError."""
    import ccxt

    try:
        return call()
    except ccxt.BaseError as exc:
        raise broker_error(exc) from exc


def _watch_open_stop(broker: CcxtBroker | Mt5Broker, stored: list[Any]) -> None:
    """On spot, the stop of the position the stored fills leave open is watched again after
    a restart (its target is not kept: the strategy's exit or the stop closes it)."""
    if not isinstance(broker, CcxtBroker) or broker.futures:
        return  # the broker holds the stop itself
    closed = {f.position for f in stored if f.reason != "entry"}
    for fill in stored:
        if fill.reason == "entry" and fill.client_order_id not in closed:
            broker.watched[fill.client_order_id] = (fill.stop, None)
