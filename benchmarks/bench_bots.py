"""Paper bots: 200 bots in one process, each on its own replay feed of synthetic bars
(ma_crossover, ATR stops), all on one event loop. Tick handling is the time from a closed
bar's arrival to the broker having accepted the orders it caused (signals over the bot's
history, the execution step, the orders and fills); printed as p50/p99 with bars per second.
Goal: p99 under 50 ms.

First in memory (runner and paper broker only), then on the real storage path: the bots
saved and started through the services, each with its own stored dataset, and run by one
``Supervisor`` to the end of their replays; there a bar is handled when its transaction
(account, orders' fills, events, lease) has committed. On a SQLite file, and on a fresh
PostgreSQL database when one answers at TRADELOOP_TEST_PG_URL (default: the local server)."""

from __future__ import annotations

import asyncio
import logging
import os
import tempfile
import time
from collections import Counter
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, sessionmaker

from tradeloop.bots.runner import BotRunner
from tradeloop.brokers.paper import PaperBroker
from tradeloop.config import Settings
from tradeloop.core.codes import BotStatus
from tradeloop.execution.rules import CONVERT_FIXED
from tradeloop.execution.settings import ExecutionSettings
from tradeloop.market.feeds import synthetic
from tradeloop.market.instruments import resolve_instrument
from tradeloop.market.readers import stored_bars
from tradeloop.market.synthetic import random_walk_bars
from tradeloop.services import accounts, paper_bots
from tradeloop.services.bots import add_bot
from tradeloop.services.database import open_database, transaction
from tradeloop.store.datasets import add_dataset
from tradeloop.store.db import make_engine, scratch_database
from tradeloop.store.models import Bot, BotFill
from tradeloop.strategies.base import get_strategy

