"""An attacker's 1,000 wrong passwords from other addresses never keep the owner out, and the
limits hold across two server processes (``tradeloop serve --workers 2``): the count lives in
the database."""

from __future__ import annotations

import math
import os
import re
import sqlite3
import subprocess
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from tests.conftest import PASSWORD
from tests.e2e.conftest import CLI, _free_port, alive, children

ATTEMPTS = 1000
TIMEOUT = 60.0  # seconds per request: a loaded machine checks passwords slowly
OWNER = "owner@example.com"


def _start(data: Path, env: dict[str, str]) -> tuple[str, subprocess.Popen]:
    port = _free_port()
    log = (data / "server.log").open("a")
    process = subprocess.Popen(
        [*CLI, "serve", "--port", str(port), "--workers", "2"], env=env, stdout=log, stderr=log
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            if httpx.get(f"{base}/api/health", timeout=1).status_code == 200:
                return base, process
        except httpx.HTTPError:
            time.sleep(0.1)
    process.terminate()
    raise RuntimeError((data / "server.log").read_text())


def _owner_signs_in(base: str) -> httpx.Client:
    """The owner's browser: signs in once through the form (and keeps its device cookie)."""
    browser = httpx.Client(
        base_url=base, headers={"X-Forwarded-For": "203.0.113.7"}, timeout=TIMEOUT
    )
    assert _form_sign_in(browser) == 303
    assert "tl_device" in browser.cookies
    return browser


def _form_sign_in(browser: httpx.Client) -> int:
    browser.cookies.delete("tl_session")
    page = browser.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    answer = browser.post(
        "/login", data={"csrf_token": token, "email": OWNER, "password": PASSWORD, "next": "/"}
    )
    return answer.status_code


def run_lockout(data: Path, attempts: int = ATTEMPTS) -> dict[str, object]:
    """Serve two workers on SQLite in ``data``, attack, and return what happened."""
    env = {
        **os.environ,
        "TRADELOOP_DATA_DIR": str(data),
        "TRADELOOP_TRUSTED_PROXIES": "127.0.0.1",
        "TRADELOOP_SERVE_BOTS": "false",
        "TRADELOOP_WORKERS": "1",
    }
    env.pop("TRADELOOP_DATABASE_URL", None)
    subprocess.run([*CLI, "db", "upgrade"], env=env, check=True, capture_output=True)
    base, process = _start(data, env)
    try:
        workers = {
            pid
            for pid in alive(children(process.pid))
            if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()
        }
        with httpx.Client(base_url=base, timeout=TIMEOUT) as setup:
            created = setup.post(
                "/api/auth/register", json={"name": "Owner", "email": OWNER, "password": PASSWORD}
            )
            assert created.status_code == 201, created.text
        owner = _owner_signs_in(base)
        answers: Counter[int] = Counter()
        owner_answers: Counter[int] = Counter()
        started = time.monotonic()

        def guess(n: int) -> int:
            address = f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}"
            with httpx.Client(
                base_url=base, headers={"X-Forwarded-For": address}, timeout=TIMEOUT
            ) as attacker:
                return attacker.post(
                    "/api/auth/token", data={"username": OWNER, "password": f"guess {n}!"}
                ).status_code

        with ThreadPoolExecutor(8) as pool:
            for batch in range(0, attempts, 100):
                answers.update(pool.map(guess, range(batch, min(batch + 100, attempts))))
                owner_answers[_form_sign_in(owner)] += 1  # the owner, between the guesses
        elapsed = time.monotonic() - started
        owner.close()
        with sqlite3.connect(data / "tradeloop.db") as db:
            counted = db.execute(
                "SELECT hits FROM throttles WHERE key = ?", (f"sign-in:account:{OWNER}",)
            ).fetchone()
            audited = db.execute(
                "SELECT count(*) FROM audit_events WHERE action = 'sign_in_failed'"
            ).fetchone()[0]
        return {
            "workers": len(workers),
            "attempts": attempts,
            "answers": dict(answers),
            "owner": dict(owner_answers),
            "seconds": elapsed,
            "account_hits": counted[0] if counted else 0,
            "audited_failures": audited,
        }
    finally:
        process.terminate()
        process.wait(timeout=60)


def test_a_thousand_guesses_never_keep_the_owner_out_across_two_workers(tmp_path: Path) -> None:
    found = run_lockout(tmp_path)
    assert found["workers"] == 2
    assert found["owner"] == {303: ATTEMPTS // 100}  # every sign-in of the owner went through
    answers = found["answers"]
    assert set(answers) <= {401, 429} and sum(answers.values()) == ATTEMPTS
    # 5 free failures, then one a wait of 1 s, 2 s, 4 s… allows: a bound for the run's length
    allowed = answers.get(401, 0)
    assert 5 <= allowed <= 5 + math.ceil(math.log2(found["seconds"] + 1)) + 1
    # one count for both processes: every refused-or-not guess that reached the password check
    # was counted once in the database, and audited once
    assert found["account_hits"] == allowed == found["audited_failures"]
