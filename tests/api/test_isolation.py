"""Two users: every route that names an object answers 404 for the other user's objects."""

from __future__ import annotations

import re

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import text

from tests.api.test_backtests import csv_bytes
from tests.conftest import bearer, in_english, register
from tradeloop.i18n import translate
from tradeloop.journal.synthetic import synthetic_export
from tradeloop.store.db import transaction
from tradeloop.store.optimisations import add_run
from tradeloop.web import backtest_pages, bot_pages, optimise_pages, pages

BOT = {"name": "Ayu's bot", "market": "EURUSD", "strategy": "ma_crossover"}

# Every route with a path parameter, and how to call it with the other user's object ids.
OBJECT_ROUTES = {
    ("GET", "/api/mentor/sessions/{day}"): lambda c, h, i: c.get(
        f"/api/mentor/sessions/{i['day']}", headers=h
    ),
    ("DELETE", "/api/mentor/sessions/{day}"): lambda c, h, i: c.delete(
        f"/api/mentor/sessions/{i['day']}", headers=h
    ),
    ("GET", "/api/mentor/reports/{day}"): lambda c, h, i: c.get(
        f"/api/mentor/reports/{i['day']}", headers=h
    ),
    ("GET", "/api/mentor/threads/{thread_id}"): lambda c, h, i: c.get(
        f"/api/mentor/threads/{i['thread']}", headers=h
    ),
    ("DELETE", "/api/mentor/threads/{thread_id}"): lambda c, h, i: c.delete(
        f"/api/mentor/threads/{i['thread']}", headers=h
    ),
    ("DELETE", "/api/mentor/threads/{thread_id}/messages/{message_id}"): lambda c, h, i: c.delete(
        f"/api/mentor/threads/{i['thread']}/messages/{i['message']}", headers=h
    ),
    ("POST", "/api/mentor/threads/{thread_id}/messages"): lambda c, h, i: c.post(
        f"/api/mentor/threads/{i['thread']}/messages", json={"question": "win rate?"}, headers=h
    ),
    ("GET", "/api/journal/imports/{import_id}"): lambda c, h, i: c.get(
        f"/api/journal/imports/{i['import']}", headers=h
    ),
    ("GET", "/api/jobs/{job_id}"): lambda c, h, i: c.get(f"/api/jobs/{i['job']}", headers=h),
    ("GET", "/api/jobs/{job_id}/events"): lambda c, h, i: c.get(
        f"/api/jobs/{i['job']}/events", headers=h
    ),
    ("DELETE", "/api/jobs/{job_id}"): lambda c, h, i: c.delete(f"/api/jobs/{i['job']}", headers=h),
    ("DELETE", "/api/journal/imports/{import_id}"): lambda c, h, i: c.delete(
        f"/api/journal/imports/{i['import']}", headers=h
    ),
    ("POST", "/api/journal/imports/{import_id}/restore"): lambda c, h, i: c.post(
        f"/api/journal/imports/{i['import']}/restore", headers=h
    ),
    ("GET", "/api/journal/notes/{trade_key}"): lambda c, h, i: c.get(
        f"/api/journal/notes/{i['trade']}", headers=h
    ),
    ("PUT", "/api/journal/notes/{trade_key}"): lambda c, h, i: c.put(
        f"/api/journal/notes/{i['trade']}", json={"note": "mine now"}, headers=h
    ),
    ("PUT", "/api/journal/goals/{goal_id}"): lambda c, h, i: c.put(
        f"/api/journal/goals/{i['goal']}",
        json={"name": "x", "mistakes": ["no_stop_loss"], "target": 5},
        headers=h,
    ),
    ("DELETE", "/api/journal/goals/{goal_id}"): lambda c, h, i: c.delete(
        f"/api/journal/goals/{i['goal']}", headers=h
    ),
    ("GET", "/api/datasets/{dataset_id}"): lambda c, h, i: c.get(
        f"/api/datasets/{i['dataset']}", headers=h
    ),
    ("DELETE", "/api/datasets/{dataset_id}"): lambda c, h, i: c.delete(
        f"/api/datasets/{i['dataset']}", headers=h
    ),
    ("GET", "/api/backtests/{result_id}"): lambda c, h, i: c.get(
        f"/api/backtests/{i['backtest']}", headers=h
    ),
    ("DELETE", "/api/backtests/{result_id}"): lambda c, h, i: c.delete(
        f"/api/backtests/{i['backtest']}", headers=h
    ),
    ("POST", "/api/backtests/{result_id}/rerun"): lambda c, h, i: c.post(
        f"/api/backtests/{i['backtest']}/rerun", json={}, headers=h
    ),
    ("GET", "/api/bots/{bot_id}"): lambda c, h, i: c.get(f"/api/bots/{i['bot']}", headers=h),
    ("PATCH", "/api/bots/{bot_id}"): lambda c, h, i: c.patch(
        f"/api/bots/{i['bot']}", json={"name": "mine now"}, headers=h
    ),
    ("DELETE", "/api/bots/{bot_id}"): lambda c, h, i: c.delete(f"/api/bots/{i['bot']}", headers=h),
    ("POST", "/api/bots/{bot_id}/restore"): lambda c, h, i: c.post(
        f"/api/bots/{i['bot']}/restore", headers=h
    ),
    ("GET", "/api/bots/{bot_id}/history"): lambda c, h, i: c.get(
        f"/api/bots/{i['bot']}/history", headers=h
    ),
    ("POST", "/api/bots/{bot_id}/start"): lambda c, h, i: c.post(
        f"/api/bots/{i['bot']}/start", json={"dataset_id": i["dataset"]}, headers=h
    ),
    ("POST", "/api/bots/{bot_id}/stop"): lambda c, h, i: c.post(
        f"/api/bots/{i['bot']}/stop", headers=h
    ),
    ("GET", "/api/bots/{bot_id}/fills"): lambda c, h, i: c.get(
        f"/api/bots/{i['bot']}/fills", headers=h
    ),
    ("POST", "/api/bots/{bot_id}/close"): lambda c, h, i: c.post(
        f"/api/bots/{i['bot']}/close", headers=h
    ),
    ("GET", "/api/bots/{bot_id}/account"): lambda c, h, i: c.get(
        f"/api/bots/{i['bot']}/account", headers=h
    ),
    ("GET", "/api/bots/{bot_id}/analysis"): lambda c, h, i: c.get(
        f"/api/bots/{i['bot']}/analysis", headers=h
    ),
    ("DELETE", "/api/me/sessions/{session_id}"): lambda c, h, i: c.delete(
        f"/api/me/sessions/{i['session']}", headers=h
    ),
    ("GET", "/api/accounts/{account_id}"): lambda c, h, i: c.get(
        f"/api/accounts/{i['account']}", headers=h
    ),
    ("PATCH", "/api/accounts/{account_id}"): lambda c, h, i: c.patch(
        f"/api/accounts/{i['account']}", json={"name": "mine now"}, headers=h
    ),
    ("PUT", "/api/accounts/{account_id}/credentials"): lambda c, h, i: c.put(
        f"/api/accounts/{i['account']}/credentials", json={"mt5_password": "x"}, headers=h
    ),
    ("DELETE", "/api/accounts/{account_id}"): lambda c, h, i: c.delete(
        f"/api/accounts/{i['account']}", headers=h
    ),
    ("POST", "/api/accounts/{account_id}/test"): lambda c, h, i: c.post(
        f"/api/accounts/{i['account']}/test", headers=h
    ),
    ("GET", "/api/optimisations/{run_id}"): lambda c, h, i: c.get(
        f"/api/optimisations/{i['optimisation']}", headers=h
    ),
    ("DELETE", "/api/optimisations/{run_id}"): lambda c, h, i: c.delete(
        f"/api/optimisations/{i['optimisation']}", headers=h
    ),
    ("POST", "/api/optimisations/{run_id}/cancel"): lambda c, h, i: c.post(
        f"/api/optimisations/{i['optimisation']}/cancel", headers=h
    ),
    ("POST", "/api/optimisations/{run_id}/resume"): lambda c, h, i: c.post(
        f"/api/optimisations/{i['optimisation']}/resume", headers=h
    ),
    ("POST", "/api/optimisations/{run_id}/backtest"): lambda c, h, i: c.post(
        f"/api/optimisations/{i['optimisation']}/backtest", json={"index": 0}, headers=h
    ),
}
# an administrator's routes name accounts: refused to users (tests/api/test_admin.py)
ADMIN_ROUTES = {("PATCH", "/api/admin/users/{user_id}"), ("DELETE", "/api/admin/users/{user_id}")}
PAGE_OBJECT_ROUTES = {
    ("GET", "/bots/{bot_id}"),
    ("POST", "/bots/{bot_id}/start"),
    ("POST", "/bots/{bot_id}/stop"),
    ("POST", "/bots/{bot_id}/close"),
    ("POST", "/bots/{bot_id}/delete"),
    ("POST", "/bots/{bot_id}/restore"),
    ("POST", "/backtests/{result_id}/delete"),
    ("GET", "/backtests/{result_id}"),
    ("GET", "/optimise/{run_id}"),
    ("POST", "/optimise/{run_id}/delete"),
}
# keys that name no object: a strategy, a tool (which runs on the caller's own journal), an
# exchange
PUBLIC_KEY_ROUTES = {
    ("GET", "/api/strategies/{key}"),
    ("POST", "/api/mentor/tools/{name}"),
    ("GET", "/api/accounts/exchanges/{exchange_id}"),  # what ccxt knows of an exchange
}


