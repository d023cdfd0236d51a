"""Observability of the real app: /metrics behind its token with exact counts per route
template, request ids, JSON log lines carrying them, and no SQL parameter in any log line
(also from a served ``tradeloop serve --workers 2`` and its stderr)."""

from __future__ import annotations

import json
import logging
import os
import re
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from fastapi import Request
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from tests.conftest import bearer, register
from tradeloop.app import create_app
from tradeloop.config import Settings
from tradeloop.services.database import open_database
from tradeloop.serving import observability
from tradeloop.serving.observability import JsonFormatter, TextFormatter
from tradeloop.store import jobs as job_rows
from tradeloop.store import mentor as mentor_rows
from tradeloop.store import users
from tradeloop.store.db import make_engine
from tradeloop.store.models import BotFill

TOKEN = "metrics-token-for-tests-0123456789"
MARKER = "marker-7f3a9c@example.com"  # a value that must never reach a log line
CLI = [sys.executable, "-m", "tradeloop.cli.main"]


@pytest.fixture
def app_settings(settings: Settings) -> Settings:
    """The test database's settings with a metrics token."""
    return Settings(data_dir=settings.data_dir, database_url=settings.database_url,
                    metrics_token=TOKEN)  # fmt: skip


def _test_routes(app) -> None:
    """Routes the tests need: a duplicate user (an IntegrityError carrying MARKER in its
    parameters), a log line written from a worker thread, a failed sign-in counted."""

    @app.post("/api/test/duplicate-user")
    def duplicate_user(request: Request) -> None:
        sessions = request.app.state.tradeloop.database.sessions
        with sessions() as session:
            users.add(session, name="Twin", email=MARKER, password_hash="x", language="en",
                      timezone="UTC")  # fmt: skip
            session.commit()

    @app.get("/api/test/log-line")
    def log_line() -> dict:
        logging.getLogger("tradeloop.test").warning("written in a thread")
        return {}

    @app.post("/api/test/failed-sign-in")
    def failed_sign_in() -> None:
        observability.count_sign_in_failure()


@pytest.fixture
def observed(app_settings: Settings) -> Iterator[TestClient]:
    """The app with the test routes; a server error answers 500 (not raised here)."""
    app = create_app(app_settings)
    _test_routes(app)
    with TestClient(app, base_url="http://127.0.0.1", raise_server_exceptions=False) as client:
        yield client


@contextmanager
def json_lines(logger: str = "tradeloop") -> Iterator[list[dict]]:
    """The lines ``logger`` writes meanwhile, through the JSON formatter, parsed."""
    lines: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(self.format(record))

    handler = Collect()
    handler.setFormatter(JsonFormatter())
    target = logging.getLogger(logger)
    target.addHandler(handler)
    parsed: list[dict] = []
    try:
        yield parsed
    finally:
        target.removeHandler(handler)
        parsed.extend(json.loads(line) for line in lines)  # every line is one JSON object


def scrape(client: TestClient | httpx.Client) -> dict[tuple[str, frozenset], float]:
    """The samples of /metrics: {(name, labels): value}."""
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def sample(samples: dict, name: str, **labels: str) -> float:
    """One sample's value; 0 for a labelled series not counted yet."""
    return samples.get((name, frozenset(labels.items())), 0.0)


# --- /metrics ----------------------------------------------------------------------------


def test_metrics_answer_404_when_no_token_is_set(settings: Settings) -> None:
    with TestClient(create_app(settings), base_url="http://127.0.0.1") as client:
        for headers in ({}, {"Authorization": "Bearer anything"}):
            response = client.get("/metrics", headers={**headers, "Accept": "application/json"})
            assert response.status_code == 404
            assert client.get("/no-such-page").status_code == 404  # alike


def test_metrics_refuse_a_missing_or_wrong_token(observed: TestClient) -> None:
    for header in (None, f"Bearer {TOKEN}x", f"Bearer {TOKEN[:-1]}", f"Basic {TOKEN}", TOKEN,
                   "Bearer "):  # fmt: skip
        headers = {"Authorization": header} if header is not None else {}
        response = observed.get("/metrics", headers=headers)
        assert response.status_code == 401, header
        assert response.json()["status"] == "error"
    assert observed.get("/metrics", headers={"Authorization": f"bearer {TOKEN}"}).status_code == 200


