"""The journal over the API: imports, in-memory analysis, filters, settings, goals, limits."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from tests.conftest import bearer, register
from tests.journal.helpers import export, fill, stop
from tradeloop.i18n import translate
from tradeloop.journal.csv_formats import GENERIC
from tradeloop.journal.synthetic import synthetic_export

SMALL = export(
    fill(1, "09:00:00", "Buy", 1, 100),
    stop(2, "09:00:00", "Sell", 96, "Cancelled"),
    fill(3, "09:05:00", "Sell", 1, 90, "Limit"),
    fill(4, "09:05:30", "Buy", 1, 91),
    fill(5, "09:09:00", "Sell", 1, 99, "Limit"),
)


@pytest.fixture
def headers(client: TestClient) -> dict[str, str]:
    register(client, "ayu@example.com")
    return bearer(client, "ayu@example.com")


def upload(client, headers, data=SMALL, name="orders.csv", **form):
    return client.post(
        "/api/journal/imports", headers=headers, files={"file": (name, data, "text/csv")}, data=form
    )


def imports(client: TestClient) -> int:
    with client.app.state.engine.connect() as connection:
        return connection.execute(text("SELECT count(*) FROM journal_imports")).scalar()


def test_import_stores_and_analyses(client: TestClient, headers) -> None:
    response = upload(client, headers)
    assert response.status_code == 201
    doc = response.json()
    assert doc["stored"] is True and doc["import"]["trades"] == 2 and doc["import"]["rows"] == 5
    assert [t["pnl_points"] for t in doc["trades"]] == [-10, 8]
    assert doc["trades"][1]["mistakes"] == ["no_stop_loss", "revenge_trade"]
    assert doc["trades"][0]["risk_points"] == 4 and doc["trades"][0]["r_multiple"] == -2.5
    assert client.get("/api/journal/summary", headers=headers).json()["total_trades"] == 2


def test_store_false_keeps_nothing(client: TestClient, headers) -> None:
    response = upload(client, headers, store="false")
    assert (
        response.status_code == 201
        and response.json()["stored"] is False
        and "import" not in response.json()
    )
    assert imports(client) == 0


def test_same_file_twice_is_409_and_delete_removes_it(client: TestClient, headers) -> None:
    first = upload(client, headers).json()["import"]["id"]
    assert upload(client, headers).status_code == 409
    assert client.delete(f"/api/journal/imports/{first}", headers=headers).status_code == 204
    assert imports(client) == 1  # kept, marked deleted, for an undo (see test_soft_delete.py)
    assert client.get("/api/journal/imports", headers=headers).json()["total"] == 0
    empty = client.get("/api/journal/summary", headers=headers)
    assert empty.status_code == 422 and empty.json()["message"] == translate(
        "id", "journal.error.empty_journal"
    )


@pytest.mark.parametrize(
    ("data", "name", "form", "status", "message"),
    [
        (SMALL, "orders.pdf", {}, 422,
         translate("id", "journal.error.upload_type", name="'orders.pdf'")),
        (b"", "orders.csv", {}, 422, translate("id", "market.error.empty_rows")),
        (b"a,b\n1,2\n", "orders.csv", {}, 422,
         translate("id", "journal.error.unknown_layout", columns=", ".join(GENERIC))),
        (export(fill(1, "09:00:00", "Buy", 1, 100)), "orders.csv", {}, 422,
         translate("id", "journal.error.no_closed_trade")),
        (SMALL, "orders.csv", {"format": "excel"}, 422, "format: harus salah satu dari"),
        (SMALL, "orders.csv", {"tz": "Moon/Base"}, 422,
         translate("id", "market.error.unknown_zone", tz="'Moon/Base'")),
        (b"\x00\x01\x02" * 100, "orders.csv", {}, 422, translate("id", "market.error.binary_file")),
    ],
)  # fmt: skip
def test_bad_imports_store_nothing(
    client: TestClient, headers, data, name, form, status, message
) -> None:
    response = upload(client, headers, data=data, name=name, **form)
    assert response.status_code == status and message in response.json()["message"]
    assert imports(client) == 0


def test_uploads_over_2_mb_are_413_before_parsing(client: TestClient, headers) -> None:
    big = synthetic_export(40_000)
    assert len(big) > 2 * 1_048_576
    response = upload(client, headers, data=big)
    assert response.status_code == 413 and "batasnya 2.0 MB" in response.json()["message"]
    assert imports(client) == 0


def test_a_20_mb_body_is_refused_from_its_length(client: TestClient, headers) -> None:
    response = upload(client, headers, data=b"x" * (20 * 1_048_576))
    assert response.status_code == 413 and imports(client) == 0


def test_detector_figures_include_percentages(client: TestClient, headers) -> None:
    upload(client, headers, data=synthetic_export(300, seed=6))
    losses = client.get("/api/journal/losses", headers=headers).json()
    assert losses["outsized_pct"] == pytest.approx(losses["outsized"] / losses["count"] * 100)
    risk = client.get("/api/journal/excessive-risk", headers=headers).json()
    assert risk["pct"] == pytest.approx(risk["count"] / risk["trades_with_stop"] * 100)
    assert risk["avg_risk_flagged"] > risk["threshold"] > risk["avg_risk_all"]


def test_trade_filters_sort_and_paginate(client: TestClient, headers) -> None:
    upload(client, headers, data=synthetic_export(60, seed=3))
    everything = client.get("/api/journal/trades?limit=200", headers=headers).json()
    assert everything["total"] == 60
    losses = client.get(
        "/api/journal/trades?result=loss&sort=pnl_points&limit=3", headers=headers
    ).json()
    assert all(t["pnl_points"] < 0 for t in losses["items"])
    assert [t["pnl_points"] for t in losses["items"]] == sorted(
        t["pnl_points"] for t in losses["items"]
    )
    assert losses["items"][0]["pnl_points"] == min(t["pnl_points"] for t in everything["items"])
    shorts = client.get("/api/journal/trades?side=sell&limit=200", headers=headers).json()
    assert shorts["total"] == sum(t["side"] == "sell" for t in everything["items"])
    naked = client.get("/api/journal/trades?mistake=no_stop_loss", headers=headers).json()
    assert all("no_stop_loss" in t["mistakes"] for t in naked["items"])
    clean = client.get("/api/journal/trades?mistake=none&limit=200", headers=headers).json()
    assert (
        clean["total"]
        + client.get("/api/journal/trades?mistake=any", headers=headers).json()["total"]
        == 60
    )
    bad = client.get("/api/journal/trades?hour_from=25", headers=headers)
    assert bad.status_code == 422 and "hour_from" in bad.json()["message"]


def test_settings_persist_and_reanalyse(client: TestClient, headers) -> None:
    upload(client, headers, data=synthetic_export(200, seed=4))
    before = client.get("/api/journal/summary", headers=headers).json()["thresholds"][
        "outsized_loss_points"
    ]
    changed = client.put(
        "/api/journal/settings",
        headers=headers,
        json={"sigma_loss": 2, "sigma_risk": 1.5, "k": 1, "vr": 0.35},
    )
    assert changed.status_code == 200
    after = client.get("/api/journal/summary", headers=headers).json()["thresholds"][
        "outsized_loss_points"
    ]
    assert after > before
    bad = client.put(
        "/api/journal/settings",
        headers=headers,
        json={"sigma_loss": 9, "sigma_risk": 1.5, "k": 1, "vr": 0.35},
    )
    assert bad.status_code == 422 and "sigma_loss: maksimal 5" in bad.json()["message"]
    assert client.get("/api/journal/settings", headers=headers).json()["sigma_loss"] == 2


def test_goals_crud_and_evaluation(client: TestClient, headers) -> None:
    upload(client, headers)
    made = client.post(
        "/api/journal/goals",
        headers=headers,
        json={
            "name": "No revenge days",
            "mistakes": ["revenge_trade"],
            "target": 3,
            "metric": "days",
        },
    )
    assert made.status_code == 201
    goals = {g["key"]: g for g in client.get("/api/journal/goals", headers=headers).json()["items"]}
    assert goals["clean_trades"]["target"] == 50 and goals["risk_management"]["target"] == 100
    assert (goals["clean_trades"]["current"], goals["clean_trades"]["best"]) == (
        0,
        1,
    )  # the second trade has mistakes
    own = goals[f"goal-{made.json()['id']}"]
    assert (own["metric"], own["current"], own["progress"]) == (
        "days",
        0,
        0.0,
    )  # one day, with a revenge trade
    bad = client.post(
        "/api/journal/goals",
        headers=headers,
        json={"name": "x", "mistakes": ["greed"], "target": 3},
    )
    assert bad.status_code == 422 and "mistakes.0" in bad.json()["message"]
    assert (
        client.delete(f"/api/journal/goals/{made.json()['id']}", headers=headers).status_code == 204
    )


def test_metrics_and_insights_in_both_languages(client: TestClient, headers) -> None:
    upload(client, headers)
    for name in (
        "losses",
        "excessive-risk",
        "risk-sizing",
        "revenge",
        "stop-loss",
        "breakeven",
        "calendar",
    ):
        assert client.get(f"/api/journal/{name}", headers=headers).status_code == 200
    english = client.get("/api/journal/insights?lang=en", headers=headers).json()
    indonesian = client.get("/api/journal/insights?lang=id", headers=headers).json()
    assert [i["code"] for i in english] == [i["code"] for i in indonesian]
    assert english[0]["title"] == "Trades without a stop-loss"
    assert indonesian[0]["title"] == "Transaksi tanpa stop-loss"


def test_concurrent_first_settings_saves_do_not_fail(client: TestClient, headers) -> None:
    from concurrent.futures import ThreadPoolExecutor

    body = {"sigma_loss": 2, "sigma_risk": 1.5, "k": 1, "vr": 0.35}
    with ThreadPoolExecutor(max_workers=4) as pool:
        codes = list(
            pool.map(
                lambda _: (
                    client.put("/api/journal/settings", headers=headers, json=body).status_code
                ),
                range(8),
            )
        )
    assert codes == [200] * 8
    assert client.get("/api/journal/settings", headers=headers).json()["sigma_loss"] == 2
