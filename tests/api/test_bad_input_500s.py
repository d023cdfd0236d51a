"""The probe's three input-triggered 500s, each through the real app on both databases:
an odd time zone at registration, a journal file with a UTF-16 byte-order mark and invalid
UTF-16 after it, and a NUL (or another control character) in a custom symbol."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from tests.conftest import PASSWORD, bearer, in_english, register
from tests.journal.helpers import export, fill
from tradeloop.app import create_app
from tradeloop.i18n import translate
from tradeloop.market.synthetic import random_walk_bars

ODD_ZONES = ["A" * 256, "x" * 10_000, "../../etc/passwd", "UTC\x00", "America", "/etc/localtime"]
TRADES = export(
    fill(1, "09:00:00", "Buy", 1, 100),
    fill(2, "09:05:00", "Sell", 1, 90, "Limit"),
)
BAD_UTF16 = [
    b"\xff\xfe\x00\xd8",  # a lone high surrogate
    b"\xff\xfe\x00\xd8\x41",  # and an odd length
    b"\xff\xfe" + b"\x00\xdc" * 10,  # lone low surrogates
    b"\xfe\xff\xd8\x00\x00\x41",  # big-endian: a high surrogate before a letter
    b"\xff\xfe" + TRADES.decode().encode("utf-16-le")[:40] + b"\x00\xd8\x41\x00",
    b"\xff\xfe" + "<html><table><tr><td>x</td></tr>".encode("utf-16-le") + b"\x00\xdc\x00\xdc",
]


@pytest.fixture
def app_client(app_settings) -> TestClient:
    """The app with server errors answered as the client sees them (500), not raised."""
    with TestClient(
        create_app(app_settings), base_url="http://127.0.0.1", raise_server_exceptions=False
    ) as test_client:
        yield test_client


def count(client: TestClient, table: str) -> int:
    with client.app.state.engine.connect() as connection:
        return connection.execute(text(f"SELECT count(*) FROM {table}")).scalar()


def csrf(client: TestClient, path: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text).group(1)


def browser_session(client: TestClient, email: str) -> str:
    """Sign in through the form (a cookie session); the CSRF token its writes need."""
    token = csrf(client, "/login")
    client.post("/login", data={"csrf_token": token, "email": email, "password": PASSWORD})
    return client.cookies["tl_csrf"]


# --- a: time zones ----------------------------------------------------------------------


@pytest.mark.parametrize("zone", ODD_ZONES)
def test_registration_refuses_an_odd_time_zone_naming_the_field(
    app_client: TestClient, zone: str
) -> None:
    body = {"name": "Ayu", "email": "ayu@example.com", "password": PASSWORD, "timezone": zone}
    response = app_client.post("/api/auth/register", json=body)
    assert response.status_code == 422
    detail = response.json()["details"][0]
    assert (detail["field"], detail["label"], detail["type"]) == (
        "timezone",
        "Zona waktu",
        "unknown_timezone",
    )
    assert "tidak dikenal: pakai nama IANA seperti Asia/Jakarta" in detail["message"]
    english = app_client.post(
        "/api/auth/register", json=body, headers={"Accept-Language": "en"}
    ).json()
    assert english["details"][0]["label"] == "Time zone"
    assert "use an IANA name like Asia/Jakarta" in english["message"]
    assert count(app_client, "users") == 0


def test_a_profile_change_to_an_odd_zone_is_422_in_the_api_and_the_form(
    app_client: TestClient,
) -> None:
    register(app_client, "ayu@example.com")
    headers = bearer(app_client, "ayu@example.com")
    for zone in ODD_ZONES:
        response = app_client.patch("/api/me", json={"timezone": zone}, headers=headers)
        assert response.status_code == 422 and response.json()["details"][0]["field"] == "timezone"
    token = browser_session(app_client, "ayu@example.com")
    for zone in ODD_ZONES:
        page = app_client.post(
            "/profile", data={"csrf_token": token, "name": "Ayu", "timezone": zone}
        )
        assert page.status_code == 422 and "Zona waktu: " in page.text  # the field's label
    assert app_client.get("/api/me", headers=headers).json()["timezone"] == "UTC"


def test_the_registration_form_takes_no_zone_so_an_odd_one_changes_nothing(
    app_client: TestClient,
) -> None:
    token = csrf(app_client, "/register")
    form = {"csrf_token": token, "name": "Ayu", "email": "ayu@example.com", "password": PASSWORD}
    done = app_client.post(
        "/register", data={**form, "timezone": "A" * 300}, follow_redirects=False
    )
    assert done.status_code == 303
    assert app_client.get("/api/me").json()["timezone"] == "UTC"


# --- b: UTF-16 byte-order mark, then invalid UTF-16 -------------------------------------


@pytest.mark.parametrize("data", BAD_UTF16)
def test_invalid_utf16_after_its_mark_is_422_naming_the_byte(
    app_client: TestClient, data: bytes
) -> None:
    register(app_client, "ayu@example.com")
    headers = bearer(app_client, "ayu@example.com")
    files = {"file": ("orders.csv", data, "text/csv")}
    response = app_client.post("/api/journal/imports", headers=headers, files=files)
    assert response.status_code == 422
    body = response.json()
    offset = body["details"][0]["offset"]
    assert body["details"][0]["field"] == "file"
    assert body["message"] == translate("id", "journal.error.bad_utf16", offset=offset)
    assert "UTF-16" in body["message"] and f"byte ke-{offset} " in body["message"]
    analysed = app_client.post(
        "/api/journal/imports", headers=headers, files=files, data={"store": "false"}
    )
    assert analysed.status_code == 422
    assert count(app_client, "journal_imports") == count(app_client, "daily_trading_data") == 0


def test_the_journal_page_upload_refuses_it_in_english_too(app_client: TestClient) -> None:
    register(app_client, "ayu@example.com")
    app_client.patch(
        "/api/me", json={"language": "en"}, headers=bearer(app_client, "ayu@example.com")
    )
    token = browser_session(app_client, "ayu@example.com")  # journal.js posts with the cookie
    response = app_client.post(
        "/api/journal/imports",
        headers={"X-CSRF-Token": token},
        files={"file": ("report.html", BAD_UTF16[0], "text/html")},
    )
    assert response.status_code == 422
    assert response.json()["message"] == (
        "the file says it is UTF-16 text (its byte-order mark) but is not: byte 2 starts an "
        "invalid character; save the export again as UTF-8 or UTF-16"
    )
    assert count(app_client, "journal_imports") == 0


def test_valid_utf16_with_one_stray_trailing_byte_still_imports(app_client: TestClient) -> None:
    register(app_client, "ayu@example.com")
    headers = bearer(app_client, "ayu@example.com")
    data = b"\xff\xfe" + TRADES.decode().encode("utf-16-le") + b"\x00"
    response = app_client.post(
        "/api/journal/imports", headers=headers, files={"file": ("orders.csv", data, "text/csv")}
    )
    assert response.status_code == 201 and response.json()["import"]["trades"] == 1


# --- c: control characters in a custom symbol -------------------------------------------


def bars_csv() -> bytes:
    return random_walk_bars(300, seed=4).to_csv(date_format="%Y-%m-%d %H:%M:%S").encode()


CUSTOM = {"contract_size": "1", "pip_size": "0.01", "quote_currency": "USD"}
SETTINGS = '{"units": 1, "sl_pips": 20, "tp_pips": 40}'


@pytest.mark.parametrize("symbol", ["AB\x00C", "AB\x01C", "MYCOIN\n", "\x7f", "X" * 33])
def test_a_custom_symbol_with_control_characters_is_422_on_both_databases(
    app_client: TestClient, symbol: str
) -> None:
    register(app_client, "ayu@example.com")
    headers = bearer(app_client, "ayu@example.com")
    response = app_client.post(
        "/api/backtests",
        headers=headers,
        files={"file": ("COIN_H1.csv", bars_csv(), "text/csv")},
        data={"strategy": "ma_crossover", "settings": SETTINGS, "symbol": symbol, **CUSTOM},
    )
    if len(symbol) > 32:  # the form's own bound on the symbol
        assert response.status_code == 422
        assert response.json()["details"][0]["field"] == "symbol"
    else:
        assert response.status_code == 422
        body = response.json()
        assert body["details"] == [{"field": "symbol"}]
        assert body["message"] == translate(
            "id", "market.error.bad_symbol", symbol=repr(symbol), max=32
        )
    assert count(app_client, "datasets") == count(app_client, "backtest_results") == 0


def test_a_custom_symbol_from_a_long_file_name_is_422_not_a_500(app_client: TestClient) -> None:
    register(app_client, "ayu@example.com")
    headers = in_english(app_client, bearer(app_client, "ayu@example.com"))
    name = "A" * 40 + "_H1.csv"  # the symbol comes from the file name: 40 characters
    response = app_client.post(
        "/api/backtests",
        headers=headers,
        files={"file": (name, bars_csv(), "text/csv")},
        data={"strategy": "ma_crossover", "settings": SETTINGS, **CUSTOM},
    )
    assert response.status_code == 422
    assert response.json()["message"] == (
        f"symbol '{'A' * 32}…': use 1 to 32 characters without control characters "
        "(such as NUL or a line break)"
    )
    assert count(app_client, "datasets") == 0


def test_a_printable_custom_symbol_is_stored_as_given(app_client: TestClient) -> None:
    register(app_client, "ayu@example.com")
    headers = bearer(app_client, "ayu@example.com")
    response = app_client.post(
        "/api/backtests",
        headers=headers,
        files={"file": ("COIN_H1.csv", bars_csv(), "text/csv")},
        data={"strategy": "ma_crossover", "settings": SETTINGS, "symbol": "MY COIN", **CUSTOM},
    )
    assert response.status_code == 201, response.text
    assert response.json()["parameters"]["symbol"] == "MY COIN"
    dataset = app_client.get("/api/datasets", headers=headers).json()["items"][0]
    assert dataset["symbol"] == "MY COIN"


def test_other_text_with_a_nul_is_422_or_kept_never_a_500(app_client: TestClient) -> None:
    """Every other free text a user sends: names, notes and tags are refused (422 naming the
    field); the mentor's notes and chat are encrypted before they are stored, so a NUL in
    them is kept."""
    register(app_client, "ayu@example.com")
    headers = bearer(app_client, "ayu@example.com")
    upload = app_client.post(
        "/api/journal/imports",
        headers=headers,
        files={"file": ("orders.csv", TRADES, "text/csv")},
    )
    assert upload.status_code == 201
    key = app_client.get("/api/journal/trades", headers=headers).json()["items"][0]["trade_key"]
    bot = {"name": "b", "market": "EURUSD", "strategy": "ma_crossover"}
    goal = {"name": "g", "mistakes": ["no_stop_loss"], "target": 3}
    refused = {
        "name": app_client.patch("/api/me", json={"name": "A\x00"}, headers=headers),
        "market": app_client.post("/api/bots", json={**bot, "market": "EUR\x00"}, headers=headers),
        "title": app_client.post("/api/mentor/threads", json={"title": "t\x00"}, headers=headers),
        "goal": app_client.post(
            "/api/journal/goals", json={**goal, "name": "g\x00"}, headers=headers
        ),
    }
    for field, response in refused.items():
        assert response.status_code == 422, (field, response.text)
        assert response.json()["details"][0]["field"] == ("name" if field == "goal" else field)
    for body, field in [({"note": "a\x00b"}, "note"), ({"note": "a", "tags": ["t\x00"]}, "tags")]:
        note = app_client.put(f"/api/journal/notes/{key}", json=body, headers=headers)
        assert note.status_code == 422 and note.json()["details"] == [{"field": field}]
    feedback = app_client.post(
        "/api/mentor/feedback", json={"emotion": "calm", "note": "a\x00b"}, headers=headers
    )
    assert feedback.status_code == 200 and feedback.json()["session"]["note"] == "a\x00b"
    thread = app_client.post("/api/mentor/threads", json={"title": "t"}, headers=headers).json()
    asked = app_client.post(
        f"/api/mentor/threads/{thread['id']}/messages",
        json={"question": "win rate\x00?"},
        headers=headers,
    )
    assert asked.status_code == 201 and asked.json()["question"]["content"] == "win rate\x00?"
