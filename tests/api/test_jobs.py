"""Background jobs over the API: 202 and a job to follow, the same result as a direct request,
progress by server-sent events, cancel, failures, limits, isolation, shutdown."""

from __future__ import annotations

import time
from datetime import timedelta

import orjson
import pytest
from fastapi.testclient import TestClient

from tests.api.test_backtests import SETTINGS, csv_bytes, rows
from tests.api.test_journal import SMALL
from tests.conftest import all_workers_busy, bearer, in_english, register
from tradeloop.app import create_app
from tradeloop.config import Settings
from tradeloop.store import jobs as store
from tradeloop.store.db import transaction


@pytest.fixture
def headers(client: TestClient) -> dict[str, str]:
    register(client, "ayu@example.com")
    return in_english(client, bearer(client, "ayu@example.com"))


def start_backtest(client: TestClient, headers: dict[str, str], data: bytes | None = None):
    return client.post(
        "/api/backtests?background=true",
        headers=headers,
        files={"file": ("EURUSD_H1.csv", csv_bytes() if data is None else data, "text/csv")},
        data={"strategy": "ma_crossover", "settings": SETTINGS},
    )


def wait_for(client: TestClient, headers: dict[str, str], job_id: int, states=("done",)) -> dict:
    for _ in range(400):
        job = client.get(f"/api/jobs/{job_id}", headers=headers).json()
        if job["state"] not in ("queued", "running"):
            break
        time.sleep(0.05)
    assert job["state"] in states, job
    return job


def test_a_background_backtest_answers_202_and_makes_what_a_direct_request_makes(
    client: TestClient, headers
) -> None:
    response = start_backtest(client, headers)
    assert response.status_code == 202, response.text
    job = response.json()
    assert response.headers["location"] == f"/api/jobs/{job['id']}"
    assert job["kind"] == "backtest" and job["state"] in ("queued", "running", "done")
    done = wait_for(client, headers, job["id"])
    assert done["progress"] == 1.0 and done["error"] is None and done["finished_at"]
    assert done["result"]["url"] == f"/api/backtests/{done['result']['id']}"
    made = client.get(done["result"]["url"], headers=headers).json()
    direct = client.post(
        "/api/backtests",
        headers=headers,
        files={"file": ("EURUSD_H1.csv", csv_bytes(), "text/csv")},
        data={"strategy": "ma_crossover", "settings": SETTINGS},
    ).json()
    for key in ("total_trades", "total_profit_usd", "win_rate_percent", "max_drawdown_percent"):
        assert made[key] == direct[key]
    assert made["stats"] == direct["stats"]
    assert rows(client, "datasets") == 1 and rows(client, "backtest_results") == 2  # same bars
    listed = client.get("/api/jobs", headers=headers).json()
    assert listed["total"] == 1 and listed["items"][0]["id"] == job["id"]
    assert client.get("/api/jobs?state=done", headers=headers).json()["total"] == 1
    assert client.get("/api/jobs?state=running", headers=headers).json()["total"] == 0


def test_background_dataset_rerun_and_import_each_point_at_what_they_made(
    client: TestClient, headers
) -> None:
    response = client.post(
        "/api/datasets?background=true",
        headers=headers,
        files={"file": ("XAUUSD_H1.csv", csv_bytes(500), "text/csv")},
    )
    assert response.status_code == 202, response.text
    dataset = client.get(wait_for(client, headers, response.json()["id"])["result"]["url"],
                         headers=headers).json()  # fmt: skip
    assert dataset["symbol"] == "XAUUSD" and dataset["bars"] == 500

    first = start_backtest(client, headers).json()
    result_id = wait_for(client, headers, first["id"])["result"]["id"]
    rerun = client.post(
        f"/api/backtests/{result_id}/rerun?background=true",
        headers=headers,
        json={"params": {"fast_period": 10}},
    )
    assert rerun.status_code == 202, rerun.text
    again = client.get(wait_for(client, headers, rerun.json()["id"])["result"]["url"],
                       headers=headers).json()  # fmt: skip
    assert again["parameters"]["strategy"]["fast_period"] == 10 and again["id"] != result_id

    imported = client.post(
        "/api/journal/imports?background=true",
        headers=headers,
        files={"file": ("orders.csv", SMALL, "text/csv")},
    )
    assert imported.status_code == 202, imported.text
    job = wait_for(client, headers, imported.json()["id"])
    assert job["kind"] == "import" and job["result"]["url"].startswith("/api/journal/imports/")
    record = client.get(job["result"]["url"], headers=headers).json()
    assert record["file_name"] == "orders.csv" and record["trades"] == 2 and record["rows"] == 5
    summary = client.get("/api/journal/summary", headers=headers).json()
    assert summary["total_trades"] == 2


def test_a_failing_job_says_why_as_the_direct_request_would_and_stores_nothing(
    client: TestClient, headers
) -> None:
    bad = b"time,open,high,low,close\n2024-01-01 00:00,1,2,0.5,x\n"
    direct = client.post(
        "/api/backtests",
        headers=headers,
        files={"file": ("EURUSD_H1.csv", bad, "text/csv")},
        data={"strategy": "ma_crossover", "settings": SETTINGS},
    )
    assert direct.status_code == 422
    job = wait_for(client, headers, start_backtest(client, headers, bad).json()["id"],
                   ("failed",))  # fmt: skip
    assert job["error"] == direct.json()["message"] and job["result"] is None
    assert rows(client, "datasets") == 0 and rows(client, "backtest_results") == 0


