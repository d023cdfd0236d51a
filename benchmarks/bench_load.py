"""The journal API under load, as a real server: a 10k-trade journal imported through the
API, then 50 clients, each pausing 0.5 s between requests, asking for the summary, a page of
trades and the calendar for a while. Latency percentiles, requests served per second and
errors, on SQLite and on PostgreSQL, with one and with two server processes."""

from __future__ import annotations

import random
import tempfile
import threading
import time
from pathlib import Path

import httpx

from benchmarks.processes import database, percentiles, postgres_available, server, sign_in
from tradeloop.journal.synthetic import synthetic_export

CLIENTS = 50
PAUSE = 0.5
SECONDS = 20
TRADES = 10_000
PATHS = {
    "summary": lambda: "/api/journal/summary",
    "trades page": lambda: f"/api/journal/trades?limit=50&offset={random.randrange(0, 9_950)}",
    "calendar": lambda: "/api/journal/calendar",
}


def _client(base: str, headers: dict[str, str], until: float, found: dict, lock) -> None:
    names = list(PATHS)
    random.shuffle(names)
    time.sleep(random.uniform(0, PAUSE))  # clients arrive over the first pause, not at once
    with httpx.Client(base_url=base, headers=headers, timeout=60) as http:
        turn = 0
        while time.perf_counter() < until:
            name = names[turn % len(names)]
            turn += 1
            start = time.perf_counter()
            try:
                ok = http.get(PATHS[name]()).status_code == 200
            except httpx.HTTPError:
                ok = False
            took = time.perf_counter() - start
            with lock:
                found[name if ok else "errors"].append(took)
            time.sleep(PAUSE)


def load(base: str) -> dict[str, list[float]]:
    """Import the journal, run the clients; latencies by endpoint (and of errors)."""
    headers = sign_in(base, "load@example.com")
    export = synthetic_export(TRADES, seed=7)
    with httpx.Client(base_url=base, headers=headers, timeout=300) as http:
        answer = http.post("/api/journal/imports", files={"file": ("orders.csv", export)},
                           data={"tz": "UTC"})  # fmt: skip
        answer.raise_for_status()
    found: dict[str, list[float]] = {name: [] for name in [*PATHS, "errors"]}
    lock = threading.Lock()
    until = time.perf_counter() + SECONDS
    threads = [
        threading.Thread(target=_client, args=(base, headers, until, found, lock))
        for _ in range(CLIENTS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return found


def run() -> dict[str, float]:
    """Print the figures of each database and worker count; return requests/s of each."""
    kinds = ["sqlite", "postgresql"] if postgres_available() else ["sqlite"]
    if len(kinds) == 1:
        print("  (PostgreSQL not reachable: set TRADELOOP_BENCH_PG_URL to include it)")
    figures = {}
    print(f"journal API: {TRADES:,}-trade journal, {CLIENTS} clients pausing {PAUSE} s, "
          f"{SECONDS} s (goal ≈ 100 req/s, p95 < 100 ms, 0 errors)")  # fmt: skip
    for kind in kinds:
        for workers in (1, 2):
            with (
                tempfile.TemporaryDirectory() as name,
                database(kind, Path(name)) as url,
                server(url, Path(name), workers, max_journal_upload_bytes="16777216") as base,
            ):
                found = load(base)
            served = [t for key, times in found.items() if key != "errors" for t in times]
            rate = len(served) / SECONDS
            figures[f"{kind}_{workers}"] = rate
            processes = f"{workers} process{'es' if workers > 1 else '  '}"
            print(f"  {kind:<10} {processes}  {rate:6.1f} req/s  {percentiles(served)}  "
                  f"errors {len(found['errors'])}")  # fmt: skip
            for endpoint in PATHS:
                print(f"      {endpoint:<12} {percentiles(found[endpoint])}")
    return figures
