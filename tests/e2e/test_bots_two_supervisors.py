"""Two ``tradeloop bots run`` processes on one database (a SQLite file, then PostgreSQL), one
of them SIGKILLed mid-replay: every bot is run by exactly one supervisor (its lease names one
of the two), the survivor takes the dead one's bots over once their leases lapse, and in the
end each bot's stored fills are exactly its backtest's trades, each event stored once."""

from __future__ import annotations

import os
import re
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.e2e.bot_checks import check_trades
from tests.e2e.conftest import CLI
from tradeloop.config import Settings
from tradeloop.core.codes import BotStatus
from tradeloop.market.readers import stored_bars
from tradeloop.market.synthetic import random_walk_bars
from tradeloop.services import accounts, bots, paper_bots
from tradeloop.services.database import Database, open_database
from tradeloop.store.datasets import add_dataset
from tradeloop.store.db import transaction
from tradeloop.store.models import Bot, PaperAccount

BARS = random_walk_bars(300, seed=22)
LAST = len(BARS) - 1
SECONDS_PER_BAR = 0.01  # a replay of a few seconds: the kill lands mid-run
LEASE_SECONDS = 1.0
OVER = (BotStatus.PAUSED, BotStatus.ERROR)
BOTS = [  # strategies and settings that each trade several times on BARS
    {"strategy": "ma_crossover", "strategy_params": {"fast_period": 5, "slow_period": 20},
     "sl_pips": 20, "tp_pips": 40, "lot_size": 0.1},
    {"strategy": "ma_crossover", "strategy_params": {"fast_period": 8, "slow_period": 30},
     "sl_pips": 30, "tp_pips": 60, "risk_percent": 1.0},
    {"strategy": "ma_crossover", "strategy_params": {"fast_period": 6, "slow_period": 24},
     "stop_mode": "atr", "sl_atr_multiplier": 1.5, "tp_atr_multiplier": 3.0, "lot_size": 0.2},
    {"strategy": "rsi_crossover", "strategy_params": {}, "sl_pips": 25, "tp_pips": 50},
    {"strategy": "bollinger_reversion", "strategy_params": {}, "sl_pips": 30, "tp_pips": 30},
    {"strategy": "turtle_breakout", "strategy_params": {}, "stop_mode": "atr",
     "sl_atr_multiplier": 1.5, "tp_atr_multiplier": 3.0},
]  # fmt: skip


@dataclass
class Supervisor:
    """A ``tradeloop bots run`` process, its output and the lease holder it names itself."""

    process: subprocess.Popen
    log: Path
    holder: str = ""

    def output(self) -> str:
        return self.log.read_text(errors="replace")


@dataclass
class Sample:
    """One consistent look at every bot: status, lease holder and last stored bar."""

    bots: dict[int, tuple[BotStatus, str | None, int]] = field(default_factory=dict)

    def held_by(self, holder: str) -> set[int]:
        """The bots ``holder`` has work on (held and not over)."""
        return {i for i, (s, h, _) in self.bots.items() if h == holder and s not in OVER}


@pytest.fixture
def setup(
    migrated_url: str, tmp_path: Path
) -> Iterator[tuple[dict[str, str], Database, list[int], int]]:
    """A migrated database (each engine) with a user, a dataset and six paused bots; the
    environment of a supervisor on it with a short lease."""
    data = tmp_path / "data"
    env = {
        **os.environ, "TRADELOOP_DATA_DIR": str(data), "TRADELOOP_DATABASE_URL": migrated_url,
        "TRADELOOP_BOT_LEASE_SECONDS": str(LEASE_SECONDS), "PYTHONUNBUFFERED": "1",
        "COLUMNS": "200",
    }  # fmt: skip
    database = open_database(Settings(data_dir=data, database_url=migrated_url))
    with transaction(database.sessions) as session:
        registration = accounts.Registration(
            name="Ayu", email="ayu@example.com", password="long enough pw"
        )
        user = accounts.register(session, registration, "en")
        dataset = add_dataset(session, user.id, "EURUSD_H1.csv", "EURUSD", "H1", stored_bars(BARS))
        ids = [
            bots.add_bot(session, user.id, {"name": f"bot {n}", "market": "EURUSD", **fields}).id
            for n, fields in enumerate(BOTS)
        ]
        dataset_id = dataset.id
    yield env, database, ids, dataset_id
    database.engine.dispose()


def start(database: Database, bot_ids: list[int], dataset_id: int) -> None:
    with transaction(database.sessions) as session:
        for bot_id in bot_ids:
            user_id = session.get(Bot, bot_id).user_id
            paper_bots.start_bot(session, user_id, bot_id, dataset_id, SECONDS_PER_BAR)


