"""Backtests over the API: upload or dataset, saved results, history, re-run, bad input."""

from __future__ import annotations

import json
import threading
import time

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from tests.conftest import all_workers_busy, bearer, in_english, register
from tradeloop.market.synthetic import random_walk_bars

SETTINGS = json.dumps({"sl_atr": 2, "tp_atr": 4, "units": 1, "spread_pips": 0})


def csv_bytes(n: int = 3000, seed: int = 4) -> bytes:
    bars = random_walk_bars(n, seed=seed)
    return bars.to_csv(date_format="%Y-%m-%d %H:%M:%S").encode()


@pytest.fixture
def headers(client: TestClient) -> dict[str, str]:
    register(client, "ayu@example.com")
    return in_english(client, bearer(client, "ayu@example.com"))


def run(client, headers, data=None, name="EURUSD_H1.csv", **form):
    fields = {"strategy": "ma_crossover", "settings": SETTINGS, **form}
    files = (
        None
        if data is False
        else {"file": (name, csv_bytes() if data is None else data, "text/csv")}
    )
    return client.post("/api/backtests", headers=headers, files=files, data=fields)


def rows(client: TestClient, table: str) -> int:
    with client.app.state.engine.connect() as connection:
        return connection.execute(text(f"SELECT count(*) FROM {table}")).scalar()


def test_upload_runs_saves_and_keeps_the_data_as_a_dataset(client: TestClient, headers) -> None:
    response = run(client, headers)
    assert response.status_code == 201, response.text
    result = response.json()
    assert result["strategy_name"] == "ma_crossover" and result["data_filename"] == "EURUSD_H1.csv"
    assert result["total_trades"] == result["stats"]["trades"] == len(result["trade_log"]) > 10
    assert result["wins"] + result["losses"] <= result["total_trades"]
    assert result["total_profit_usd"] == pytest.approx(result["stats"]["net_profit"])
    assert result["parameters"]["strategy"] == {"fast_period": 20, "slow_period": 50}
    assert result["parameters"]["symbol"] == "EURUSD" and result["parameters"]["timeframe"] == "H1"
    curve = result["equity_curve"]
    assert len(curve["time"]) == len(curve["equity"]) == len(curve["close"]) == 3000
    assert curve["equity"][-1] == pytest.approx(result["stats"]["final_equity"])
    trade = result["trade_log"][0]
    assert set(trade) >= {
        "side",
        "entry_time",
        "exit_time",
        "entry_price",
        "exit_price",
        "size",
        "pnl",
        "exit_reason",
    }
    dataset = client.get(f"/api/datasets/{result['dataset_id']}", headers=headers).json()
    assert (dataset["bars"], dataset["symbol"], dataset["timeframe"]) == (3000, "EURUSD", "H1")


def test_same_file_twice_is_one_dataset_and_two_results(client: TestClient, headers) -> None:
    first, second = run(client, headers).json(), run(client, headers).json()
    assert first["dataset_id"] == second["dataset_id"]
    assert client.get("/api/backtests", headers=headers).json()["total"] == 2


def test_dataset_can_be_uploaded_then_backtested(client: TestClient, headers) -> None:
    upload = client.post(
        "/api/datasets",
        headers=headers,
        files={"file": ("XAUUSD.r_H1.csv", csv_bytes(), "text/csv")},
    )
    assert upload.status_code == 201 and upload.json()["symbol"] == "XAUUSD"
    result = run(client, headers, data=False, dataset_id=str(upload.json()["id"]))
    assert result.status_code == 201 and result.json()["parameters"]["symbol"] == "XAUUSD"


