"""Stored optimisation runs: a cancelled run keeps exactly the combinations that finished
(each once), resuming it ends with the result of a run never stopped, and every read and
write is the user's own."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from tradeloop.core.errors import Conflict, NotFound
from tradeloop.market.synthetic import random_walk_bars
from tradeloop.services import optimisations
from tradeloop.services.jobs import get_job
from tradeloop.services.sweeps import SweepRequest
from tradeloop.store import optimisations as repo
from tradeloop.store.db import transaction
from tradeloop.store.models import Job, OptimisationRun

PASSWORD = "correct horse battery"
REQUEST = {
    "strategy": "ma_crossover",
    "settings": {"sl_atr": 2, "tp_atr": 4},
    "grids": ["fast_period=5:20:5", "slow_period=20:60:10"],
    "constraints": ["fast_period < slow_period"],
    "walk_forward": "rolling:800:400",
}


@pytest.fixture
def app_settings(settings):
    """One worker: the sweep runs its chunks in the job's thread, one after the other."""
    return settings.model_copy(update={"sweep_workers": 1})


def user_with_data(client: TestClient, email: str) -> tuple[int, int]:
    """A registered user and a dataset of theirs: (user id, dataset id)."""
    user = client.post(
        "/api/auth/register", json={"name": "Trader", "email": email, "password": PASSWORD}
    ).json()
    token = client.post("/api/auth/token", data={"username": email, "password": PASSWORD})
    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
    data = random_walk_bars(2500, seed=7).to_csv(date_format="%Y-%m-%d %H:%M:%S").encode()
    dataset = client.post(
        "/api/datasets", headers=headers, files={"file": ("EURUSD_H1.csv", data, "text/csv")}
    )
    assert dataset.status_code == 201, dataset.text
    return user["id"], dataset.json()["id"]


def state(client: TestClient) -> Any:
    return client.app.state.tradeloop


def start(
    client: TestClient, user_id: int, dataset_id: int, workers: int = 1, **changes: Any
) -> int:
    s = state(client)
    with transaction(s.sessions) as session:
        ticket = s.work.admit(user_id)
        run, _job = optimisations.start(
            session, s.jobs, ticket, user_id, dataset_id,
            SweepRequest(**(REQUEST | changes)), None, workers,
        )  # fmt: skip
        return run.id


def resume(client: TestClient, user_id: int, run_id: int) -> None:
    s = state(client)
    with transaction(s.sessions) as session:
        optimisations.resume(session, s.jobs, s.work.admit(user_id), user_id, run_id, None, 1)


def wait(client: TestClient, user_id: int, run_id: int) -> dict[str, Any]:
    """The run's detail once its job has ended."""
    s = state(client)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        with s.database.readers() as session:
            job_id = optimisations.job_of(session, user_id, run_id)
            job = get_job(session, user_id, job_id, s.jobs.silent_after)
            if job["state"] not in ("queued", "running"):
                return optimisations.run_detail(session, user_id, run_id, s.jobs.silent_after, "en")
        time.sleep(0.05)
    raise AssertionError("the optimisation did not end")


def stored_indexes(client: TestClient, user_id: int, run_id: int) -> list[int]:
    with state(client).database.readers() as session:
        return [r.combo_index for r in repo.list_rows(session, user_id, run_id)]


