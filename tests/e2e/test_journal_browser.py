"""In Chromium: import an export, read the habit figures, filter trades, click a loss on the
chart to find its trade, move a settings slider and see the figures re-analysed in place."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import register_in_browser
from tradeloop.i18n import translate
from tradeloop.journal.synthetic import synthetic_export
from tradeloop.services.exports import load_journal

pytestmark = pytest.mark.browser


def test_import_and_explore_the_journal(page, tmp_path: Path) -> None:
    problems: list[str] = []
    page.on(
        "console",
        lambda message: problems.append(message.text) if message.type == "error" else None,
    )
    export = tmp_path / "orders.csv"
    data = synthetic_export(249, seed=8).decode().splitlines()
    # one flat trade at the end (bought and sold at 17000): its row must render too
    data += [
        "90000001,01/30/2024 09:00:00,01/30/2024 09:00:00,Buy,MNQH4,1,17000,Market,17000,,Filled",
        "90000002,01/30/2024 09:00:00,01/30/2024 09:01:00,Sell,MNQH4,1,17000,Limit,17000,,Filled",
    ]
    export.write_text("\n".join(data) + "\n")
    expected = load_journal(export.read_bytes()).analysis.summary
    register_in_browser(page, "Eka")
    page.goto("/journal")
    assert page.locator("[data-testid=journal-empty]").inner_text() == translate(
        "id", "journal.empty"
    )
    page.set_input_files("[data-testid=journal-file]", str(export))
    page.click("[data-testid=import]")
    page.wait_for_selector("[data-testid=summary]")
    assert page.locator("[data-testid=total-trades]").inner_text() == "250"
    assert (
        page.locator("[data-testid=expectancy]").inner_text() == f"{expected['expectancy']:.2f} USD"
    )
    row = page.locator("[data-testid=import-row]")
    assert row.locator("[data-testid=import-format]").inner_text() == "Tradovate Orders"
    assert row.locator("[data-testid=import-currency]").inner_text() == "USD"
    mistakes = page.locator("[data-testid=mistakes] li").all_inner_texts()
    assert mistakes[0].split() == [
        *translate("id", "mistake.no_stop_loss").split(),
        str(expected["mistake_counts"]["no_stop_loss"]),
    ]
    assert page.locator("[data-testid=insights] li").count() >= 2
    page.wait_for_selector("[data-testid=donut] .main-svg")
    page.wait_for_selector("[data-testid=loss-chart] .main-svg")
    page.wait_for_selector("[data-testid=journal-trades] tbody tr")
    assert page.locator("[data-testid=journal-trades] tbody tr").count() == 50  # the first page

    page.select_option("[data-testid=filter-mistake]", "no_stop_loss")  # applies at once
    page.wait_for_url("**mistake=no_stop_loss**")
    naked = expected["mistake_counts"]["no_stop_loss"]
    rows = page.locator("[data-testid=journal-trades] tbody tr")
    expect(rows).to_have_count(min(naked, 50))
    assert page.locator("[data-testid=trade-count]").inner_text().endswith(f"{naked}.")
    badges = page.locator(
        "[data-testid=journal-trades] tbody tr td:nth-child(11)"
    ).all_inner_texts()
    assert all(translate("id", "mistake.no_stop_loss") in b for b in badges)

    page.locator("[data-testid=loss-chart]").scroll_into_view_if_needed()
    points = page.locator("[data-testid=loss-chart] .scatterlayer .trace .points path").all()
    point = max((p.bounding_box() for p in points), key=lambda box: box["x"])  # the latest loss
    page.mouse.move(point["x"] + point["width"] / 2, point["y"] + point["height"] / 2)
    page.mouse.click(point["x"] + point["width"] / 2, point["y"] + point["height"] / 2)
    page.wait_for_selector("[data-testid=journal-trades] tr.highlight")
    lost = page.locator("tr.highlight td:nth-child(7)").inner_text()  # "-12.75 poin"
    assert lost.endswith(" poin") and float(lost.removesuffix(" poin").replace(" ", "")) < 0
    assert (
        int(page.locator("tr.highlight td:nth-child(1)").inner_text()) > 200
    )  # found on the fifth page of the unfiltered list
    assert "page=5" in page.url and "mistake" not in page.url

    threshold_before = page.locator("[data-testid=insights]").inner_text()
    page.evaluate("window.__stillHere = true")
    slider = page.locator("input[name=sigma_loss]")
    slider.fill("3")  # fires input and change, as letting go of the slider does
    expect(page.locator("body")).to_have_attribute("data-journal-updates", "1")
    assert page.evaluate("window.__stillHere") is True  # redrawn in place, not reloaded
    assert "sigma_loss=3" in page.url
    assert page.locator("input[name=sigma_loss]").input_value() == "3"
    assert page.locator("[data-testid=insights]").inner_text() != threshold_before
    page.reload()  # the saved setting and the address agree
    assert page.locator("input[name=sigma_loss]").input_value() == "3"
    assert problems == []
