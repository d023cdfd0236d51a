"""In Chromium, on a small hand-made import shown in Jakarta time: walk the month calendar back
over empty months, open a day with the keyboard and see its trades, add a note with tags and
find it again by search, and move the outsized-loss σ without the page reloading."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import register_in_browser
from tests.habits.test_reports import HAND_MADE
from tradeloop.i18n import translate

pytestmark = pytest.mark.browser


def test_calendar_day_notes_and_the_sigma_slider(page, tmp_path: Path) -> None:
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    export = tmp_path / "orders.csv"
    export.write_bytes(HAND_MADE)
    register_in_browser(page, "Dewi")
    page.goto("/journal")
    zone = page.evaluate(
        """async () => (await window.tradeloopFetch("/api/me", {method: "PATCH",
             headers: {"Content-Type": "application/json"},
             body: JSON.stringify({timezone: "Asia/Jakarta"})})).status"""
    )
    assert zone == 200
    page.fill("[data-testid=journal-tz]", "UTC")  # the file's times are UTC
    page.set_input_files("[data-testid=journal-file]", str(export))
    with page.expect_navigation():
        page.click("[data-testid=import]")
    month = page.locator("[data-testid=calendar-month]")
    assert month.inner_text() == "Mei 2024"  # the last trade's month
    page.wait_for_selector("[data-testid=equity] .main-svg")

    for expected in ("April 2024", "Maret 2024", "Februari 2024"):  # empty months stay visible
        page.click("[data-testid=previous-month]")
        expect(month).to_have_text(expected)
        assert page.locator("[data-testid=calendar-day]").count() == 0
        assert page.locator("[data-testid=month-summary]").inner_text() == translate(
            "id", "journal.month_empty"
        )
    page.click("[data-testid=previous-month]")
    expect(month).to_have_text("Januari 2024")
    assert "month=2024-01" in page.url
    days = page.locator("[data-testid=calendar-day]")
    assert days.count() == 2
    assert days.nth(0).locator("[data-testid=day-pnl]").inner_text() == "-8.00 USD"
    assert days.nth(1).locator("[data-testid=day-pnl]").inner_text() == "10.00 USD"

    days.nth(0).focus()  # the keyboard opens a day as a click does
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "start=2024-01-02" in page.url and "end=2024-01-02" in page.url
    rows = page.locator("[data-testid=journal-trades] tbody tr")
    expect(rows).to_have_count(2)
    assert rows.nth(0).locator("td").nth(3).inner_text() == "2024-01-02 09:00 UTC+07:00"
    assert rows.nth(1).locator("td").nth(7).inner_text() == "-20.00 USD"
    assert page.locator("[data-testid=calendar-month]").inner_text() == "Januari 2024"

    first = rows.nth(0)
    first.locator("[data-testid=edit-note]").click()
    first.locator("textarea[name=note]").fill("Waited for the pullback, as planned")
    first.locator("input[name=tags]").fill("pullback, A+")
    with page.expect_navigation():
        first.locator("button[type=submit]").click()
    assert translate("id", "journal.note_saved") in page.locator(".notice").first.inner_text()
    assert "start=2024-01-02" in page.url  # back on the same view
    noted = page.locator("[data-testid=journal-trades] tbody tr").nth(0)
    assert noted.locator("[data-testid=note-text]").inner_text() == (
        "Waited for the pullback, as planned"
    )
    assert noted.locator(".tag").all_inner_texts() == ["pullback", "A+"]

    page.click("[data-testid=reset-filters]")
    expect(page.locator("[data-testid=journal-trades] tbody tr")).to_have_count(4)
    page.fill("[data-testid=filter-q]", "PULLBACK")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "q=PULLBACK" in page.url and "symbol=" not in page.url  # empty fields left out
    expect(page.locator("[data-testid=journal-trades] tbody tr")).to_have_count(1)
    page.select_option("[data-testid=filter-tag]", "A+")
    page.wait_for_url("**tag=A%2B**")
    expect(page.locator("[data-testid=journal-trades] tbody tr")).to_have_count(1)

    page.goto("/journal")
    page.wait_for_selector("[data-testid=loss-chart] .main-svg")
    summary = page.locator("[data-testid=loss-summary]")
    before = summary.inner_text()
    page.evaluate("window.__stillHere = true")
    navigations = page.evaluate("performance.getEntriesByType('navigation').length")
    page.locator("input[name=sigma_loss]").fill("0.1")
    expect(summary).not_to_have_text(before)
    expect(page.locator("body")).to_have_attribute("data-journal-updates", "1")
    assert page.evaluate("window.__stillHere") is True
    assert page.evaluate("performance.getEntriesByType('navigation').length") == navigations
    assert "sigma_loss=0.1" in page.url
    assert summary.inner_text() == translate(
        "id", "journal.loss_summary", count=1, total=2, sigma="0.1"
    )
    assert problems == []