def test_a_cancelled_run_keeps_what_finished_and_resumes_to_the_uninterrupted_result(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    user_id, dataset_id = user_with_data(client, "ayu@example.com")
    whole = wait(client, user_id, start(client, user_id, dataset_id))
    assert whole["status"] == "done" and whole["complete"]
    assert whole["total"] == whole["finished"] == len(whole["combinations"]) == 20
    assert whole["walk_forward"] and whole["overfitting"]["trials"] > 1

    # cancel as soon as the first chunk is stored: the next chunk never starts
    chunks: list[list[int]] = []
    original = optimisations._RowWriter.__call__

    def writer(self: Any, outcomes: list) -> None:
        original(self, outcomes)
        chunks.append([o.index for o in outcomes])
        if len(chunks) == 1:
            s = state(client)
            with transaction(s.sessions) as session:
                s.jobs.cancel(session, user_id, optimisations.job_of(session, user_id, self.run_id))

    monkeypatch.setattr(optimisations._RowWriter, "__call__", writer)
    run_id = start(client, user_id, dataset_id)
    stopped = wait(client, user_id, run_id)
    assert stopped["status"] == "cancelled" and not stopped["complete"]
    assert len(chunks) == 1 and 0 < len(chunks[0]) < 20
    assert stored_indexes(client, user_id, run_id) == chunks[0] == sorted(set(chunks[0]))
    assert [c["index"] for c in stopped["combinations"]] == chunks[0]
    assert stopped["finished"] == len(chunks[0]) and stopped["walk_forward"] == []
    for row in stopped["combinations"]:  # the same figures as the whole run's rows
        assert row == whole["combinations"][row["index"]]
    assert stopped["best"] is not None and stopped["overfitting"]["trials"] <= len(chunks[0])

    monkeypatch.setattr(optimisations._RowWriter, "__call__", original)
    resume(client, user_id, run_id)
    resumed = wait(client, user_id, run_id)
    assert resumed["status"] == "done" and resumed["complete"]
    assert stored_indexes(client, user_id, run_id) == list(range(20))  # none twice
    for key in ("combinations", "best", "overfitting", "walk_forward", "walk_forward_equity"):
        assert resumed[key] == whole[key], key
    with pytest.raises(Conflict):  # a finished run is not resumed again
        resume(client, user_id, run_id)


def test_a_row_backtested_equals_its_combination(client: TestClient) -> None:
    user_id, dataset_id = user_with_data(client, "ayu@example.com")
    run_id = start(client, user_id, dataset_id, walk_forward=None)
    found = wait(client, user_id, run_id)
    best = found["best"]
    s = state(client)
    with transaction(s.sessions) as session:
        result = optimisations.backtest_row(session, user_id, run_id, best["index"])
        assert result.parameters["strategy"] == best["params"]
        assert result.total_profit_usd == pytest.approx(best["stats"]["net_profit"], abs=1e-6)
        assert result.total_trades == best["stats"]["trades"]
        skipped = next(c for c in found["combinations"] if c["skipped"])
        with pytest.raises(Conflict, match="skipped"):
            optimisations.backtest_row(session, user_id, run_id, skipped["index"])
        with pytest.raises(NotFound):
            optimisations.backtest_row(session, user_id, run_id, 999)


def test_runs_are_the_users_own(client: TestClient) -> None:
    ayu, dataset_id = user_with_data(client, "ayu@example.com")
    budi, budi_data = user_with_data(client, "budi@example.com")
    run_id = start(client, ayu, dataset_id, walk_forward=None)
    wait(client, ayu, run_id)
    s = state(client)
    with transaction(s.sessions) as session:
        for call in (
            lambda: optimisations.run_detail(session, budi, run_id, 15, "en"),
            lambda: optimisations.summary(session, budi, run_id, 15),
            lambda: optimisations.backtest_row(session, budi, run_id, 0),
            lambda: optimisations.delete_run(session, budi, run_id, 15),
            lambda: optimisations.job_of(session, budi, run_id),
        ):
            with pytest.raises(NotFound):
                call()
        assert optimisations.list_runs(session, budi, 50, 0, 15).total == 0
        assert repo.list_rows(session, budi, run_id) == []
        assert optimisations.list_runs(session, ayu, 50, 0, 15).total == 1
        with pytest.raises(NotFound):  # a sweep on another user's dataset
            optimisations.start(
                session, s.jobs, s.work.admit(budi), budi, dataset_id, SweepRequest(**REQUEST),
                None, 1,
            )  # fmt: skip
    with pytest.raises(NotFound):
        resume(client, budi, run_id)
    assert budi_data != dataset_id


def test_a_run_whose_server_died_shows_interrupted_and_resumes(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    user_id, dataset_id = user_with_data(client, "ayu@example.com")
    original = optimisations._RowWriter.__call__
    calls: list[int] = []

    def writer(self: Any, outcomes: list) -> None:
        original(self, outcomes)
        calls.append(len(outcomes))
        if len(calls) == 2:  # stop it after two chunks (as a dying server would, mid-run)
            s = state(client)
            with transaction(s.sessions) as session:
                s.jobs.cancel(session, user_id, optimisations.job_of(session, user_id, self.run_id))

    monkeypatch.setattr(optimisations._RowWriter, "__call__", writer)
    run_id = start(client, user_id, dataset_id, walk_forward=None)
    wait(client, user_id, run_id)
    # what a server killed mid-run leaves: the run running, its job active but silent
    s = state(client)
    with transaction(s.sessions) as session:
        job_id = optimisations.job_of(session, user_id, run_id)
        session.execute(
            update(OptimisationRun).where(OptimisationRun.id == run_id).values(status="running")
        )
        session.execute(
            update(Job).where(Job.id == job_id).values(
                state="running", heartbeat_at=datetime.now(UTC) - timedelta(hours=1)
            )
        )  # fmt: skip
    found = wait(client, user_id, run_id)
    assert found["status"] == "interrupted" and found["finished"] == sum(calls)
    monkeypatch.setattr(optimisations._RowWriter, "__call__", original)
    resume(client, user_id, run_id)
    done = wait(client, user_id, run_id)
    assert done["status"] == "done" and done["complete"] and done["finished"] == 20
    assert stored_indexes(client, user_id, run_id) == list(range(20))


def test_two_worker_processes_store_the_same_run(client: TestClient) -> None:
    user_id, dataset_id = user_with_data(client, "ayu@example.com")
    inline = wait(client, user_id, start(client, user_id, dataset_id, walk_forward=None))
    pooled = wait(client, user_id, start(client, user_id, dataset_id, 2, walk_forward=None))
    assert pooled["status"] == "done" and pooled["finished"] == 20
    for key in ("combinations", "best", "overfitting"):
        assert pooled[key] == inline[key], key
