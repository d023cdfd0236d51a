"""Pages over HTTP: sign-in forms with CSRF, language switch, profile, friendly error pages."""

from __future__ import annotations

import html
import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from tests.conftest import PASSWORD, bearer, register
from tradeloop.app import create_app
from tradeloop.i18n import translate
from tradeloop.journal.synthetic import synthetic_export
from tradeloop.services.exports import load_journal


def csrf(client: TestClient, path: str = "/login") -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text).group(1)


def sign_in(client: TestClient, email: str, password: str = PASSWORD):
    return client.post(
        "/login",
        data={"csrf_token": csrf(client), "email": email, "password": password},
        follow_redirects=False,
    )


def test_pages_need_sign_in_and_come_back_after_it(client: TestClient) -> None:
    register(client, "ayu@example.com")
    for path in ("/", "/bots", "/backtests", "/journal", "/mentor", "/notifications", "/profile"):
        response = client.get(path, follow_redirects=False)
        assert (response.status_code, response.headers["location"]) == (303, f"/login?next={path}")
    token = csrf(client)
    response = client.post(
        "/login",
        data={
            "csrf_token": token,
            "email": "ayu@example.com",
            "password": PASSWORD,
            "next": "/bots",
        },
        follow_redirects=False,
    )
    assert response.headers["location"] == "/bots"
    cookie = response.headers.get_list("set-cookie")
    session_cookie = next(c for c in cookie if c.startswith("tl_session="))
    assert "HttpOnly" in session_cookie and "SameSite=lax" in session_cookie


def test_sign_in_never_redirects_off_site(client: TestClient) -> None:
    register(client, "ayu@example.com")
    for target in ("https://evil.example", "//evil.example", "/\\evil.example"):
        response = client.post(
            "/login",
            data={
                "csrf_token": csrf(client),
                "email": "ayu@example.com",
                "password": PASSWORD,
                "next": target,
            },
            follow_redirects=False,
        )
        assert response.headers["location"] == "/"


def test_forms_without_the_csrf_token_are_refused(client: TestClient) -> None:
    register(client, "ayu@example.com")
    refused = client.post("/login", data={"email": "ayu@example.com", "password": PASSWORD})
    assert refused.status_code == 403 and "CSRF" in refused.json()["message"]
    sign_in(client, "ayu@example.com")
    forged = client.post(
        "/bots", data={"csrf_token": "forged", "name": "x", "market": "EURUSD", "strategy": "ma"}
    )
    assert forged.status_code == 403
    with client.app.state.engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM bots")).scalar() == 0


def test_wrong_password_re_renders_the_form_with_the_message(client: TestClient) -> None:
    register(client, "ayu@example.com")
    response = sign_in(client, "ayu@example.com", "not the password")
    assert response.status_code == 401
    assert translate("id", "error.wrong_credentials") in response.text
    assert (
        "wrong email or password" not in response.text
        and 'value="ayu@example.com"' in response.text
    )


def test_register_page_validates_and_signs_in(client: TestClient) -> None:
    token = csrf(client, "/register")
    short = client.post(
        "/register",
        data={"csrf_token": token, "name": "Ayu", "email": "ayu@example.com", "password": "short"},
    )
    assert short.status_code == 422  # in Indonesian, the bound from the field, no English
    message = f"{translate('id', 'auth.password')}: {translate('id', 'validation.string_too_short', min_length=10)}"
    assert message == "Kata sandi: minimal 10 karakter" and message in short.text
    for english in ("String should", "characters", "at least"):
        assert english not in short.text
    done = client.post(
        "/register",
        data={"csrf_token": token, "name": "Ayu", "email": "ayu@example.com", "password": PASSWORD},
        follow_redirects=True,
    )
    assert done.status_code == 200
    assert translate("id", "auth.registered") in done.text
    assert translate("id", "dashboard.welcome_new", name="Ayu") in done.text  # not "back"
    assert translate("id", "dashboard.welcome", name="Ayu") not in done.text
    again = client.get("/")  # a later visit
    assert translate("id", "dashboard.welcome", name="Ayu") in again.text


def test_language_switch_translates_and_is_saved_on_the_profile(client: TestClient) -> None:
    register(client, "ayu@example.com")
    sign_in(client, "ayu@example.com")
    assert translate("id", "nav.notifications") in client.get("/").text
    client.post("/language", data={"csrf_token": csrf(client, "/"), "lang": "en", "next": "/bots"})
    page = client.get("/bots").text
    assert translate("en", "nav.notifications") in page and translate("en", "bots.empty") in page
    with client.app.state.engine.connect() as connection:
        assert connection.execute(text("SELECT language FROM users")).scalar() == "en"
    bad = client.post("/language", data={"csrf_token": csrf(client, "/"), "lang": "fr"})
    assert bad.status_code == 422 and "unsupported language 'fr'" in bad.json()["message"]


