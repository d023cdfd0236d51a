"""The supervisor in one process: a bot that fails goes into error with an event, and the
other bot runs its replay to the end, its fills stored once each."""

from __future__ import annotations

import asyncio
import time

from fastapi.testclient import TestClient
from sqlalchemy import update

from tests.api.test_isolation import csv_bytes
from tests.conftest import bearer, register, run_async
from tradeloop.core.codes import BotStatus
from tradeloop.services.paper_bots import Supervisor
from tradeloop.store.db import transaction
from tradeloop.store.models import Bot


def test_one_bots_failure_never_stops_another(client: TestClient) -> None:
    register(client, "ayu@example.com")
    headers = bearer(client, "ayu@example.com")
    dataset = client.post(
        "/api/backtests",
        headers=headers,
        data={"strategy": "ma_crossover"},
        files={"file": ("EURUSD_H1.csv", csv_bytes(), "text/csv")},
    ).json()["dataset_id"]
    ids = []
    for name in ("good", "broken"):
        bot = client.post(
            "/api/bots",
            json={"name": name, "market": "EURUSD", "strategy": "ma_crossover"},
            headers=headers,
        ).json()
        started = client.post(
            f"/api/bots/{bot['id']}/start",
            json={"dataset_id": dataset, "seconds_per_bar": 0},
            headers=headers,
        )
        assert started.status_code == 200
        ids.append(bot["id"])
    good, broken = ids
    sessions = client.app.state.tradeloop.sessions
    with transaction(sessions) as session:  # parameters the strategy refuses, stored anyway
        session.execute(
            update(Bot).where(Bot.id == broken).values(strategy_params={"fast_period": -3})
        )

    def statuses() -> dict[int, BotStatus]:
        with transaction(sessions) as session:
            return {bot_id: session.get(Bot, bot_id).status for bot_id in ids}

    async def run() -> None:
        stop = asyncio.Event()
        supervisor = Supervisor(sessions, lease_seconds=5, poll_seconds=0.05)
        task = asyncio.create_task(supervisor.run(stop))
        deadline = time.monotonic() + 180  # however loaded the machine
        while time.monotonic() < deadline:
            if statuses()[good] not in (BotStatus.STARTING, BotStatus.RUNNING):
                break
            await asyncio.sleep(0.05)
        stop.set()
        await task

    run_async(run())
    assert statuses() == {good: BotStatus.PAUSED, broken: BotStatus.ERROR}
    fills = client.get(f"/api/bots/{good}/fills", headers=headers).json()
    assert fills and len({f["client_order_id"] for f in fills}) == len(fills)
    history = client.get(f"/api/bots/{broken}/history", headers=headers).json()["items"]
    assert history[0]["action"] == "BOT_ERROR"
    shown = client.get(f"/api/bots/{broken}", headers=headers).json()
    assert shown["status"] == "error"
    assert shown["status_reason"] == (
        "invalid parameters for ma_crossover: fast_period: Input should be greater than or equal to 2"
    )
    assert shown["status_reason"] in history[0]["text"]
