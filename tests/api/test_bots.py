"""Bot configuration over the API: create, read, change, delete, history, pagination."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.conftest import bearer, register


@pytest.fixture
def headers(client: TestClient) -> dict[str, str]:
    register(client, "ayu@example.com")
    return bearer(client, "ayu@example.com")


def test_create_stores_defaults_and_logs_the_creation(client: TestClient, headers) -> None:
    created = client.post(
        "/api/bots",
        json={"name": "Gold", "market": "XAUUSD", "strategy": "turtle_breakout"},
        headers=headers,
    )
    assert created.status_code == 201
    bot = created.json()
    assert {
        k: bot[k]
        for k in (
            "status",
            "lot_size",
            "sl_pips",
            "tp_pips",
            "timeframe",
            "stop_mode",
            "check_interval_seconds",
            "risk_percent",
            "enable_strategy_switching",
        )
    } == {
        "status": "paused",
        "lot_size": 0.01,
        "sl_pips": 100,
        "tp_pips": 200,
        "timeframe": "H1",
        "stop_mode": "pips",
        "check_interval_seconds": 60,
        "risk_percent": None,
        "enable_strategy_switching": False,
    }
    history = client.get(f"/api/bots/{bot['id']}/history", headers=headers).json()
    assert [event["action"] for event in history["items"]] == ["BOT_CREATED"]


def test_update_changes_only_given_fields(client: TestClient, headers) -> None:
    bot = client.post(
        "/api/bots",
        json={"name": "A", "market": "EURUSD", "strategy": "ma_crossover"},
        headers=headers,
    ).json()
    changed = client.patch(
        f"/api/bots/{bot['id']}", json={"risk_percent": 1.5, "stop_mode": "atr"}, headers=headers
    ).json()
    assert (changed["risk_percent"], changed["stop_mode"], changed["name"]) == (1.5, "atr", "A")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"market": "EURUSD", "strategy": "ma_crossover"}, "Nama: wajib diisi"),
        (
            {"name": "A", "market": "EURUSD", "strategy": "ma_crossover", "lot_size": 0},
            "Ukuran lot: harus lebih dari 0",
        ),
        (
            {"name": "A", "market": "EURUSD", "strategy": "ma_crossover", "risk_percent": 25},
            "Risiko per transaksi (%): maksimal 10",
        ),
        (
            {"name": "A", "market": "EURUSD", "strategy": "ma_crossover", "timeframe": "H2"},
            "Timeframe: harus salah satu dari 'M1', 'M5', 'M15', 'M30', 'H1', 'H4', 'D1' atau 'W1'",
        ),
        (
            {"name": "A", "market": "EUR USD", "strategy": "ma_crossover"},
            "Pasar: berisi karakter yang tidak diizinkan",
        ),
        (
            {"name": "A", "market": "EURUSD", "strategy": "ma_crossover", "status": "running"},
            "status: bukan isian yang diterima di sini",
        ),
        (
            {"name": "A", "market": "EURUSD", "strategy": "ma_crossover", "stop_mode": "percent"},
            "Stop dan target dalam: harus salah satu dari 'pips' atau 'atr'",
        ),
    ],
)
def test_bad_bot_settings_are_422_and_nothing_is_stored(
    client: TestClient, headers, body, message
) -> None:
    response = client.post("/api/bots", json=body, headers=headers)
    assert response.status_code == 422
    assert message in response.json()["message"]
    assert client.get("/api/bots", headers=headers).json()["total"] == 0


def test_pagination_limits_offsets_and_totals(client: TestClient, headers) -> None:
    for index in range(5):
        client.post(
            "/api/bots",
            json={"name": f"b{index}", "market": "EURUSD", "strategy": "ma_crossover"},
            headers=headers,
        )
    page = client.get("/api/bots?limit=2&offset=3", headers=headers).json()
    assert [bot["name"] for bot in page["items"]] == ["b3", "b4"]
    assert (page["total"], page["limit"], page["offset"]) == (5, 2, 3)
    bad = client.get("/api/bots?limit=0", headers=headers)
    assert bad.status_code == 422 and bad.json()["message"] == "isian tidak valid: limit: minimal 1"
    assert client.get("/api/bots?limit=201", headers=headers).status_code == 422
    assert client.get("/api/bots?offset=-1", headers=headers).status_code == 422


def test_delete_removes_the_bot_and_its_history(client: TestClient, headers) -> None:
    bot = client.post(
        "/api/bots",
        json={"name": "A", "market": "EURUSD", "strategy": "ma_crossover"},
        headers=headers,
    ).json()
    assert client.delete(f"/api/bots/{bot['id']}", headers=headers).status_code == 204
    assert client.get(f"/api/bots/{bot['id']}", headers=headers).status_code == 404
    assert client.get(f"/api/bots/{bot['id']}/history", headers=headers).status_code == 404


def test_cookie_session_needs_the_csrf_header_to_change_state(client: TestClient) -> None:
    from tests.conftest import browser_sign_in

    register(client, "ayu@example.com")
    token = browser_sign_in(client, "ayu@example.com")  # the session's own token
    body = {"name": "A", "market": "EURUSD", "strategy": "ma_crossover"}
    refused = client.post("/api/bots", json=body)
    assert refused.status_code == 403 and "CSRF" in refused.json()["message"]
    assert client.get("/api/bots").json()["total"] == 0
    accepted = client.post("/api/bots", json=body, headers={"X-CSRF-Token": token})
    assert accepted.status_code == 201


def test_a_bot_needs_a_strategy_that_exists_and_parameters_it_takes(
    client: TestClient, headers
) -> None:
    bot = {"name": "Gold", "market": "XAUUSD"}
    unknown = client.post("/api/bots", json=bot | {"strategy": "moon_shot"}, headers=headers)
    assert unknown.status_code == 422
    assert unknown.json()["message"].startswith(
        "strategi moon_shot tidak dikenal: pilih salah satu dari ma_crossover, "
    )  # the user's language (Indonesian by default)
    bad = client.post(
        "/api/bots",
        json=bot | {"strategy": "ma_crossover", "strategy_params": {"fast_period": 0}},
        headers=headers,
    )
    assert bad.status_code == 422
    assert bad.json()["message"] == (
        "parameter ma_crossover tidak valid (fast_period): lihat batas strategi tersebut"
    )
    assert client.get("/api/bots", headers=headers).json()["total"] == 0  # nothing stored
    made = client.post(
        "/api/bots",
        json=bot | {"strategy": "ma_crossover", "strategy_params": {"fast_period": 5}},
        headers=headers,
    ).json()
    # another strategy without parameters starts from its defaults, not the old ones
    changed = client.patch(
        f"/api/bots/{made['id']}", json={"strategy": "rsi_crossover"}, headers=headers
    )
    assert changed.status_code == 200 and changed.json()["strategy_params"] == {}
    refused = client.patch(
        f"/api/bots/{made['id']}", json={"strategy_params": {"rsi_period": -1}}, headers=headers
    )
    assert refused.status_code == 422
    kept = client.get(f"/api/bots/{made['id']}", headers=headers).json()
    assert (kept["strategy"], kept["strategy_params"]) == ("rsi_crossover", {})


def paper_bot(client: TestClient, headers, file_name: str) -> tuple[dict, dict]:
    """An uploaded dataset named ``file_name`` (its symbol read from the name) and a paused
    EURUSD bot named Paper: the upload's answer and the bot."""
    from tests.api.test_isolation import csv_bytes

    uploaded = client.post(
        "/api/backtests",
        headers=headers,
        data={"strategy": "ma_crossover"},
        files={"file": (file_name, csv_bytes(), "text/csv")},
    ).json()
    bot = client.post(
        "/api/bots",
        json={"name": "Paper", "market": "EURUSD", "strategy": "ma_crossover"},
        headers=headers,
    ).json()
    return uploaded, bot


