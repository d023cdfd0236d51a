"""Whole processes for the benchmarks: a command's CPU and wall time, a server on a database
(SQLite file or a fresh PostgreSQL database) with one or more workers, and percentiles."""

from __future__ import annotations

import os
import resource
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import numpy as np

CLI = [sys.executable, "-m", "tradeloop.cli.main"]
PASSWORD = "benchmark password"
PG_SERVER = os.environ.get("TRADELOOP_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432")


def measure(command: list[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    """Run ``command`` to its end (its output discarded); its CPU seconds (user + system,
    children included) and wall seconds."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(
        command, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, wall


def best_of(
    runs: int, command: list[str], env: dict[str, str] | None = None
) -> tuple[float, float]:
    """The run with the least CPU time of ``runs`` (the first run warms caches)."""
    return min((measure(command, env) for _ in range(runs)), key=lambda figures: figures[0])


def percentiles(seconds: list[float]) -> str:
    """p50/p95/p99 in milliseconds."""
    if not seconds:
        return "p50 — p95 — p99 —"
    p50, p95, p99 = np.percentile(np.array(seconds) * 1000, [50, 95, 99])
    return f"p50 {p50:6.1f} ms  p95 {p95:7.1f} ms  p99 {p99:7.1f} ms"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def postgres_available() -> bool:
    """Whether the benchmark PostgreSQL server answers."""
    import sqlalchemy

    try:
        engine = sqlalchemy.create_engine(f"{PG_SERVER}/postgres")
        with engine.connect():
            return True
    except Exception:
        return False


@contextmanager
def database(kind: str, folder: Path) -> Iterator[str]:
    """A fresh, migrated database: a SQLite file in ``folder`` or a new PostgreSQL database
    (dropped afterwards)."""
    import sqlalchemy

    if kind == "sqlite":
        url = f"sqlite:///{folder / 'bench.db'}"
        _migrate(url, folder)
        yield url
        return
    name = f"tradeloop_bench_{os.getpid()}"
    admin = sqlalchemy.create_engine(f"{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {name}")
        connection.exec_driver_sql(f"CREATE DATABASE {name}")
    try:
        url = f"{PG_SERVER}/{name}"
        _migrate(url, folder)
        yield url
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.dispose()


def _environment(url: str, folder: Path, **settings: str) -> dict[str, str]:
    extra = {f"TRADELOOP_{name.upper()}": value for name, value in settings.items()}
    return {**os.environ, "TRADELOOP_DATA_DIR": str(folder), "TRADELOOP_DATABASE_URL": url, **extra}


def _migrate(url: str, folder: Path) -> None:
    subprocess.run([*CLI, "db", "upgrade"], env=_environment(url, folder), check=True,
                   capture_output=True)  # fmt: skip


@contextmanager
def server(url: str, folder: Path, workers: int = 1, **settings: str) -> Iterator[str]:
    """``tradeloop serve`` with ``workers`` processes on ``url``; yields its base URL."""
    port = _free_port()
    log = (folder / "server.log").open("a")
    process = subprocess.Popen(
        [*CLI, "serve", "--port", str(port), "--workers", str(workers)],
        env=_environment(url, folder, **settings), stdout=log, stderr=log,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                if httpx.get(f"{base}/api/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        else:
            raise RuntimeError((folder / "server.log").read_text()[-2000:])
        time.sleep(0.5 * (workers - 1))  # every worker up, not only the first
        yield base
    finally:
        process.terminate()
        process.wait(timeout=60)
        log.close()


def sign_in(base: str, email: str) -> dict[str, str]:
    """Register ``email`` and return its bearer header."""
    with httpx.Client(base_url=base, timeout=60) as http:
        http.post("/api/auth/register", json={"name": "B", "email": email, "password": PASSWORD})
        answer = http.post("/api/auth/token", data={"username": email, "password": PASSWORD})
        return {"Authorization": f"Bearer {answer.json()['access_token']}"}
