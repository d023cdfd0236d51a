"""The Journal page over HTTP on a small hand-made import read in UTC, shown to a trader in
Jakarta: the month calendar's day totals, P&L by hour in the profile's zone, filters kept in
the address, notes and tags (saved with CSRF, searched, filtered, private), and the CSV export
with formula cells neutralised."""

from __future__ import annotations

import csv
import html
import io
import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from tests.conftest import bearer, register
from tests.habits.test_reports import HAND_MADE
from tests.journal.helpers import export, fill
from tests.web.test_pages import sign_in
from tradeloop.i18n import translate


def _setup(client: TestClient, email: str, data: bytes = HAND_MADE) -> dict[str, str]:
    register(client, email)
    headers = bearer(client, email)
    client.patch("/api/me", headers=headers, json={"timezone": "Asia/Jakarta"})
    response = client.post(
        "/api/journal/imports",
        headers=headers,
        files={"file": ("orders.csv", data, "text/csv")},
        data={"tz": "UTC"},
    )
    assert response.status_code == 201, response.text
    return headers


@pytest.fixture
def trader(client: TestClient) -> dict[str, str]:
    headers = _setup(client, "ayu@example.com")
    sign_in(client, "ayu@example.com")
    return headers


def page(client: TestClient, address: str) -> str:
    response = client.get(address)
    assert response.status_code == 200, response.text
    return html.unescape(response.text)


def section(text: str, testid: str, end: str = "</table>") -> str:
    start = text.index(f'data-testid="{testid}"')
    return text[start : text.index(end, start)]


def keys(client: TestClient, headers: dict[str, str]) -> list[str]:
    items = client.get("/api/journal/trades", headers=headers).json()["items"]
    return [t["trade_key"] for t in items]


def save_note(client: TestClient, key: str, note: str, tags: str = "", **extra: str):
    token = client.cookies["tl_csrf"]
    data = {"csrf_token": token, "note": note, "tags": tags, "next": "/journal"} | extra
    return client.post(f"/journal/notes/{key}", data=data, follow_redirects=False)


def test_the_month_calendar_shows_local_day_totals_and_its_neighbours(client, trader) -> None:
    text = page(client, "/journal?month=2024-01")
    grid = section(text, "month-grid")
    weekdays = re.findall(r"<abbr title=\"([^\"]+)\">([^<]+)</abbr>", grid)
    assert weekdays[0] == (translate("id", "weekday.Monday"), "Sen")
    assert [w[1] for w in weekdays] == ["Sen", "Sel", "Rab", "Kam", "Jum", "Sab", "Min"]
    days = re.findall(
        r'data-date="([\d-]+)"><a href="([^"]+)"[^>]*>.*?data-testid="day-pnl">([^<]+)</span>'
        r'<span class="day-count" data-testid="day-count">([^<]+)</span>',
        grid,
        re.S,
    )
    assert [(d, pnl, n) for d, _, pnl, n in days] == [
        ("2024-01-02", "-8.00 USD", "2 transaksi"),
        ("2024-01-03", "10.00 USD", "1 transaksi"),  # 20:40 UTC is 03:40 in Jakarta
    ]
    assert days[0][1] == "/journal?month=2024-01&start=2024-01-02&end=2024-01-02#trades"
    assert 'data-date="2024-01-04"><span class="day-number">4</span>' in grid  # no trade
    assert grid.count("<tr>") == 6  # the header and five weeks
    summary = section(text, "month-summary", "</p>")
    assert "3 transaksi dalam 2 hari: 2.00 USD" in summary
    assert 'href="/journal?month=2023-12#calendar"' in text
    assert 'href="/journal?month=2024-02#calendar"' in text
    # the empty months between January and May are listed, empty
    months = section(text, "months", "</ul>")
    assert re.findall(r">(\w+ 2024)</a>\s*<span[^>]*>([^<]*)", months) == [
        ("Januari 2024", ""),
        ("Februari 2024", "—"),
        ("Maret 2024", "—"),
        ("April 2024", "—"),
        ("Mei 2024", ""),
    ]
    march = page(client, "/journal?month=2024-03")
    assert translate("id", "journal.month_empty") in section(march, "month-summary", "</p>")
    assert 'data-testid="calendar-day"' not in march
    # without a month: the last trade's
    assert ">Mei 2024</span>" in page(client, "/journal")


def test_a_day_of_the_calendar_lists_its_trades(client, trader) -> None:
    text = page(client, "/journal?month=2024-01&start=2024-01-03&end=2024-01-03")
    table = section(text, "journal-trades")
    rows = re.findall(r'<tr id="trade-(\d+)"', table)
    assert rows == ["2"]
    # entry and exit in the profile's zone, with its label
    assert "2024-01-03 03:30 UTC+07:00" in table and "2024-01-03 03:40 UTC+07:00" in table
    assert "10.00 USD" in table and "5.00 poin" in table and "0.50R" in table
    assert translate("id", "journal.day_trades", date="2024-01-03") in text


