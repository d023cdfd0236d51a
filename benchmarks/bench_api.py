"""API figures: sign-in cost (argon2id) and authenticated list requests per second."""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from fastapi.testclient import TestClient

from tradeloop.app import create_app
from tradeloop.config import Settings
from tradeloop.security import hash_password, verify_password
from tradeloop.store import migrate
from tradeloop.store.db import make_engine

PASSWORD = "benchmark password"


def _timed(action, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return times


def run() -> None:
    """Print the figures."""
    digest = hash_password(PASSWORD)
    verify = _timed(lambda: verify_password(digest, PASSWORD), 20)
    print(f"argon2id verify: median {statistics.median(verify) * 1000:.1f} ms")

    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(data_dir=Path(folder))
        migrate.upgrade(make_engine(settings.effective_database_url))
        with TestClient(create_app(settings)) as client:
            client.post(
                "/api/auth/register",
                json={"name": "B", "email": "b@example.com", "password": PASSWORD},
            )
            token = client.post(
                "/api/auth/token", data={"username": "b@example.com", "password": PASSWORD}
            )
            headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
            for index in range(50):
                body = {"name": f"bot {index}", "market": "EURUSD", "strategy": "ma_crossover"}
                client.post("/api/bots", json=body, headers=headers)
            requests = 500
            start = time.perf_counter()
            for _ in range(requests):
                client.get("/api/bots?limit=50", headers=headers)
            elapsed = time.perf_counter() - start
    print(f"GET /api/bots (50 bots, SQLite, in-process): {requests / elapsed:,.0f} requests/s")
