"""The Mentor page over HTTP: the report's title says "today" only for the user's today, the
stated emotion stays selected and is what the report reads, the day's P&L is the report's
quantity with its unit, and the page shows one score trend."""

from __future__ import annotations

import datetime as dt
import html
import re
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient

from tests.conftest import bearer, register
from tests.journal.helpers import export, fill, stop
from tests.web.test_pages import sign_in
from tradeloop.i18n import translate

ZONE = "Pacific/Kiritimati"  # UTC+14: its today is often not the UTC date


def _signed_in(client: TestClient, language: str = "id") -> dict[str, str]:
    register(client, "ayu@example.com")
    headers = bearer(client, "ayu@example.com")
    client.patch("/api/me", headers=headers, json={"timezone": ZONE, "language": language})
    sign_in(client, "ayu@example.com")
    return headers


def _title(page: str) -> str:
    found = re.search(r'<h2 data-testid="report-title">(.*?)</h2>', page, re.S)
    assert found is not None
    return html.unescape(found.group(1)).strip()


def test_todays_report_only_for_the_users_today(client: TestClient) -> None:
    _signed_in(client)
    today = dt.datetime.now(ZoneInfo(ZONE)).date()
    for language in ("id", "en"):
        client.patch(
            "/api/me", headers=bearer(client, "ayu@example.com"), json={"language": language}
        )
        assert _title(client.get("/mentor").text) == (
            f"{translate(language, 'mentor.today')} · {today.isoformat()}"
        )
        assert _title(client.get(f"/mentor?day={today.isoformat()}").text).startswith(
            translate(language, "mentor.today")
        )
        past = client.get("/mentor?day=2026-11-28").text
        assert _title(past) == translate(language, "mentor.report_for", day="2026-11-28")
        assert {"id": "Laporan untuk 2026-11-28", "en": "Report for 2026-11-28"}[language] == (
            _title(past)
        )
        assert translate(language, "mentor.today") not in html.unescape(past)


def test_the_stated_emotion_stays_selected_and_the_report_reads_it(client: TestClient) -> None:
    headers = _signed_in(client, "en")
    day = "2026-11-28"  # no trades that day
    csrf = {"X-CSRF-Token": client.cookies["tl_csrf"]}
    written = client.post("/api/mentor/reports", json={"date": day, "language": "en"}, headers=csrf)
    no_pressure = translate("en", "mentor.emotion.no_trades.feedback")
    assert written.json()["emotional_analysis"]["feedback"] == no_pressure  # nothing stated yet
    saved = client.post(
        "/api/mentor/feedback",
        json={"date": day, "emotion": "frustrated", "market": "volatile", "language": "en"},
        headers=csrf,
    )
    assert saved.status_code == 200 and "frustrated" in saved.json()["feedback"]
    page = client.get(f"/mentor?day={day}&lang=en").text
    assert '<option value="frustrated" selected>' in page
    assert '<option value="volatile" selected>' in page
    # the stored report was written again with the stated emotion
    stored = client.get(f"/api/mentor/reports/{day}?language=en", headers=headers).json()
    feedback = stored["emotional_analysis"]["feedback"]
    assert "frustrated" in feedback and "no emotional pressure" not in feedback
    emotional = re.search(r'data-testid="report-emotion"><span>(.*?)</span>', page).group(1)
    assert html.unescape(emotional) == feedback


def test_the_days_pnl_is_the_reports_quantity_with_both_units(client: TestClient) -> None:
    """A journal in points (one contract has no known point value) with a day of MNQ trades
    whose money is known: the report says 29.50 points, the card says 29.50 points and, beside
    it, the same trades' 59.00 USD; never 59.00 labelled as points."""
    headers = _signed_in(client)
    rows = [
        fill(1, "01/02/2024 09:00:00", "Buy", 1, 100),
        stop(2, "01/02/2024 09:00:00", "Sell", 95),
        fill(3, "01/02/2024 09:20:00", "Sell", 1, 120, "Limit"),
        fill(4, "01/02/2024 10:00:00", "Buy", 1, 100),
        stop(5, "01/02/2024 10:00:00", "Sell", 95),
        fill(6, "01/02/2024 10:20:00", "Sell", 1, 109.5, "Limit"),
        fill(7, "01/03/2024 10:00:00", "Buy", 1, 50, contract="ZZZH4"),
        stop(8, "01/03/2024 10:00:00", "Sell", 45, contract="ZZZH4"),
        fill(9, "01/03/2024 10:20:00", "Sell", 1, 52, "Limit", contract="ZZZH4"),
    ]
    client.patch("/api/me", headers=headers, json={"timezone": "UTC"})
    imported = client.post(
        "/api/journal/imports",
        headers=headers,
        files={"file": ("o.csv", export(*rows), "text/csv")},
    )
    assert imported.status_code == 201, imported.text
    csrf = {"X-CSRF-Token": client.cookies["tl_csrf"]}
    report = client.post(
        "/api/mentor/reports", json={"date": "2024-01-02", "language": "id"}, headers=csrf
    ).json()
    assert "29.50 poin" in report["trading_patterns_analysis"]["analysis"]
    page = html.unescape(client.get("/mentor?day=2024-01-02").text)
    assert re.search(r'data-testid="day-pnl">([^<]*)<', page).group(1) == "29.50 poin"
    assert re.search(r'data-testid="day-pnl-money">([^<]*)<', page).group(1) == "(59.00 USD)"
    assert "59.00 poin" not in page
    # history: the column says its unit and the chart's axis titles do too
    assert f"{translate('id', 'mentor.chart.pnl', unit='poin')}</th>" in page
    assert 'data-pnl-title="L/R (poin)"' in page and 'data-score-title="Skor risiko (1–10)"' in page


def test_one_trend_word_on_the_page(client: TestClient) -> None:
    _signed_in(client)
    page = html.unescape(client.get("/mentor?day=2026-11-28").text)
    words = [translate("id", f"mentor.trend.{k}") for k in ("up", "down", "flat", "none")]
    assert sum(page.count(f">{w}<") for w in words) == 1
    # without two days with trades there is no trend to call "steady"
    assert re.search(r'data-testid="score-trend">([^<]*)<', page).group(1) == words[-1]
