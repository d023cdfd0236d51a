"""Protections: small plugins with one interface (freqtrade's idea) that pause a bot's new
entries after losing too much or too often. Each looks at the bot's closed trades and the
bar's time and answers a ``Pause`` (until when, and why in a stored event code) or None.
Exits are never blocked; a pause that starts cancels the entry waiting for the next open."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Protocol

import pandas as pd

from tradeloop.core.codes import EventDetail


@dataclass(frozen=True)
class ClosedTrade:
    """What protections read of a round trip: when it closed, its P&L (account currency)
    and how (stop, target, signal, end, manual)."""

    exit_time: pd.Timestamp
    pnl: float
    reason: str


@dataclass(frozen=True)
class Pause:
    """No new entries until ``until``; ``code`` and ``values`` say why (an event's details)."""

    until: pd.Timestamp
    code: EventDetail
    values: dict[str, Any] = field(default_factory=dict)


class Protection(Protocol):
    """A rule that may pause new entries."""

    def check(self, trades: list[ClosedTrade], now: pd.Timestamp) -> Pause | None:
        """A pause starting at ``now`` given the trades closed so far (oldest first), or None."""
        ...


@dataclass(frozen=True)
class LosingStreak:
    """``count`` losing trades in a row → pause for ``pause``."""

    count: int
    pause: timedelta

    def check(self, trades: list[ClosedTrade], now: pd.Timestamp) -> Pause | None:
        """Paused when the last ``count`` trades all lost and the last closed now."""
        recent = trades[-self.count :]
        if len(recent) < self.count or recent[-1].exit_time != now:
            return None
        if all(t.pnl < 0 for t in recent):
            until = now + self.pause
            return Pause(until, EventDetail.PAUSED_LOSSES, {"count": self.count, "until": until})
        return None


@dataclass(frozen=True)
class DailyLossLimit:
    """A loss of ``limit`` (account currency) within one UTC day → no entries until the next
    day."""

    limit: float
    currency: str = "USD"

    def check(self, trades: list[ClosedTrade], now: pd.Timestamp) -> Pause | None:
        """Paused when today's closed trades lost ``limit`` or more and one closed now."""
        if not trades or trades[-1].exit_time != now:
            return None
        day = now.normalize()
        lost = -sum(t.pnl for t in trades if t.exit_time.normalize() == day)
        if lost >= self.limit:
            until = day + timedelta(days=1)
            values = {"loss": lost, "limit": self.limit, "currency": self.currency, "until": until}
            return Pause(until, EventDetail.PAUSED_DAILY_LOSS, values)
        return None


@dataclass(frozen=True)
class StopCooldown:
    """A stop-out → no entries for ``pause``."""

    pause: timedelta

    def check(self, trades: list[ClosedTrade], now: pd.Timestamp) -> Pause | None:
        """Paused when the trade that closed now was stopped out."""
        if trades and trades[-1].exit_time == now and trades[-1].reason == "stop":
            until = now + self.pause
            return Pause(until, EventDetail.PAUSED_STOP_COOLDOWN, {"until": until})
        return None