def test_rerun_with_changed_parameters_and_history(client: TestClient, headers) -> None:
    original = run(client, headers).json()
    rerun = client.post(
        f"/api/backtests/{original['id']}/rerun",
        headers=headers,
        json={"params": {"fast_period": 10, "slow_period": 30}, "settings": {"tp_atr": 6}},
    )
    assert rerun.status_code == 201
    changed = rerun.json()
    assert changed["parameters"]["strategy"] == {"fast_period": 10, "slow_period": 30}
    assert (
        changed["parameters"]["execution"]["tp_atr"] == 6
        and changed["parameters"]["execution"]["sl_atr"] == 2
    )
    assert changed["total_trades"] != original["total_trades"]
    history = client.get("/api/backtests?limit=1", headers=headers).json()
    assert history["total"] == 2 and history["items"][0]["id"] == changed["id"]
    assert "trade_log" not in history["items"][0]


def test_rerun_after_the_data_was_deleted_is_409(client: TestClient, headers) -> None:
    result = run(client, headers).json()
    assert (
        client.delete(f"/api/datasets/{result['dataset_id']}", headers=headers).status_code == 204
    )
    kept = client.get(f"/api/backtests/{result['id']}", headers=headers).json()
    assert kept["dataset_id"] is None and kept["total_trades"] == result["total_trades"]
    conflict = client.post(f"/api/backtests/{result['id']}/rerun", headers=headers, json={})
    assert conflict.status_code == 409 and "upload it again" in conflict.json()["message"]


def test_delete_removes_the_result(client: TestClient, headers) -> None:
    result = run(client, headers).json()
    assert client.delete(f"/api/backtests/{result['id']}", headers=headers).status_code == 204
    assert client.get(f"/api/backtests/{result['id']}", headers=headers).status_code == 404


@pytest.mark.parametrize(
    ("form", "data", "name", "message"),
    [
        ({"strategy": "nope"}, None, "EURUSD_H1.csv", "unknown strategy 'nope'"),
        (
            {"params": '{"fast_period": 60}'},
            None,
            "EURUSD_H1.csv",
            "fast_period (60) must be smaller than slow_period (50)",
        ),
        (
            {"params": '{"slow_period": 9999}'},
            None,
            "EURUSD_H1.csv",
            "slow_period: Input should be less than or equal to 500",
        ),
        ({"params": "{oops"}, None, "EURUSD_H1.csv", "params: not valid JSON"),
        (
            {"settings": '{"sl_atr": -1}'},
            None,
            "EURUSD_H1.csv",
            "settings.sl_atr: Input should be greater than or equal to 0.1",
        ),
        (
            {"settings": '{"risk_percent": 2}'},
            None,
            "EURUSD_H1.csv",
            "risk_percent sizing needs a stop",
        ),
        (
            {},
            b"time,open,high,low,close\n2024-01-01 00:00,1,2,0.5,1.5\n",
            "EURUSD_H1.csv",
            "1 bars are too few: ma_crossover",
        ),
        ({}, b"time,open,high,close\n2024-01-01,1,2,1\n", "EURUSD_H1.csv", "missing column(s) low"),
        (
            {},
            b"time,open,high,low,close\n2024-01-01,1,2,0.5,1.5\n2024-01-01,1,2,0.5,1.5\n",
            "EURUSD_H1.csv",
            "row 2: duplicate time",
        ),
        ({}, b"\x00\x01binary", "EURUSD_H1.csv", "the file is binary"),
        ({}, b"", "EURUSD_H1.csv", "the file is empty"),
        ({}, None, "EURUSD_H1.xlsx", "upload a CSV or Parquet file"),
        ({}, None, "MYCOIN_H1.csv", "unknown symbol 'MYCOIN'"),
        (
            {"symbol": "EURGBP"},
            None,
            "EURUSD_H1.csv",
            "profit of EURGBP is in GBP: give conversion_rate",
        ),
        ({"tz": "Nowhere/City"}, None, "EURUSD_H1.csv", "unknown time zone 'Nowhere/City'"),
    ],
)
def test_bad_requests_are_422_and_store_nothing(
    client: TestClient, headers, form, data, name, message
) -> None:
    response = run(client, headers, data=data, name=name, **form)
    assert response.status_code == 422, response.text
    assert message in response.json()["message"]
    assert rows(client, "backtest_results") == 0 and rows(client, "datasets") == 0