def test_pnl_by_hour_weekday_and_symbol_in_the_profiles_zone(client, trader) -> None:
    text = page(client, "/journal")
    assert translate("id", "journal.by_hour", zone="Asia/Jakarta") in text
    hours = re.findall(
        r"<th scope=\"row\">(\d\d:00 UTC\+07:00)</th><td class=\"num\">(\d+)</td>\s*"
        r"<td class=\"num\">([\d.]+%)</td><td class=\"num\"><span class=\"\w*\">([^<]+)</span>",
        section(text, "by-hour"),
    )
    assert hours == [
        ("03:00 UTC+07:00", "1", "100.0%", "10.00 USD"),
        ("09:00 UTC+07:00", "1", "100.0%", "12.00 USD"),
        ("10:00 UTC+07:00", "1", "0.0%", "-20.00 USD"),
        ("21:00 UTC+07:00", "1", "0.0%", "-4.00 USD"),
    ]
    weekdays = re.findall(
        r"<th scope=\"row\">(\w+)</th><td class=\"num\">(\d+)</td>.*?<span class=\"\w*\">([^<]+)",
        section(text, "by-weekday"),
        re.S,
    )
    assert weekdays == [("Senin", "1", "-4.00 USD"), ("Selasa", "2", "-8.00 USD"),
                        ("Rabu", "1", "10.00 USD")]  # fmt: skip
    assert 'MNQH4</a></th><td class="num">4</td>' in section(text, "by-symbol")
    bins = re.findall(
        r"<th scope=\"row\">([^<]+)</th><td class=\"num\">(\d+)</td>", section(text, "r-bins")
    )
    assert bins[2] == ("-2R sampai -1R", "1") and bins[0] == ("di bawah -3R", "0")
    assert [n for _, n in bins] == ["0", "0", "1", "0", "1", "1", "0", "0"]
    assert "R diketahui untuk 3 dari 4 transaksi" in text
    assert "-2.00 USD setelah 4 transaksi" in section(text, "equity-final", "</p>")


def test_filters_round_trip_in_the_address(client, trader) -> None:
    address = (
        "/journal?q=plan&symbol=MNQH4&side=buy&start=2024-01-01&end=2024-05-31&result=loss"
        "&mistake=none&tag=fomo&source=1&month=2024-01"
    )
    text = page(client, address)
    form = section(text, "trade-filters", "</form>")
    for field, value in [("q", "plan"), ("symbol", "MNQH4"), ("start", "2024-01-01"),
                         ("end", "2024-05-31")]:  # fmt: skip
        assert re.search(rf'name="{field}"[^>]*value="{value}"', form), field
    for value in ("buy", "loss", "none", "fomo", "1"):
        assert f'value="{value}" selected' in form, value
    assert '<input type="hidden" name="month" value="2024-01">' in form
    kept = "start=2024-01-01&end=2024-05-31&symbol=MNQH4&side=buy&result=loss&mistake=none"
    assert f'href="/journal?{kept}&q=plan&tag=fomo&source=1&month=2023-12#calendar"' in text
    assert f'href="/journal/export.csv?{kept}&q=plan&tag=fomo&source=1"' in text
    # an empty form field is no filter; a bad value is named
    assert "transaksi" in page(client, "/journal?symbol=&side=&start=&q=")
    bad = client.get("/journal?start=2024-02-30")
    assert bad.status_code == 422 and "start" in html.unescape(bad.text)


def test_a_note_is_saved_from_the_form_and_found_by_search_and_tag(client, trader) -> None:
    first, second, *_ = keys(client, trader)
    refused = client.post(f"/journal/notes/{first}", data={"note": "x"}, follow_redirects=False)
    assert refused.status_code == 403
    saved = save_note(client, first, "Followed my plan, FOMO later", "fomo, A+ setup, fomo",
                      next="/journal?page=1#trade-0")  # fmt: skip
    assert saved.status_code == 303
    assert saved.headers["location"] == "/journal?page=1&notice=journal.note_saved#trade-0"
    save_note(client, second, "chased the move", "revenge")
    assert client.get(f"/api/journal/notes/{first}", headers=trader).json()["tags"] == [
        "fomo", "A+ setup",
    ]  # fmt: skip
    found = page(client, "/journal?q=PLAN")
    table = section(found, "journal-trades")
    assert re.findall(r'data-key="(\w+)"', table) == [first]
    assert "Followed my plan, FOMO later" in table
    assert re.findall(r'<tr id="trade-\d+" data-index="\d+" data-key="(\w+)"',
                      section(page(client, "/journal?tag=revenge"), "journal-trades")) == [second]  # fmt: skip
    api = client.get("/api/journal/trades?tag=FOMO", headers=trader).json()
    assert [t["trade_key"] for t in api["items"]] == [first]
    assert api["items"][0]["note"] == "Followed my plan, FOMO later"
    assert client.get("/api/journal/trades?q=chased", headers=trader).json()["total"] == 1
    with client.app.state.engine.connect() as connection:  # sealed at rest, as other notes
        stored = connection.execute(text("SELECT note FROM trade_notes ORDER BY id")).scalars()
        assert [note.startswith("gAAAAA") and "plan" not in note for note in stored] == [True] * 2
    # an empty note without tags deletes it
    save_note(client, second, "", "")
    assert client.get("/api/journal/trades?tag=revenge", headers=trader).json()["total"] == 0