def test_bot_form_creates_lists_with_localised_status_and_deletes(client: TestClient) -> None:
    register(client, "ayu@example.com")
    sign_in(client, "ayu@example.com")
    token = csrf(client, "/bots")
    bad = client.post(
        "/bots",
        data={
            "csrf_token": token,
            "name": "Gold",
            "market": "XAUUSD",
            "strategy": "ma_crossover",
            "lot_size": "-1",
        },
    )
    assert bad.status_code == 422 and "Ukuran lot: harus lebih dari 0" in bad.text
    created = client.post(
        "/bots",
        data={
            "csrf_token": token,
            "name": "Gold",
            "market": "XAUUSD",
            "strategy": "ma_crossover",
            "lot_size": "0.05",
            "risk_percent": "",
        },
    )
    assert created.status_code == 200 and translate("id", "bots.created") in created.text
    assert (
        ">Gold<" in created.text
        and translate("id", "status.paused") == "Dijeda"
        and ">Dijeda<" in created.text
    )
    bot_id = client.get("/api/bots").json()["items"][0]["id"]
    client.post(f"/bots/{bot_id}/delete", data={"csrf_token": token})
    assert client.get("/api/bots").json()["total"] == 0


def test_profile_form_saves_and_rejects_bad_zone(client: TestClient) -> None:
    register(client, "ayu@example.com")
    sign_in(client, "ayu@example.com")
    token = csrf(client, "/profile")
    page = client.get("/profile").text
    assert 'name="timezone">' in page and '<option value="Asia/Jakarta" >' in page
    assert '<option value="UTC" selected>' in page  # the zone chosen now
    bad = client.post(
        "/profile",
        data={"csrf_token": token, "name": "Ayu Baru", "language": "en", "timezone": "Jakarta"},
    )
    assert bad.status_code == 422  # the page's language (the profile's: Indonesian)
    assert "Zona waktu: zona waktu &#39;Jakarta&#39; tidak dikenal" in bad.text
    assert 'value="Ayu Baru"' in bad.text  # what was typed is kept, not erased
    assert '<option value="Jakarta" selected>' in bad.text
    assert '<option value="en" selected>' in bad.text
    assert client.get("/api/me").json()["name"] == "Trader"  # nothing saved
    long = client.post(
        "/profile",
        data={"csrf_token": token, "name": "Ayu", "language": "id", "timezone": "A/" * 200},
    )
    assert long.status_code == 422 and "tidak dikenal" in long.text  # not a 500
    ok = client.post(
        "/profile",
        data={
            "csrf_token": token,
            "name": "Ayu Lestari",
            "language": "en",
            "timezone": "Asia/Jakarta",
        },
    )
    assert translate("en", "profile.saved") in ok.text
    assert client.get("/api/me").json()["timezone"] == "Asia/Jakarta"


def test_sign_out_ends_the_session(client: TestClient) -> None:
    register(client, "ayu@example.com")
    sign_in(client, "ayu@example.com")
    response = client.post(
        "/logout", data={"csrf_token": csrf(client, "/")}, follow_redirects=False
    )
    assert response.headers["location"] == "/login?notice=auth.signed_out"
    assert client.get("/", follow_redirects=False).status_code == 303


def test_friendly_404_page_in_the_chosen_language(client: TestClient) -> None:
    client.cookies.set("tl_lang", "en")
    response = client.get("/no/such/page")
    assert response.status_code == 404 and "text/html" in response.headers["content-type"]
    assert translate("en", "error.not_found_title") in response.text


@pytest.fixture
def fragile_client(app_settings) -> TestClient:
    with TestClient(create_app(app_settings), raise_server_exceptions=False) as test_client:
        yield test_client


def test_a_server_error_shows_no_traceback_or_path(fragile_client: TestClient) -> None:
    register(fragile_client, "ayu@example.com")
    sign_in(fragile_client, "ayu@example.com")
    with fragile_client.app.state.engine.begin() as connection:
        connection.execute(text("DROP TABLE trade_history"))
        connection.execute(text("DROP TABLE daily_trading_data"))
        connection.execute(text("DROP TABLE bot_fills"))
        connection.execute(text("DROP TABLE paper_accounts"))
        connection.execute(text("DROP TABLE bots"))
    api = fragile_client.get("/api/bots")
    assert api.status_code == 500
    assert api.json() == {
        "status": "error",
        "message": translate("id", "error.internal"),  # the user's language
        "details": [],
    }
    page = fragile_client.get("/bots")
    assert page.status_code == 500 and translate("id", "error.server_title") in page.text
    for leak in ("Traceback", "sqlalchemy", "/work/", ".py", "no such table"):
        assert leak not in page.text and leak not in api.text


def test_security_headers_are_set(client: TestClient) -> None:
    headers = client.get("/login").headers
    assert headers["x-frame-options"] == "DENY"
    assert headers["x-content-type-options"] == "nosniff"
    assert "script-src 'self'" in headers["content-security-policy"]


