"""A real server process on each database: an acknowledged write survives the server being
killed (SIGKILL) right after the answer, and a read right after any write sees it."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import CLI, alive, children, server_process
from tests.journal.helpers import export, fill

PASSWORD = "correct horse battery"


def server(data: Path, url: str):
    """A server process on the database at ``url``."""
    env = {**os.environ, "TRADELOOP_DATA_DIR": str(data), "TRADELOOP_DATABASE_URL": url}
    return server_process(data, env)


@pytest.fixture
def database(db_url: str, tmp_path: Path) -> tuple[Path, str]:
    """A migrated database (SQLite file or PostgreSQL) and a data folder for its server."""
    env = {**os.environ, "TRADELOOP_DATA_DIR": str(tmp_path), "TRADELOOP_DATABASE_URL": db_url}
    subprocess.run([*CLI, "db", "upgrade"], env=env, check=True, capture_output=True)
    return tmp_path, db_url


def signed_in(base: str, email: str) -> dict[str, str]:
    with httpx.Client(base_url=base) as http:
        http.post("/api/auth/register", json={"name": "K", "email": email, "password": PASSWORD})
        token = http.post("/api/auth/token", data={"username": email, "password": PASSWORD})
        return {"Authorization": f"Bearer {token.json()['access_token']}"}


def test_acknowledged_writes_survive_a_kill(database: tuple[Path, str]) -> None:
    data, url = database
    acknowledged: list[tuple[str, int]] = []
    with server(data, url) as (base, _):
        headers = signed_in(base, "kill@example.com")
    for i in range(6):  # each time: one write, its 201, then SIGKILL at once
        with server(data, url) as (base, process):
            if i % 2:
                orders = export(
                    fill(1, "09:00:00", "Buy", 1, 100 + i), fill(2, "09:05:00", "Sell", 1, 101 + i)
                )
                answer = httpx.post(f"{base}/api/journal/imports", headers=headers,
                                    files={"file": (f"o{i}.csv", orders, "text/csv")}, data={"tz": "UTC"})  # fmt: skip
                kind = "journal/imports"
            else:
                bot = {"name": f"bot {i}", "market": "EURUSD", "strategy": "ma_crossover"}
                answer = httpx.post(f"{base}/api/bots", headers=headers, json=bot)
                kind = "bots"
            assert answer.status_code == 201, answer.text
            workers = children(process.pid)
            process.kill()
            process.wait(timeout=10)
            for _ in range(100):  # the worker processes end with the server, never orphaned
                if not alive(workers):
                    break
                time.sleep(0.1)
            assert not alive(workers), "worker processes outlived the killed server"
            body = answer.json()
            acknowledged.append(
                (kind, body["import"]["id"] if kind == "journal/imports" else body["id"])
            )
    with server(data, url) as (base, _):
        for kind, object_id in acknowledged:
            listed = httpx.get(f"{base}/api/{kind}", headers=headers).json()["items"]
            assert object_id in {item["id"] for item in listed}, (kind, object_id)


def test_a_read_right_after_a_write_sees_it(database: tuple[Path, str]) -> None:
    data, url = database
    with server(data, url) as (base, _), httpx.Client(base_url=base) as http:
        for i in range(15):
            email = f"fresh{i}@example.com"
            made = http.post(
                "/api/auth/register", json={"name": "K", "email": email, "password": PASSWORD}
            )
            assert made.status_code == 201
            token = http.post("/api/auth/token", data={"username": email, "password": PASSWORD})
            assert token.status_code == 200  # the new account signs in at once
            headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
            bot = http.post(
                "/api/bots",
                headers=headers,
                json={"name": "b", "market": "EURUSD", "strategy": "ma_crossover"},
            )
            assert http.get(f"/api/bots/{bot.json()['id']}", headers=headers).status_code == 200
            assert http.delete(f"/api/bots/{bot.json()['id']}", headers=headers).status_code == 204
            assert http.get(f"/api/bots/{bot.json()['id']}", headers=headers).status_code == 404
