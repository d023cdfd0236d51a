"""In Chromium: upload bars on the market data page and follow the progress to the end, find
the dataset listed, see its candlestick preview and report, delete it; the pages at phone
width and by keyboard."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.e2e.conftest import register_in_browser
from tests.market.test_report import us500_like_csv
from tradeloop.i18n import translate
from tradeloop.market.synthetic import random_walk_bars

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}


def watch(page) -> list[str]:
    """Console errors and page errors, collected while the test runs."""
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    return problems


def record_statuses(page) -> list[str]:
    """Every text the upload's status line shows, in order (across the page's navigation)."""
    seen: list[str] = []
    page.expose_function("recordStatus", lambda text: seen.append(text))
    page.add_init_script(
        """document.addEventListener("DOMContentLoaded", () => {
          const line = document.getElementById("market-status");
          if (line) new MutationObserver(() => window.recordStatus(line.textContent))
            .observe(line, { childList: true, characterData: true, subtree: true });
        });"""
    )
    return seen


def test_upload_follow_progress_preview_and_delete(page, tmp_path: Path) -> None:
    problems = watch(page)
    statuses = record_statuses(page)
    data = tmp_path / "EURUSD_H1.csv"
    random_walk_bars(6000, seed=3).to_csv(data, date_format="%Y-%m-%d %H:%M:%S")

    register_in_browser(page, "Eka")
    page.goto("/market")
    assert page.locator("[data-testid=datasets-empty]").is_visible()
    page.set_input_files("[data-testid=market-file]", str(data))
    page.click("[data-testid=market-upload]")
    page.wait_for_url(re.compile(r"/market\?stored=\d+&notice=datasets\.stored$"))
    uploading = [s for s in statuses if s.startswith("Mengunggah…")]
    checking = [s for s in statuses if s.startswith("Memeriksa bar…")]
    assert uploading and checking, statuses
    assert statuses[-1] == translate("id", "datasets.done")
    assert page.locator(".notice").inner_text() == translate("id", "datasets.stored")

    rows = page.locator("[data-testid=dataset-row]")
    assert rows.count() == 1
    row = rows.first
    assert row.get_attribute("class") == "just-stored"
    assert row.locator("[data-testid=dataset-bars]").inner_text() == "6 000"
    assert re.fullmatch(r"\d+(\.\d)? KB", row.locator("[data-testid=dataset-size]").inner_text())
    assert "2020-01-01 00:00 UTC" in row.inner_text()

    row.locator("[data-testid=dataset-link]").click()
    page.wait_for_url(re.compile(r"/market/\d+$"))
    page.wait_for_selector("#candles[data-drawn=true] .main-svg")
    assert page.locator("#candles .trace").count() == 1  # one candlestick trace
    note = page.locator("[data-testid=preview-note]").inner_text()
    assert note.startswith(
        translate(
            "id", "datasets.shown_resampled", interval="H4", bars="6 000", own="H1", candles="1 500"
        )
    )
    assert page.locator("[data-testid=report-interval]").inner_text() == "H1"
    assert page.locator("[data-testid=dropped-none]").is_visible()

    page.on("dialog", lambda dialog: dialog.accept())
    page.click("[data-testid=dataset-delete]")
    page.wait_for_url(re.compile(r"/market\?notice=datasets\.deleted$"))
    assert page.locator("[data-testid=dataset-row]").count() == 0
    assert page.locator(".notice").inner_text() == translate("id", "datasets.deleted")
    assert problems == []


def test_a_mixed_file_names_the_checkbox_then_uploads_with_it(page, tmp_path: Path) -> None:
    problems = watch(page)
    data = tmp_path / "US500_H1.csv"
    data.write_text(us500_like_csv())
    register_in_browser(page, "Fajar")
    page.goto("/market")
    page.set_input_files("[data-testid=market-file]", str(data))
    page.click("[data-testid=market-upload]")
    errors = page.locator("[data-testid=market-errors]")
    errors.wait_for(state="visible")
    checkbox = translate("id", "datasets.keep_dominant")
    assert f"“{checkbox}”" in errors.inner_text()
    assert page.locator("[data-testid=market-status]").inner_text() == translate(
        "id", "datasets.failed"
    )
    page.check("[data-testid=market-keep]")  # the checkbox the message names, by its label
    assert page.get_by_label(checkbox).is_checked()
    page.click("[data-testid=market-upload]")
    page.wait_for_url(re.compile(r"/market\?stored=\d+"))
    page.locator("[data-testid=dataset-link]").click()
    dropped = page.locator("[data-testid=dropped] tbody tr")
    assert dropped.count() == 2
    assert dropped.nth(0).locator("td").nth(1).inner_text() == "5"
    assert page.locator("[data-testid=gaps] tbody tr").count() == 1
    assert problems == []


def test_the_pages_fit_a_phone_and_work_by_keyboard(browser, server: str, tmp_path: Path) -> None:
    context = browser.new_context(base_url=server, viewport=PHONE)
    page = context.new_page()
    problems = watch(page)
    data = tmp_path / "GBPUSD_H1.csv"
    random_walk_bars(500, seed=8).to_csv(data, date_format="%Y-%m-%d %H:%M:%S")
    register_in_browser(page, "Gita")
    page.goto("/market")
    page.set_input_files("[data-testid=market-file]", str(data))
    page.focus("#market-file")  # from the file on: symbol, zone, date order, checkbox, upload
    order = []
    for _ in range(5):
        page.keyboard.press("Tab")
        order.append(
            page.evaluate("document.activeElement.id || document.activeElement.dataset.testid")
        )
    assert order == [
        "market-symbol",
        "market-tz",
        "market-date-order",
        "market-keep",
        "market-upload",
    ]
    page.keyboard.press("Enter")  # the focused upload button sends the form
    page.wait_for_url(re.compile(r"/market\?stored=\d+"))
    wide = "document.documentElement.scrollWidth > document.documentElement.clientWidth"
    assert not page.evaluate(wide)
    page.locator("[data-testid=dataset-link]").click()
    page.wait_for_selector("#candles[data-drawn=true] .main-svg")
    assert not page.evaluate(wide)
    assert problems == []
    context.close()
