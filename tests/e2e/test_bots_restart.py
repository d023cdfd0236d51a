"""A paper bot's supervisor killed with SIGKILL at random points and started again: the bot
resumes, and in the end its stored fills are exactly the backtest's trades of the same bars
(no duplicate order, no lost fill) and its account is flat with the backtest's equity."""

from __future__ import annotations

import os
import random
import subprocess
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.e2e.bot_checks import check_trades
from tests.e2e.conftest import CLI
from tradeloop.config import Settings
from tradeloop.core.codes import BotStatus
from tradeloop.market.readers import stored_bars
from tradeloop.market.synthetic import random_walk_bars
from tradeloop.services import bots, paper_bots
from tradeloop.services.database import open_database
from tradeloop.store.datasets import add_dataset
from tradeloop.store.db import transaction
from tradeloop.store.models import Bot, PaperAccount, User

BARS = random_walk_bars(5000, seed=21)
KILLS = 6


@pytest.fixture
def setup(tmp_path: Path) -> tuple[dict[str, str], object, int]:
    data = tmp_path / "data"
    env = {**os.environ, "TRADELOOP_DATA_DIR": str(data), "TRADELOOP_BOT_LEASE_SECONDS": "0.5"}
    env.pop("TRADELOOP_DATABASE_URL", None)
    for command in (
        ["db", "upgrade"],
        ["user", "create", "ayu@example.com", "--name", "Ayu", "--password", "long enough pw"],
    ):
        subprocess.run([*CLI, *command], env=env, check=True, capture_output=True)
    database = open_database(Settings(data_dir=data))
    with transaction(database.sessions) as session:
        user = session.scalar(select(User).where(User.email == "ayu@example.com"))
        dataset = add_dataset(session, user.id, "EURUSD_H1.csv", "EURUSD", "H1", stored_bars(BARS))
        bot = bots.add_bot(
            session, user.id,
            {"name": "paper", "market": "EURUSD", "strategy": "ma_crossover",
             "strategy_params": {"fast_period": 5, "slow_period": 20}, "sl_pips": 20,
             "tp_pips": 40, "lot_size": 0.1},
        )  # fmt: skip
        paper_bots.start_bot(session, user.id, bot.id, dataset.id, 0.0)
        bot_id = bot.id
    return env, database, bot_id


def progress(database, bot_id: int) -> tuple[int, BotStatus]:
    with transaction(database.sessions) as session:
        account = session.get(PaperAccount, bot_id)
        return (-1 if account is None else account.bar_index), session.get(Bot, bot_id).status


def test_sigkill_at_random_points_loses_and_repeats_nothing(setup) -> None:
    env, database, bot_id = setup
    rng = random.Random(5)
    seen = []
    for _ in range(KILLS):  # kill the supervisor while the bot is mid-replay, many times
        process = subprocess.Popen([*CLI, "bots", "run"], env=env, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)  # fmt: skip
        before = seen[-1] if seen else -1
        for _ in range(600):  # once it is trading again (however slow the start), at a random point
            if progress(database, bot_id)[0] > before:
                break
            time.sleep(0.05)
        time.sleep(rng.uniform(0.0, 0.6))
        process.kill()
        process.wait()
        seen.append(progress(database, bot_id)[0])
    assert seen == sorted(seen) and seen[0] > 0 and seen[-1] < len(BARS) - 1  # resumed each time
    process = subprocess.Popen([*CLI, "bots", "run"], env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        for _ in range(600):
            bar, status = progress(database, bot_id)
            if status is BotStatus.PAUSED:
                break
            time.sleep(0.1)
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert (bar, status) == (len(BARS) - 1, BotStatus.PAUSED)

    assert check_trades(database, bot_id, BARS) > 20  # fills, events, account: the backtest's
