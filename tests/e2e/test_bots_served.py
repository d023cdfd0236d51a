"""``tradeloop serve`` runs the paper bots its users start: a bot started over the API on a
replay of an uploaded dataset trades to the end of it, with its fills and notifications,
and nothing else has to be started."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import httpx

from tests.api.test_backtests import csv_bytes
from tests.conftest import bearer, register
from tests.e2e.conftest import CLI, serving


def test_a_bot_started_over_the_api_trades_in_the_served_app(tmp_path: Path) -> None:
    data = tmp_path / "data"
    env = {**os.environ, "TRADELOOP_DATA_DIR": str(data)}
    env.pop("TRADELOOP_DATABASE_URL", None)
    subprocess.run([*CLI, "db", "upgrade"], env=env, check=True, capture_output=True)
    with serving(data, env) as base, httpx.Client(base_url=base, timeout=30) as client:
        register(client, "ayu@example.com")
        headers = bearer(client, "ayu@example.com")  # type: ignore[arg-type]
        uploaded = client.post(
            "/api/backtests",
            headers=headers,
            data={"strategy": "ma_crossover"},
            files={"file": ("EURUSD_H1.csv", csv_bytes(800), "text/csv")},
        ).json()
        bot = client.post(
            "/api/bots",
            json={"name": "Paper", "market": "EURUSD", "strategy": "ma_crossover",
                  "strategy_params": {"fast_period": 5, "slow_period": 20}},
            headers=headers,
        ).json()  # fmt: skip
        started = client.post(
            f"/api/bots/{bot['id']}/start",
            json={"dataset_id": uploaded["dataset_id"], "seconds_per_bar": 0},
            headers=headers,
        )
        assert started.status_code == 200 and started.json()["status"] == "starting"
        for _ in range(300):  # the served app's supervisor replays the 800 bars
            shown = client.get(f"/api/bots/{bot['id']}", headers=headers).json()["status"]
            if shown not in ("starting", "running"):
                break
            time.sleep(0.1)
        assert client.get(f"/api/bots/{bot['id']}", headers=headers).json()["status"] == "paused"
        fills = client.get(f"/api/bots/{bot['id']}/fills", headers=headers).json()
        entries = [f for f in fills if f["reason"] == "entry"]
        assert entries and len(fills) == 2 * len(entries)  # every position closed by the end
        notified = client.get("/api/notifications", headers=headers).json()["items"]
        actions = {n["action"] for n in notified}
        assert {"POSITION_OPENED", "POSITION_CLOSED"} <= actions
