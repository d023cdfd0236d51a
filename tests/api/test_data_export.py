"""GET /api/me/export: a zip of the signed-in user's data (bearer token or the session cookie),
named for the day, audited; the profile page links to it in both languages."""

from __future__ import annotations

import csv
import html
import io
import zipfile
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from tests.conftest import bearer, in_english, register
from tests.services.test_data_export import COMMAND, FORMULA, journal_file
from tests.web.test_pages import sign_in
from tradeloop.i18n import translate
from tradeloop.services.data_export import FILES


def members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def make_journal(client: TestClient, email: str, contract: str, note: str) -> dict[str, str]:
    """A user with an imported journal, a note on its first trade and a noted day."""
    register(client, email)
    headers = in_english(client, bearer(client, email))
    files = {"file": ("orders.csv", journal_file(contract), "text/csv")}
    assert client.post("/api/journal/imports", headers=headers, files=files).status_code == 201
    key = client.get("/api/journal/trades?limit=1", headers=headers).json()["items"][0]["trade_key"]
    body = {"note": note, "tags": [COMMAND]}
    assert client.put(f"/api/journal/notes/{key}", headers=headers, json=body).status_code == 200
    day = {"emotion": "calm", "note": note + " diary", "date": "2024-01-02"}
    assert client.post("/api/mentor/feedback", headers=headers, json=day).status_code == 200
    return headers


def exports(client: TestClient, user_id: int) -> list[tuple[str, str, dict]]:
    with client.app.state.engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT action, address, detail FROM audit_events WHERE user_id = :u AND action = 'export'"
            ),
            {"u": user_id},
        ).all()
    return [(a, b, orjson.loads(c)) for a, b, c in rows]


def test_export_answers_a_zip_of_the_users_data_and_audits_it(client: TestClient) -> None:
    ayu = make_journal(client, "ayu@example.com", "MNQH4", FORMULA)
    make_journal(client, "budi@example.com", "MESM4", "budi-note-secret")
    me = client.get("/api/me", headers=ayu).json()
    before = datetime.now(UTC).astimezone(ZoneInfo(me["timezone"])).date()
    response = client.get("/api/me/export", headers=ayu)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/zip"
    assert response.headers["content-disposition"] == (
        f'attachment; filename="tradeloop-export-{before.isoformat()}.zip"'
    )
    assert int(response.headers["content-length"]) == len(response.content)
    assert response.headers["cache-control"] == "no-store"
    files = members(response.content)
    assert list(files) == [*FILES, "README.txt"]
    assert orjson.loads(files["profile.json"])["email"] == "ayu@example.com"
    # the trades as the journal API lists them, the note verbatim in JSON
    listed = client.get("/api/journal/trades?limit=200", headers=ayu).json()["items"]
    exported = orjson.loads(files["trades.json"])
    assert [{k: v for k, v in t.items() if k != "kind"} for t in exported] == listed
    assert [t["pnl_points"] for t in exported] == [-10, 8]
    assert [(n["note"], n["tags"]) for n in orjson.loads(files["trade_notes.json"])] == [
        (FORMULA, [COMMAND])
    ]
    (day,) = orjson.loads(files["trading_sessions.json"])
    assert day["personal_notes"] == FORMULA + " diary"
    # and neutralised in the CSV
    rows = list(csv.DictReader(io.StringIO(files["journal_trades.csv"].decode()[1:])))
    assert [(r["note"], r["tags"], r["pnl_points"]) for r in rows] == [
        ("'" + FORMULA, "'" + COMMAND, "-10.0"),
        ("", "", "8.0"),
    ]
    everything = b"".join(files.values())
    for secret in (b"budi", b"MESM4", b"$argon2", b"password_hash"):
        assert secret not in everything, secret
    readme = files["README.txt"].decode()
    assert readme.startswith("tradeloop: the data of ayu@example.com, exported ")
    assert "trades.json (2 records)" in readme and "trade_notes.json (1 records)" in readme
    assert exports(client, me["id"]) == [("export", "testclient", {"via": "api"})]


def test_export_follows_the_session_cookie_and_needs_a_sign_in(client: TestClient) -> None:
    make_journal(client, "ayu@example.com", "MNQH4", "cookie note")
    anonymous = client.get("/api/me/export")
    assert anonymous.status_code == 401 and anonymous.json()["status"] == "error"
    assert sign_in(client, "ayu@example.com").status_code == 303
    response = client.get("/api/me/export")  # the profile page's link: the cookie only
    assert response.status_code == 200 and response.headers["content-type"] == "application/zip"
    notes = orjson.loads(members(response.content)["trade_notes.json"])
    assert [n["note"] for n in notes] == ["cookie note"]


@pytest.mark.parametrize("language", ["id", "en"])
def test_profile_page_links_to_the_export(client: TestClient, language: str) -> None:
    register(client, "ayu@example.com")
    assert sign_in(client, "ayu@example.com").status_code == 303
    headers = bearer(client, "ayu@example.com")
    assert client.patch("/api/me", json={"language": language}, headers=headers).status_code == 200
    page = client.get("/profile").text
    assert '<a class="button" href="/api/me/export" download data-testid="export-data">' in page
    for key in ("profile.export_title", "profile.export_text", "profile.export"):
        assert translate(language, key) in html.unescape(page), key
