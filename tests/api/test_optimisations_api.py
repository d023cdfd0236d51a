"""Optimisation runs over the API: 202 with the run and its job, progress by the job's
server-sent events, the stored result, sorting, cancel, resume, a row backtested, bad input
named, and another user's run answered 404."""

from __future__ import annotations

import time
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import bearer, browser_sign_in, in_english, register
from tradeloop.i18n import translate
from tradeloop.market.synthetic import random_walk_bars

SWEEP = {
    "strategy": "ma_crossover",
    "settings": {"sl_atr": 2, "tp_atr": 4},
    "grids": ["fast_period=5:20:5", "slow_period=20:40:10"],
    "constraints": ["fast_period < slow_period"],
}


@pytest.fixture
def app_settings(settings):
    """One worker: the sweep runs in the job's thread (no process pool to start)."""
    return settings.model_copy(update={"sweep_workers": 1})


def user(client: TestClient, email: str) -> tuple[dict[str, str], int]:
    """Headers of a new user (in English) and a dataset of theirs."""
    register(client, email)
    headers = in_english(client, bearer(client, email))
    data = random_walk_bars(2000, seed=3).to_csv(date_format="%Y-%m-%d %H:%M:%S").encode()
    response = client.post(
        "/api/datasets", headers=headers, files={"file": ("EURUSD_H1.csv", data, "text/csv")}
    )
    assert response.status_code == 201, response.text
    return headers, response.json()["id"]


@pytest.fixture
def ayu(client: TestClient) -> tuple[dict[str, str], int]:
    return user(client, "ayu@example.com")


def start(client: TestClient, headers: dict[str, str], dataset_id: int, **changes: Any):
    return client.post(
        "/api/optimisations", headers=headers, json=SWEEP | {"dataset_id": dataset_id} | changes
    )


def finished(client: TestClient, headers: dict[str, str], job_id: int) -> dict[str, Any]:
    for _ in range(1200):
        job = client.get(f"/api/jobs/{job_id}", headers=headers).json()
        if job["state"] not in ("queued", "running"):
            return job
        time.sleep(0.05)
    raise AssertionError("the job did not end")


def test_a_sweep_runs_as_a_job_and_is_stored(client: TestClient, ayu) -> None:
    headers, dataset_id = ayu
    response = start(client, headers, dataset_id)
    assert response.status_code == 202, response.text
    body = response.json()
    assert body["run_id"] == body["id"] and body["job"]["kind"] == "optimise"
    assert response.headers["location"] == f"/api/jobs/{body['job_id']}"
    events = client.get(body["events"], headers=headers)
    assert events.status_code == 200 and events.text.startswith("event: job")
    job = finished(client, headers, body["job_id"])
    assert job["state"] == "done", job
    assert job["result"] == {"id": body["run_id"], "url": f"/api/optimisations/{body['run_id']}"}
    assert '"state":"done"' in events.text  # the stream followed the job to its end

    run = client.get(f"/api/optimisations/{body['run_id']}", headers=headers).json()
    assert run["status"] == "done" and run["complete"] and run["total"] == run["finished"] == 12
    assert [c["index"] for c in run["combinations"]] == list(range(12))
    skipped = [c for c in run["combinations"] if c["skipped"]]
    assert len(skipped) == 1 and skipped[0]["params"] == {"fast_period": 20, "slow_period": 20}
    assert run["best"]["stats"]["net_profit"] == max(
        c["stats"]["net_profit"] for c in run["combinations"] if c["stats"]
    )
    assert set(run["overfitting"]) >= {"trials", "dsr", "dsr_p_value", "pbo"}
    assert set(run["odds"]) == {"dsr", "pbo"} and "Sharpe" in run["odds"]["dsr"]
    ordered = client.get(
        f"/api/optimisations/{body['run_id']}?sort=net_profit&order=desc", headers=headers
    ).json()["combinations"]
    profits = [c["stats"]["net_profit"] for c in ordered if c["stats"]]
    assert profits == sorted(profits, reverse=True) and ordered[-1]["skipped"]
    listed = client.get("/api/optimisations", headers=headers).json()
    assert listed["total"] == 1 and listed["items"][0]["finished"] == 12

    # a finished run is neither cancelled nor resumed
    cancel = client.post(f"/api/optimisations/{body['run_id']}/cancel", headers=headers)
    assert cancel.status_code == 409 and "already ended" in cancel.json()["message"]
    again = client.post(f"/api/optimisations/{body['run_id']}/resume", headers=headers)
    assert again.status_code == 409 and "done" in again.json()["message"]

    # one click backtests a row: a normal stored backtest
    made = client.post(
        f"/api/optimisations/{body['run_id']}/backtest",
        headers=headers,
        json={"index": run["best"]["index"]},
    )
    assert made.status_code == 201, made.text
    backtest = client.get(made.json()["url"], headers=headers).json()
    assert made.json()["page"] == f"/backtests/{backtest['id']}"
    assert backtest["parameters"]["strategy"] == run["best"]["params"]
    assert backtest["total_profit_usd"] == pytest.approx(run["best"]["stats"]["net_profit"])
    skipped_row = client.post(
        f"/api/optimisations/{body['run_id']}/backtest",
        headers=headers,
        json={"index": skipped[0]["index"]},
    )
    assert skipped_row.status_code == 409 and "skipped" in skipped_row.json()["message"]
    missing = client.post(
        f"/api/optimisations/{body['run_id']}/backtest", headers=headers, json={"index": 99}
    )
    assert missing.status_code == 404

    deleted = client.delete(f"/api/optimisations/{body['run_id']}", headers=headers)
    assert deleted.status_code == 204
    gone = client.get(f"/api/optimisations/{body['run_id']}", headers=headers)
    assert gone.status_code == 404


