"""Paper bots: 200 bots in one process, each on its own replay feed of synthetic bars
(ma_crossover, ATR stops), all on one event loop. Tick handling is the time from a closed
bar's arrival to the broker having accepted the orders it caused (signals over the bot's
history, the execution step, the orders and fills); printed as p50/p99 with bars per second.
Goal: p99 under 50 ms."""

from __future__ import annotations

import asyncio
import time

import numpy as np

from tradeloop.bots.runner import BotRunner
from tradeloop.brokers.paper import PaperBroker
from tradeloop.execution.rules import CONVERT_FIXED
from tradeloop.execution.settings import ExecutionSettings
from tradeloop.market.feeds import synthetic
from tradeloop.market.instruments import resolve_instrument
from tradeloop.strategies.base import get_strategy

BOTS = 200
BARS = 500
SETTINGS = ExecutionSettings(sl_atr=2, tp_atr=4)


async def _bot(number: int, ticks: list[float]) -> int:
    instrument = resolve_instrument("EURUSD")
    broker = PaperBroker(f"bot:{number}", instrument, SETTINGS, CONVERT_FIXED, 1.0)
    runner = BotRunner(get_strategy("ma_crossover"), instrument, SETTINGS, broker, CONVERT_FIXED)
    fills = 0
    async for bar in synthetic(BARS, seed=number):
        arrived = time.perf_counter()
        fills += len(runner.on_bar(bar).fills)
        ticks.append(time.perf_counter() - arrived)
        await asyncio.sleep(0)  # the other bots' bars arrive in between
    return fills


async def _all(ticks: list[float]) -> int:
    return sum(await asyncio.gather(*(_bot(n, ticks) for n in range(BOTS))))


def run(bots: int = BOTS) -> dict[str, float]:
    """Print and return the figures."""
    asyncio.run(_bot(BOTS, []))  # load the compiled step and the strategy once
    ticks: list[float] = []
    start = time.perf_counter()
    fills = asyncio.run(_all(ticks))
    seconds = time.perf_counter() - start
    ms = np.array(ticks) * 1000
    p50, p99 = np.percentile(ms, [50, 99])
    figures = {"p50_ms": p50, "p99_ms": p99, "max_ms": ms.max(), "bars_per_s": len(ticks) / seconds}
    print(f"paper bots, {bots} bots × {BARS} bars of replay in one process ({fills:,} fills):")
    print(
        f"  tick handling  p50 {p50:.2f} ms   p99 {p99:.2f} ms (goal < 50)   max {ms.max():.1f} ms"
    )
    print(f"  throughput     {figures['bars_per_s']:,.0f} bars/s over {seconds:.1f} s")
    return figures