def test_requests_are_counted_and_timed_by_route_template(observed: TestClient) -> None:
    for bot_id in (1, 2, 3):
        assert observed.get(f"/api/bots/{bot_id}").status_code == 401
    for _ in range(2):
        assert observed.get("/api/health").status_code == 200
    assert observed.get("/api/no/such/route").status_code == 404
    assert observed.request("BREW", "/api/health").status_code == 405
    first = scrape(observed)
    assert sample(first, "tradeloop_http_requests_total",
                  method="GET", route="/api/bots/{bot_id}", status="401") == 3  # fmt: skip
    assert sample(first, "tradeloop_http_requests_total",
                  method="GET", route="/api/health", status="200") == 2  # fmt: skip
    assert sample(first, "tradeloop_http_requests_total",
                  method="GET", route="unmatched", status="404") == 1  # fmt: skip
    assert sample(first, "tradeloop_http_requests_total",
                  method="other", route="/api/health", status="405") == 1  # fmt: skip
    route = {"method": "GET", "route": "/api/bots/{bot_id}"}
    assert sample(first, "tradeloop_http_request_seconds_count", **route) == 3
    assert sample(first, "tradeloop_http_request_seconds_bucket", **route, le="+Inf") == 3
    buckets = [value for (name, labels), value in first.items()
               if name == "tradeloop_http_request_seconds_bucket"
               and {("method", "GET"), ("route", "/api/bots/{bot_id}")} <= labels]  # fmt: skip
    assert len(buckets) == len(observability.BUCKETS) + 1
    assert sample(first, "tradeloop_http_request_seconds_sum", **route) > 0
    routes = {dict(labels).get("route") for _, labels in first}
    assert not any(str(r).startswith(("/api/bots/1", "/api/no")) for r in routes)  # no raw path
    assert not any(name.endswith("_created") for name, _ in first)
    # the first scrape was counted once it was answered
    second = scrape(observed)
    assert sample(second, "tradeloop_http_requests_total",
                  method="GET", route="/metrics", status="200") == 1  # fmt: skip
    assert sample(second, "tradeloop_http_requests_total",
                  method="GET", route="/api/bots/{bot_id}", status="401") == 3  # fmt: skip


def test_static_files_and_the_openapi_document_have_their_templates(
    observed: TestClient,
) -> None:
    assert observed.get("/static/favicon.svg").status_code == 200
    assert observed.get("/static/no-such-file.css").status_code == 404
    assert observed.get("/api/openapi.json").status_code == 200
    samples = scrape(observed)
    assert sample(samples, "tradeloop_http_requests_total",
                  method="GET", route="/static/{path}", status="200") == 1  # fmt: skip
    assert sample(samples, "tradeloop_http_requests_total",
                  method="GET", route="/static/{path}", status="404") == 1  # fmt: skip
    assert sample(samples, "tradeloop_http_requests_total",
                  method="GET", route="/api/openapi.json", status="200") == 1  # fmt: skip


def test_the_database_counts_and_the_queue_depth(observed: TestClient) -> None:
    state = observed.app.state.tradeloop
    empty = scrape(observed)
    assert sample(empty, "tradeloop_bots", status="paused") == 0
    assert sample(empty, "tradeloop_jobs", state="queued") == 0
    assert sample(empty, "tradeloop_bot_orders_total") == 0
    assert sample(empty, "tradeloop_llm_tokens_total") == 0
    assert sample(empty, "tradeloop_work_queue_depth") == 0

    user = register(observed, "ops@example.com")
    headers = bearer(observed, "ops@example.com")
    bot_ids = []
    for name in ("one", "two"):
        body = {"name": name, "market": "EURUSD", "strategy": "ma_crossover"}
        created = observed.post("/api/bots", json=body, headers=headers)
        assert created.status_code == 201, created.text
        bot_ids.append(created.json()["id"])
    moment = datetime.now(UTC)
    with state.database.sessions() as session:
        job_rows.add_job(session, user["id"], "backtest")
        for prompt, completion in ((120, 30), (1000, 7)):
            mentor_rows.add_llm_call(
                session, user["id"], created_at=moment, model="m", tools=[], rounds=1,
                prompt_tokens=prompt, completion_tokens=completion, duration_ms=5,
                outcome="answered",
            )  # fmt: skip
        session.add(BotFill(bot_id=bot_ids[0], user_id=user["id"], client_order_id="o-1",
                            position="p-1", reason="signal", side="buy", quantity=1000.0,
                            price=1.1, commission=0.0, time=moment))  # fmt: skip
        session.commit()
    ticket = state.work.admit(user["id"])  # waiting for a worker
    try:
        counted = scrape(observed)
    finally:
        ticket.close()
    assert sample(counted, "tradeloop_bots", status="paused") == 2
    assert sample(counted, "tradeloop_bots", status="running") == 0
    assert sample(counted, "tradeloop_jobs", state="queued") == 1
    assert sample(counted, "tradeloop_jobs", state="done") == 0
    assert sample(counted, "tradeloop_bot_orders_total") == 1
    assert sample(counted, "tradeloop_llm_tokens_total") == 1157
    assert sample(counted, "tradeloop_work_queue_depth") == 1
    assert sample(scrape(observed), "tradeloop_work_queue_depth") == 0


