"""Bots on an exchange account (ccxt, testnet or live): started on one of the user's
accounts, taken up by the supervisor as a replay is, but fed by the exchange's closed bars and
trading at the exchange through ``bots.live.LiveExecution``.

Taking a bot up: its market is found on the exchange (the exchange's own id or ccxt's name,
never another instrument), the last ``live_window`` closed bars are read into the runner's
tape without trading (its warm-up), and bars trade from the one after the last the bot
stored: a bar handled before a crash but not stored is handled again, and its orders, named
by the bar, are found at the exchange instead of sent twice. A bot down for more than
``CATCH_UP`` bars trades from the next new bar only: an old signal is never acted on late.

Each step renews the lease and reads what was asked (stop, close) in one transaction, asks
the exchange for new bars (when one is due, at most ``poll_seconds`` apart) and trades them
with no transaction open, then stores the fills, events and the journal's trades in a second
one. An error worth retrying (network, rate limit) takes the bot up again after a backoff;
any other puts it in error with the reason. The account's daily-loss guard, once reached,
stops every bot of the account."""

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
from tradeloop.brokers.paper import BarReport
from tradeloop.config import Settings
from tradeloop.core.codes import BotAction, BotStatus, EventDetail, event_details
from tradeloop.core.errors import Conflict, InvalidInput
from tradeloop.execution.rules import CONVERT_FIXED
from tradeloop.market.ccxt_feed import CcxtFeed
from tradeloop.market.instruments import resolve_instrument
from tradeloop.services.paper_bots import CLOSE, BotRun, bot_settings
from tradeloop.services.trading_accounts import RUNNABLE_MODES, credentials_of
from tradeloop.store import paper as repo
from tradeloop.store.bots import active_bots_on_account, log_event
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
    dry run, an account without keys, or a futures market another running bot of the account
    already trades (the exchange nets one position per market)."""
    if account.kind == "mt5":
        raise _refused("MetaTrader 5 bots run only on Windows next to a terminal: this server "
                       "cannot run them", "mt5_not_here")  # fmt: skip
    if account.kind != "ccxt":
        raise _refused("a paper account replays one of your datasets: choose a dataset",
                       "paper_account")  # fmt: skip
    if account.mode not in RUNNABLE_MODES:
        raise _refused(f"account {account.name!r} is a dry run: live bots run on a testnet or "
                       "live account for now", "dry_run", name=account.name)  # fmt: skip
    if account.credentials is None:
        raise _refused(f"account {account.name!r} has no API keys: add them first",
                       "no_keys", name=account.name)  # fmt: skip
    if account.market_type == "futures":
        for other in active_bots_on_account(session, user_id, account.id):
            if other.id != bot.id and other.market.upper() == bot.market.upper():
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
    return {"account_id": account.id, "since": since or started.isoformat()}


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

    feed: CcxtFeed | None = None
    account_id: int = 0
    poll_seconds: float = 10.0
    trade_from: pd.Timestamp | None = None  # bars from this one on are traded
    queued: list[Any] = field(default_factory=list)  # closed bars not traded yet
    next_poll: datetime | None = None
    backoff: float = 0.0
    last_bar: str | None = None  # the last bar stored (ISO time)

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
        name = f"bot:{bot.id}"
        broker = _read(lambda: CcxtBroker(exchange, symbol, f"{name}:", guards_of(account)))
        stored = repo.bot_fills(session, bot.user_id, bot.id)
        kept = (repo.paper_account(session, bot.id) or PaperAccount()).runner or {}
        since = datetime.fromisoformat(bot.feed["since"])
        instrument = resolve_instrument(bot.market)
        settings = bot_settings(bot)
        execution = LiveExecution(broker, instrument, settings, name, since,
                                  [f.client_order_id for f in stored])  # fmt: skip
        _read(execution.resume)
        day = kept.get("day_baseline")
        if day is not None:  # the account's equity when the day began, as first seen
            broker.day = DayBaseline(str(day[0]), float(day[1]))
        if account.max_daily_loss is not None:
            _read(broker.day_pnl)  # a new day (or the first) starts from the equity now
        _watch_open_stop(broker, stored)
        strategy = get_strategy(bot.strategy, bot.strategy_params or {})
        protections = ProtectionSettings(**bot.protections).build() if bot.protections else []
        window = live_window(strategy, settings)
        runner = BotRunner(strategy, instrument, settings, execution, CONVERT_FIXED,  # type: ignore[arg-type]
                           protections=protections, window=window)  # fmt: skip
        runner.closed = [ClosedTrade(pd.Timestamp(t), float(p), r)
                         for t, p, r in kept.get("closed", [])]  # fmt: skip
        until = kept.get("paused_until")
        runner.paused_until = None if until is None else pd.Timestamp(until)
        timeframe = exchanges.CCXT_TIMEFRAMES[bot.timeframe]
        step = pd.Timedelta(seconds=exchange.parse_timeframe(timeframe))
        now = pd.Timestamp.now(tz="UTC")
        last = kept.get("last_bar")
        trade_from = None if last is None else pd.Timestamp(last) + step
        if trade_from is not None and now - trade_from > CATCH_UP * step:
            trade_from = None  # down too long: only new bars
        feed = CcxtFeed(exchange, symbol, timeframe, errors=broker_error,
                        since=(now - step * (window + 1)).to_pydatetime())  # fmt: skip
        run = cls(bot.id, bot.user_id, bot.name, pd.DataFrame(), runner, 0.0, feed=feed,
                  account_id=account.id, poll_seconds=context.poll_seconds,
                  trade_from=trade_from)  # fmt: skip
        run.last_bar = last
        run._warm_up()
        return run

    def _warm_up(self) -> None:
        """Every closed bar before ``trade_from`` into the tape (all closed so far when it is
        None); later ones wait in ``queued``."""
        assert self.feed is not None
        while True:
            bars, _ = _read(self.feed.poll)
            for bar in bars:
                if self.trade_from is not None and bar.time >= self.trade_from:
                    self.queued.append(bar)
                else:
                    self.runner.tape.add_bar(bar.time, bar.open, bar.high, bar.low, bar.close,
                                             bar.volume)  # fmt: skip
            if len(bars) < self.feed.limit:
                return

    def wait_seconds(self, lease: timedelta) -> float:
        """Seconds until this bot's next step: its backoff after an error, else until its next
        poll, at most a third of the lease (which each step renews)."""
        if self.broken:
            return self.backoff
        poll = self.next_poll
        due = 0.0 if poll is None else (poll - datetime.now(UTC)).total_seconds()
        return max(0.0, min(due, lease.total_seconds() / 3))

    def advance(
        self, transaction: Callable[[], AbstractContextManager[Session]], holder: str,
        lease: timedelta,
    ) -> bool:  # fmt: skip
        """One step (see the module): False when the lease is gone or the bot stopped."""
        now = datetime.now(UTC)
        with transaction() as session:
            held = repo.renew_lease(session, self.bot_id, holder, now + lease)
            if held is None:
                return False
            status, command = held
            bot = session.get(Bot, self.bot_id)
            if bot is None:
                return False
            if status is BotStatus.STARTING:
                bot.status = BotStatus.RUNNING
            close = command == CLOSE
            if close:
                bot.command = None
        stopping = status is BotStatus.STOPPING
        reports: list[tuple[BarReport, int]] = []
        refused: GuardRefused | None = None
        try:
            if close:
                reports.append((self.runner.close_now(), self.runner.tape.size - 1))
            if not stopping:
                self._trade_new_bars(now, reports)
        except GuardRefused as exc:
            if exc.key != "broker.guard.daily_loss":
                raise
            refused = exc
        except BrokerError as exc:
            if not exc.retry:
                raise
            self.broken, self.backoff = True, min(max(exc.retry_after or 0, 2.0), 60.0)
            log.warning("bot %s: %s; taken up again in %.0f s", self.bot_id, exc.message,
                        self.backoff)  # fmt: skip
        with transaction() as session:
            if repo.renew_lease(session, self.bot_id, holder, now + lease) is None:
                return False  # the next holder finds these bars' orders by their ids
            for report, i in reports:
                self._store(session, report, i, now, analyse_now=True)
            if refused is not None:
                account = session.get(TradingAccount, self.account_id)
                if account is not None:
                    stop_account_bots(session, account, refused.message)
                    quote = getattr(self.runner.broker.broker, "quote", None)
                    details = event_details(
                        EventDetail.ACCOUNT_DAILY_LOSS,
                        account=account.name,
                        currency=quote,
                        time=now,
                        **refused.values,
                    )
                    log_event(session, self.user_id, self.bot_id, BotAction.BOT_PAUSED,
                              details, notify=True)  # fmt: skip
                stopping = True
            if stopping:
                bot = session.get(Bot, self.bot_id)
                if bot is not None:
                    bot.status, bot.command = BotStatus.PAUSED, None
                    log_event(session, self.user_id, self.bot_id, BotAction.BOT_PAUSED)
                return False
        return not self.broken

    def _trade_new_bars(self, now: datetime, reports: list[tuple[BarReport, int]]) -> None:
        """The queued bars and the exchange's new closed ones through the runner."""
        assert self.feed is not None
        if not self.queued and self.next_poll is not None and now < self.next_poll:
            return
        if not self.queued:
            bars, wait = self.feed.poll()
            self.queued.extend(bars)
            self.next_poll = now + timedelta(seconds=min(wait, self.poll_seconds))
        while self.queued:
            bar = self.queued[0]
            report = self.runner.on_bar(bar)
            reports.append((report, self.runner.tape.size - 1))
            self.queued.pop(0)
            if report.closed:  # the account's daily limit reached: its bots stop now
                broker = self.runner.broker.broker
                check_day_loss(broker.guards, broker.day_pnl)

    def close_now(self, session: Session, now: datetime) -> None:
        """Close the open position at market now, stored with its events."""
        report = self.runner.close_now()
        self._store(session, report, self.runner.tape.size - 1, now, analyse_now=True)

    def _keep_account(self, account: PaperAccount, i: int, now: datetime) -> None:
        execution = self.runner.broker
        account.state, account.pending_entry, account.pending_exit = [], None, None
        account.position_id, account.equity = execution.position_id, execution.equity
        account.bar_index, account.updated_at = max(i, 0), now
        if i >= 0:
            self.last_bar = self.runner.tape.times[i].isoformat()

    def _kept(self) -> dict[str, Any]:
        day = self.runner.broker.broker.day
        return {
            "last_bar": self.last_bar,
            "day_baseline": [day.day, day.equity] if day.day else None,
        }


def _read(call: Callable[[], Any]) -> Any:
    """A call to the exchange while taking a bot up: ccxt's errors as a BrokerError."""
    import ccxt

    try:
        return call()
    except ccxt.BaseError as exc:
        raise broker_error(exc) from exc


def _watch_open_stop(broker: CcxtBroker, stored: list[Any]) -> None:
    """On spot, the stop of the position the stored fills leave open is watched again after
    a restart (its target is not kept: the strategy's exit or the stop closes it)."""
    if broker.futures:
        return
    closed = {f.position for f in stored if f.reason != "entry"}
    for fill in stored:
        if fill.reason == "entry" and fill.client_order_id not in closed:
            broker.watched[fill.client_order_id] = (fill.stop, None)