def test_neither_or_both_data_sources_is_422(client: TestClient, headers) -> None:
    neither = run(client, headers, data=False)
    assert (
        neither.status_code == 422
        and "either a data file or a dataset_id" in neither.json()["message"]
    )
    dataset = client.post(
        "/api/datasets", headers=headers, files={"file": ("EURUSD.csv", csv_bytes(), "text/csv")}
    ).json()
    both = run(client, headers, dataset_id=str(dataset["id"]))
    assert both.status_code == 422


def test_unknown_dataset_is_404(client: TestClient, headers) -> None:
    response = run(client, headers, data=False, dataset_id="999")
    assert response.status_code == 404 and response.json()["message"] == "dataset 999 not found"


def test_uploads_over_the_limit_are_413_and_store_nothing(app_settings) -> None:
    from tradeloop.app import create_app

    small = app_settings.model_copy(update={"max_backtest_upload_bytes": 50_000})
    with TestClient(create_app(small)) as client:
        register(client, "ayu@example.com")
        response = run(client, bearer(client, "ayu@example.com"), data=csv_bytes(3000))
        assert response.status_code == 413 and "batasnya 48.8 KB" in response.json()["message"]
        assert rows(client, "datasets") == 0


def test_strategies_and_instruments_are_listed(client: TestClient, headers) -> None:
    listing = client.get("/api/strategies", headers=headers).json()
    assert listing["total"] == 14 and listing["items"][0]["key"] == "ma_crossover"
    schema = client.get("/api/strategies/bollinger_squeeze", headers=headers).json()
    factor = next(p for p in schema["params"] if p["name"] == "squeeze_factor")
    assert factor == {
        "name": "squeeze_factor",
        "type": "float",
        "default": 0.7,
        "minimum": 0.1,
        "maximum": 1.0,
        "step": 0.05,
        "label": {"id": "Faktor squeeze", "en": "Squeeze factor"},
    }
    assert client.get("/api/strategies/nope", headers=headers).status_code == 404
    symbols = {i["symbol"] for i in client.get("/api/instruments", headers=headers).json()["items"]}
    assert {"EURUSD", "XAUUSD", "US500", "BTCUSD"} <= symbols


def test_rerun_keeps_a_described_instrument(client: TestClient, headers) -> None:
    first = run(
        client,
        headers,
        name="MYCOIN_H1.csv",
        contract_size="10",
        pip_size="0.01",
        quote_currency="USD",
        settings=json.dumps({"sl_atr": 2, "tp_atr": 4, "lots": 1, "spread_pips": 0}),
    )
    assert first.status_code == 201, first.text
    again = client.post(f"/api/backtests/{first.json()['id']}/rerun", headers=headers, json={})
    assert again.status_code == 201
    assert again.json()["total_profit_usd"] == pytest.approx(first.json()["total_profit_usd"])
    assert again.json()["parameters"]["instrument"] == {
        "contract_size": 10.0,
        "pip_size": 0.01,
        "quote_currency": "USD",
    }


def test_a_request_waiting_for_a_worker_holds_no_lock_on_the_database(
    client: TestClient, headers
) -> None:
    answers = []
    with all_workers_busy(client):
        waiting = threading.Thread(target=lambda: answers.append(run(client, headers)))
        waiting.start()
        while client.app.state.tradeloop.work._waiting == 0:  # the backtest waits for a worker
            time.sleep(0.01)
        bot = client.post("/api/bots", headers=headers, json={
            "name": "meanwhile", "market": "EURUSD", "strategy": "ma_crossover"})  # fmt: skip
        assert bot.status_code == 201, bot.text  # written while the other request waits
        assert answers == []
    waiting.join(60)
    assert answers[0].status_code == 201, answers[0].text