def journal_export() -> bytes:
    return synthetic_export(40, seed=5)


def app_routes(client: TestClient) -> set[tuple[str, str]]:
    """Every API operation (from the OpenAPI spec) and every page route."""
    api = {
        (method.upper(), path)
        for path, operations in client.app.openapi()["paths"].items()
        for method in operations
    }
    page_routes = {
        (method, route.path)
        for route in [
            *pages.router.routes,
            *backtest_pages.router.routes,
            *bot_pages.router.routes,
            *optimise_pages.router.routes,
        ]
        if isinstance(route, APIRoute)
        for method in route.methods
    }
    return api | page_routes


def test_every_object_route_is_covered_here(client: TestClient) -> None:
    with_ids = {key for key in app_routes(client) if re.search(r"\{\w+\}", key[1])}
    assert with_ids == set(OBJECT_ROUTES) | PAGE_OBJECT_ROUTES | PUBLIC_KEY_ROUTES | ADMIN_ROUTES


@pytest.fixture
def two_users(client: TestClient) -> tuple[dict, dict, dict]:
    register(client, "ayu@example.com")
    register(client, "budi@example.com")
    ayu = bearer(client, "ayu@example.com")
    budi = in_english(client, bearer(client, "budi@example.com"))  # messages as the CLI's
    bot_id = client.post("/api/bots", json=BOT, headers=ayu).json()["id"]
    result = client.post(
        "/api/backtests",
        headers=ayu,
        data={"strategy": "ma_crossover"},
        files={"file": ("EURUSD_H1.csv", csv_bytes(), "text/csv")},
    ).json()
    imported = client.post(
        "/api/journal/imports",
        headers=ayu,
        files={"file": ("orders.csv", journal_export(), "text/csv")},
    )
    goal = client.post(
        "/api/journal/goals",
        headers=ayu,
        json={"name": "Stops", "mistakes": ["no_stop_loss"], "target": 10},
    )
    client.post(
        "/api/mentor/feedback",
        headers=ayu,
        json={"emotion": "calm", "note": "private", "date": "2024-01-03"},
    )
    client.post("/api/mentor/reports", headers=ayu, json={"date": "2024-01-03", "language": "en"})
    job = client.post(
        "/api/datasets?background=true",
        headers=ayu,
        files={"file": ("EURUSD_H1.csv", csv_bytes(), "text/csv")},  # the same bars: one dataset
    ).json()
    thread = client.post("/api/mentor/threads", headers=ayu, json={"title": "Ayu's chat"}).json()
    trade = client.get("/api/journal/trades?limit=1", headers=ayu).json()["items"][0]["trade_key"]
    client.put(f"/api/journal/notes/{trade}", headers=ayu, json={"note": "private", "tags": ["a"]})
    asked = client.post(
        f"/api/mentor/threads/{thread['id']}/messages",
        headers=ayu,
        json={"question": "what is my win rate?", "language": "en"},
    ).json()
    account = client.post("/api/accounts", headers=ayu, json={"name": "Paper", "kind": "paper"})
    ayu_id = client.get("/api/me", headers=ayu).json()["id"]
    with transaction(client.app.state.tradeloop.sessions) as session:  # a stored run, no job
        optimisation = add_run(session, ayu_id, result["dataset_id"], "ma_crossover", {}, 1).id
    return (
        ayu,
        budi,
        {
            "account": account.json()["id"],
            "day": "2024-01-03",
            "bot": bot_id,
            "backtest": result["id"],
            "dataset": result["dataset_id"],
            "import": imported.json()["import"]["id"],
            "goal": goal.json()["id"],
            "job": job["id"],
            "thread": thread["id"],
            "message": asked["question"]["id"],
            "trade": trade,
            "session": client.get("/api/me/sessions", headers=ayu).json()["items"][0]["id"],
            "optimisation": optimisation,
        },
    )


