"""A real server stays responsive while uploads are parsed and backtested: another client's
requests complete before a long upload does (by the order of answers, not by a clock), hostile
files are refused by a parser limit, and a user's excess work is answered 429."""

from __future__ import annotations

import os
import subprocess
import threading
from pathlib import Path

import httpx
import numpy as np
import pandas as pd
import pytest

from tests.e2e.conftest import CLI, server_process

PASSWORD = "correct horse battery"


@pytest.fixture
def running(tmp_path: Path) -> tuple[str, dict[str, str]]:
    env = {**os.environ, "TRADELOOP_DATA_DIR": str(tmp_path), "TRADELOOP_USER_JOBS": "1"}
    env.pop("TRADELOOP_DATABASE_URL", None)
    subprocess.run([*CLI, "db", "upgrade"], env=env, check=True, capture_output=True)
    with server_process(tmp_path, env) as (base, _):
        with httpx.Client(base_url=base) as http:
            http.post(
                "/api/auth/register",
                json={"name": "R", "email": "r@example.com", "password": PASSWORD},
            )
            token = http.post(
                "/api/auth/token", data={"username": "r@example.com", "password": PASSWORD}
            )
        yield base, {"Authorization": f"Bearer {token.json()['access_token']}"}


def bars_csv(rows: int) -> bytes:
    times = pd.date_range("2000-01-03", periods=rows, freq="h")
    close = (1.1 + np.cumsum(np.random.default_rng(1).normal(0, 0.0005, rows))).round(5)
    frame = pd.DataFrame({"time": times.strftime("%Y.%m.%d %H:%M"), "open": close, "high": close + 0.001,
                          "low": close - 0.001, "close": close, "volume": 100})  # fmt: skip
    return frame.to_csv(index=False).encode()


def test_other_requests_are_answered_while_a_long_upload_runs(running) -> None:
    base, headers = running
    answers: list[str] = []
    data = bars_csv(300_000)

    def upload() -> None:
        response = httpx.post(f"{base}/api/backtests", headers=headers, timeout=120,
                              files={"file": ("EURUSD_H1.csv", data, "text/csv")},
                              data={"strategy": "ma_crossover", "settings": '{"sl_atr": 2, "tp_atr": 3}'})  # fmt: skip
        answers.append(f"upload {response.status_code}")

    worker = threading.Thread(target=upload)
    worker.start()
    while worker.is_alive() and not any(a.startswith("upload") for a in answers):
        status = httpx.get(f"{base}/api/health", timeout=30).status_code
        answers.append(f"health {status}")
        if sum(a.startswith("health") for a in answers) >= 3:
            break
    worker.join(timeout=120)
    assert answers[:3] == ["health 200"] * 3, answers  # three answers before the upload's
    assert answers[-1] == "upload 201", answers


def test_a_users_excess_work_is_answered_429_and_hostile_files_a_limit(running) -> None:
    base, headers = running  # this server lets a user run one import or backtest at a time
    data, answers = bars_csv(300_000), []

    def upload() -> None:
        answers.append(httpx.post(f"{base}/api/backtests", headers=headers, timeout=120,
                                  files={"file": ("EURUSD_H1.csv", data, "text/csv")},
                                  data={"strategy": "ma_crossover"}))  # fmt: skip

    uploads = [threading.Thread(target=upload) for _ in range(3)]
    for thread in uploads:
        thread.start()
    for thread in uploads:
        thread.join(timeout=120)
    statuses = sorted(a.status_code for a in answers)
    assert statuses[0] == 201 and statuses[-1] == 429, statuses
    busy = next(a for a in answers if a.status_code == 429)
    assert (
        busy.headers["Retry-After"] == "5"
        and "imports or backtests running" in busy.json()["message"]
    )
    wide = ",".join(f"c{i}" for i in range(20_000)) + "\n"
    refused = httpx.post(f"{base}/api/journal/imports", headers=headers,
                         files={"file": ("wide.csv", wide.encode(), "text/csv")})  # fmt: skip
    assert refused.status_code == 422 and refused.json()["message"].startswith(
        "the header has 20000 columns"
    )
