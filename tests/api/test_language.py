"""Every message in the user's language: the API envelope (validation errors, keyed user errors,
413), the pages' forms, and notification details put into words from their code and values."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from fastapi.testclient import TestClient

from tests.conftest import bearer, browser_sign_in, register
from tradeloop.core.codes import BotAction, EventDetail, event_details
from tradeloop.i18n import translate
from tradeloop.store.bots import log_event

BOT = {"name": "Emas", "market": "XAUUSD", "strategy": "turtle_breakout", "lot_size": 0.1}


def _signed_in_page(client: TestClient, email: str) -> str:
    return browser_sign_in(client, email)


def test_a_too_long_field_is_worded_in_the_bearer_users_language(client: TestClient) -> None:
    register(client, "ayu@example.com")
    headers = bearer(client, "ayu@example.com")  # registered in Indonesian, the default
    response = client.patch("/api/me", json={"name": "x" * 101}, headers=headers)
    assert response.status_code == 422
    assert response.json() == {
        "status": "error",
        "message": "isian tidak valid: Nama: maksimal 100 karakter",
        "details": [
            {"field": "name", "label": "Nama", "message": "maksimal 100 karakter",
             "type": "string_too_long"},
        ],
    }  # fmt: skip
    client.patch("/api/me", json={"language": "en"}, headers=headers)
    english = client.patch("/api/me", json={"name": "x" * 101}, headers=headers).json()
    assert english["message"] == "invalid input: Name: must have at most 100 characters"
    assert english["details"][0]["message"] == "must have at most 100 characters"


def test_the_unknown_time_zone_is_worded_in_both_languages(client: TestClient) -> None:
    register(client, "ayu@example.com")
    headers = bearer(client, "ayu@example.com")
    indonesian = client.patch("/api/me", json={"timezone": "Mars/Base"}, headers=headers)
    assert indonesian.json()["message"] == (
        "isian tidak valid: Zona waktu: zona waktu 'Mars/Base' tidak dikenal: "
        "pakai nama IANA seperti Asia/Jakarta"
    )
    client.patch("/api/me", json={"language": "en"}, headers=headers)
    english = client.patch("/api/me", json={"timezone": "Mars/Base"}, headers=headers)
    assert english.json()["message"] == (
        "invalid input: Time zone: unknown time zone 'Mars/Base': use an IANA name like Asia/Jakarta"
    )
    assert english.json()["details"][0]["type"] == "unknown_timezone"


def test_a_keyed_user_error_through_the_api_in_both_languages(client: TestClient) -> None:
    register(client, "ayu@example.com")
    headers = bearer(client, "ayu@example.com")
    missing = client.get("/api/bots/999", headers=headers)
    assert (missing.status_code, missing.json()["message"]) == (404, "bot 999 tidak ditemukan")
    client.patch("/api/me", json={"language": "en"}, headers=headers)
    assert client.get("/api/bots/999", headers=headers).json()["message"] == "bot 999 not found"


def test_without_a_user_the_cookie_then_accept_language_then_the_default_decide(
    client: TestClient,
) -> None:
    path = "/api/nothing"
    assert client.get(path).json()["message"] == f"tidak ditemukan: {path}"  # the default
    english = {"Accept-Language": "en-US,en;q=0.9"}
    assert client.get(path, headers=english).json()["message"] == f"not found: {path}"
    client.cookies.set("tl_lang", "id")  # the language chosen on the pages wins
    assert client.get(path, headers=english).json()["message"] == f"tidak ditemukan: {path}"
    client.cookies.set("tl_lang", "en")
    big = client.post("/api/auth/register", content=b"x" * 1_100_000)
    assert big.status_code == 413
    assert big.json()["message"] == "request body too large: the limit is 1.0 MB"


def test_a_keyed_user_error_on_a_page_in_both_languages(client: TestClient) -> None:
    register(client, "ayu@example.com")
    for language, text in (
        ("id", "email atau kata sandi salah"),
        ("en", "wrong email or password"),
    ):
        client.cookies.set("tl_lang", language)
        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
        page = client.post(
            "/login",
            data={"csrf_token": token.group(1), "email": "ayu@example.com", "password": "nope!"},
        )
        assert page.status_code == 401
        errors = re.search(r'<ul class="errors" role="alert">(.*?)</ul>', page.text, re.S)
        assert errors.group(1).strip() == f"<li>{text}</li>"


def test_the_profile_form_words_the_bad_zone_in_the_page_language(client: TestClient) -> None:
    register(client, "ayu@example.com")
    token = _signed_in_page(client, "ayu@example.com")
    client.post("/language", data={"csrf_token": token, "lang": "en", "next": "/profile"})
    page = client.post(
        "/profile",
        data={"csrf_token": token, "name": "Ayu", "language": "en", "timezone": "Jakarta"},
    )
    assert page.status_code == 422
    assert "Time zone: unknown time zone &#39;Jakarta&#39;" in page.text
    assert "Value error" not in page.text


def test_notification_details_are_worded_from_their_code_in_indonesian(
    client: TestClient,
) -> None:
    register(client, "ayu@example.com")
    headers = bearer(client, "ayu@example.com")
    client.patch("/api/me", json={"timezone": "Asia/Jakarta"}, headers=headers)
    bot = client.post("/api/bots", json=BOT, headers=headers).json()
    user_id = client.get("/api/me", headers=headers).json()["id"]
    closed = event_details(
        EventDetail.POSITION_CLOSED, side="buy", lots=0.1, market="XAUUSD", price=2034.5,
        pips=30.0, pnl=30.0, currency="USD", reason="target",
        time=datetime(2026, 11, 30, 12, 47, tzinfo=UTC),
    )  # fmt: skip
    with client.app.state.tradeloop.database.sessions() as session:
        log_event(session, user_id, bot["id"], BotAction.POSITION_CLOSED, closed, notify=True)
        session.commit()
    expected = (
        "Beli 0.10 lot XAUUSD ditutup di harga 2 034.50 (target): 30.0 pip, 30.00 USD"
        " · 2026-11-30 19:47 UTC+07:00"
    )
    (item,) = client.get("/api/notifications", headers=headers).json()["items"]
    assert item["text"] == expected and item["action"] == "POSITION_CLOSED"
    _signed_in_page(client, "ayu@example.com")
    page = client.get("/notifications").text
    shown = re.search(r'data-testid="notification-details">([^<]*)<', page).group(1)
    assert shown == expected
    assert translate("id", "action.POSITION_CLOSED") in page
    for english in ("Buy", "closed at", "pips", "Position closed"):
        assert english not in page
    history = client.get(f"/api/bots/{bot['id']}/history", headers=headers).json()["items"]
    assert history[-1]["text"] == 'Bot "Emas" disimpan (dijeda).'  # its creation


def test_the_bots_page_shows_labels_lots_units_and_risk(client: TestClient) -> None:
    register(client, "ayu@example.com")
    headers = bearer(client, "ayu@example.com")
    client.post("/api/bots", json=BOT, headers=headers)
    client.post(
        "/api/bots",
        json={"name": "Tren", "market": "EURUSD", "strategy": "ma_crossover",
              "strategy_params": {"fast_period": 10}, "risk_percent": 1.5, "stop_mode": "atr"},
        headers=headers,
    )  # fmt: skip
    _signed_in_page(client, "ayu@example.com")
    page = client.get("/bots").text
    cells = {
        name: re.findall(rf'data-testid="bot-{name}">([^<]*)<', page)
        for name in ("strategy", "params", "size", "stop", "target")
    }
    assert cells == {
        "strategy": [translate("id", "strategy.turtle_breakout"), "Persilangan MA"],
        "params": [
            "Periode masuk 20, Periode keluar 10",
            "Periode cepat 10, Periode lambat 50",
        ],
        "size": ["0.10 lot", "risiko 1.5 %"],
        "stop": ["100 pip", "2.0 × ATR"],
        "target": ["200 pip", "4.0 × ATR"],
    }
    assert '<option value="ma_crossover" selected>Persilangan MA</option>' in page