def launch(env: dict[str, str], log: Path) -> Supervisor:
    with log.open("wb") as out:
        process = subprocess.Popen([*CLI, "bots", "run"], env=env, stdout=out, stderr=out)
    return Supervisor(process, log)


def wait_for_holders(supervisors: list[Supervisor]) -> None:
    """Each supervisor's lease holder name, from the line it prints before it claims."""
    for _ in range(600):
        for supervisor in supervisors:
            found = re.search(r"supervisor (\S+) running bots", supervisor.output())
            if found:
                supervisor.holder = found.group(1)
            assert supervisor.process.poll() is None, supervisor.output()
        if all(s.holder for s in supervisors):
            return
        time.sleep(0.05)
    raise AssertionError([s.output() for s in supervisors])


def sample(database: Database, bot_ids: list[int]) -> Sample:
    with transaction(database.readers) as session:
        rows = session.execute(
            select(Bot.id, Bot.status, Bot.lease_holder, PaperAccount.bar_index)
            .outerjoin(PaperAccount, PaperAccount.bot_id == Bot.id)
            .where(Bot.id.in_(bot_ids))
        ).all()
    return Sample({i: (BotStatus(s), h, -1 if b is None else b) for i, s, h, b in rows})


def test_two_supervisors_one_killed_each_bot_runs_once_to_its_end(setup) -> None:
    """Six bots started while two supervisors poll; the one holding more is SIGKILLed early
    in the replays; the survivor finishes every bot as the backtest trades it."""
    env, database, ids, dataset_id = setup
    logs = Path(env["TRADELOOP_DATA_DIR"])
    logs.mkdir(parents=True, exist_ok=True)
    supervisors = [launch(env, logs / f"supervisor-{n}.log") for n in range(2)]
    samples: list[Sample] = []
    try:
        wait_for_holders(supervisors)
        holders = {s.holder for s in supervisors}
        assert len(holders) == 2
        # both poll for bots to claim: either may take each half (half a poll apart)
        start(database, ids[:3], dataset_id)
        time.sleep(0.25)
        start(database, ids[3:], dataset_id)

        def look() -> Sample:
            seen = sample(database, ids)
            samples.append(seen)
            for bot_id, (_status, holder, _bar) in seen.bots.items():
                assert holder is None or holder in holders, (bot_id, holder, holders)
            return seen

        # both run until every bot is held and well into its replay, far from its end
        for _ in range(1200):
            seen = look()
            assert all(s.process.poll() is None for s in supervisors), [
                s.output() for s in supervisors
            ]
            if all(h is not None and b >= 40 for _s, h, b in seen.bots.values()):
                break
            time.sleep(0.05)
        else:
            raise AssertionError(f"the bots did not all run: {samples[-1]}")
        # the one holding more bots dies; the other takes them over
        victim, survivor = sorted(supervisors, key=lambda s: -len(seen.held_by(s.holder)))
        orphans = seen.held_by(victim.holder)
        victim.process.kill()
        victim.process.wait(timeout=10)
        killed_at = {i: seen.bots[i][2] for i in orphans}
        assert orphans and all(bar < LAST // 2 for bar in killed_at.values()), seen
        after_kill = len(samples)

        for _ in range(2400):  # every bot to the end of its replay
            seen = look()
            assert survivor.process.poll() is None, survivor.output()
            if all(s in OVER for s, _h, _b in seen.bots.values()):
                break
            time.sleep(0.05)
        else:
            raise AssertionError(f"the bots did not all end: {samples[-1]}")
    finally:
        for supervisor in supervisors:
            if supervisor.process.poll() is None:
                supervisor.process.terminate()
                supervisor.process.wait(timeout=20)
    assert survivor.process.returncode == 0, survivor.output()  # stopped by SIGTERM, cleanly

    final = sample(database, ids)  # both gone: none in error, none leased to the dead one
    assert {i: s for i, (s, _h, _b) in final.bots.items()} == dict.fromkeys(
        ids, BotStatus.PAUSED
    ), survivor.output()
    assert {h for _s, h, _b in final.bots.values()} <= {None, survivor.holder}
    for bot_id in ids:  # each bot's replay only moves forward
        bars = [s.bots[bot_id][2] for s in samples]
        assert bars == sorted(bars), bot_id
    for bot_id in orphans:  # taken over: the survivor held each and ran it to its end
        held = [s.bots[bot_id][1] for s in samples[after_kill:]]
        assert survivor.holder in held, (bot_id, held)
        # the dead holder's lease lapses once; it is never seen again after the survivor's
        assert victim.holder not in held[held.index(survivor.holder) :], (bot_id, held)
    counts = [check_trades(database, bot_id, BARS) for bot_id in ids]
    assert min(counts) > 5 and sum(counts) > 60