def test_notes_survive_a_rebuild_with_another_import(client, trader) -> None:
    first = keys(client, trader)[0]
    save_note(client, first, "kept", "swing")
    client.post(
        "/api/journal/imports",
        headers=trader,
        files={"file": ("later.csv", export(fill(30, "06/03/2024 14:00:00", "Buy", 1, 100),
                                            fill(31, "06/03/2024 14:05:00", "Sell", 1, 101)))},
        data={"tz": "UTC"},
    )  # fmt: skip
    items = client.get("/api/journal/trades?tag=swing", headers=trader).json()["items"]
    assert [(t["trade_key"], t["note"]) for t in items] == [(first, "kept")]
    assert client.get("/api/journal/trades", headers=trader).json()["total"] == 5


def test_another_users_notes_are_invisible(client, trader) -> None:
    first = keys(client, trader)[0]
    save_note(client, first, "my secret plan", "private")
    client.cookies.clear()
    other = _setup(client, "budi@example.com")  # the same file: the same trades and keys
    assert keys(client, other)[0] == first
    assert client.get(f"/api/journal/notes/{first}", headers=other).json()["note"] == ""
    assert client.get("/api/journal/trades?q=secret", headers=other).json()["total"] == 0
    assert client.get("/api/journal/trades?tag=private", headers=other).json()["total"] == 0
    sign_in(client, "budi@example.com")
    assert "my secret plan" not in page(client, "/journal")
    assert "my secret plan" not in client.get("/journal/export.csv").text
    client.cookies.clear()
    stranger = _setup(client, "citra@example.com", export(fill(1, "09:00:00", "Buy", 1, 100),
                                                          fill(2, "09:05:00", "Sell", 1, 101)))  # fmt: skip
    assert client.get(f"/api/journal/notes/{first}", headers=stranger).status_code == 404
    put = client.put(f"/api/journal/notes/{first}", headers=stranger, json={"note": "x"})
    assert put.status_code == 404


def test_note_limits_are_checked(client, trader) -> None:
    first = keys(client, trader)[0]
    long_tag = client.put(f"/api/journal/notes/{first}", headers=trader,
                          json={"note": "", "tags": ["x" * 33]})  # fmt: skip
    assert long_tag.status_code == 422
    bad = client.put(f"/api/journal/notes/{first}", headers=trader, json={"note": "a\x00b"})
    assert bad.status_code == 422
    assert client.get("/api/journal/notes/bad%20key", headers=trader).status_code == 422


def test_the_csv_export_neutralises_formulas_and_keeps_negative_numbers(client, trader) -> None:
    first, second, third, _ = keys(client, trader)
    save_note(client, first, '=HYPERLINK("http://evil.example","click")', "+cmd")
    save_note(client, second, "@x", "-12.5")
    save_note(client, third, "-12.5", "\tpad")
    response = client.get("/journal/export.csv?start=2024-01-01&end=2024-01-31")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text.lstrip("\ufeff"))))
    assert [r["trade_key"] for r in rows] == [first, second, third]  # May's trade filtered out
    assert rows[0]["note"] == '\'=HYPERLINK("http://evil.example","click")'
    assert rows[0]["tags"] == "'+cmd"
    assert rows[1]["note"] == "'@x" and rows[1]["tags"] == "-12.5"
    assert rows[2]["note"] == "-12.5" and rows[2]["tags"] == "pad"  # tags are trimmed
    assert [r["pnl_money"] for r in rows] == ["12.0", "-20.0", "10.0"]  # numbers stay numbers
    assert rows[1]["r_multiple"] == "-2.0" and rows[1]["currency"] == "USD"
    assert rows[2]["entry_time"] == "2024-01-03T03:30:00+07:00"  # in the profile's zone
    assert rows[0]["mistakes"] == "" and rows[0]["import_id"] == "1"
    tagged = client.get("/journal/export.csv?tag=%2Bcmd").text.lstrip("\ufeff")
    assert len(list(csv.DictReader(io.StringIO(tagged)))) == 1
