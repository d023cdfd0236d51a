"""The compose topology as processes: ``tests/e2e/test_production_topology.py`` run by pytest
in a process of its own (PostgreSQL from TRADELOOP_TEST_PG_URL, or the local server)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

from audits.report import Section

ROOT = Path(__file__).resolve().parents[1]
TEST = "tests/e2e/test_production_topology.py"
LOCAL_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def run() -> list[Section]:
    """The figures."""
    section = Section("topology: two web workers, PostgreSQL, one bot supervisor (processes)")
    env = {**os.environ}
    env.setdefault("TRADELOOP_TEST_PG_URL", LOCAL_PG)
    started = time.monotonic()
    ran = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:xdist", "-p", "no:cacheprovider", "-q",
         "-rs", TEST],
        cwd=ROOT, env=env, capture_output=True, text=True,
    )  # fmt: skip
    seconds = time.monotonic() - started
    tail = ran.stdout.strip().splitlines()[-1] if ran.stdout.strip() else ran.stderr[-300:]
    counts = {word: int(n) for n, word in re.findall(r"(\d+) (passed|failed|skipped|error)", tail)}
    passed = ran.returncode == 0 and counts.get("passed", 0) > 0 and not counts.get("skipped")
    section.add("pytest " + TEST, tail, "passed, none skipped", passed)
    section.add("seconds", f"{seconds:,.0f}")
    section.notes.append(f"PostgreSQL: {env['TRADELOOP_TEST_PG_URL'].split('@')[-1]}")
    if not passed:
        section.notes.append(ran.stdout[-3000:])
    return [section]
