"""The market data pages over HTTP: upload (as a form and as a job), the stored report, the
list, the dataset's page, deletion (CSRF, other users), and the mixed-interval message that
names the form's checkbox in the user's language."""

from __future__ import annotations

import html
import re
import time

import pandas as pd
import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import text

from tests.conftest import bearer, register
from tests.market.test_report import us500_like_csv
from tests.web.test_pages import csrf, sign_in
from tradeloop.i18n import translate
from tradeloop.market.synthetic import random_walk_bars
from tradeloop.web import market_pages

MIXED = us500_like_csv().encode()


def signed_in(client: TestClient, email: str = "ayu@example.com") -> str:
    """Register and sign ``email`` in through the pages; the page's CSRF token."""
    register(client, email)
    sign_in(client, email)
    return csrf(client, "/market")


def upload(client: TestClient, token: str, data: bytes = MIXED, name: str = "US500_H1.csv",
           background: bool = False, **fields: str):  # fmt: skip
    return client.post(
        "/market" + ("?background=true" if background else ""),
        data={"csrf_token": token, **fields},
        files={"file": (name, data, "text/csv")},
        follow_redirects=False,
    )


def stored_reports(client: TestClient) -> list[str]:
    with client.app.state.engine.connect() as connection:
        return [row[0] for row in connection.execute(text("SELECT report FROM datasets"))]


def wait_for(client: TestClient, location: str) -> dict:
    for _ in range(200):
        job = client.get(location).json()
        if job["state"] not in ("queued", "running"):
            return job
        time.sleep(0.05)
    raise AssertionError(f"job did not end: {job}")


def test_an_upload_stores_its_report_with_the_gap_and_the_dropped_bars(client: TestClient) -> None:
    token = signed_in(client)
    answer = upload(client, token, keep_dominant_interval="true")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/market?stored=1&notice=datasets.stored"
    [stored] = stored_reports(client)
    assert '"off_grid"' in stored and '"other_interval"' in stored  # kept in the database
    report = client.get("/api/datasets/1", headers=bearer(client, "ayu@example.com")).json()
    report = report["report"]
    assert (report["timeframe"], report["bars"], report["rows_read"]) == ("H1", 237, 243)
    assert (report["gaps"], report["expected_gaps"], report["missing_bars"]) == (1, 1, 3)
    assert report["largest_gaps"] == [
        {"start": "2024-01-10T13:00:00+00:00", "end": "2024-01-10T16:00:00+00:00",
         "seconds": 10800, "missing_bars": 3}
    ]  # fmt: skip
    assert [
        (d["reason"], d["timeframe"], d["bars"], d["rows"], d["start"]) for d in report["dropped"]
    ] == [
        ("other_interval", "D1", 5, [1, 5], "2024-01-01T00:00:00+00:00"),
        ("off_grid", "1200s", 1, [159, 159], "2024-01-16T09:20:00+00:00"),
    ]
    assert report["dropped_bars"] == 6


