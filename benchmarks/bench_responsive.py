"""A server stays responsive while it works: 20 users each start a backtest on a 39k-bar file
at the same moment and one uploads a hostile file (a CSV row of 20,000 fields); meanwhile a
probe asks for ``/api/health`` every 50 ms. Health latency percentiles, and how each upload
ended."""

from __future__ import annotations

import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import httpx

from benchmarks.processes import database, percentiles, server, sign_in
from tradeloop.market.synthetic import random_walk_bars

USERS = 20
BARS = 39_000


def _bar_csv() -> bytes:
    bars = random_walk_bars(BARS, seed=3)
    bars.index = bars.index.tz_localize(None)
    return bars.rename(columns=str.capitalize).to_csv(float_format="%.5f").encode()


def _hostile_csv() -> bytes:
    return b"time,open,high,low,close\n" + b",".join([b"1"] * 20_000) + b"\n"


def run() -> dict[str, float]:
    """Print and return health latency (ms, p95) and the outcome counts."""
    data, hostile = _bar_csv(), _hostile_csv()
    with (
        tempfile.TemporaryDirectory() as name,
        database("sqlite", Path(name)) as url,
        server(url, Path(name)) as base,
    ):
        headers = [sign_in(base, f"user{i}@example.com") for i in range(USERS + 1)]
        outcomes: Counter[str] = Counter()
        health: list[float] = []
        done = threading.Event()

        def probe() -> None:
            with httpx.Client(base_url=base, timeout=30) as http:
                while not done.is_set():
                    start = time.perf_counter()
                    http.get("/api/health")
                    health.append(time.perf_counter() - start)
                    time.sleep(0.05)

        def upload(who: dict[str, str], body: bytes, form: dict[str, str]) -> None:
            path = "/api/backtests" if form else "/api/datasets"
            with httpx.Client(base_url=base, headers=who, timeout=600) as http:
                answer = http.post(path, files={"file": ("EURUSD_H1.csv", body)}, data=form)
            outcomes[f"{path} {answer.status_code}"] += 1

        watcher = threading.Thread(target=probe)
        watcher.start()
        time.sleep(0.5)
        form = {"strategy": "ma_crossover", "settings": '{"sl_atr": 2, "tp_atr": 4}'}
        started = time.perf_counter()
        work = [threading.Thread(target=upload, args=(headers[i], data, form))
                for i in range(USERS)]  # fmt: skip
        work.append(threading.Thread(target=upload, args=(headers[USERS], hostile, {})))
        for thread in work:
            thread.start()
        for thread in work:
            thread.join()
        elapsed = time.perf_counter() - started
        done.set()
        watcher.join()
    during = health[10:]
    print(f"responsiveness: {USERS} backtests of {BARS:,} bars at once + a 20,000-field CSV, "
          f"{elapsed:.1f} s (goal: all succeed, health < 100 ms meanwhile)")  # fmt: skip
    print(f"  /api/health  {percentiles(during)}  max {max(during) * 1000:.1f} ms  "
          f"({len(during)} probes)")  # fmt: skip
    print("  uploads      " + ", ".join(f"{k}: {v}" for k, v in sorted(outcomes.items())))
    return {"health_max_ms": max(during) * 1000, **{k: float(v) for k, v in outcomes.items()}}
