"""The bot runner: for each closed bar of a feed, the strategy's signals over the history the
bot has (the same ``signals`` function backtests use), the stop and target distances and the
conversion rate of that bar, then the broker's execution step.

``replay_run`` runs a bot over a stored bar frame, bar by bar through a replay feed and the
paper broker, and returns the same result a backtest would: it must be the backtest's, trade
for trade (``tradeloop bots replay``)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from tradeloop.backtest.engine import BacktestRun, assemble_run
from tradeloop.bots.protections import ClosedTrade, Protection
from tradeloop.brokers.paper import BarReport, PaperBroker
from tradeloop.core.codes import BotAction, event_details
from tradeloop.core.instruments import Instrument
from tradeloop.execution.inputs import (
    conversion,
    level_distances,
    require_warmup,
    warmup_bars,
)
from tradeloop.execution.rules import CONVERT_SERIES, EXIT_REASONS
from tradeloop.execution.settings import ExecutionSettings
from tradeloop.execution.tape import Tape
from tradeloop.market.feeds import Bar, bars_of
from tradeloop.strategies.base import Strategy


@dataclass(frozen=True)
class BotEvent:
    """Something a bot did that its history keeps: an action, its details (code and values,
    ``core.codes.event_details``), the bar's time, and whether the user is notified."""

    action: BotAction
    details: str
    time: pd.Timestamp
    notify: bool = True


LIVE_WINDOW_FACTOR = 20


def live_window(strategy: Strategy, settings: ExecutionSettings) -> int:
    """Bars a live bot keeps: 20 warm-ups, after which every indicator (the recursive ones,
    EMA, RSI, ATR, included) equals its full-history value (``tests/bots/test_window.py``)."""
    return LIVE_WINDOW_FACTOR * warmup_bars(strategy, settings)