BOTS = 200
BARS = 500
STORED_BARS = 50  # per bot on the storage path (one transaction per bar), with faster MAs:
STORED_PARAMS = {"fast_period": 5, "slow_period": 20}  # so that short replays trade
SETTINGS = ExecutionSettings(sl_atr=2, tp_atr=4)
PASSWORD = "benchmark password"
LIMIT_SECONDS = 120  # the storage path stops there even if some bots have not finished
PG_SERVER = os.environ.get(
    "TRADELOOP_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


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


async def _all(bots: int, ticks: list[float]) -> int:
    return sum(await asyncio.gather(*(_bot(n, ticks) for n in range(bots))))


class TimedSupervisor(paper_bots.Supervisor):
    """The supervisor, timing each bar from the start of its step (the bar's arrival) to
    the commit of its transaction (the broker's orders and fills stored)."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        super().__init__(sessions)  # the served app's lease and polling
        self.steps: list[float] = []

    def _step(self, run: paper_bots.BotRun) -> bool:
        arrived = time.perf_counter()
        going = super()._step(run)
        self.steps.append(time.perf_counter() - arrived)  # list.append: thread-safe
        return going


class Failures(logging.Handler):
    """The bots' failures the supervisor logs, counted by kind (instead of printed)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.kinds: Counter[str] = Counter()

    def emit(self, record: logging.LogRecord) -> None:
        error = record.exc_info[1] if record.exc_info else None
        kind = f"{type(error).__name__}: {error}" if error else record.getMessage()
        self.kinds[kind.splitlines()[0]] += 1


def _save_bots(sessions: sessionmaker[Session], bots: int) -> None:
    """A user with ``bots`` datasets and bots, each bot started on its own dataset."""
    with transaction(sessions) as session:
        user = accounts.register(
            session,
            accounts.Registration(name="B", email="bots@example.com", password=PASSWORD),
            "en",
        )
        for number in range(bots):
            bars = stored_bars(random_walk_bars(STORED_BARS, seed=number))
            dataset = add_dataset(session, user.id, f"EURUSD_{number}.csv", "EURUSD", "H1", bars)
            bot = add_bot(
                session, user.id,
                {"name": f"bot {number}", "market": "EURUSD", "strategy": "ma_crossover",
                 "strategy_params": STORED_PARAMS, "stop_mode": "atr", "sl_atr_multiplier": 2,
                 "tp_atr_multiplier": 4},
            )  # fmt: skip
            paper_bots.start_bot(session, user.id, bot.id, dataset.id, 0.0)


async def _supervise(supervisor: TimedSupervisor, bots: int) -> BaseException | None:
    """Run the supervisor until every bot's task has ended (its replay over, or failed), or
    for LIMIT_SECONDS at most; what the supervisor itself died of, if it did."""
    stop = asyncio.Event()
    task = asyncio.create_task(supervisor.run(stop))
    tasks, until = supervisor.tasks, time.perf_counter() + LIMIT_SECONDS
    while not task.done() and time.perf_counter() < until:
        if len(tasks) == bots and all(t.done() for t in tasks.values()):
            break
        await asyncio.sleep(0.05)
    stop.set()
    died = (await asyncio.gather(task, return_exceptions=True))[0]
    return died if isinstance(died, BaseException) else None


def _stored(url: str, folder: Path, bots: int) -> tuple[dict[str, float], list[str]]:
    """Save, start and supervise the bots on ``url``; the figures, and what went wrong."""
    database = open_database(Settings(data_dir=folder, database_url=url))
    failures, logger = Failures(), logging.getLogger("tradeloop.bots")
    logger.addHandler(failures)
    logger.propagate = False
    try:
        database.upgrade()
        _save_bots(database.sessions, bots)
        supervisor = TimedSupervisor(database.sessions)
        start = time.perf_counter()
        died = asyncio.run(_supervise(supervisor, bots))
        seconds = time.perf_counter() - start
        with transaction(database.sessions) as session:
            fills = session.scalar(select(func.count()).select_from(BotFill)) or 0
            counts = session.execute(select(Bot.status, func.count()).group_by(Bot.status))
            statuses = dict(counts.tuples().all())
    finally:
        logger.removeHandler(failures)
        logger.propagate = True
        database.engine.dispose()
    ms = np.array(supervisor.steps or [0.0]) * 1000
    p50, p99 = np.percentile(ms, [50, 99])
    paused, errors = statuses.get(BotStatus.PAUSED, 0), statuses.get(BotStatus.ERROR, 0)
    figures = {
        "p50_ms": p50, "p99_ms": p99, "max_ms": ms.max(), "bars": len(supervisor.steps),
        "seconds": seconds, "bars_per_s": len(supervisor.steps) / seconds, "fills": fills,
        "paused": paused, "errors": errors, "unfinished": bots - paused - errors,
    }  # fmt: skip
    problems = [f"{count} × {kind}" for kind, count in failures.kinds.most_common()]
    if died is not None:
        problems.append(f"the supervisor died: {type(died).__name__}: {died}".splitlines()[0])
    return figures, problems


def _postgres_reachable(server: str) -> bool:
    """Whether the PostgreSQL server answers."""
    engine = make_engine(server)
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return True
    except Exception:
        return False
    finally:
        engine.dispose()


def _print_stored(kind: str, figures: dict[str, float], problems: list[str]) -> None:
    print(
        f"  {kind:<10} tick handling  p50 {figures['p50_ms']:.2f} ms   "
        f"p99 {figures['p99_ms']:.2f} ms (goal < 50)   max {figures['max_ms']:.1f} ms"
    )
    print(
        f"  {'':<10} throughput     {figures['bars_per_s']:,.0f} bars/s over "
        f"{figures['seconds']:.1f} s ({figures['bars']:,.0f} bars, {figures['fills']:,.0f} "
        f"fills stored); bots at the end: {figures['paused']:.0f} paused, "
        f"{figures['errors']:.0f} in error, {figures['unfinished']:.0f} unfinished"
    )
    for problem in problems:
        print(f"  {'':<10} ! {problem}")


def run(bots: int = BOTS) -> dict[str, float]:
    """Print and return the figures (the storage path's keyed by database: ``sqlite_p99_ms``,
    ``postgresql_bars_per_s``, ...)."""
    asyncio.run(_bot(bots, []))  # load the compiled step and the strategy once
    ticks: list[float] = []
    start = time.perf_counter()
    fills = asyncio.run(_all(bots, ticks))
    seconds = time.perf_counter() - start
    ms = np.array(ticks) * 1000
    p50, p99 = np.percentile(ms, [50, 99])
    figures = {"p50_ms": p50, "p99_ms": p99, "max_ms": ms.max(), "bars_per_s": len(ticks) / seconds}
    print(f"paper bots, {bots} bots × {BARS} bars of replay in one process ({fills:,} fills):")
    print(
        f"  tick handling  p50 {p50:.2f} ms   p99 {p99:.2f} ms (goal < 50)   max {ms.max():.1f} ms"
    )
    print(f"  throughput     {figures['bars_per_s']:,.0f} bars/s over {seconds:.1f} s")

    print(
        f"paper bots stored, {bots} bots × {STORED_BARS} bars of replay (ma_crossover "
        f"{STORED_PARAMS['fast_period']}/{STORED_PARAMS['slow_period']}), one Supervisor; "
        "a bar's arrival to its transaction's commit:"
    )
    with tempfile.TemporaryDirectory() as folder:
        stored, problems = _stored(f"sqlite:///{Path(folder) / 'bench.db'}", Path(folder), bots)
    figures |= {f"sqlite_{key}": value for key, value in stored.items()}
    _print_stored("sqlite", stored, problems)
    if not _postgres_reachable(PG_SERVER):
        print("  (PostgreSQL not reachable: set TRADELOOP_TEST_PG_URL to include it)")
        return figures
    with (
        tempfile.TemporaryDirectory() as folder,
        contextmanager(scratch_database)(PG_SERVER, "tradeloop_bench") as url,
    ):
        stored, problems = _stored(url, Path(folder), bots)
    figures |= {f"postgresql_{key}": value for key, value in stored.items()}
    _print_stored("postgresql", stored, problems)
    return figures
