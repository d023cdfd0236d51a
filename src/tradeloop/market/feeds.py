"""Market data feeds for bots: each yields closed bars only, oldest first.

``replay`` plays a stored bar frame back (as fast as possible, or some seconds per bar for
a live-looking demo) and marks its last bar; ``synthetic`` plays the package's seeded random
walk. A live feed (next: exchanges, MetaTrader 5) plugs in by being an async iterator of
``Bar``."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import pandas as pd

from tradeloop.market.synthetic import random_walk_bars


@dataclass(frozen=True)
class Bar:
    """A closed bar: its open time (UTC), prices and volume; ``last`` marks the end of a
    replay (nothing comes after it)."""

    time: pd.Timestamp
    open: float
    high: float
    low: float
    close: float
    volume: float = 0.0
    last: bool = False


def bars_of(bars: pd.DataFrame) -> Iterator[Bar]:
    """The bars of a validated frame as closed bars, one at a time, the last one marked."""
    n = len(bars)
    columns = [bars[c].to_numpy(dtype=float) for c in ("open", "high", "low", "close")]
    volume = bars["volume"].to_numpy(dtype=float) if "volume" in bars else None
    for i, time in enumerate(bars.index):
        yield Bar(
            time,
            *(float(column[i]) for column in columns),
            volume=0.0 if volume is None else float(volume[i]),
            last=i == n - 1,
        )


async def replay(bars: pd.DataFrame, seconds_per_bar: float = 0.0) -> AsyncIterator[Bar]:
    """The bars of a validated frame, one at a time (``seconds_per_bar`` apart), the last
    one marked."""
    for i, bar in enumerate(bars_of(bars)):
        if seconds_per_bar > 0 and i:
            await asyncio.sleep(seconds_per_bar)
        yield bar


async def synthetic(n: int, seed: int = 7, seconds_per_bar: float = 0.0) -> AsyncIterator[Bar]:
    """``n`` bars of the seeded random walk (labelled synthetic wherever it is shown)."""
    async for bar in replay(random_walk_bars(n, seed=seed), seconds_per_bar):
        yield bar