def test_start_and_stop_a_paper_bot_on_a_dataset(client: TestClient, headers) -> None:
    uploaded, bot = paper_bot(client, headers, "EURUSD_H1.csv")
    path = f"/api/bots/{bot['id']}"
    missing = client.post(f"{path}/start", json={"dataset_id": 999}, headers=headers)
    assert missing.status_code == 404
    slow = client.post(
        f"{path}/start",
        json={"dataset_id": uploaded["dataset_id"], "seconds_per_bar": -1},
        headers=headers,
    )
    assert slow.status_code == 422
    assert client.get(path, headers=headers).json()["status"] == "paused"  # nothing changed
    started = client.post(
        f"{path}/start", json={"dataset_id": uploaded["dataset_id"]}, headers=headers
    )
    assert started.status_code == 200 and started.json()["status"] == "starting"
    again = client.post(
        f"{path}/start", json={"dataset_id": uploaded["dataset_id"]}, headers=headers
    )
    assert again.status_code == 409
    assert again.json()["message"] == "bot Paper sudah berjalan: hentikan dulu"
    assert client.get(f"{path}/fills", headers=headers).json() == []  # no supervisor here
    assert client.get(f"{path}/account", headers=headers).json()["equity"] is None
    assert client.get(f"{path}/analysis", headers=headers).json() == {"analysis": None, "text": ""}
    flat = client.post(f"{path}/close", headers=headers)
    assert (
        flat.status_code == 422 and flat.json()["message"] == "bot Paper tidak punya posisi terbuka"
    )
    stopped = client.post(f"{path}/stop", headers=headers)
    assert stopped.status_code == 200 and stopped.json()["status"] == "paused"
    actions = [e["action"] for e in client.get(f"{path}/history", headers=headers).json()["items"]]
    assert actions[:2] == ["BOT_PAUSED", "BOT_STARTED"]


def test_a_bot_starts_only_on_bars_of_its_own_market(client: TestClient, headers) -> None:
    uploaded, bot = paper_bot(client, headers, "GBPUSD_H1.csv")
    refused = client.post(
        f"/api/bots/{bot['id']}/start", json={"dataset_id": uploaded["dataset_id"]}, headers=headers
    )
    assert refused.status_code == 422
    assert refused.json()["message"] == (
        "dataset GBPUSD_H1.csv berisi bar GBPUSD, bukan EURUSD: pilih dataset EURUSD"
    )
    assert client.get(f"/api/bots/{bot['id']}", headers=headers).json()["status"] == "paused"
