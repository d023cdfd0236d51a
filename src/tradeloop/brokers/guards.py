"""An account's guards, checked before any order leaves for a real broker: the largest order,
the most open positions, the most the account may lose in a day (reached: no new positions,
and the account's bots stop). Orders that only close a position always pass."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from tradeloop.brokers.errors import BrokerError
from tradeloop.core.orders import OrderRequest


@dataclass(frozen=True)
class AccountGuards:
    """The limits (None: no limit). ``max_order_size`` is in the order's units (the base
    asset's amount on an exchange, lots on MetaTrader); ``max_daily_loss`` in the account's
    currency."""

    max_order_size: float | None = None
    max_open_positions: int | None = None
    max_daily_loss: float | None = None


class GuardRefused(BrokerError):
    """The account's own limit refused the order (the trader's setting, not the broker)."""

    status = 422


@dataclass
class DayBaseline:
    """The account's equity when first seen on each UTC day: the day's P&L (for the daily
    loss guard) is the change since."""

    day: str = ""
    equity: float = 0.0

    def pnl(self, equity: float, now: datetime | None = None) -> float:
        """``equity`` less the day's first; a new day starts from ``equity``."""
        today = (now or datetime.now(UTC)).date().isoformat()
        if today != self.day:
            self.day, self.equity = today, equity
        return equity - self.equity


def _refused(message: str, key: str, **values: float) -> BrokerError:
    return GuardRefused(message, f"broker.guard.{key}", retry=False, values=values)


def check_order(
    guards: AccountGuards, request: OrderRequest, open_positions: Callable[[], int],
    day_pnl: Callable[[], float],
) -> None:  # fmt: skip
    """Refuse ``request`` (BrokerError, not to be retried) when it breaks a guard.
    ``open_positions``: how many positions the account holds now; ``day_pnl``: its P&L since
    the day began (closed and open); each asked of the broker only when its guard is set."""
    if request.closes is not None:
        return
    if guards.max_order_size is not None and request.quantity > guards.max_order_size:
        raise _refused(
            f"order of {request.quantity:g} is above the account's largest order "
            f"({guards.max_order_size:g})", "order_size",
            quantity=request.quantity, limit=guards.max_order_size,
        )  # fmt: skip
    count = open_positions() if guards.max_open_positions is not None else 0
    if guards.max_open_positions is not None and count >= guards.max_open_positions:
        raise _refused(
            f"the account already has {count} open positions (at most "
            f"{guards.max_open_positions})", "open_positions",
            count=count, limit=guards.max_open_positions,
        )  # fmt: skip
    check_day_loss(guards, day_pnl)


def check_day_loss(guards: AccountGuards, day_pnl: Callable[[], float]) -> None:
    """Refuse anything new once the account lost its daily limit (``day_pnl`` asked only
    when that guard is set)."""
    pnl = day_pnl() if guards.max_daily_loss is not None else 0.0
    if guards.max_daily_loss is not None and pnl <= -guards.max_daily_loss:
        raise _refused(
            f"the account lost {-pnl:,.2f} today, its daily limit is "
            f"{guards.max_daily_loss:,.2f}: no new positions until tomorrow", "daily_loss",
            loss=-pnl, limit=guards.max_daily_loss,
        )  # fmt: skip
