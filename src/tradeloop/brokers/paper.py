"""The paper broker: one bot's simulated account, filled by the execution step on each closed
bar, so a paper bot fills exactly as a backtest of the same bars does.

Stops and targets are held broker-side and checked against every bar; the instrument's
spread, slippage and commission are charged as in backtests. What the step did to the
account is reported as orders and fills, each with a client order id made from the bot's
name and the bar's time, so the same bar handled again (after a restart) names the same
orders and is recognised. Kept in memory; the bot service stores what it reports."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from datetime import datetime

import numpy as np
import pandas as pd

from tradeloop.brokers.base import Reconciliation
from tradeloop.core.errors import InvalidInput, NotFound
from tradeloop.core.instruments import Instrument
from tradeloop.core.orders import (
    Account,
    Fill,
    Order,
    OrderRequest,
    OrderStatus,
    Position,
    Side,
)
from tradeloop.execution.inputs import ACCOUNT_CURRENCY, cost_vector, instrument_vector, sizing
from tradeloop.execution.rules import EXIT_REASONS, MANUAL
from tradeloop.execution.settings import ExecutionSettings
from tradeloop.execution.step import (
    CASH,
    ENTRY,
    ENTRY_I,
    MAX_TRADES_PER_BAR,
    PENDING_EXIT,
    PENDING_REF,
    PENDING_SD,
    PENDING_SIDE,
    PENDING_SIZE,
    PENDING_TD,
    SIDE,
    SIZE,
    STOP_LEVEL,
    TARGET_LEVEL,
    close_at_end,
    new_state,
    run_bars,
)
from tradeloop.execution.tape import Tape


@dataclass
class BarReport:
    """What one bar did at the broker: orders placed and fills, and the round trips it closed
    (rows of ``TRADE_FIELDS``)."""

    orders: list[Order] = field(default_factory=list)
    fills: list[Fill] = field(default_factory=list)
    closed: list[np.ndarray] = field(default_factory=list)


def _level(value: float) -> float | None:
    return None if math.isnan(value) else float(value)


class PaperBroker:
    """A paper account for one bot (``name``: its client order ids' prefix)."""

    def __init__(
        self,
        name: str,
        instrument: Instrument,
        settings: ExecutionSettings,
        conversion_mode: int,
        conversion_rate: float,
    ) -> None:
        self.name = name
        self.instrument = instrument
        self.settings = settings
        self.state = new_state(settings.initial_cash)
        self.costs = cost_vector(instrument, settings, conversion_mode, conversion_rate)
        self.limits = instrument_vector(instrument)
        self.size_mode, self.size_value = sizing(instrument, settings)
        self.orders: dict[str, Order] = {}
        self.fills: list[Fill] = []
        self.equity = settings.initial_cash
        self.position_id: str | None = None  # client order id of the open position's entry
        self.pending_entry: str | None = None
        self.pending_exit: str | None = None

    def restore(
        self,
        state: list[float | None],
        equity: float,
        pending_entry: str | None,
        pending_exit: str | None,
        position_id: str | None,
        opened_at: datetime | None,
        placed_at: datetime,
    ) -> None:
        """Take up an account as stored after a bar (``state``: the step's vector, None for
        NaN): its orders waiting at ``placed_at`` and the open position's entry order are
        held again under their client order ids."""
        self.state[:] = [math.nan if v is None else v for v in state]
        self.equity = equity
        st, symbol = self.state, self.instrument.symbol
        self.pending_entry, self.pending_exit, self.position_id = (
            pending_entry, pending_exit, position_id,
        )  # fmt: skip
        if pending_entry is not None:
            direction, ref = st[PENDING_SIDE], st[PENDING_REF]
            request = OrderRequest(
                pending_entry, symbol, Side.of(direction), float(st[PENDING_SIZE]),
                _level(ref - direction * st[PENDING_SD]) if st[PENDING_SD] > 0 else None,
                _level(ref + direction * st[PENDING_TD]) if st[PENDING_TD] > 0 else None,
            )  # fmt: skip
            self.orders[pending_entry] = Order(request, OrderStatus.PENDING, placed_at)
        if position_id is not None:
            request = OrderRequest(
                position_id, symbol, Side.of(st[SIDE]), float(st[SIZE]), _level(st[STOP_LEVEL]),
                _level(st[TARGET_LEVEL]),
            )  # fmt: skip
            opened = opened_at or placed_at
            self.orders[position_id] = Order(request, OrderStatus.FILLED, opened, opened)
        if pending_exit is not None:
            request = OrderRequest(
                pending_exit, symbol, Side.of(-st[SIDE]), float(st[SIZE]), closes=position_id
            )
            reason = "manual" if not pending_exit.startswith(self.name) else "signal"
            self.orders[pending_exit] = Order(
                request, OrderStatus.PENDING, placed_at, reason=reason
            )

    def fill_record(self, fill: Fill) -> tuple[str, float | None]:
        """The position a fill belongs to (its entry's id) and, for an entry, its stop."""
        request = self.orders[fill.client_order_id].request
        if fill.reason == "entry":
            return fill.client_order_id, request.stop
        return request.closes or "", None

    def stored_state(self) -> list[float | None]:
        """The step's vector as JSON can hold it (NaN as None)."""
        return [None if math.isnan(v) else float(v) for v in self.state]

    # ------------------------------------------------------------------ driven by bars

    def on_bar(self, tape: Tape, i: int, last: bool = False) -> BarReport:
        """Bar ``i`` of ``tape`` has closed (its decision set): fill what was pending at its
        open, check the stop and target, act on its signal; ``last`` (a replay's end) opens
        nothing."""
        a = tape.arrays
        table = np.empty((MAX_TRADES_PER_BAR + 1, 12))
        equity = np.empty(1)
        count = run_bars(
            self.state, table, 0, equity, i, i + 1, i if last else -1, a["open"], a["high"],
            a["low"], a["close"], a["entries"], a["exit_long"], a["exit_short"], a["stop_dist"],
            a["target_dist"], self.settings.fill == "close", self.settings.on_opposite == "reverse",
            self.size_mode, self.size_value, self.limits, self.costs, a["rates"],
        )  # fmt: skip
        self.equity = float(equity[0])
        return self._report(tape, i, table[:count])

    def close_at_end(self, tape: Tape, i: int) -> BarReport:
        """After a replay's last bar ``i``: close what is still open, as a backtest does."""
        return self._close_position(tape, i, self.settings.fill == "close", None)

    def close_now(self, tape: Tape, i: int) -> BarReport:
        """Close the open position at once, at the close of the last bar ``i`` (costs
        charged), and cancel what waits: a stop by hand or by the kill switch."""
        return self._close_position(tape, i, True, MANUAL)

    def _close_position(self, tape: Tape, i: int, at_close: bool, reason: int | None) -> BarReport:
        """Close the open position on bar ``i``, already reported (at its close, or at its
        open), giving the round trip ``reason`` if set; waiting orders are cancelled."""
        a = tape.arrays
        table = np.empty((1, 12))
        count = close_at_end(
            self.state, table, 0, i, a["open"][i], a["close"][i], at_close, self.costs,
            a["rates"],
        )  # fmt: skip
        if reason is not None:
            table[:count, 9] = reason
        time = tape.times[i]
        report = BarReport(closed=[row.copy() for row in table[:count]])
        for waiting in (self.pending_entry, self.pending_exit):
            if waiting is not None:  # a close asked earlier is replaced by this one
                self._done(waiting, time, OrderStatus.CANCELLED)
        self.pending_entry = self.pending_exit = None
        self.state[PENDING_SIDE] = self.state[PENDING_EXIT] = 0
        if count:
            self.equity = float(self.state[CASH])
            report.fills.append(self._exit_fill(table[0], time, self.position_id or "", report))
            self.position_id = None
        self.fills.extend(report.fills)
        return report

    def _coid(self, time: pd.Timestamp, what: str) -> str:
        return f"{self.name}:{time:%Y%m%dT%H%M%S}:{what}"

    def _report(self, tape: Tape, i: int, closed: np.ndarray) -> BarReport:
        """Orders and fills from what the step did on bar ``i`` (``closed``: its round trips)."""
        time = tape.times[i]
        report = BarReport(closed=[row.copy() for row in closed])
        st = self.state
        symbol = self.instrument.symbol
        opened_now = st[SIDE] != 0 and int(st[ENTRY_I]) == i
        earlier = [row for row in closed if int(row[0]) < i]
        same_bar = [row for row in closed if int(row[0]) == i]
        for row in earlier:
            report.fills.append(self._exit_fill(row, time, self.position_id or "", report))
            self.position_id = None
        if same_bar or opened_now:
            row = same_bar[0] if same_bar else None
            side = Side.of(row[2] if row is not None else st[SIDE])
            quantity = float(row[5] if row is not None else st[SIZE])
            price = float(row[3] if row is not None else st[ENTRY])
            entry_id = self.pending_entry
            if entry_id is None:  # an on-close entry: placed and filled at this close
                stop = row[10] if row is not None else st[STOP_LEVEL]
                target = row[11] if row is not None else st[TARGET_LEVEL]
                request = OrderRequest(
                    self._coid(time, "open"), symbol, side, quantity, _level(stop), _level(target)
                )
                entry_id = self._hold(report, request, time)
            self.pending_entry = None
            commission = self.costs[2] * quantity / self.instrument.contract_size
            report.fills.append(
                Fill(entry_id, symbol, side, quantity, price, commission, time, "entry")
            )
            self._done(entry_id, time, OrderStatus.FILLED)
            self.position_id = entry_id
            for row in same_bar:
                report.fills.append(self._exit_fill(row, time, entry_id, report))
                self.position_id = None
        if self.pending_entry is not None and st[PENDING_SIDE] == 0:
            self._done(self.pending_entry, time, OrderStatus.CANCELLED)  # its bar passed
            self.pending_entry = None
        if st[PENDING_SIDE] != 0 and self.pending_entry is None:
            direction = st[PENDING_SIDE]
            ref, stop, target = st[PENDING_REF], st[PENDING_SD], st[PENDING_TD]
            request = OrderRequest(
                self._coid(time, "open"),
                symbol,
                Side.of(direction),
                float(st[PENDING_SIZE]),
                stop=_level(ref - direction * stop) if stop > 0 else None,
                target=_level(ref + direction * target) if target > 0 else None,
            )
            self.pending_entry = self._hold(report, request, time)
        if st[PENDING_EXIT] != 0 and self.pending_exit is None and self.position_id is not None:
            request = OrderRequest(
                self._coid(time, "close"),
                symbol,
                Side.of(-st[SIDE]),
                float(st[SIZE]),
                closes=self.position_id,
            )
            self.pending_exit = self._hold(report, request, time)
        self.fills.extend(report.fills)
        return report

    def _exit_fill(
        self, row: np.ndarray, time: pd.Timestamp, opened_by: str, report: BarReport
    ) -> Fill:
        """The fill closing round trip ``row``, and the order that made it (the pending exit,
        or the position's stop or target order, or the end-of-replay close)."""
        reason = EXIT_REASONS[int(row[9])]
        side = Side.of(-row[2])
        if reason == "signal" and self.pending_exit is not None:
            coid = self.pending_exit
            reason = self.orders[coid].reason  # the strategy's exit, or one asked by hand
            self.pending_exit = None
        else:
            coid = (
                f"{opened_by}:{reason}"
                if reason in ("stop", "target")
                else self._coid(time, reason)
            )
            request = OrderRequest(
                coid, self.instrument.symbol, side, float(row[5]), closes=opened_by
            )
            self._hold(report, request, time, reason)
        self._done(coid, time, OrderStatus.FILLED)
        commission = self.costs[2] * float(row[6])
        return Fill(
            coid,
            self.instrument.symbol,
            side,
            float(row[5]),
            float(row[4]),
            commission,
            time,
            reason,
        )

    def _hold(
        self, report: BarReport, request: OrderRequest, time: pd.Timestamp, reason: str = "signal"
    ) -> str:
        """Record ``request`` as a pending order placed at ``time``; its client order id."""
        order = Order(request, OrderStatus.PENDING, time.to_pydatetime(), reason=reason)
        self.orders[request.client_order_id] = order
        report.orders.append(order)
        return request.client_order_id

    def _done(self, coid: str, time: pd.Timestamp, status: OrderStatus) -> None:
        order = self.orders[coid]
        self.orders[coid] = replace(order, status=status, done_at=time.to_pydatetime())

    # ------------------------------------------------------------------ the Broker protocol

    def account(self) -> Account:
        """Cash and equity marked at the last close, in the account currency."""
        return Account(float(self.state[CASH]), self.equity, ACCOUNT_CURRENCY)

    def positions(self) -> list[Position]:
        """The open position, if any."""
        st = self.state
        if st[SIDE] == 0 or self.position_id is None:
            return []
        opened = self.orders[self.position_id].done_at
        return [
            Position(
                self.position_id, self.instrument.symbol, Side.of(st[SIDE]), float(st[SIZE]),
                float(st[ENTRY]), opened or datetime.min, _level(st[STOP_LEVEL]),
                _level(st[TARGET_LEVEL]),
            )
        ]  # fmt: skip

    def open_orders(self) -> list[Order]:
        """Orders waiting for the next bar's open."""
        return [o for o in self.orders.values() if o.status is OrderStatus.PENDING]

    def submit(self, request: OrderRequest) -> Order:
        """A close of the open position by hand (``request.closes``), filled at the next
        bar's open; the order already held when the client order id is known."""
        known = self.orders.get(request.client_order_id)
        if known is not None:
            return known
        if request.closes is None or request.closes != self.position_id:
            raise InvalidInput(
                "the paper broker takes orders that close the bot's open position; its entries "
                "come from the strategy"
            )
        if self.pending_exit is not None:
            return self.orders[self.pending_exit]
        self.state[PENDING_EXIT] = 1
        order = Order(request, OrderStatus.PENDING, datetime.now().astimezone(), reason="manual")
        self.orders[request.client_order_id] = order
        self.pending_exit = request.client_order_id
        return order

    def modify(self, client_order_id: str, stop: float | None, target: float | None) -> Position:
        """Move the open position's stop and target (None removes one)."""
        if client_order_id != self.position_id:
            raise NotFound(f"no open position opened by {client_order_id}")
        self.state[STOP_LEVEL] = math.nan if stop is None else stop
        self.state[TARGET_LEVEL] = math.nan if target is None else target
        return self.positions()[0]

    def cancel(self, client_order_id: str) -> Order:
        """Cancel a pending entry or exit."""
        order = self.orders.get(client_order_id)
        if order is None or order.status is not OrderStatus.PENDING:
            raise NotFound(f"no pending order {client_order_id}")
        if client_order_id == self.pending_entry:
            self.state[PENDING_SIDE] = 0
            self.pending_entry = None
        elif client_order_id == self.pending_exit:
            self.state[PENDING_EXIT] = 0
            self.pending_exit = None
        cancelled = replace(order, status=OrderStatus.CANCELLED)
        self.orders[client_order_id] = cancelled
        return cancelled

    def fills_since(self, since: datetime | None) -> list[Fill]:
        """Fills at or after ``since``."""
        return [f for f in self.fills if since is None or f.time >= since]

    def reconcile(self) -> Reconciliation:
        """Every order, fill and open position."""
        return Reconciliation(list(self.orders.values()), list(self.fills), self.positions())
