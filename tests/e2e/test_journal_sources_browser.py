"""In Chromium: a refused file shows why; an MT5 report from a Japanese terminal asks for its
server's zone, then shows what was read (format, language, account, currency) and money."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import register_in_browser
from tests.journal import metatrader_fixtures as fx

pytestmark = pytest.mark.browser


def test_refusals_the_server_zone_and_what_was_read(page, tmp_path: Path) -> None:
    register_in_browser(page, "Sari")
    page.goto("/journal")
    balance = tmp_path / "Account_Balance_History.csv"
    balance.write_text("Account ID,Account Name,Trade Date,Total Amount,Total Realized PNL\n"
                       '1,A,2026-01-30,"51,413.38","1,413.38"\n')  # fmt: skip
    page.set_input_files("[data-testid=journal-file]", str(balance))
    page.click("[data-testid=import]")
    error = page.locator("#errors li")
    error.wait_for()
    assert error.inner_text().startswith("File ini riwayat saldo akun harian (Tradovate)")

    report = tmp_path / "ReportHistory-7001234.html"
    report.write_bytes(fx.mt5_html("ja").encode("utf-16") + b"\x00")
    page.set_input_files("[data-testid=journal-file]", str(report))
    page.click("[data-testid=import]")
    expect(error).to_contain_text("Akun 7001234 (Demo-Server) masih baru")
    assert page.evaluate("document.activeElement.name") == "tz"  # the field to fill is focused
    page.fill("[data-testid=journal-tz]", "Europe/Athens")
    with page.expect_navigation():
        page.click("[data-testid=import]")
    row = page.locator("[data-testid=import-row]")
    assert (
        row.locator("[data-testid=import-format]").inner_text() == "MT5 Trade History Report (ja)"
    )
    assert row.locator("[data-testid=import-accounts]").inner_text() == "7001234 · Demo-Server"
    assert row.locator("[data-testid=import-currency]").inner_text() == "USD"
    assert page.locator("[data-testid=net-pnl]").inner_text() == "-32.90 USD"
    assert "(USD)" in page.locator("[data-testid=pnl-header]").inner_text()

    tester = tmp_path / "StrategyTester.html"
    tester.write_bytes(fx.deals_only_html(tester=True).encode("utf-16"))
    page.set_input_files("[data-testid=journal-file]", str(tester))
    with page.expect_navigation():
        page.click("[data-testid=import]")
    assert (
        page.locator("[data-testid=net-pnl]").inner_text() == "-32.90 USD"
    )  # still the MT5 trades
    tested = page.locator("[data-testid=import-tested]")
    assert tested.count() == 1
    page.click("[data-testid=tested-link]")
    page.wait_for_selector("[data-testid=tested-notice]")
    assert page.locator("[data-testid=net-pnl]").inner_text() == "1 311.61 USD"
    expect(page.locator("[data-testid=journal-trades] tbody tr")).to_have_count(3)