class BotRunner:
    """One bot on one broker: bars in, the broker's reports out; ``protections`` may pause
    new entries (exits go on), each pause an event. Signals are read over every bar seen
    (a replay), or over the last ``window`` bars (a live feed: ``live_window``)."""

    def __init__(
        self,
        strategy: Strategy,
        instrument: Instrument,
        settings: ExecutionSettings,
        broker: PaperBroker,
        conversion_mode: int,
        conversion_rates: pd.Series | None = None,
        protections: Sequence[Protection] = (),
        window: int | None = None,
    ) -> None:
        self.strategy = strategy
        self.instrument = instrument
        self.settings = settings
        self.broker = broker
        self.tape = Tape()
        self.conversion_mode = conversion_mode
        self.rates = None if conversion_rates is None else conversion_rates.sort_index()
        self.equity: list[float] = []
        self.window = window
        self.warmup = warmup_bars(strategy, settings)
        self.last_signal = 0  # the strategy's own signal on the last bar (before any pause)
        self.protections = list(protections)
        self.closed: list[ClosedTrade] = []
        self.paused_until: pd.Timestamp | None = None
        self.events: list[BotEvent] = []

    def on_bar(self, bar: Bar) -> BarReport:
        """A closed bar: decide on it, let the broker execute, and close everything after a
        replay's last bar."""
        i = self.tape.add_bar(bar.time, bar.open, bar.high, bar.low, bar.close, bar.volume)
        self._decide(i)
        report = self.broker.on_bar(self.tape, i, last=bar.last)
        if bar.last:
            end = self.broker.close_at_end(self.tape, i)
            report.orders += end.orders
            report.fills += end.fills
            report.closed += end.closed
        self.equity.append(self.broker.equity)
        self._closed(report)
        if report.closed:
            self._protect(bar.time)
        return report

    def close_now(self) -> BarReport:
        """Close the open position at the last bar's close (by hand, or the kill switch)."""
        report = self.broker.close_now(self.tape, self.tape.size - 1)
        if self.equity:
            self.equity[-1] = self.broker.equity
        self._closed(report)
        return report

    def _closed(self, report: BarReport) -> None:
        for row in report.closed:
            exit_time = self.tape.times[int(row[1])]
            self.closed.append(ClosedTrade(exit_time, float(row[7]), EXIT_REASONS[int(row[9])]))

    def paused(self, time: pd.Timestamp) -> bool:
        """Whether new entries are paused at ``time``."""
        return self.paused_until is not None and time < self.paused_until

    def _protect(self, now: pd.Timestamp) -> None:
        """Ask each protection after trades closed; a new pause is an event and cancels the
        entry waiting for the next open."""
        for protection in self.protections:
            pause = protection.check(self.closed, now)
            if pause is None or (
                self.paused_until is not None and pause.until <= self.paused_until
            ):
                continue
            self.paused_until = pause.until
            details = event_details(pause.code, **pause.values)
            self.events.append(BotEvent(BotAction.BOT_PAUSED, details, now))
            for order in self.broker.open_orders():
                if order.request.closes is None:
                    self.broker.cancel(order.client_order_id)

    def _decide(self, i: int) -> None:
        """The signal, exit flags, stop/target distances and conversion rate of bar ``i``,
        from the bars up to it (from the first bar on, as a backtest reads them: a signal
        needing no indicator, such as a gap, may come before the warm-up)."""
        rate = 1.0
        if self.conversion_mode == CONVERT_SERIES and self.rates is not None:
            rate = float(self.rates.asof(self.tape.times[i]))
        first = 0 if self.window is None else max(0, i + 1 - self.window)

        def seen(name: str) -> np.ndarray:
            return self.tape.seen(name)[first:]

        signals = self.strategy.compute(
            *(seen(name) for name in ("open", "high", "low", "close", "volume")),
            self.tape.index()[first:],
        )  # what Strategy.signals computes from a bar frame of these bars
        stop_dist, target_dist = level_distances(
            seen("high"), seen("low"), seen("close"), self.instrument, self.settings
        )
        at = i - first
        signal = self.last_signal = int(signals.entries[at])
        exit_long = bool(signals.exit_long[at]) if signals.exit_long is not None else False
        exit_short = bool(signals.exit_short[at]) if signals.exit_short is not None else False
        if signal and self.paused(self.tape.times[i]):  # no entry; a reversal still exits
            reverse = self.settings.on_opposite == "reverse"
            exit_long, exit_short = (
                exit_long or (reverse and signal < 0),
                exit_short or (reverse and signal > 0),
            )
            signal = 0
        self.tape.decide(
            i,
            entries=signal,
            exit_long=exit_long,
            exit_short=exit_short,
            stop_dist=stop_dist[at],
            target_dist=target_dist[at],
            rates=rate,
        )


async def run_feed(runner: BotRunner, feed: AsyncIterator[Bar]) -> list[BarReport]:
    """Every bar of ``feed`` through ``runner``; the reports of the bars that did something."""
    reports = []
    async for bar in feed:
        report = runner.on_bar(bar)
        if report.orders or report.fills:
            reports.append(report)
    return reports


def replay_run(
    bars: pd.DataFrame,
    strategy: Strategy,
    instrument: Instrument,
    settings: ExecutionSettings | None = None,
    conversion_rates: pd.Series | None = None,
    name: str = "replay",
) -> BacktestRun:
    """A paper bot over ``bars``, bar by bar as a replay feed gives them, as fast as possible;
    its trades and statistics in a backtest's shape."""
    s = settings or ExecutionSettings()
    require_warmup(len(bars), strategy, s)
    mode, rate, _ = conversion(instrument, s, bars, conversion_rates)  # refuses what cannot be
    broker = PaperBroker(name, instrument, s, mode, rate)
    runner = BotRunner(strategy, instrument, s, broker, mode, conversion_rates)
    rows = [row for bar in bars_of(bars) for row in runner.on_bar(bar).closed]
    table = np.array(rows) if rows else np.empty((0, 12))
    return assemble_run(bars, table, np.array(runner.equity), strategy, instrument, s)