def test_a_cancelled_run_shows_cancelled_and_resumes(client: TestClient, ayu) -> None:
    headers, dataset_id = ayu
    # cancelled before it starts: every worker is taken, so the job waits in the queue
    slots = client.app.state.tradeloop.work
    held = [slots.admit(10_000 + n) for n in range(slots.workers)]
    contexts = [ticket.running() for ticket in held]
    for context in contexts:
        context.__enter__()
    try:
        body = start(client, headers, dataset_id).json()
        cancel = client.post(f"/api/optimisations/{body['run_id']}/cancel", headers=headers)
        assert cancel.status_code == 202, cancel.text
        assert cancel.json()["job"]["cancel_requested"]
    finally:
        for context, ticket in zip(contexts, held, strict=True):
            context.__exit__(None, None, None)
            ticket.close()
    assert finished(client, headers, body["job_id"])["state"] == "cancelled"
    run = client.get(f"/api/optimisations/{body['run_id']}", headers=headers).json()
    assert run["status"] == "cancelled" and run["finished"] == 0 and not run["complete"]
    resumed = client.post(f"/api/optimisations/{body['run_id']}/resume", headers=headers)
    assert resumed.status_code == 202 and resumed.json()["job_id"] != body["job_id"]
    assert finished(client, headers, resumed.json()["job_id"])["state"] == "done"
    run = client.get(f"/api/optimisations/{body['run_id']}", headers=headers).json()
    assert run["status"] == "done" and run["finished"] == 12 and run["complete"]


@pytest.mark.parametrize(
    ("change", "field_text"),
    [
        ({"grids": ["speed=1,2"]}, "speed is not a parameter or setting that can be swept"),
        (
            {"grids": ["fast_period=1:5000:1", "slow_period=1:5000:1"]},
            "25,000,000 combinations, above the limit of 10,000",
        ),
        ({"constraints": ["fast_period << 3"]}, "Constraint “fast_period << 3”: expected a number"),
        ({"objective": "luck"}, "Unknown objective luck: choose one of net_profit"),
        ({"method": "random"}, "The random search needs a number of trials"),
        ({"grids": []}, "grids"),
        ({"colour": "red"}, "colour"),
        ({"settings": {"sl_atr": -1}}, "sl_atr"),
        ({"walk_forward": "sideways:1:2"}, "walk"),
    ],
)
def test_bad_input_is_refused_naming_the_field(
    client: TestClient, ayu, change: dict[str, Any], field_text: str
) -> None:
    headers, dataset_id = ayu
    response = start(client, headers, dataset_id, **change)
    assert 400 <= response.status_code < 500, response.text
    body = response.json()
    assert body["status"] == "error" and isinstance(body["details"], list)
    assert field_text in body["message"] + str(body["details"]), body
    assert client.get("/api/optimisations", headers=headers).json()["total"] == 0


def test_another_users_run_and_data_are_404(client: TestClient, ayu) -> None:
    headers, dataset_id = ayu
    body = start(client, headers, dataset_id).json()
    finished(client, headers, body["job_id"])
    other, other_data = user(client, "budi@example.com")
    run = f"/api/optimisations/{body['run_id']}"
    for response in (
        client.get(run, headers=other),
        client.delete(run, headers=other),
        client.post(f"{run}/cancel", headers=other),
        client.post(f"{run}/resume", headers=other),
        client.post(f"{run}/backtest", headers=other, json={"index": 0}),
        client.get(f"/api/jobs/{body['job_id']}/events", headers=other),
        start(client, other, dataset_id),  # a sweep on ayu's dataset
    ):
        assert response.status_code == 404, response.text
        assert response.json()["status"] == "error"
    assert client.get("/api/optimisations", headers=other).json()["total"] == 0
    assert client.get(run, headers=headers).status_code == 200
    assert other_data != dataset_id