def test_a_failing_database_leaves_the_request_figures(
    observed: TestClient, tmp_path: Path
) -> None:
    observed.get("/api/health")
    state = observed.app.state.tradeloop
    working = state.database
    state.database = open_database(Settings(data_dir=tmp_path / "empty"))  # no tables
    try:
        with json_lines() as lines:
            samples = scrape(observed)
    finally:
        state.database.engine.dispose()
        state.database = working
    assert sample(samples, "tradeloop_http_requests_total",
                  method="GET", route="/api/health", status="200") == 1  # fmt: skip
    assert sample(samples, "tradeloop_work_queue_depth") == 0
    assert not any(name.startswith(("tradeloop_jobs", "tradeloop_bots")) for name, _ in samples)
    assert [line["message"] for line in lines if line["level"] == "warning"] == [
        "metrics: database counts unavailable: OperationalError: no such table: jobs"
    ]


def test_failed_sign_ins_are_counted_for_the_request_s_app(observed: TestClient) -> None:
    observability.count_sign_in_failure()  # outside a request: nothing, no error
    for _ in range(2):
        assert observed.post("/api/test/failed-sign-in").status_code == 200
    assert sample(scrape(observed), "tradeloop_sign_in_failures_total") == 2


# --- request ids and log lines -----------------------------------------------------------


def test_a_request_id_is_sent_back_generated_or_echoed(observed: TestClient) -> None:
    generated = observed.get("/api/health").headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", generated)
    assert observed.get("/api/health").headers["X-Request-ID"] != generated
    for given in ("abc-123", "A" * 64):
        response = observed.get("/api/health", headers={"X-Request-ID": given})
        assert response.headers["X-Request-ID"] == given
    for bad in ("A" * 65, "has space", "semi;colon", "under_score", "é".encode("latin-1")):
        response = observed.get("/api/health", headers={"X-Request-ID": bad})
        assert re.fullmatch(r"[0-9a-f]{32}", response.headers["X-Request-ID"]), bad
    # error answers carry it too: 401, 404, 413 (before the app) and 500
    assert "X-Request-ID" in observed.get("/api/me").headers
    assert "X-Request-ID" in observed.get("/nope").headers
    big = observed.post("/api/bots", content=b"x" * 2_000_000,
                        headers={"X-Request-ID": "big-1"})  # fmt: skip
    assert (big.status_code, big.headers["X-Request-ID"]) == (413, "big-1")
    register(observed, MARKER)
    failed = observed.post("/api/test/duplicate-user", headers={"X-Request-ID": "fails-1"})
    assert (failed.status_code, failed.headers["X-Request-ID"]) == (500, "fails-1")


def test_access_lines_are_json_with_the_request_id_and_no_query_string(
    observed: TestClient,
) -> None:
    with json_lines() as lines:
        observed.get(f"/api/bots/5?email={MARKER}&note=private", headers={"X-Request-ID": "t-42"})
        observed.get("/api/test/log-line", headers={"X-Request-ID": "t-43"})
    access = [line for line in lines if line["logger"] == "tradeloop.access"]
    assert [(a["method"], a["route"], a["status"], a["request_id"]) for a in access] == [
        ("GET", "/api/bots/{bot_id}", 401, "t-42"),
        ("GET", "/api/test/log-line", 200, "t-43"),
    ]
    assert set(access[0]) == {"time", "level", "logger", "message", "request_id", "method",
                              "route", "status", "duration_ms"}  # fmt: skip
    assert access[0]["message"].startswith("GET /api/bots/{bot_id} 401 ")
    assert access[0]["duration_ms"] >= 0
    threaded = [line for line in lines if line["logger"] == "tradeloop.test"]
    assert threaded == [{**threaded[0], "message": "written in a thread", "request_id": "t-43",
                         "level": "warning"}]  # fmt: skip
    text = json.dumps(lines)
    assert MARKER not in text and "private" not in text and "?" not in text
    assert "testclient" not in text  # no client address by default


