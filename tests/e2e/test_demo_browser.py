"""The `make run` promise: the printed demo sign-in opens the dashboard with the demo data."""

from __future__ import annotations

import re
import time

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
    before = page.request.get("/api/mentor/sessions").json()["items"]
    assert len(before) >= 3 and all(day["total_trades"] > 0 for day in before)
    stats = page.locator(".stat strong").all_inner_texts()
    after = page.request.get("/api/mentor/sessions").json()["total"]  # the paper bot trades on
    # bots, unread notifications, backtests, journal days; then the paper bot's figures
    assert stats[0] == "3" and stats[2] == "2" and len(before) <= int(stats[3]) <= after


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
    assert api.post("/api/bots/stop-all", headers=headers).status == 200  # hold still to count
    for _ in range(100):
        listed = api.get("/api/bots", headers=headers).json()["items"]
        if all(bot["status"] == "paused" for bot in listed):
            break
        time.sleep(0.1)
    imports = api.get("/api/journal/imports", headers=headers).json()["items"]
    bot_imports = [i for i in imports if i["format"] == "bot"]  # the paper bot's trades, if any
    assert [i["file_name"] for i in imports if i["format"] != "bot"] == [
        "synthetic-tradovate-orders.csv"
    ]
    traded = sum(i["trades"] for i in bot_imports)
    summary = api.get("/api/journal/summary", headers=headers).json()
    assert summary["total_trades"] == 120 + traded
    results = api.get("/api/backtests", headers=headers).json()["items"]
    assert [r["data_filename"] for r in results] == ["EURUSD_H1_synthetic.csv"] * 2
    result = api.get(f"/api/backtests/{results[0]['id']}", headers=headers).json()
    assert result["total_trades"] == len(result["trade_log"]) > 0
    datasets = api.get("/api/datasets", headers=headers).json()["items"]
    assert [d["name"] for d in datasets] == ["EURUSD_H1_synthetic.csv"]
    days = api.get("/api/mentor/sessions?limit=100", headers=headers).json()["items"]
    report = api.get(f"/api/mentor/reports/{days[0]['date']}?language=id", headers=headers)
    assert report.status == 200
    for bot in api.get("/api/bots", headers=headers).json()["items"]:
        history = api.get(f"/api/bots/{bot['id']}/history?limit=200", headers=headers).json()
        actions = [event["action"] for event in history["items"]]
        if bot["feed"] is None:  # saved, never run
            assert bot["status"] == "paused" and actions == ["BOT_CREATED"]
            continue
        fills = api.get(f"/api/bots/{bot['id']}/fills", headers=headers).json()
        entries = [f for f in fills if f["reason"] == "entry"]
        assert actions.count("POSITION_OPENED") == len(entries)  # each told of a real fill
        assert actions.count("POSITION_CLOSED") == len(fills) - len(entries) == traded
    notified = api.get("/api/notifications?limit=1", headers=headers).json()["total"]
    assert notified >= len(entries) + traded  # opens and closes, and any protection pause
