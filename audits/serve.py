"""A real ``tradeloop serve`` process for the audit: a fresh data directory (SQLite) or a
scratch PostgreSQL database, its stdout and stderr kept apart in files, settings from the
environment."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tradeloop.store.db import scratch_database

CLI = [sys.executable, "-m", "tradeloop.cli.main"]
PG_SERVER = os.environ.get(
    "TRADELOOP_AUDIT_PG_URL",
    os.environ.get(
        "TRADELOOP_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    ),
)
# Abuse limits at their highest allowed values: a flood of generated requests would otherwise
# be answered 429 (the settings refuse more than 100,000 an hour and 1,000 failures).
HIGH_LIMITS = {
    "TRADELOOP_LIMIT_REGISTRATIONS_PER_HOUR": "100000",
    "TRADELOOP_LIMIT_UPLOADS_PER_HOUR": "100000",
    "TRADELOOP_LIMIT_BACKTESTS_PER_HOUR": "100000",
    "TRADELOOP_LIMIT_CHAT_PER_HOUR": "100000",
    "TRADELOOP_LOGIN_MAX_FAILURES": "1000",
}


@dataclass(frozen=True)
class Served:
    """A running server: its base URL, data directory, database URL and log files."""

    base: str
    data: Path
    database_url: str
    stdout: Path
    stderr: Path
    process: subprocess.Popen


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def database(kind: str, data: Path) -> Iterator[str]:
    """A fresh database URL: the SQLite file of ``data`` or a scratch PostgreSQL database
    (dropped afterwards)."""
    if kind == "sqlite":
        yield f"sqlite:///{(data / 'tradeloop.db').resolve()}"
        return
    yield from scratch_database(PG_SERVER, "tradeloop_audit")


def environment(data: Path, url: str, **settings: str) -> dict[str, str]:
    """The process environment: this one's without other TRADELOOP_ settings, plus ``data``,
    ``url`` and ``settings`` (names as the variables are spelt)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRADELOOP_")}
    return {**env, "TRADELOOP_DATA_DIR": str(data), "TRADELOOP_DATABASE_URL": url, **settings}


@contextmanager
def server(data: Path, url: str, workers: int = 1, **settings: str) -> Iterator[Served]:
    """Migrate ``url`` and serve it with ``workers`` processes; yields the running server and
    stops it (SIGTERM) afterwards."""
    data.mkdir(parents=True, exist_ok=True)
    env = environment(data, url, **settings)
    subprocess.run([*CLI, "db", "upgrade"], env=env, check=True, capture_output=True)
    port = free_port()
    stdout = data.parent / f"{data.name}.stdout.log"
    stderr = data.parent / f"{data.name}.stderr.log"
    with stdout.open("ab") as out, stderr.open("ab") as err:
        process = subprocess.Popen(
            [*CLI, "serve", "--port", str(port), "--workers", str(workers)],
            env=env, stdout=out, stderr=err,
        )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(1200):
            if process.poll() is not None:
                raise RuntimeError(f"server ended: {stderr.read_text()[-3000:]}")
            try:
                if httpx.get(f"{base}/api/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        else:
            raise RuntimeError(f"server did not answer: {stderr.read_text()[-3000:]}")
        yield Served(base, data, url, stdout, stderr, process)
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
