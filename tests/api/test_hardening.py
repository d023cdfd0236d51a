"""Abuse and edge input: parallel guessing, CSRF on every API write, bounds, nulls, NULs."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from tests.conftest import PASSWORD, bearer, browser_sign_in, register
from tradeloop.app import create_app
from tradeloop.i18n import translate

BOT = {"name": "b", "market": "EURUSD", "strategy": "ma_crossover"}


def cookie_session(client: TestClient, email: str) -> str:
    return browser_sign_in(client, email)


def test_parallel_guessing_still_hits_the_limit(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    register(client, "ayu@example.com")
    moment = datetime.now(UTC)  # the limits' clock stands still: the 1 s wait never runs out
    monkeypatch.setattr("tradeloop.services.limits.clock", lambda: moment)

    def guess(_: int) -> int:
        data = {"username": "ayu@example.com", "password": "wrong password!"}
        return client.post("/api/auth/token", data=data).status_code

    with ThreadPoolExecutor(max_workers=10) as pool:
        codes = sorted(pool.map(guess, range(20)))
    assert codes == [401] * 5 + [429] * 15


def test_every_state_changing_api_route_needs_csrf_with_a_cookie(client: TestClient) -> None:
    register(client, "ayu@example.com")
    headers = bearer(client, "ayu@example.com")
    bot_id = client.post("/api/bots", json=BOT, headers=headers).json()["id"]
    cookie_session(client, "ayu@example.com")
    anonymous = {"/api/auth/register", "/api/auth/token"}
    writes = [
        (
            method.upper(),
            path.replace("{bot_id}", str(bot_id))
            .replace("{result_id}", "1")
            .replace("{dataset_id}", "1")
            .replace("{thread_id}", "1")
            .replace("{job_id}", "1")
            .replace("{account_id}", "1")
            .replace("{run_id}", "1"),
        )
        for path, operations in client.app.openapi()["paths"].items()
        for method in operations
        if method in ("post", "patch", "delete", "put") and path not in anonymous
    ]
    # journal notes, mentor/llm/check, bots start/stop/close, kill switch, restore bot/import
    # + admin role and delete, two-factor (4), session revoke; trading accounts: add, change,
    # keys, test, delete; optimisations: start, delete, cancel, resume, backtest a row
    assert len(writes) == 58
    for method, path in writes:
        response = client.request(method, path, json={"password": PASSWORD, "name": "x"})
        assert response.status_code == 403, (method, path)
        assert "CSRF" in response.json()["message"]
    assert client.get(f"/api/bots/{bot_id}").json()["name"] == "b"
    assert client.get("/api/me").status_code == 200


def test_sign_out_ends_every_session_and_token(client: TestClient) -> None:
    register(client, "ayu@example.com")
    api = bearer(client, "ayu@example.com")
    csrf = cookie_session(client, "ayu@example.com")
    assert client.post("/api/auth/logout", headers={"X-CSRF-Token": csrf}).status_code == 204
    assert client.get("/api/me", headers=api).status_code == 401
    client.cookies.clear()
    fresh = bearer(client, "ayu@example.com")
    assert client.post("/api/auth/logout", headers=fresh).status_code == 204
    assert (
        client.get("/api/me", headers=fresh).json()["message"]
        == "sesi tidak berlaku lagi: silakan masuk lagi"  # the user's language
    )


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/api/bots/99999999999999999999999", None),
        ("GET", "/api/bots/9999999999", None),
        ("GET", "/api/bots/0", None),
        ("DELETE", "/api/bots/2147483648", None),
        ("GET", "/api/bots?offset=100000000000000000000000", None),
        ("GET", "/api/notifications?offset=2000000000", None),
        ("POST", "/api/notifications/read", {"ids": [10**23]}),
        ("POST", "/api/notifications/read", {"ids": [0]}),
    ],
)
def test_out_of_range_ids_and_offsets_are_422(client: TestClient, method, path, body) -> None:
    register(client, "ayu@example.com")
    response = client.request(method, path, json=body, headers=bearer(client, "ayu@example.com"))
    assert response.status_code == 422, response.text
    assert response.json()["message"].startswith("isian tidak valid: ")


def test_page_routes_bound_ids_and_offsets_too(client: TestClient) -> None:
    register(client, "ayu@example.com")
    csrf = cookie_session(client, "ayu@example.com")
    assert client.get("/bots?offset=100000000000000000000000").status_code == 422
    assert (
        client.post("/bots/99999999999999999999999/delete", data={"csrf_token": csrf}).status_code
        == 422
    )


@pytest.mark.parametrize(
    "field",
    [
        "name",
        "market",
        "timeframe",
        "strategy",
        "lot_size",
        "stop_mode",
        "sl_pips",
        "enable_strategy_switching",
    ],
)
def test_patch_with_null_for_a_required_field_is_422(client: TestClient, field: str) -> None:
    register(client, "ayu@example.com")
    headers = bearer(client, "ayu@example.com")
    bot_id = client.post("/api/bots", json=BOT, headers=headers).json()["id"]
    response = client.patch(f"/api/bots/{bot_id}", json={field: None}, headers=headers)
    assert response.status_code == 422
    message = response.json()["message"]
    assert translate("id", "validation.not_null") in message and "Value error" not in message
    assert response.json()["details"][0]["field"] == field
    assert client.get(f"/api/bots/{bot_id}", headers=headers).json()["name"] == "b"


def test_risk_percent_can_be_cleared_with_null(client: TestClient) -> None:
    register(client, "ayu@example.com")
    headers = bearer(client, "ayu@example.com")
    bot_id = client.post("/api/bots", json={**BOT, "risk_percent": 1.0}, headers=headers).json()[
        "id"
    ]
    cleared = client.patch(f"/api/bots/{bot_id}", json={"risk_percent": None}, headers=headers)
    assert cleared.status_code == 200 and cleared.json()["risk_percent"] is None


def test_control_characters_are_refused_not_crashing(client: TestClient) -> None:
    body = {"name": "A\u0000B", "email": "a@example.com", "password": PASSWORD}
    response = client.post("/api/auth/register", json=body)
    assert (
        response.status_code == 422
        and "Nama: berisi karakter yang tidak diizinkan" in response.json()["message"]
    )
    register(client, "ayu@example.com")
    headers = bearer(client, "ayu@example.com")
    bad_bot = client.post("/api/bots", json={**BOT, "name": "x\u0000"}, headers=headers)
    assert bad_bot.status_code == 422
    token = client.post(
        "/api/auth/token", data={"username": "ayu@example.com\u0000", "password": PASSWORD}
    )
    assert token.status_code == 401


def test_chunked_body_over_the_limit_is_413(client: TestClient) -> None:
    def chunks():
        yield b'{"name": "'
        for _ in range(300):
            yield b"A" * 4096
        yield b'", "email": "a@example.com", "password": "correct horse battery"}'

    response = client.post(
        "/api/auth/register", content=chunks(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json()["message"] == "isi permintaan terlalu besar: batasnya 1.0 MB"
    assert (
        client.post(
            "/api/auth/token", data={"username": "a@example.com", "password": PASSWORD}
        ).status_code
        == 401
    )


def test_debug_mode_still_hides_tracebacks(app_settings) -> None:
    from sqlalchemy import text

    settings = app_settings.model_copy(update={"debug": True})
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        register(client, "ayu@example.com")
        headers = bearer(client, "ayu@example.com")
        with client.app.state.engine.begin() as connection:
            connection.execute(text("DROP TABLE trade_history"))
            connection.execute(text("DROP TABLE daily_trading_data"))
            connection.execute(text("DROP TABLE bot_fills"))
            connection.execute(text("DROP TABLE paper_accounts"))
            connection.execute(text("DROP TABLE bots"))
        response = client.get("/api/bots", headers=headers)
    assert response.status_code == 500
    assert response.json()["message"] == translate("id", "error.internal")
    assert "Traceback" not in response.text


def test_a_bad_language_cookie_does_not_block_registration(client: TestClient) -> None:
    client.cookies.set("tl_lang", "xx")
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/register").text).group(1)
    done = client.post(
        "/register",
        data={"csrf_token": token, "name": "Ayu", "email": "ayu@example.com", "password": PASSWORD},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert client.get("/api/me").json()["language"] == "id"
