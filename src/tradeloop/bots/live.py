"""A bot on a real broker: the runner's decision on each closed bar (the same signals, exit
flags and stop and target distances a backtest reads) turned into orders at a broker of the
``Broker`` protocol (ccxt, MetaTrader 5), standing where the paper broker stands in
``BotRunner``.

On a closed bar: the broker's own exits are synced (a fired stop, a spot stop crossed); an
exit signal, or an opposite signal with ``on_opposite="reverse"``, closes the position at
market; a signal while flat opens one at market with the stop and target at the bar's close
± their distances (on spot, where nothing can be sold short, a sell signal only closes). A
backtest fills that entry at the next bar's open; live, the market order goes out as soon
as the bar closed, which is that open give or take the spread and the time to reach the
broker. Every order's client order id is made from the bot's name and
the bar's time, so the same bar handled again after a crash names the same orders and the
broker answers with the ones it holds. Fills come back from the broker; each round trip they
close is reported in the execution step's trade row shape, for protections and the journal."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import numpy as np
import pandas as pd

from tradeloop.brokers.base import Broker
from tradeloop.brokers.paper import BarReport
from tradeloop.core.instruments import Instrument
from tradeloop.core.orders import Fill, Order, OrderRequest, Side
from tradeloop.execution.rules import EXIT_REASONS
from tradeloop.execution.settings import ExecutionSettings
from tradeloop.execution.tape import Tape


class LiveExecution:
    """``broker`` trading ``instrument`` for the bot ``name`` under ``settings``: its fills
    read from ``since``; ``reported``: the ids of fills reported before, ``closings`` those
    of them that closed a position (after a restart, pairing starts from what is stored)."""

    def __init__(
        self, broker: Broker, instrument: Instrument, settings: ExecutionSettings, name: str,
        since: datetime | None = None, reported: Iterable[str] = (),
        closings: Iterable[str] = (),
    ) -> None:  # fmt: skip
        self.broker = broker
        self.instrument = instrument
        self.settings = settings
        self.name = name
        self.since = since  # fills before this are not the bot's (an earlier run)
        self.reported: set[str] = set(reported)  # client order ids of fills reported before
        self.closings: set[str] = set(closings)  # of those, the ones that closed a position
        self.equity = settings.initial_cash
        self.position_of: dict[str, str] = {}  # a fill's id → the id of the entry it belongs to
        self.stops: dict[str, float | None] = {}  # an entry's id → the stop it was sent with

        self.holding: Fill | None = None  # the open position's entry fill, as the fills tell

    def fill_record(self, fill: Fill) -> tuple[str, float | None]:
        """The position a fill belongs to (its entry's id) and, for an entry, its stop."""
        position = self.position_of.get(fill.client_order_id, fill.client_order_id)
        return position, self.stops.get(fill.client_order_id) if fill.reason == "entry" else None

    # -- what BotRunner asks of a broker -------------------------------------------------------

    def on_bar(self, tape: Tape, i: int, last: bool = False) -> BarReport:
        """Act on bar ``i``'s decision; the report of the orders placed and fills seen."""
        report = BarReport()
        close = float(tape.seen("close")[i])
        sync = getattr(self.broker, "sync", None)
        if sync is not None:  # the broker's own exits: a fired stop, a spot stop crossed
            report.orders += sync(float(tape.seen("low")[i]), float(tape.seen("high")[i]))
        time = tape.times[i]
        signal = int(tape.seen("entries")[i])
        position = next(iter(self.broker.positions()), None)
        if position is not None:
            reverse = self.settings.on_opposite == "reverse"
            flag = "exit_long" if position.side is Side.BUY else "exit_short"
            against = signal != 0 and Side.of(signal) is not position.side
            if bool(tape.seen(flag)[i]) or (reverse and against):
                request = OrderRequest(self._id(time, "close"), self.instrument.symbol,
                                       position.side.opposite, position.quantity,
                                       closes=position.client_order_id)  # fmt: skip
                report.orders.append(self.broker.submit(request))
                position = None
        if signal < 0 and not getattr(self.broker, "futures", True):
            signal = 0  # spot holds no short: a sell signal only closes (above)
        if position is None and signal != 0 and not last:
            report.orders.append(self._open(tape, i, Side.of(signal), close))
        self._collect(report, tape, i)  # fills of this bar and since the last: once, here
        self.equity = self.broker.account().equity
        return report

    def close_at_end(self, tape: Tape, i: int) -> BarReport:
        """A live feed has no end: nothing to close."""
        return BarReport()

    def close_now(self, tape: Tape, i: int) -> BarReport:
        """Close the open position at market now (by hand, or the kill switch)."""
        report = BarReport()
        for position in self.broker.positions():
            request = OrderRequest(self._id(tape.times[i], "manual"), self.instrument.symbol,
                                   position.side.opposite, position.quantity,
                                   closes=position.client_order_id)  # fmt: skip
            report.orders.append(self.broker.submit(request))
        self._collect(report, tape, i)
        return report

    def open_orders(self) -> list[Order]:
        """The bot's orders waiting at the broker."""
        return self.broker.open_orders()

    def cancel(self, client_order_id: str) -> Order:
        """Cancel a waiting order."""
        return self.broker.cancel(client_order_id)

    # -- helpers -----------------------------------------------------------------------------

    def _id(self, time: pd.Timestamp, what: str) -> str:
        return f"{self.name}:{time:%Y%m%dT%H%M%S}:{what}"

    def _quantity(self, close: float, stop: float | None) -> float:
        """Units to trade: the settings' units or lots, or the risk fraction of equity over
        the stop's distance."""
        s, contract = self.settings, self.instrument.contract_size
        if s.units is not None:
            return s.units
        if s.risk_percent is not None and stop is not None and stop != close:
            self.equity = self.broker.account().equity  # the account's, not the settings'
            return self.equity * s.risk_percent / 100 / abs(close - stop)
        return (s.lots or self.instrument.min_lot) * contract

    def _open(self, tape: Tape, i: int, side: Side, close: float) -> Order:
        stop_dist = float(tape.seen("stop_dist")[i])
        target_dist = float(tape.seen("target_dist")[i])
        stop = close - side.sign * stop_dist if stop_dist > 0 else None
        target = close + side.sign * target_dist if target_dist > 0 else None
        request = OrderRequest(self._id(tape.times[i], "open"), self.instrument.symbol, side,
                               self._quantity(close, stop), stop, target)  # fmt: skip
        self.stops[request.client_order_id] = stop
        return self.broker.submit(request)

    def _collect(self, report: BarReport, tape: Tape, i: int) -> None:
        """The broker's fills not reported yet into the report; each fill that closes a
        position becomes a round trip row (``TRADE_FIELDS``). Entries and exits are paired
        over every fill since the bot started, so a resumed bot pairs as the first run did."""
        for fill, opening in self._paired():
            if fill.client_order_id not in self.reported:
                self.reported.add(fill.client_order_id)
                report.fills.append(fill)
                if opening is not None:
                    self.closings.add(fill.client_order_id)
                    report.closed.append(self._round_trip(opening, fill, tape, i))

    def _paired(self) -> list[tuple[Fill, Fill | None]]:
        """Every fill since the bot started with the entry it closes (None: it opens), and
        the open position's entry kept in ``holding``."""
        pairs, opening = [], None
        for fill in self.broker.fills_since(self.since):
            if fill.client_order_id in self.closings:  # a close reported before: flat after it
                opening = None
                continue
            closes = opening if opening is not None and fill.side is not opening.side else None
            self.position_of[fill.client_order_id] = (closes or fill).client_order_id
            pairs.append((fill, closes))
            opening = None if closes is not None else fill
        self.holding = opening
        return pairs

    def resume(self) -> None:
        """After a restart: the open position and which fill belongs to which, as the
        broker's fills tell (any fill not reported yet is reported on the next bar)."""
        self._paired()

    @property
    def position_id(self) -> str | None:
        """The open position's entry id (None when flat), as the fills tell."""
        return None if self.holding is None else self.holding.client_order_id

    def _bar_of(self, client_order_id: str, tape: Tape, default: int) -> int:
        """The bar whose decision placed the order (its time is in the id: ``name:<bar
        time>:open``); ``default`` for an exit the broker placed (a stop or target fired)."""
        rest = client_order_id.removeprefix(f"{self.name}:")
        stamp, _, what = rest.partition(":")
        if what not in ("open", "close", "manual"):
            return default
        try:
            time = pd.Timestamp(datetime.strptime(stamp, "%Y%m%dT%H%M%S"), tz="UTC")
        except ValueError:
            return default
        found = int(tape.index().searchsorted(time, "right")) - 1
        return found if found >= 0 else default

    def _round_trip(self, opening: Fill, closing: Fill, tape: Tape, i: int) -> np.ndarray:
        entry_i = self._bar_of(opening.client_order_id, tape, i)
        exit_i = self._bar_of(closing.client_order_id, tape, i)
        side = opening.side.sign
        quantity = min(opening.quantity, closing.quantity)
        costs = opening.commission + closing.commission
        pnl = side * (closing.price - opening.price) * quantity - costs
        reason = EXIT_REASONS.index(closing.reason if closing.reason in EXIT_REASONS else "signal")
        return np.array([entry_i, exit_i, side, opening.price, closing.price, quantity,
                         quantity / self.instrument.contract_size, pnl, costs, reason,
                         np.nan, np.nan])  # fmt: skip
