"""The ``Broker`` protocol: what a bot may ask of any broker (paper, crypto exchange, MT5).

Orders are market orders with a stop and a target attached to the position they open; every
order carries the bot's client order id, and ``submit`` is idempotent by it, so a request
sent again after a crash finds the order already there instead of placing a second one.
``reconcile`` reports what the broker holds (orders, fills, positions), as NautilusTrader's
live clients do, for the bot to check against what it stored."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from tradeloop.core.orders import Account, Fill, Order, OrderRequest, Position


@dataclass(frozen=True)
class Reconciliation:
    """What a broker holds: its orders, its fills and its open positions."""

    orders: list[Order]
    fills: list[Fill]
    positions: list[Position]


class Broker(Protocol):
    """An account at a broker."""

    def account(self) -> Account:
        """Balance, equity and currency."""
        ...

    def positions(self) -> list[Position]:
        """Open positions."""
        ...

    def open_orders(self) -> list[Order]:
        """Orders not yet filled or cancelled."""
        ...

    def submit(self, request: OrderRequest) -> Order:
        """Place ``request``; the order already held when its client order id is known."""
        ...

    def modify(self, client_order_id: str, stop: float | None, target: float | None) -> Position:
        """Move the stop and target of the position opened by ``client_order_id``."""
        ...

    def cancel(self, client_order_id: str) -> Order:
        """Cancel a pending order."""
        ...

    def fills_since(self, since: datetime | None) -> list[Fill]:
        """Fills at or after ``since`` (all of them for None), oldest first."""
        ...

    def reconcile(self) -> Reconciliation:
        """Everything the broker holds, to check against what the bot stored."""
        ...
