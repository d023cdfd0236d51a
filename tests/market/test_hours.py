"""Market hours per asset class and index, in each market's own zone (daylight saving from
the zone database): checked at the edges of the week and of the daily breaks."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import pytest

from tests.conftest import run_async
from tradeloop.market.feeds import replay
from tradeloop.market.hours import is_open, next_open, while_open
from tradeloop.market.instruments import resolve_instrument


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("symbol", "when", "trading"),
    [
        # FX: Sunday 17:00 to Friday 17:00 New York (EST = UTC-5 in winter, EDT = UTC-4)
        ("EURUSD", "2024-03-08 21:59", True),  # Friday 16:59 EST
        ("EURUSD", "2024-03-08 22:00", False),  # Friday 17:00 EST: the week is over
        ("EURUSD", "2024-03-09 12:00", False),  # Saturday
        ("EURUSD", "2024-03-10 20:59", False),  # Sunday 16:59 EDT (DST began that morning)
        ("EURUSD", "2024-03-10 21:00", True),  # Sunday 17:00 EDT
        ("EURUSD", "2024-03-13 21:30", True),  # no daily break for FX
        # metals and US indices: CME hours, a daily break 17:00–18:00 New York
        ("US500", "2024-07-10 21:30", False),  # Wednesday 17:30 EDT
        ("US500", "2024-07-10 22:00", True),  # 18:00 EDT
        ("XAUUSD", "2024-01-10 22:30", False),  # 17:30 EST
        ("XAUUSD", "2024-01-10 23:00", True),  # 18:00 EST
        ("XAUUSD", "2024-01-07 22:59", False),  # Sunday 17:59 EST
        ("XAUUSD", "2024-01-07 23:00", True),  # Sunday 18:00 EST
        # DE40 on Eurex hours, Berlin time (CET = UTC+1)
        ("DE40", "2024-01-08 00:10", False),  # Monday 01:10 CET
        ("DE40", "2024-01-08 00:15", True),  # 01:15 CET
        ("DE40", "2024-01-12 20:59", True),  # Friday 21:59 CET
        ("DE40", "2024-01-12 21:00", False),  # 22:00 CET
        # HK50: day and night sessions, Hong Kong time (UTC+8)
        ("HK50", "2024-01-09 04:30", False),  # 12:30 lunch
        ("HK50", "2024-01-09 05:00", True),  # 13:00
        ("HK50", "2024-01-09 08:45", False),  # 16:45 between the sessions
        ("HK50", "2024-01-09 18:59", True),  # 02:59 the night session
        # crypto never closes
        ("BTCUSD", "2024-03-09 12:00", True),
    ],
)
def test_the_market_is_open_when_its_exchange_trades(symbol: str, when: str, trading: bool) -> None:
    assert is_open(resolve_instrument(symbol), utc(when)) is trading


def test_the_next_open_after_a_weekend_and_a_break() -> None:
    eurusd, gold = resolve_instrument("EURUSD"), resolve_instrument("XAUUSD")
    assert next_open(eurusd, utc("2024-03-09 12:07")) == utc("2024-03-10 21:00")
    assert next_open(gold, utc("2024-01-10 22:30")) == utc("2024-01-10 23:00")
    trading = utc("2024-01-10 15:07")
    assert next_open(gold, trading) == trading


def test_a_live_feed_passes_only_bars_of_open_hours() -> None:
    index = pd.date_range("2024-03-08 20:00", "2024-03-10 23:00", freq="1h", tz="UTC")
    bars = pd.DataFrame(
        {"open": 1.0, "high": 1.0, "low": 1.0, "close": 1.0, "volume": 1.0}, index=index
    )

    async def kept() -> list[pd.Timestamp]:
        return [bar.time async for bar in while_open(replay(bars), resolve_instrument("EURUSD"))]

    assert [t.strftime("%a %H:%M") for t in run_async(kept())] == [
        "Fri 20:00", "Fri 21:00", "Sun 21:00", "Sun 22:00", "Sun 23:00",
    ]  # fmt: skip