def test_input_errors_are_answered_at_once_not_as_jobs(client: TestClient, headers) -> None:
    unknown = client.post(
        "/api/backtests?background=true",
        headers=headers,
        files={"file": ("EURUSD_H1.csv", csv_bytes(100), "text/csv")},
        data={"strategy": "no_such_strategy"},
    )
    assert unknown.status_code == 422
    missing = client.post("/api/backtests/999/rerun?background=true", headers=headers, json={})
    assert missing.status_code == 404
    analyse_only = client.post(
        "/api/journal/imports?background=true",
        headers=headers,
        files={"file": ("orders.csv", SMALL, "text/csv")},
        data={"store": "false"},
    )
    assert analyse_only.status_code == 422
    assert "store=false" in analyse_only.json()["message"]
    flag = client.post("/api/datasets?background=maybe", headers=headers,
                       files={"file": ("EURUSD_H1.csv", csv_bytes(100), "text/csv")})  # fmt: skip
    assert flag.status_code == 422 and "background" in flag.text
    assert client.get("/api/jobs", headers=headers).json()["total"] == 0
    assert client.get("/api/jobs?state=lost", headers=headers).status_code == 422


def test_a_cancelled_job_stops_and_stores_nothing_and_an_ended_one_cannot_be(
    client: TestClient, headers
) -> None:
    with all_workers_busy(client):
        job = start_backtest(client, headers).json()
        assert client.get(f"/api/jobs/{job['id']}", headers=headers).json()["state"] == "queued"
        cancelled = client.delete(f"/api/jobs/{job['id']}", headers=headers)
        assert cancelled.status_code == 202 and cancelled.json()["cancel_requested"] is True
        ended = wait_for(client, headers, job["id"], ("cancelled",))
    assert ended["error"] == "cancelled: nothing was stored" and ended["result"] is None
    assert rows(client, "datasets") == 0 and rows(client, "backtest_results") == 0
    again = client.delete(f"/api/jobs/{job['id']}", headers=headers)
    assert again.status_code == 409
    assert again.json()["message"] == f"job {job['id']} already ended (cancelled)"


def test_jobs_count_against_the_users_limit_and_answer_429_past_it(
    client: TestClient, headers
) -> None:
    with all_workers_busy(client):
        first, second = start_backtest(client, headers), start_backtest(client, headers)
        assert first.status_code == second.status_code == 202
        third = start_backtest(client, headers)
        assert third.status_code == 429 and int(third.headers["retry-after"]) > 0
        assert "you already have 2 imports or backtests running" in third.json()["message"]
    for job in (first.json(), second.json()):
        wait_for(client, headers, job["id"])
    assert start_backtest(client, headers).status_code == 202  # the tickets were given back


def test_events_stream_the_jobs_progress_until_it_ends(client: TestClient, headers) -> None:
    job = start_backtest(client, headers).json()
    events = []
    with client.stream("GET", f"/api/jobs/{job['id']}/events", headers=headers) as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        for line in stream.iter_lines():
            if line.startswith("data: "):
                events.append(orjson.loads(line[6:]))
    assert events[-1]["state"] == "done" and events[-1]["result"]["id"] > 0
    progress = [event["progress"] for event in events]
    assert progress == sorted(progress) and progress[-1] == 1.0
    assert len({(e["state"], e["progress"]) for e in events}) == len(events)  # only changes


def test_another_users_job_is_not_found(client: TestClient, headers) -> None:
    job = wait_for(client, headers, start_backtest(client, headers).json()["id"])
    register(client, "budi@example.com")
    other = in_english(client, bearer(client, "budi@example.com"))
    for method, path in (
        ("GET", f"/api/jobs/{job['id']}"),
        ("GET", f"/api/jobs/{job['id']}/events"),
        ("DELETE", f"/api/jobs/{job['id']}"),
    ):
        response = client.request(method, path, headers=other)
        assert response.status_code == 404, (method, path)
        assert response.json()["message"] == f"job {job['id']} not found"
    assert client.get("/api/jobs", headers=other).json()["total"] == 0
    assert client.get("/api/jobs").status_code == 401


def test_a_job_whose_server_went_silent_is_shown_then_stored_as_interrupted(
    client: TestClient, headers
) -> None:
    user_id = client.get("/api/me", headers=headers).json()["id"]
    sessions = client.app.state.tradeloop.database.sessions
    with transaction(sessions) as session:
        job = store.add_job(session, user_id, "backtest")
        job.heartbeat_at = store.now() - timedelta(minutes=5)
        job_id = job.id
    shown = client.get(f"/api/jobs/{job_id}", headers=headers).json()
    assert shown["state"] == "interrupted" and "nothing of it was stored" in shown["error"]
    with transaction(sessions) as session:
        assert store.mark_interrupted(session, silent_for=60) == 1
        assert store.get_job(session, user_id, job_id).state == "interrupted"


def test_shutdown_marks_unfinished_jobs_interrupted_and_stores_none_of_their_work(
    app_settings: Settings,
) -> None:
    settings = app_settings.model_copy(update={"workers": 1, "job_grace_seconds": 0})
    with TestClient(create_app(settings), base_url="http://127.0.0.1") as client:
        register(client, "ayu@example.com")
        headers = bearer(client, "ayu@example.com")
        with all_workers_busy(client):
            job = start_backtest(client, headers).json()
            client.__exit__(None, None, None)  # the server stops while the job waits
        time.sleep(0.5)  # the job's thread, freed, must not store anything now
    with TestClient(create_app(settings), base_url="http://127.0.0.1") as client:
        headers = bearer(client, "ayu@example.com")
        ended = client.get(f"/api/jobs/{job['id']}", headers=headers).json()
        assert ended["state"] == "interrupted" and ended["result"] is None
        assert rows(client, "datasets") == 0 and rows(client, "backtest_results") == 0