def test_the_client_address_is_logged_only_when_asked(app_settings: Settings) -> None:
    settings = Settings(**{**app_settings.model_dump(), "log_client_address": True})
    with (
        TestClient(create_app(settings), base_url="http://127.0.0.1") as client,
        json_lines() as lines,
    ):
        client.get("/api/health")
    assert [line.get("client") for line in lines] == ["testclient"]


def test_a_sql_error_logs_its_type_and_message_without_statement_or_values(
    observed: TestClient,
) -> None:
    register(observed, MARKER)
    with json_lines() as lines:
        response = observed.post("/api/test/duplicate-user", headers={"X-Request-ID": "sql-1"})
    assert response.status_code == 500
    assert response.headers["X-Request-ID"] == "sql-1"
    assert MARKER not in response.text
    errors = [line for line in lines if line["level"] == "error"]
    assert len(errors) == 1
    assert errors[0]["request_id"] == "sql-1"
    assert errors[0]["message"].startswith(
        "unhandled error on POST /api/test/duplicate-user: IntegrityError: "
    )
    assert "unique" in errors[0]["message"].lower()
    text = json.dumps(lines)
    assert MARKER not in text
    assert "Twin" not in text  # the other parameter
    for leak in ("INSERT", "[SQL", "parameters", "DETAIL"):
        assert leak not in text, leak
    assert [line["status"] for line in lines if line["logger"] == "tradeloop.access"] == [500]