@pytest.mark.parametrize("route", sorted(OBJECT_ROUTES), ids=lambda r: f"{r[0]} {r[1]}")
def test_other_users_objects_are_404(client: TestClient, two_users, route) -> None:
    ayu, budi, ids = two_users
    response = OBJECT_ROUTES[route](client, budi, ids)
    assert response.status_code == 404, response.text
    if route[1].startswith("/api/mentor"):
        message = {
            "sessions": f"no session on {ids['day']}",
            "reports": f"no en report for {ids['day']}: generate it first",
            "threads": f"thread {ids['thread']} not found",
        }[route[1].split("/")[3]]
        assert response.json()["message"] == message
        assert (
            client.get(f"/api/mentor/sessions/{ids['day']}", headers=ayu).json()["note"]
            == "private"
        )
        kept = client.get(f"/api/mentor/threads/{ids['thread']}", headers=ayu).json()
        assert [m["role"] for m in kept["messages"]] == ["user", "assistant"]
        return
    if route[1].startswith("/api/me/sessions"):  # Ayu's token still works
        assert client.get("/api/me", headers=ayu).status_code == 200
        return
    if route[1].startswith("/api/accounts"):
        assert response.json()["message"] == f"no account {ids['account']}"
        kept = client.get(f"/api/accounts/{ids['account']}", headers=ayu).json()
        assert kept["name"] == "Paper"
        return
    if route[1].startswith("/api/journal/notes"):  # Budi's journal has no such trade
        assert response.json()["message"] == translate("en", "journal.error.trade_not_found")
        note = client.get(f"/api/journal/notes/{ids['trade']}", headers=ayu).json()
        assert (note["note"], note["tags"]) == ("private", ["a"])
        return
    part = route[1].split("/")[3] if route[1].startswith("/api/journal") else route[1].split("/")[2]
    noun = {
        "bots": "bot",
        "datasets": "dataset",
        "backtests": "backtest",
        "imports": "import",
        "goals": "goal",
        "jobs": "job",
        "optimisations": "optimisation",
    }[part]
    message = f"{noun} {ids[noun]} not found"
    if noun == "bot":  # a message with a catalogue key: in the user's language (Indonesian)
        message = f"bot {ids['bot']} not found"
    assert response.json() == {"status": "error", "message": message, "details": []}
    assert client.get(f"/api/bots/{ids['bot']}", headers=ayu).json()["name"] == BOT["name"]
    assert client.get(f"/api/backtests/{ids['backtest']}", headers=ayu).status_code == 200
    assert client.get(f"/api/datasets/{ids['dataset']}", headers=ayu).status_code == 200
    assert client.get("/api/backtests", headers=ayu).json()["total"] == 1
    assert client.get(f"/api/jobs/{ids['job']}", headers=ayu).status_code == 200