def test_the_dataset_page_shows_the_report_in_the_users_zone(client: TestClient) -> None:
    token = signed_in(client)
    upload(client, token, keep_dominant_interval="true")
    client.post("/profile", data={"csrf_token": token, "name": "Ayu", "language": "en",
                                  "timezone": "Asia/Jakarta"})  # fmt: skip
    page = client.get("/market/1")
    assert page.status_code == 200
    shown = html.unescape(page.text)
    gaps = re.search(r'data-testid="gaps">(.*?)</table>', shown, re.S).group(1)
    row = [cell.strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", gaps)]
    assert row == ["2024-01-10 20:00 UTC+07:00", "2024-01-10 23:00 UTC+07:00", "3 h 0 min", "3"]
    dropped = re.search(r'data-testid="dropped">(.*?)</table>', shown, re.S).group(1)
    cells = [cell.strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", dropped)]
    assert cells == [
        translate("en", "datasets.reason.other_interval", timeframe="D1"), "5", "1–5",
        "2024-01-01 07:00 UTC+07:00", "2024-01-05 07:00 UTC+07:00",
        translate("en", "datasets.reason.off_grid", timeframe="1200s"), "1", "159–159",
        "2024-01-16 16:20 UTC+07:00", "2024-01-16 16:20 UTC+07:00",
    ]  # fmt: skip
    assert re.search(r'data-testid="report-gaps">1<', shown)
    assert re.search(r'data-testid="report-closures">\s*weekends<', shown)
    assert translate("en", "datasets.shown_all", candles="237", interval="H1") in shown
    assert translate("en", "datasets.chart_times", zone="Asia/Jakarta") in shown


def test_a_long_series_is_previewed_in_at_most_3000_candles(client: TestClient) -> None:
    token = signed_in(client)
    times = pd.date_range("2020-01-01", periods=20_000, freq="h")
    rows = ["time,open,high,low,close", *(f"{t:%Y-%m-%d %H:%M},1.1,1.2,1.0,1.15" for t in times)]
    assert upload(client, token, "\n".join(rows).encode(), "BTCUSD_H1.csv").status_code == 303
    page = html.unescape(client.get("/market/1").text)
    note = translate("id", "datasets.shown_resampled", interval="D1", bars="20 000", own="H1",
                     candles="834")  # fmt: skip
    assert note in page  # 20 000 hours: H4 candles would be 5 000, D1 ones are 834


def test_the_list_shows_each_dataset_and_deletes_with_csrf(client: TestClient) -> None:
    token = signed_in(client)
    assert "datasets-empty" in client.get("/market").text
    upload(client, token, keep_dominant_interval="true")
    page = html.unescape(client.get("/market?stored=1&notice=datasets.stored").text)
    assert translate("id", "datasets.stored") in page
    [row] = re.findall(r'<tr data-testid="dataset-row".*?</tr>', page, re.S)
    assert 'href="/market/1"' in row and "US500_H1.csv" in row and ">US500<" in row
    assert re.search(r'data-testid="dataset-bars">237<', row)
    assert re.search(r'data-testid="dataset-size">\d+(\.\d)? KB<', row)
    assert row.count("UTC") == 3  # first bar, last bar, uploaded: each with its zone
    assert "2024-01-07 22:00 UTC" in row and "2024-01-19 21:00 UTC" in row
    assert 'class="just-stored"' in row

    refused = client.post("/market/1/delete", data={"csrf_token": "forged"})
    assert refused.status_code == 403
    assert len(stored_reports(client)) == 1
    deleted = client.post("/market/1/delete", data={"csrf_token": token}, follow_redirects=False)
    assert deleted.headers["location"] == "/market?notice=datasets.deleted"
    page = client.get(deleted.headers["location"]).text
    assert translate("id", "datasets.deleted") in page and "dataset-row" not in page
    assert stored_reports(client) == []


def test_another_users_dataset_is_not_found(client: TestClient) -> None:
    token = signed_in(client)
    upload(client, token, keep_dominant_interval="true")
    client.cookies.clear()
    other = signed_in(client, "budi@example.com")
    assert "dataset-row" not in client.get("/market").text
    page = client.get("/market/1")
    assert page.status_code == 404 and "US500" not in page.text
    refused = client.post("/market/1/delete", data={"csrf_token": other})
    assert refused.status_code == 404
    assert len(stored_reports(client)) == 1


def test_every_market_route_with_an_id_answers_404_for_another_user(client: TestClient) -> None:
    token = signed_in(client)
    upload(client, token, keep_dominant_interval="true")
    client.cookies.clear()
    other = signed_in(client, "budi@example.com")
    routes = {
        (method, route.path)
        for route in market_pages.router.routes
        if isinstance(route, APIRoute) and "{" in route.path
        for method in route.methods
    }
    assert routes == {("GET", "/market/{dataset_id}"), ("POST", "/market/{dataset_id}/delete")}
    for method, path in routes:
        url = path.replace("{dataset_id}", "1")
        answer = (
            client.get(url) if method == "GET" else client.post(url, data={"csrf_token": other})
        )
        assert answer.status_code == 404, (method, path)


@pytest.mark.parametrize("language", ["id", "en"])
def test_mixed_intervals_name_the_forms_checkbox(client: TestClient, language: str) -> None:
    token = signed_in(client)
    client.post("/language", data={"csrf_token": token, "lang": language, "next": "/market"})
    checkbox = translate(language, "datasets.keep_dominant")
    page = upload(client, token)  # without the page's script: the page with the message
    assert page.status_code == 422
    message = html.unescape(
        re.search(r'data-testid="market-errors">\s*<li>(.*?)</li>', page.text, re.S).group(1)
    )
    part = translate(language, "datasets.mixed_part", first=1, last=5, bars="5", start="2024-01-01",
                     end="2024-01-05", timeframe="D1")  # fmt: skip
    expected = translate(language, "datasets.mixed_intervals", parts=f"{part}; " + translate(
        language, "datasets.mixed_part", first=159, last=159, bars="1", start="2024-01-16",
        end="2024-01-16", timeframe="1200s"), kept="237", timeframe="H1", checkbox=checkbox)  # fmt: skip
    assert message == expected and f"“{checkbox}”" in message
    assert "--keep-dominant-interval" not in message and "keep_dominant_interval" not in message
    assert stored_reports(client) == []

    job = upload(client, token, background=True)  # the page's script: a job that fails so
    assert job.status_code == 202 and job.headers["location"] == f"/api/jobs/{job.json()['id']}"
    ended = wait_for(client, job.headers["location"])
    assert (ended["state"], ended["error"]) == ("failed", expected)
    assert stored_reports(client) == []


def test_the_api_and_the_cli_keep_their_own_wording(client: TestClient) -> None:
    register(client, "ayu@example.com")
    answer = client.post("/api/datasets", headers=bearer(client, "ayu@example.com"),
                         files={"file": ("US500_H1.csv", MIXED, "text/csv")})  # fmt: skip
    assert answer.status_code == 422
    message = answer.json()["message"]
    assert (
        "API keep_dominant_interval=true" in message and "CLI --keep-dominant-interval" in message
    )
    assert translate("en", "datasets.keep_dominant") not in message


def test_a_background_upload_is_a_job_whose_result_is_the_dataset(client: TestClient) -> None:
    token = signed_in(client)
    job = upload(client, token, MIXED, "prices.csv", background=True,
                 keep_dominant_interval="true", symbol="SPX500")  # fmt: skip
    assert job.status_code == 202 and job.json()["kind"] == "dataset"
    ended = wait_for(client, job.headers["location"])
    assert ended["state"] == "done" and ended["result"] == {"id": 1, "url": "/api/datasets/1"}
    [row] = re.findall(r'<tr data-testid="dataset-row".*?</tr>', client.get("/market").text, re.S)
    assert "prices.csv" in row and "<td>US500</td>" in row  # the alias resolved
    assert len(stored_reports(client)) == 1


def test_a_file_that_is_not_bars_is_refused_on_the_page(client: TestClient) -> None:
    token = signed_in(client)
    page = upload(client, token, b"hello", "notes.pdf")
    assert page.status_code == 422 and "notes.pdf" in html.unescape(page.text)
    assert upload(client, token, b"hello", "notes.pdf", background=True).status_code == 422
    assert client.post("/market", files={"file": ("a.csv", MIXED)}).status_code == 403


def test_daily_closures_are_said_at_the_users_clock_time() -> None:
    from datetime import UTC, datetime

    from tradeloop.web.market_pages import closures_text

    closures = {"weekends": True, "daily": [["21:00", "22:00"]]}
    winter, summer = datetime(2024, 1, 10, tzinfo=UTC), datetime(2024, 7, 10, tzinfo=UTC)
    assert closures_text("en", closures, "Asia/Jakarta", winter) == (
        "weekends; every day from 04:00 UTC+07:00 for 1 h 0 min"
    )
    assert closures_text("id", closures, "America/New_York", summer) == (
        "akhir pekan; setiap hari mulai 17:00 UTC-04:00 selama 1 jam 0 menit"
    )
    overnight = {"weekends": False, "daily": [["23:00", "01:00"]]}
    assert closures_text("en", overnight, "UTC", winter) == "every day from 23:00 UTC for 2 h 0 min"
    none = {"weekends": False, "daily": []}
    assert closures_text("en", none, "UTC", winter) == translate("en", "datasets.closure_none")


def test_every_way_of_storing_bars_records_the_report(client: TestClient) -> None:
    register(client, "ayu@example.com")
    headers = bearer(client, "ayu@example.com")
    files = {"file": ("US500_H1.csv", MIXED, "text/csv")}
    api = client.post("/api/datasets", headers=headers, files=files,
                      data={"keep_dominant_interval": "true"})  # fmt: skip
    assert api.status_code == 201 and api.json()["report"]["dropped_bars"] == 6
    run = client.post("/api/backtests", headers=headers, files=files,
                      data={"strategy": "ma_crossover", "keep_dominant_interval": "true"})  # fmt: skip
    assert run.status_code == 201 and run.json()["dataset_id"] == api.json()["id"]  # same bars
    with client.app.state.engine.begin() as connection:  # as stored before reports were kept
        connection.execute(text("UPDATE datasets SET report = '{}'"))
    assert client.get(f"/api/datasets/{api.json()['id']}", headers=headers).json()["report"] == {}
    other = random_walk_bars(300, seed=2).to_csv(date_format="%Y-%m-%d %H:%M:%S").encode()
    made = client.post("/api/backtests", headers=headers, data={"strategy": "ma_crossover"},
                       files={"file": ("EURUSD_H1.csv", other, "text/csv")})  # fmt: skip
    dataset = client.get(f"/api/datasets/{made.json()['dataset_id']}", headers=headers).json()
    assert (dataset["report"]["bars"], dataset["report"]["dropped"]) == (300, [])
    sign_in(client, "ayu@example.com")
    page = client.get(f"/market/{api.json()['id']}").text  # computed now, dropped bars unknown
    assert 'data-testid="dropped-unknown"' in page and re.search(r'report-gaps">1<', page)


def test_the_market_pages_need_sign_in(client: TestClient) -> None:
    for path in ("/market", "/market/1"):
        answer = client.get(path, follow_redirects=False)
        assert (answer.status_code, answer.headers["location"]) == (303, f"/login?next={path}")
