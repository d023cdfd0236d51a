"""The `make run` promise: the printed demo sign-in opens the dashboard with the demo data."""

from __future__ import annotations

import re

import pytest

from tradeloop.i18n import translate

pytestmark = pytest.mark.browser


def test_printed_demo_account_signs_in_to_the_dashboard(page, demo_output) -> None:
    printed = demo_output[2]
    email = re.search(r"email:\s+(\S+)", printed).group(1)
    password = re.search(r"password:\s+(\S+)", printed).group(1)
    assert email == "demo@tradeloop.app"
    page.goto("/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("button.primary")
    page.wait_for_url(re.compile(r"/$"))
    assert page.locator("h1").inner_text() == translate("id", "dashboard.title")
    assert translate("id", "dashboard.welcome", name="Demo Trader") in page.content()
    days = page.request.get("/api/mentor/sessions").json()["items"]
    assert len(days) >= 3 and all(day["total_trades"] > 0 for day in days)
    stats = page.locator(".stat strong").all_inner_texts()
    # bots, unread notifications, backtests, journal days: no bot ran, so nothing to notify
    assert stats == ["2", "0", "2", str(len(days))]


def test_the_demo_is_made_by_the_real_features_from_synthetic_data(page, demo_output) -> None:
    """What the demo shows was produced by an import, a backtest and the mentor, from the
    package's generators, and says so; no event describes something that did not happen."""
    page.request.post("/api/auth/logout")
    printed = demo_output[2]
    email = re.search(r"email:\s+(\S+)", printed).group(1)
    password = re.search(r"password:\s+(\S+)", printed).group(1)
    token = page.request.post("/api/auth/token", form={"username": email, "password": password})
    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
    api = page.request
    imports = api.get("/api/journal/imports", headers=headers).json()["items"]
    assert [i["file_name"] for i in imports] == ["synthetic-tradovate-orders.csv"]
    assert imports[0]["trades"] == 120
    summary = api.get("/api/journal/summary", headers=headers).json()
    assert summary["total_trades"] == 120
    days = api.get("/api/mentor/sessions", headers=headers).json()["items"]
    assert sum(day["total_trades"] for day in days) == 120
    results = api.get("/api/backtests", headers=headers).json()["items"]
    assert [r["data_filename"] for r in results] == ["EURUSD_H1_synthetic.csv"] * 2
    result = api.get(f"/api/backtests/{results[0]['id']}", headers=headers).json()
    assert result["total_trades"] == len(result["trade_log"]) > 0
    datasets = api.get("/api/datasets", headers=headers).json()["items"]
    assert [d["name"] for d in datasets] == ["EURUSD_H1_synthetic.csv"]
    report = api.get(f"/api/mentor/reports/{days[0]['date']}?language=id", headers=headers)
    assert report.status == 200
    assert api.get("/api/notifications", headers=headers).json()["total"] == 0
    for bot in api.get("/api/bots", headers=headers).json()["items"]:
        history = api.get(f"/api/bots/{bot['id']}/history", headers=headers).json()["items"]
        assert bot["status"] == "paused"
        assert [event["action"] for event in history] == ["BOT_CREATED"]
