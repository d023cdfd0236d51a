"""Imports over the API say what the file is; MT5 server zones are asked once per account and
remembered; day/month order; the same fills imported twice count once; tested reports stay out
of the habits; the API's trade filter is the mentor's; settings changes rescore the days."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.conftest import bearer, register
from tests.journal import metatrader_fixtures as fx
from tests.journal.helpers import export, fill
from tests.journal.test_csv_formats import FILLS, ORDERS_32, PERFORMANCE
from tradeloop.i18n import translate


@pytest.fixture
def headers(client: TestClient) -> dict[str, str]:
    register(client, "sri@example.com")
    return bearer(client, "sri@example.com")


def upload(client: TestClient, headers: dict, data: bytes, name: str = "x.csv", **form: str):
    return client.post(
        "/api/journal/imports",
        headers=headers,
        files={"file": (name, data, "text/plain")},
        data=form,
    )


def test_an_import_says_what_the_file_is(client: TestClient, headers) -> None:
    doc = upload(
        client, headers, fx.mt5_html("ja").encode("utf-16"), "r.html", tz="Europe/Athens"
    ).json()
    assert (doc["format"], doc["kind"], doc["label"]) == ("mt5", "live", "MT5 Trade History Report")
    assert (doc["accounts"], doc["currency"], doc["server"], doc["language"]) == (
        ["7001234"], "USD", "Demo-Server", "ja",
    )  # fmt: skip
    assert doc["import"]["accounts"] == ["7001234"] and doc["import"]["timezone"] == "Europe/Athens"
    listed = client.get("/api/journal/imports", headers=headers).json()["items"][0]
    assert (listed["label"], listed["currency"], listed["format"]) == (
        "MT5 Trade History Report", "USD", "mt5",
    )  # fmt: skip
    summary = client.get("/api/journal/summary", headers=headers).json()
    assert (summary["unit"], summary["currency"], round(summary["net_pnl"], 2)) == (
        "money",
        "USD",
        -32.90,
    )


def test_the_server_zone_of_a_new_mt5_account_is_asked_once_and_remembered(
    client: TestClient, headers
) -> None:
    data = fx.mt5_html().encode()
    asked = upload(client, headers, data, "a.html")
    assert asked.status_code == 422
    assert asked.json()["message"] == translate(
        "id", "journal.error.new_account_zone", account="7001234", server=" (Demo-Server)",
        label="MT5 Trade History Report",
    )  # fmt: skip
    assert asked.json()["details"] == [
        {"field": "tz", "account": "7001234", "server": "Demo-Server"}
    ]
    first = upload(client, headers, data, "a.html", tz="Europe/Athens").json()
    # 10:00 server time in March is UTC+2 in Athens
    assert first["trades"][0]["entry_time"] == "2024-03-01T08:00:00+00:00"
    later = fx.mt5_html(positions=fx.POSITIONS[:1], orders=fx.ORDERS[:1], net="9.30").encode()
    second = upload(client, headers, later, "b.html")  # no tz: the remembered zone
    assert second.status_code == 201 and second.json()["timezone"] == "Europe/Athens"


GENERIC = b"Date,Time,Symbol,Quantity,Price,Side\n03/04/2024,09:00:00,ESH4,1,5000,Buy\n03/04/2024,09:10:00,ESH4,1,5010,Sell\n"


def test_day_month_order_is_asked_for_when_the_file_cannot_tell(
    client: TestClient, headers
) -> None:
    refused = upload(client, headers, GENERIC)
    assert refused.status_code == 422 and "--date-order dmy atau mdy" in refused.json()["message"]
    assert refused.json()["details"][0]["field"] == "date_order"
    doc = upload(client, headers, GENERIC, date_order="dmy", tz="UTC").json()
    assert doc["trades"][0]["entry_time"].startswith("2024-04-03")
    bad = upload(client, headers, GENERIC, date_order="ymd")
    assert (
        bad.status_code == 422
        and "date_order: harus salah satu dari 'auto', 'dmy' atau 'mdy'" in bad.json()["message"]
    )
    assert upload(client, headers, GENERIC, currency="dollars").status_code == 422


def test_one_session_exported_three_ways_counts_once(client: TestClient, headers) -> None:
    # PERFORMANCE's last row is the NQH6 pair of ORDERS_32 and FILLS (fill ids 21 and 22)
    assert (
        upload(client, headers, ORDERS_32.encode(), "Orders.csv", tz="Asia/Tokyo").status_code
        == 201
    )
    fills = upload(client, headers, FILLS.encode(), "Fills.csv", tz="Asia/Tokyo").json()
    assert fills["duplicates"] == {"fills": 2, "of": 2, "files": ["Orders.csv"]}
    assert (
        "2 of its 2 fills were already imported (Orders.csv): they are counted once"
        in fills["warnings"]
    )
    perf = upload(client, headers, PERFORMANCE.encode(), "Performance.csv", tz="Asia/Tokyo").json()
    assert perf["duplicates"]["fills"] == 2 and perf["duplicates"]["of"] == 6
    summary = client.get("/api/journal/summary", headers=headers).json()
    # the NQ trade once (+100), and the two MNQ pairs only Performance has (−58.50, −6.50)
    assert summary["total_trades"] == 3 and round(summary["net_pnl"], 2) == 35.00


def test_a_tested_report_is_kept_out_of_the_habits(client: TestClient, headers) -> None:
    assert client.get("/api/journal/summary?kind=tested", headers=headers).json()["message"] == (
        translate("id", "journal.error.no_tester_report")
    )
    doc = upload(client, headers, fx.deals_only_html(tester=True).encode(), "t.html").json()
    assert (doc["kind"], doc["import"]["kind"]) == ("tested", "tested")
    empty = client.get("/api/journal/summary", headers=headers)
    assert empty.status_code == 422 and empty.json()["message"] == translate(
        "id", "journal.error.empty_journal"
    )
    assert client.get("/api/mentor/sessions", headers=headers).json()["total"] == 0  # no days
    tested = client.get("/api/journal/summary?kind=tested", headers=headers).json()
    assert (tested["total_trades"], round(tested["net_pnl"], 2)) == (3, 1311.61)
    listed = client.get("/api/journal/trades?kind=tested&result=loss", headers=headers).json()
    assert listed["total"] == 1 and listed["items"][0]["pnl"] == -14.28


NIGHT = export(  # 23:30 → 00:30 Jakarta (UTC+7): the trade closed on the 3rd, local time
    fill(1, "01/02/2024 16:30:00", "Buy", 1, 100),
    fill(2, "01/02/2024 17:30:00", "Sell", 1, 104),
    fill(3, "01/02/2024 20:00:00", "Buy", 1, 100),  # 03:00 local
    fill(4, "01/02/2024 20:10:00", "Sell", 1, 99),
)


def test_the_api_filter_is_the_mentors(client: TestClient, headers) -> None:
    client.patch("/api/me", headers=headers, json={"timezone": "Asia/Jakarta"})
    assert upload(client, headers, NIGHT, tz="UTC").status_code == 201

    def api(**params) -> int:
        return client.get("/api/journal/trades", headers=headers, params=params).json()["total"]

    def tool(**arguments) -> int:
        return client.post(
            "/api/mentor/tools/filter_trades", headers=headers, json=arguments
        ).json()["total"]

    assert (
        api(start="2024-01-03", end="2024-01-03") == tool(start="2024-01-03", end="2024-01-03") == 2
    )
    assert (
        api(start="2024-01-02", end="2024-01-02") == tool(start="2024-01-02", end="2024-01-02") == 0
    )
    assert api(hour_from=22, hour_to=2) == tool(hour_from=22, hour_to=2) == 1  # wraps midnight
    assert api(result="loss") == tool(result="loss") == 1
    reversed_range = client.get(
        "/api/journal/trades", headers=headers, params={"start": "2024-02-01", "end": "2024-01-01"}
    )
    assert (
        reversed_range.status_code == 422
        and "start (2024-02-01) is after end (2024-01-01)" in reversed_range.json()["message"]
    )


def test_changing_the_settings_rescores_the_stored_days(client: TestClient, headers) -> None:
    rows = [fill(1, "09:00:00", "Buy", 1, 100), fill(2, "09:01:00", "Sell", 1, 90)]
    rows += [fill(3, "09:01:10", "Buy", 1, 90), fill(4, "09:02:00", "Sell", 1, 91)]
    upload(client, headers, export(*rows), tz="UTC")

    def score() -> int:
        return client.get("/api/mentor/sessions/2024-01-02", headers=headers).json()["risk_score"]

    before = score()  # the second trade is a revenge trade (entered 10 s after a loss)
    settings = {"sigma_loss": 1.0, "sigma_risk": 1.5, "k": 0.1, "vr": 0.35}  # window: 5 s
    assert client.put("/api/journal/settings", headers=headers, json=settings).status_code == 200
    assert score() > before