def test_lists_show_only_own_objects(client: TestClient, two_users) -> None:
    ayu, budi, ids = two_users
    bot_id = ids["bot"]
    with client.app.state.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO trade_history (bot_id, action, is_notification) VALUES (:b, 'POSITION_OPENED', true)"
            ),
            {"b": bot_id},
        )
    assert client.get("/api/bots", headers=budi).json() == {
        "items": [],
        "total": 0,
        "limit": 50,
        "offset": 0,
    }
    assert client.get("/api/notifications", headers=budi).json()["total"] == 0
    assert client.post("/api/notifications/read", json={}, headers=budi).json() == {"marked": 0}
    assert client.get("/api/notifications?unread=true", headers=ayu).json()["total"] == 1
    assert client.get("/api/bots", headers=ayu).json()["total"] == 1
    assert client.get("/api/journal/trades", headers=budi).status_code == 422  # an empty journal
    assert client.get("/api/journal/trades", headers=ayu).json()["total"] > 0
    assert [g["key"] for g in client.get("/api/journal/goals", headers=budi).json()["items"]] == [
        "clean_trades",
        "risk_management",
        "no_revenge",
    ]
    assert (
        client.post("/api/mentor/ask", headers=budi, json={"question": "win rate?"}).status_code
        == 422
    )
    assert client.post("/api/mentor/tools/get_summary", headers=budi, json={}).status_code == 422
    assert (
        client.post("/api/mentor/tools/get_summary", headers=ayu, json={}).json()["total_trades"]
        == 40
    )
    paths = (
        "/api/backtests",
        "/api/datasets",
        "/api/journal/imports",
        "/api/mentor/threads",
        "/api/jobs",
    )
    for path in paths:
        assert client.get(path, headers=budi).json()["total"] == 0
        assert client.get(path, headers=ayu).json()["total"] == 1
    # Ayu's sessions: the day her trades landed and the day she wrote feedback
    assert client.get("/api/mentor/sessions", headers=budi).json()["total"] == 0
    assert [s["date"] for s in client.get("/api/mentor/sessions", headers=ayu).json()["items"]] == [
        "2024-01-03",
        "2024-01-02",
    ]
    assert client.delete("/api/mentor/threads", headers=budi).json() == {"deleted": 0}
    assert client.get("/api/mentor/threads", headers=ayu).json()["total"] == 1
    # the chat tools are scoped the same way
    tool = "/api/mentor/tools/"
    assert client.post(tool + "get_sessions", headers=budi, json={}).json() == {
        "total": 0,
        "sessions": [],
    }
    assert client.post(tool + "get_sessions", headers=ayu, json={}).json()["total"] == 2
    assert (
        "note" not in client.post(tool + "get_sessions", headers=ayu, json={}).json()["sessions"][0]
    )
    theirs = client.post(
        tool + "get_report", headers=budi, json={"date": ids["day"], "language": "en"}
    ).json()
    assert theirs["stored"] is False and theirs["trading_patterns_analysis"]["pattern"] == (
        "no_trades"
    )
    mine = client.post(
        tool + "get_report", headers=ayu, json={"date": ids["day"], "language": "en"}
    ).json()
    assert mine["stored"] is True
    other = client.post(
        "/api/backtests",
        headers=budi,
        data={"strategy": "ma_crossover", "dataset_id": ids["dataset"]},
    )
    assert other.status_code == 404


def test_page_routes_of_another_users_bot_are_404(client: TestClient, two_users) -> None:
    ayu, _, ids = two_users
    bot_id = ids["bot"]
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    signed_in = client.post(
        "/login",
        data={
            "csrf_token": token,
            "email": "budi@example.com",
            "password": "correct horse battery",
        },
        follow_redirects=False,
    )
    assert signed_in.status_code == 303
    token = client.cookies["tl_csrf"]  # replaced at sign-in
    before = client.get(f"/api/bots/{bot_id}", headers=ayu).json()
    assert client.get(f"/bots/{bot_id}").status_code == 404
    for action in ("start", "stop", "close", "delete", "restore"):
        response = client.post(
            f"/bots/{bot_id}/{action}",
            data={"csrf_token": token, "dataset_id": str(ids["dataset"])},
            follow_redirects=False,
        )
        assert response.status_code == 404, action
    for action in ("start-all", "stop-all", "kill-switch"):  # their own bots only: none
        response = client.post(f"/bots/{action}", data={"csrf_token": token},
                               follow_redirects=False)  # fmt: skip
        assert response.status_code == 303, action
    assert client.get(f"/api/bots/{bot_id}", headers=ayu).json() == before
