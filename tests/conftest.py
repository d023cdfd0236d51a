"""Shared fixtures: real SQLite files, a real PostgreSQL database per test run, the app."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from tradeloop.app import create_app
from tradeloop.config import Settings
from tradeloop.store import migrate
from tradeloop.store.db import make_engine, scratch_database

PG_ENV = "TRADELOOP_TEST_PG_URL"
# The shared reference data beside the checkout (tests that read it skip when it is absent)
SHARED_DATA = Path(
    os.environ.get("TRADELOOP_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data")
)


@pytest.fixture(scope="session")
def pg_server_url() -> str:
    """The PostgreSQL server given by TRADELOOP_TEST_PG_URL (skips when unset)."""
    url = os.environ.get(PG_ENV)
    if not url:
        pytest.skip(f"{PG_ENV} is not set: PostgreSQL tests need a server")
    return url


def _fresh_pg_database(server_url: str, template: str | None = None) -> Iterator[str]:
    return scratch_database(server_url, "tradeloop_test", template)


def _migrate(url: str) -> None:
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()  # nobody stays connected: the template can be copied


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated once per test run; each test gets a copy."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    _migrate(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def pg_template(pg_server_url: str) -> Iterator[str]:
    """A PostgreSQL database migrated once per test run; each test gets a copy."""
    for url in _fresh_pg_database(pg_server_url):
        _migrate(url)
        yield make_url(url).database or ""


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    """Each engine in turn."""
    return request.param


@pytest.fixture
def db_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database on each engine: a SQLite file, and a new PostgreSQL database."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.db'}"
    else:
        yield from _fresh_pg_database(request.getfixturevalue("pg_server_url"))


@pytest.fixture
def migrated_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated database on each engine: a copy of the run's template."""
    if backend == "sqlite":
        path = tmp_path / "test.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
    else:
        server = request.getfixturevalue("pg_server_url")
        yield from _fresh_pg_database(server, request.getfixturevalue("pg_template"))


@pytest.fixture
def engine(migrated_url: str) -> Iterator[Engine]:
    """A migrated database on each engine."""
    engine = make_engine(migrated_url)
    yield engine
    engine.dispose()


@pytest.fixture
def settings(tmp_path: Path, migrated_url: str) -> Settings:
    """Settings for a fresh data directory and a migrated database (each engine), generated
    secret."""
    return Settings(data_dir=tmp_path / "data", database_url=migrated_url)


@pytest.fixture
def app_settings(settings: Settings) -> Settings:
    """``settings``: its database is migrated."""
    return settings


@pytest.fixture
def client(app_settings: Settings) -> Iterator[TestClient]:
    """An HTTP client for the app on a fresh, migrated database (SQLite and PostgreSQL)."""
    with TestClient(create_app(app_settings), base_url="http://127.0.0.1") as test_client:
        yield test_client


PASSWORD = "correct horse battery"


def register(client: TestClient, email: str, name: str = "Trader") -> dict:
    """Register ``email`` through the API and return the created user."""
    response = client.post(
        "/api/auth/register", json={"name": name, "email": email, "password": PASSWORD}
    )
    assert response.status_code == 201, response.text
    return response.json()


def bearer(client: TestClient, email: str, password: str = PASSWORD) -> dict[str, str]:
    """Authorization headers for ``email`` from POST /api/auth/token."""
    response = client.post("/api/auth/token", data={"username": email, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def browser_sign_in(client: TestClient, email: str, password: str = PASSWORD) -> str:
    """Sign in through the page's form as a browser does; the CSRF token of the new session
    (replaced at sign-in, bound to the session)."""
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    client.post("/login", data={"csrf_token": token, "email": email, "password": password})
    return client.cookies["tl_csrf"]


def in_english(client: TestClient, headers: dict[str, str]) -> dict[str, str]:
    """Switch the user of ``headers`` to English (API messages then read as the CLI's); the
    Indonesian messages are checked by tests/api/test_language.py and test_error_language.py."""
    response = client.patch("/api/me", json={"language": "en"}, headers=headers)
    assert response.status_code == 200, response.text
    return headers


@contextmanager
def all_workers_busy(client: TestClient) -> Iterator[None]:
    """Hold every worker of the app (as another user's long work would)."""
    slots = client.app.state.tradeloop.work
    tickets = [slots.admit(10_000 + n) for n in range(slots.workers)]
    contexts = [ticket.running() for ticket in tickets]
    for context in contexts:
        context.__enter__()
    try:
        yield
    finally:
        for context, ticket in zip(contexts, tickets, strict=True):
            context.__exit__(None, None, None)
            ticket.close()


def run_async(coroutine: Any) -> Any:
    """``asyncio.run(coroutine)`` on a thread of its own: a worker that ran a browser test
    (Playwright's sync API keeps an event loop in the main thread) can still run it."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()