def test_every_page_form_refuses_a_missing_csrf_token(client: TestClient) -> None:
    from fastapi.routing import APIRoute

    from tradeloop.web import bot_pages, pages, security_pages

    register(client, "ayu@example.com")
    sign_in(client, "ayu@example.com")
    bot_id = client.post(
        "/api/bots",
        json={"name": "b", "market": "EURUSD", "strategy": "ma_crossover"},
        headers={"X-CSRF-Token": client.cookies["tl_csrf"]},
    ).json()["id"]
    posts = [
        route.path.replace("{bot_id}", str(bot_id)).replace("{session_id}", "1")
        for route in [*pages.router.routes, *bot_pages.router.routes, *security_pages.router.routes]
        if isinstance(route, APIRoute) and "POST" in route.methods
    ]
    assert len(posts) == 26  # bots' start…restore and kill switch, the security page's 6, and
    # the sign-in's two-factor step included
    for path in posts:
        response = client.post(
            path, data={"lang": "en", "password": PASSWORD}, follow_redirects=False
        )
        assert response.status_code == 403, path
        assert "CSRF" in response.json()["message"]
    assert client.get(f"/api/bots/{bot_id}").status_code == 200
    assert client.get("/api/me").json()["language"] == "id"


def test_profile_says_exactly_what_goes_to_the_llm_and_records_consent(app_settings) -> None:

    settings = app_settings.model_copy(
        update={
            "llm_base_url": "http://127.0.0.1:11434/v1",
            "llm_model": "qwen2.5",
            "llm_daily_messages": 7,
        }
    )
    with TestClient(create_app(settings), base_url="http://127.0.0.1") as client:
        register(client, "ayu@example.com")
        sign_in(client, "ayu@example.com")
        page = html.unescape(client.get("/profile").text)
        assert (
            translate(
                "id", "profile.llm_sends", endpoint="http://127.0.0.1:11434/v1", model="qwen2.5"
            )
            in page
        )
        assert translate("id", "profile.llm_never") in page
        assert "7 pertanyaan" in page and "hingga 10 pesan terakhir" in page
        assert "checked" not in page.split('data-testid="llm-consent"')[0][-40:]  # off by default
        saved = client.post(
            "/profile/mentor",
            data={"csrf_token": csrf(client, "/profile"), "llm_consent": "on"},
            follow_redirects=False,
        )
        assert saved.status_code == 303
        assert client.get("/api/mentor/llm").json()["consent"] is True
        assert "checked" in client.get("/profile").text.split('data-testid="llm-consent"')[0][-40:]
        client.post("/profile/mentor", data={"csrf_token": csrf(client, "/profile")})
        assert client.get("/api/mentor/llm").json()["consent"] is False


def test_without_an_llm_the_profile_says_nothing_is_sent(client: TestClient) -> None:

    register(client, "ayu@example.com")
    sign_in(client, "ayu@example.com")
    page = html.unescape(client.get("/profile").text)
    assert translate("id", "profile.llm_off") in page and "llm-consent" not in page


def test_dashboard_mentor_card_shows_today_and_one_tip(client: TestClient) -> None:

    register(client, "ayu@example.com")
    sign_in(client, "ayu@example.com")
    page = html.unescape(client.get("/").text)
    assert 'data-testid="mentor-card"' in page
    assert translate("id", "dashboard.no_session") in page
    assert translate("id", "mentor.emotion.no_trades.tip") in page  # no trades today
    client.post(
        "/api/mentor/feedback",
        json={"emotion": "tired"},
        headers={"X-CSRF-Token": client.cookies["tl_csrf"]},
    )
    page = html.unescape(client.get("/").text)
    assert (
        translate("id", "emotion.tired") in page
        and translate("id", "dashboard.no_session") not in page
    )


def test_the_day_detail_lists_the_days_trades_at_local_entry_times(
    client: TestClient,
) -> None:
    register(client, "ayu@example.com")
    headers = bearer(client, "ayu@example.com")
    client.patch("/api/me", headers=headers, json={"timezone": "Asia/Jakarta"})
    client.post(
        "/api/journal/imports",
        headers=headers,
        files={"file": ("o.csv", synthetic_export(60, seed=3), "text/csv")},
    )
    sign_in(client, "ayu@example.com")
    # the export is read in the user's time zone
    trades = load_journal(synthetic_export(60, seed=3), tz="Asia/Jakarta").analysis.trades
    exit_day = trades["exit_time"].dt.tz_convert("Asia/Jakarta").dt.date
    day = exit_day.value_counts().idxmax()  # the busiest local day
    mine = trades[exit_day == day].sort_values("entry_time")  # the table is in entry order
    page = html.unescape(client.get(f"/mentor?day={day.isoformat()}").text)
    table = page[page.index('data-testid="day-trades"') :].split("</table>")[0]
    headers_row = re.findall(r"<th[^>]*>([^<]*)</th>", table)
    assert headers_row == [
        translate("id", "mentor.time"),
        translate("id", "journal.symbol"),
        translate("id", "journal.side"),
        translate("id", "mentor.pnl"),
        translate("id", "journal.mistakes"),
    ]
    times = re.findall(r"<tr><td>(\d\d:\d\d) UTC\+07:00</td>", table)  # labelled with the zone
    local = mine["entry_time"].dt.tz_convert("Asia/Jakarta").dt.strftime("%H:%M")
    assert len(mine) > 1 and times == list(local)