def test_the_engine_hides_parameters_and_logged_exceptions_keep_no_values(
    tmp_path: Path,
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with pytest.raises(DBAPIError) as raised, engine.connect() as connection:
        connection.execute(text("SELECT * FROM missing WHERE a = :a"), {"a": MARKER})
    engine.dispose()
    assert MARKER not in str(raised.value)
    assert "hidden" in str(raised.value)
    assert observability.describe_exception(raised.value) == (
        "OperationalError: no such table: missing"
    )
    record = logging.LogRecord("tradeloop", logging.ERROR, __file__, 1, "failed", None,
                               (type(raised.value), raised.value, raised.value.__traceback__))  # fmt: skip
    line = json.loads(JsonFormatter().format(record))
    assert line["error"] == "OperationalError: no such table: missing"
    assert line["stack"] and all(" in " in frame for frame in line["stack"])
    assert line["causes"] == ["OperationalError: no such table: missing"]
    assert "SELECT" not in json.dumps(line)
    shown = TextFormatter().format(record)
    assert "SELECT" not in shown and MARKER not in shown
    assert shown.splitlines()[1].strip() == line["error"]


def test_an_http_parser_error_is_logged_by_its_type_alone() -> None:
    import h11

    try:
        h11.Request(method="GET", target="/",
                    headers=[("Host", "x"), ("Cookie", f"tl_session={MARKER}\n")])  # fmt: skip
    except h11.LocalProtocolError as exc:
        assert MARKER in str(exc)
        assert observability.describe_exception(exc) == "LocalProtocolError"
    else:
        raise AssertionError("h11 accepted a control character")


def test_any_message_is_one_line_of_json() -> None:
    for message in ("plain", "two\nlines", "bad \udcff surrogate", "é"):
        record = logging.LogRecord("tradeloop", logging.INFO, __file__, 1, message, None, None)
        line = JsonFormatter().format(record)
        assert "\n" not in line
        assert json.loads(line)["message"] == message


def test_log_config_routes_uvicorn_and_tradeloop_through_one_handler() -> None:
    config = observability.log_config(Settings(log_format="text"))
    assert config["handlers"]["stderr"]["log_format"] == "text"
    assert config["loggers"]["tradeloop"]["handlers"] == ["stderr"]
    assert config["loggers"]["uvicorn"]["handlers"] == ["stderr"]
    assert config["loggers"]["uvicorn.access"]["handlers"] == []  # the middleware's line only
    assert isinstance(observability.stderr_handler("json").formatter, JsonFormatter)
    assert isinstance(observability.stderr_handler("text").formatter, TextFormatter)
    logging.captureWarnings(False)


# --- tradeloop serve ---------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_served_with_two_workers_stderr_is_json_with_request_ids(tmp_path: Path) -> None:
    """`tradeloop serve --workers 2`: every stderr line is JSON; access lines carry the
    request id; a server error logs no SQL values; /metrics sums both processes."""
    env = {**os.environ, "TRADELOOP_DATA_DIR": str(tmp_path / "data"),
           "TRADELOOP_METRICS_TOKEN": TOKEN, "TRADELOOP_CPU_PROCESSES": "false",
           "TRADELOOP_WORKERS": "1"}  # fmt: skip
    for name in ("TRADELOOP_DATABASE_URL", "TRADELOOP_LOG_FORMAT", "PROMETHEUS_MULTIPROC_DIR"):
        env.pop(name, None)
    subprocess.run([*CLI, "db", "upgrade"], env=env, check=True, capture_output=True)
    with sqlite3.connect(tmp_path / "data" / "tradeloop.db") as db:  # bots cannot be stored
        db.execute("CREATE TRIGGER no_bots BEFORE INSERT ON bots "
                   "BEGIN SELECT RAISE(ABORT, 'no bots today'); END")  # fmt: skip
    port = _free_port()
    stderr_path = tmp_path / "stderr.log"
    with stderr_path.open("w") as stderr:
        process = subprocess.Popen([*CLI, "serve", "--port", str(port), "--workers", "2"],
                                   env=env, stdout=subprocess.DEVNULL, stderr=stderr)  # fmt: skip
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            deadline = time.monotonic() + 120  # two processes import the app on 2 busy CPUs
            while True:
                try:
                    if client.get("/api/health").status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.1)
                assert process.poll() is None, stderr_path.read_text()
                assert time.monotonic() < deadline, stderr_path.read_text()
            ids = [f"served-{n}" for n in range(10)]
            for request_id in ids:
                response = client.get("/api/health", headers={"X-Request-ID": request_id})
                assert response.headers["X-Request-ID"] == request_id
            client.post("/api/auth/register", json={"name": "Srv", "email": "srv@example.com",
                                                    "password": "correct horse battery"})  # fmt: skip
            token = client.post(
                "/api/auth/token",
                data={"username": "srv@example.com", "password": "correct horse battery"},
            ).json()["access_token"]
            failed = client.post(
                "/api/bots", json={"name": MARKER, "market": "EURUSD", "strategy": "ma_crossover"},
                headers={"Authorization": f"Bearer {token}", "X-Request-ID": "served-500",
                         "Connection": "close"},  # a 500 ends its connection
            )  # fmt: skip
            assert failed.status_code == 500
            assert failed.headers["X-Request-ID"] == "served-500"
            counts = [scrape(client) for _ in range(4)]  # either process may answer
    finally:
        process.terminate()
        process.wait(timeout=30)
    health = [sample(c, "tradeloop_http_requests_total", method="GET", route="/api/health",
                     status="200") for c in counts]  # fmt: skip
    assert health == [11] * 4  # the first that answered the wait and the 10 above, summed
    assert [sample(c, "tradeloop_http_requests_total", method="GET", route="/metrics",
                   status="200") for c in counts] == [0, 1, 2, 3]  # fmt: skip
    raw = stderr_path.read_text()
    lines = [json.loads(line) for line in raw.splitlines()]  # every line is JSON
    assert MARKER not in raw and "INSERT" not in raw and "[parameters" not in raw
    access = {line["request_id"]: line for line in lines if line["logger"] == "tradeloop.access"}
    assert set(ids) <= set(access)
    assert access["served-3"]["route"] == "/api/health"
    assert access["served-500"]["status"] == 500
    failures = [line for line in lines if line.get("request_id") == "served-500"]
    loggers = {line["logger"] for line in failures}
    assert loggers == {"tradeloop", "tradeloop.access", "uvicorn.error"}, failures
    server_error = next(line for line in failures if line["logger"] == "uvicorn.error")
    assert server_error["error"] == "IntegrityError: no bots today"
    assert server_error["stack"]
    assert any(line["logger"] == "uvicorn.error" and "Started server process" in line["message"]
               for line in lines)  # fmt: skip
