"""A real server process on each database: an acknowledged write survives the server being
killed (SIGKILL) right after the answer, and a read right after any write sees it."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import alive, children, server_process
from tests.e2e.writes import SETTINGS, WRITES, Account
from tradeloop.market.synthetic import random_walk_bars


def server(data: Path, url: str, **settings: str):
    """A server process on the database at ``url`` (``settings``: more environment)."""
    env = {**os.environ, "TRADELOOP_DATA_DIR": str(data), "TRADELOOP_DATABASE_URL": url}
    env.update({"TRADELOOP_WORKERS": "1", **settings})  # one worker: a quicker start
    env["TRADELOOP_LIMIT_REGISTRATIONS_PER_HOUR"] = "10000"  # many accounts from one address
    return server_process(data, env)


@pytest.fixture
def database(migrated_url: str, tmp_path: Path) -> tuple[Path, str]:
    """A migrated database (SQLite file or PostgreSQL) and a data folder for its server."""
    return tmp_path, migrated_url


def test_acknowledged_writes_survive_a_kill(database: tuple[Path, str]) -> None:
    """Each kind of write, then SIGKILL at once; every later server sees all of them."""
    data, url = database
    account, checks = Account("kill@example.com"), []
    for i, (name, write) in enumerate([("register", None), *WRITES.items()]):
        with server(data, url) as (base, process), httpx.Client(base_url=base) as http:
            if write is None:
                account.register(http)
            else:
                account.sign_in(http)
                for _earlier, check in checks:  # what the previous servers acknowledged
                    check(http, account)
                checks.append((name, write(http, account, i)))
            workers = children(process.pid)
            process.kill()
            process.wait(timeout=10)
        for _ in range(100):  # the worker processes end with the server, never orphaned
            if not alive(workers):
                break
            time.sleep(0.1)
        assert not alive(workers), "worker processes outlived the killed server"
    with server(data, url) as (base, _), httpx.Client(base_url=base) as http:
        account.sign_in(http)
        for _name, check in checks:
            check(http, account)


def test_a_read_right_after_a_write_sees_it(database: tuple[Path, str]) -> None:
    """Every kind of write, read back at once (a new connection each time), many times."""
    data, url = database
    with server(data, url) as (base, _):
        for i in range(20):  # a new account signs in at once, on another connection
            account = Account(f"new{i}@example.com")
            with httpx.Client(base_url=base) as http:
                body = {"name": "N", "email": account.email, "password": account.password}
                assert http.post("/api/auth/register", json=body).status_code == 201
            with httpx.Client(base_url=base) as http:
                account.sign_in(http)
        for round_ in range(3):
            account = Account(f"fresh{round_}@example.com")
            with httpx.Client(base_url=base) as http:
                account.register(http)  # the new account signs in at once
            for i, (name, write) in enumerate(WRITES.items()):
                with httpx.Client(base_url=base) as http:
                    check = write(http, account, i)
                with httpx.Client(base_url=base) as http:
                    try:
                        check(http, account)
                    except AssertionError as exc:
                        raise AssertionError(f"{name}: {exc}") from exc


def _start_jobs(base: str, account: Account, count: int, bars: bytes) -> list[int]:
    with httpx.Client(base_url=base, timeout=60) as http:
        account.sign_in(http)
        return [
            http.post("/api/backtests?background=true", headers=account.headers,
                      data={"strategy": "ma_crossover", "settings": SETTINGS},
                      files={"file": ("EURUSD_H1.csv", bars, "text/csv")}).json()["id"]
            for _ in range(count)
        ]  # fmt: skip


def _ended_jobs(base: str, account: Account, ids: list[int]) -> dict[int, dict]:
    """The jobs once none is active (a silent one turns interrupted), and the stored results
    must be exactly the done jobs' results."""
    with httpx.Client(base_url=base, timeout=60) as http:
        account.sign_in(http)
        for _ in range(300):
            jobs = {i: http.get(f"/api/jobs/{i}", headers=account.headers).json() for i in ids}
            if all(job["state"] not in ("queued", "running") for job in jobs.values()):
                break
            time.sleep(0.1)
        stored = {
            r["id"] for r in http.get("/api/backtests", headers=account.headers).json()["items"]
        }
    done = {job["result"]["id"] for job in jobs.values() if job["state"] == "done"}
    assert stored == done, (jobs, stored)
    return jobs


def test_jobs_end_done_or_interrupted_never_half_stored(database: tuple[Path, str]) -> None:
    """SIGTERM without grace: unfinished jobs are interrupted; with grace: they finish;
    SIGKILL: silent jobs turn interrupted. The stored results are always the done jobs'."""
    data, url = database
    bars = random_walk_bars(60_000, seed=9).to_csv(date_format="%Y-%m-%d %H:%M:%S").encode()
    quick = {"TRADELOOP_WORKERS": "1", "TRADELOOP_JOB_HEARTBEAT_SECONDS": "0.3"}
    account = Account("jobs@example.com")
    with server(data, url, **quick, TRADELOOP_JOB_GRACE_SECONDS="0") as (base, process):
        with httpx.Client(base_url=base) as http:
            account.register(http)
        ids = _start_jobs(base, account, 2, bars)  # one runs, one waits for the worker
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
    with server(data, url, **quick) as (base, process):
        jobs = _ended_jobs(base, account, ids)
        assert jobs[ids[1]]["state"] == "interrupted"
        assert "nothing of it was stored" in jobs[ids[1]]["error"]
        killed = _start_jobs(base, account, 2, bars)
        process.kill()
        process.wait(timeout=10)
    with server(data, url, **quick, TRADELOOP_JOB_GRACE_SECONDS="120") as (base, process):
        jobs = _ended_jobs(base, account, killed)
        assert {job["state"] for job in jobs.values()} == {"interrupted"}
        graced = _start_jobs(base, account, 2, bars)
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=120)
    with server(data, url, **quick) as (base, _):
        jobs = _ended_jobs(base, account, graced)
        assert {job["state"] for job in jobs.values()} == {"done"}
