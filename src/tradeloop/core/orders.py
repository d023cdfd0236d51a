"""The objects bots and brokers speak: a side, an order request with its client order id, the
order a broker holds, a fill, an open position, an account. Plain values; times are
timezone-aware UTC; quantities are units of the instrument (lots × contract size)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Side(StrEnum):
    """Buy or sell; ``sign`` is +1 or -1, as the execution step counts sides."""

    BUY = "buy"
    SELL = "sell"

    @property
    def sign(self) -> int:
        """+1 for a buy, -1 for a sell."""
        return 1 if self is Side.BUY else -1

    @classmethod
    def of(cls, sign: float) -> Side:
        """The side of a signed quantity or step side."""
        return cls.BUY if sign > 0 else cls.SELL

    @property
    def opposite(self) -> Side:
        """The side that closes a position of this side."""
        return Side.SELL if self is Side.BUY else Side.BUY


class OrderStatus(StrEnum):
    """Where an order stands at its broker."""

    PENDING = "pending"
    FILLED = "filled"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class OrderRequest:
    """A market order as a bot asks for it. ``client_order_id`` makes a resubmission (after a
    crash) recognisable: a broker answers it with the order it already holds. ``stop`` and
    ``target`` are absolute prices attached to the position the order opens; ``closes``
    names the position (by its opening order's id) an exit order closes."""

    client_order_id: str
    symbol: str
    side: Side
    quantity: float
    stop: float | None = None
    target: float | None = None
    closes: str | None = None


@dataclass(frozen=True)
class Order:
    """An order a broker holds: the request, its status and when it was placed and ended."""

    request: OrderRequest
    status: OrderStatus
    placed_at: datetime
    done_at: datetime | None = None
    reason: str = "signal"  # signal, stop, target, end, manual

    @property
    def client_order_id(self) -> str:
        """The request's client order id."""
        return self.request.client_order_id


@dataclass(frozen=True)
class Fill:
    """A (whole) execution of an order: price after spread and slippage, commission paid."""

    client_order_id: str
    symbol: str
    side: Side
    quantity: float
    price: float
    commission: float
    time: datetime
    reason: str  # entry, signal, stop, target, end, manual


@dataclass(frozen=True)
class Position:
    """An open position: opened by ``client_order_id``, with its attached stop and target."""

    client_order_id: str
    symbol: str
    side: Side
    quantity: float
    entry_price: float
    opened_at: datetime
    stop: float | None
    target: float | None


@dataclass(frozen=True)
class Account:
    """A broker account's money: cash (closed P&L and fees), equity (marked to the last
    price) in its currency."""

    balance: float
    equity: float
    currency: str