def test_the_pages_show_the_form_the_run_and_refuse_another_users(client: TestClient, ayu) -> None:
    headers, dataset_id = ayu
    body = start(client, headers, dataset_id, walk_forward="rolling:800:400").json()
    assert finished(client, headers, body["job_id"])["state"] == "done"
    browser_sign_in(client, "ayu@example.com")
    form = client.get("/optimise")
    assert form.status_code == 200 and 'id="optimise-form"' in form.text
    assert 'href="/optimise"' in form.text and f'href="/optimise/{body["run_id"]}"' in form.text
    page = client.get(f"/optimise/{body['run_id']}?sort=net_profit&order=desc")
    assert page.status_code == 200, page.text
    for part in ('data-testid="results"', 'id="heat-data"', 'id="walk-data"', 'data-testid="odds"',
                 'data-testid="best-row"', "Deflated Sharpe Ratio"):  # fmt: skip
        assert part in page.text, part
    assert page.text.count('data-testid="backtest-row"') == 11  # the skipped one has none
    walk = client.get(f"/api/optimisations/{body['run_id']}", headers=headers).json()
    table = page.text.split('data-testid="walk-windows"', 1)[1].split("</table>", 1)[0]
    assert table.count("<tr>") == len(walk["walk_forward"]) + 1  # the header and each window
    assert 'data-testid="heat-hint"' not in page.text  # two names swept: no other values

    # the headline alone, light enough to poll while the run goes
    headline = client.get(f"/api/optimisations/{body['run_id']}?summary=true", headers=headers)
    assert headline.status_code == 200
    assert headline.json()["finished"] == 12 and "combinations" not in headline.json()

    client.cookies.clear()
    user(client, "budi@example.com")
    browser_sign_in(client, "budi@example.com")
    assert client.get(f"/optimise/{body['run_id']}").status_code == 404
    assert "/optimise/" not in client.get("/optimise").text.split("</nav>", 1)[1]


@pytest.mark.parametrize("method", ["random", "bayes"])
def test_random_and_bayesian_runs_store_named_rows(client: TestClient, ayu, method: str) -> None:
    headers, dataset_id = ayu
    body = start(client, headers, dataset_id, method=method, trials=6, seed=3).json()
    assert finished(client, headers, body["job_id"])["state"] == "done"
    run = client.get(f"/api/optimisations/{body['run_id']}", headers=headers).json()
    assert run["status"] == "done" and run["method"] == method and run["total"] == 6
    assert 0 < run["finished"] <= 6
    assert all(c["params"] and c["settings"] == {"sl_atr": 2, "tp_atr": 4}
               for c in run["combinations"])  # fmt: skip
    assert run["best"]["index"] in [c["index"] for c in run["combinations"]]


def test_a_run_where_every_combination_fails_the_filters_says_so(client: TestClient, ayu) -> None:
    headers, dataset_id = ayu
    body = start(client, headers, dataset_id, min_trades=100_000).json()
    assert finished(client, headers, body["job_id"])["state"] == "done"
    assert (
        client.get(f"/api/optimisations/{body['run_id']}", headers=headers).json()["best"] is None
    )
    browser_sign_in(client, "ayu@example.com")
    page = client.get(f"/optimise/{body['run_id']}").text
    assert 'data-testid="no-best"' in page
    assert any(translate(lang, "optimise.none_passed") in page for lang in ("en", "id"))


@pytest.mark.parametrize("trials", [8, 40])  # fewer, then more trials than the grid's 12
def test_a_bayesian_run_counts_combinations_against_its_trials(
    client: TestClient, ayu, trials: int
) -> None:
    headers, dataset_id = ayu
    body = start(client, headers, dataset_id, method="bayes", trials=trials, seed=1).json()
    assert finished(client, headers, body["job_id"])["state"] == "done"
    run = client.get(f"/api/optimisations/{body['run_id']}?summary=true", headers=headers).json()
    browser_sign_in(client, "ayu@example.com")
    page = client.get(f"/optimise/{body['run_id']}").text
    assert 0 < run["finished"] <= min(trials, 12)
    texts = [translate(lang, "optimise.finished_bayes", finished=run["finished"], trials=trials)
             for lang in ("en", "id")]  # fmt: skip
    assert any(text in page for text in texts), page
    assert any(text in client.get("/optimise").text for text in texts)
