"""A real server process and headless Debian Chromium driven by Playwright."""

from __future__ import annotations

import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.fake_llm import FakeLLM, fake_llm_server

CHROMIUM = "/usr/bin/chromium"
DEMO_AS_LOADED = "demo-as-loaded.db"  # copy of the database right after ``demo load``
CLI = [sys.executable, "-m", "tradeloop.cli.main"]
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def demo_output(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str], str]:
    """What ``make run`` does before serving: migrate and load demo data (its printout); a copy
    of the database as loaded is kept as ``DEMO_AS_LOADED`` in the data folder."""
    data = tmp_path_factory.mktemp("server-data")
    # the browser tests register many accounts from one address: above the hourly limit
    env = {**os.environ, "TRADELOOP_DATA_DIR": str(data)}
    env["TRADELOOP_LIMIT_REGISTRATIONS_PER_HOUR"] = "10000"
    env.pop("TRADELOOP_DATABASE_URL", None)
    subprocess.run([*CLI, "db", "upgrade"], env=env, check=True, capture_output=True)
    loaded = subprocess.run(
        [*CLI, "demo", "load"], env=env, check=True, capture_output=True, text=True
    )
    # the database as the demo left it: tests that share the server add users and rows later
    with (
        sqlite3.connect(data / "tradeloop.db") as live,
        sqlite3.connect(data / DEMO_AS_LOADED) as copy,
    ):
        live.backup(copy)
    return data, env, loaded.stdout


@contextmanager
def server_process(data: Path, env: dict[str, str]) -> Iterator[tuple[str, subprocess.Popen]]:
    """``tradeloop serve`` on a free port with ``env``; yields its base URL and the process
    (which a test may kill)."""
    port = _free_port()
    log = (data / "server.log").open("a")
    process = subprocess.Popen(
        [*CLI, "serve", "--port", str(port)], env=env, stdout=log, stderr=log
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                if httpx.get(f"{base}/api/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.05)
            if process.poll() is not None:
                raise RuntimeError(f"server did not start: {(data / 'server.log').read_text()}")
        else:
            raise RuntimeError(f"server did not start: {(data / 'server.log').read_text()}")
        yield base, process
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=10)
        log.close()


def children(pid: int) -> set[int]:
    """The processes whose parent is ``pid`` (read from /proc)."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.add(int(stat.parent.name))
    return found


def alive(pids: set[int]) -> set[int]:
    """Those of ``pids`` still running (zombies count as gone)."""
    running = set()
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            running.add(pid)
    return running


@contextmanager
def serving(data: Path, env: dict[str, str]) -> Iterator[str]:
    """``tradeloop serve`` on a free port with ``env``; yields its base URL."""
    with server_process(data, env) as (base, _):
        yield base


@pytest.fixture(scope="session")
def server(demo_output: tuple[Path, dict[str, str], str]) -> Iterator[str]:
    """``tradeloop serve`` on a free port with a fresh SQLite database; yields its base URL."""
    data, env, _ = demo_output
    with serving(data, env) as base:
        yield base


@pytest.fixture(scope="session")
def fake_llm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, FakeLLM]]:
    """A server configured with an LLM: the scripted OpenAI-compatible server on 127.0.0.1."""
    data = tmp_path_factory.mktemp("llm-server-data")
    with fake_llm_server() as fake:
        env = {
            **os.environ,
            "TRADELOOP_DATA_DIR": str(data),
            "TRADELOOP_LLM_BASE_URL": fake.base_url,
            "TRADELOOP_LLM_MODEL": "fake-model",
        }
        env.pop("TRADELOOP_DATABASE_URL", None)
        subprocess.run([*CLI, "db", "upgrade"], env=env, check=True, capture_output=True)
        with serving(data, env) as base:
            yield base, fake


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Headless Debian Chromium (skips when it is not installed)."""
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        pytest.skip("Debian's chromium is not installed (make test installs it as root)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, server: str) -> Iterator[object]:
    """A fresh browser context (no cookies) on the running server."""
    context = browser.new_context(base_url=server)
    page = context.new_page()
    yield page
    context.close()


def unique_email(name: str) -> str:
    """An address no other test uses (tests share a server, never an account)."""
    return f"{name.lower()}.{uuid.uuid4().hex[:12]}@example.com"


def register_in_browser(page, name: str, password: str = "correct horse battery") -> str:
    """Create an account of its own through the register page (signs the browser in);
    returns its email."""
    email = unique_email(name)
    page.goto("/register")
    page.fill("input[name=name]", name)
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("button.primary")
    page.wait_for_url(lambda url: "/register" not in url)
    return email
