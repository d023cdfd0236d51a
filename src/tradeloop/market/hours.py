"""When markets trade, per asset class and index: live bot feeds wait while a market is
closed; a replay follows its bars' own times.

Each session is written in its market's own zone, so daylight-saving shifts come from the
zone database: FX from Sunday 17:00 to Friday 17:00 New York time; metals and the indices on
US futures hours (CME Globex: Sunday 18:00 to Friday 17:00 New York, with a break from 17:00
to 18:00 each day); DE40 and UK100 on their exchanges' extended futures hours; HK50 with the
Hong Kong day and night sessions; crypto always. These are the usual CFD broker hours; a
broker's own may differ by minutes, and holidays are not known here.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from tradeloop.core.instruments import AssetClass, Instrument
from tradeloop.market.feeds import Bar

MON, TUE, WED, THU, FRI, SAT, SUN = range(7)


@dataclass(frozen=True)
class Hours:
    """A market's week in its zone: open from ``opens`` (weekday, time) to ``closes``, minus
    daily ``breaks`` (local start and end times; an end before its start crosses midnight)."""

    zone: str
    opens: tuple[int, time]
    closes: tuple[int, time]
    breaks: tuple[tuple[time, time], ...] = ()

    def is_open(self, when: datetime) -> bool:
        """Whether the market trades at ``when`` (an aware time)."""
        local = when.astimezone(ZoneInfo(self.zone))
        minute = _week_minute(local.weekday(), local.time())
        opens, closes = _week_minute(*self.opens), _week_minute(*self.closes)
        inside = opens <= minute < closes if opens < closes else minute >= opens or minute < closes
        return inside and not any(_within(local.time(), b) for b in self.breaks)


def _week_minute(day: int, at: time) -> int:
    return day * 1440 + at.hour * 60 + at.minute


def _within(at: time, pause: tuple[time, time]) -> bool:
    start, end = pause
    return start <= at < end if start < end else at >= start or at < end


NEW_YORK = "America/New_York"
US_FUTURES = Hours(NEW_YORK, (SUN, time(18)), (FRI, time(17)), ((time(17), time(18)),))
INDEX_HOURS = {
    "DE40": Hours("Europe/Berlin", (MON, time(1, 15)), (FRI, time(22)), ((time(22), time(1, 15)),)),
    "UK100": Hours("Europe/London", (MON, time(1)), (FRI, time(21)), ((time(21), time(1)),)),
    "HK50": Hours(
        "Asia/Hong_Kong",
        (MON, time(9, 15)),
        (SAT, time(3)),
        ((time(12), time(13)), (time(16, 30), time(17, 15)), (time(3), time(9, 15))),
    ),
}
FX_HOURS = Hours(NEW_YORK, (SUN, time(17)), (FRI, time(17)))


def market_hours(instrument: Instrument) -> Hours | None:
    """The instrument's trading week; None for a market that never closes (crypto)."""
    if instrument.asset_class is AssetClass.CRYPTO:
        return None
    if instrument.asset_class is AssetClass.FX:
        return FX_HOURS
    return INDEX_HOURS.get(instrument.symbol, US_FUTURES)  # metals and US-hours indices


def is_open(instrument: Instrument, when: datetime) -> bool:
    """Whether ``instrument`` trades at ``when``."""
    hours = market_hours(instrument)
    return hours is None or hours.is_open(when)


def next_open(instrument: Instrument, when: datetime) -> datetime:
    """``when`` if the market trades then, else the next quarter hour it does (within a
    week)."""
    if is_open(instrument, when):
        return when
    step = timedelta(minutes=15)
    at = when.replace(second=0, microsecond=0) + timedelta(minutes=15 - when.minute % 15)
    for _ in range(7 * 24 * 4 + 1):
        if is_open(instrument, at):
            return at
        at += step
    raise ValueError(f"{instrument.symbol} never opens")  # a session table without an open


async def while_open(feed: AsyncIterator[Bar], instrument: Instrument) -> AsyncIterator[Bar]:
    """A live feed's bars that opened while the market traded (a quote outside the session
    is no bar to act on)."""
    async for bar in feed:
        if is_open(instrument, bar.time.to_pydatetime()):
            yield bar
