"""In Chromium: upload bars, choose a strategy and parameters, run, read the result, history."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.e2e.conftest import register_in_browser
from tradeloop.i18n import translate
from tradeloop.market.synthetic import random_walk_bars

pytestmark = pytest.mark.browser


def test_run_a_backtest_and_find_it_in_the_history(page, tmp_path: Path) -> None:
    problems: list[str] = []
    page.on(
        "console",
        lambda message: problems.append(message.text) if message.type == "error" else None,
    )
    page.on("pageerror", lambda error: problems.append(str(error)))
    data = tmp_path / "EURUSD_H1.csv"
    random_walk_bars(3000, seed=12).to_csv(data, date_format="%Y-%m-%d %H:%M:%S")

    register_in_browser(page, "Citra")
    page.goto("/backtests")
    page.set_input_files("[data-testid=file]", str(data))
    page.select_option("[data-testid=strategy]", "ma_crossover")
    assert page.locator("#params label").all_inner_texts() == ["Periode cepat", "Periode lambat"]
    page.fill("input[name='param:fast_period']", "10")
    page.fill("input[name='param:slow_period']", "30")
    page.click("[data-testid=run]")
    page.wait_for_url(re.compile(r"/backtests/\d+$"))

    stats = {
        row.get_attribute("data-stat"): row.locator("td").inner_text()
        for row in page.locator("[data-testid=stats] tr").all()
    }
    trades = page.locator("[data-testid=trades] tbody tr")
    assert int(stats["trades"]) == trades.count() > 10
    assert stats["bars"] == "3,000"
    assert "fast_period=10, slow_period=30" in page.content()
    page.wait_for_selector("[data-testid=equity-chart] .main-svg")
    page.wait_for_selector("[data-testid=price-chart] .main-svg")
    assert page.locator("[data-testid=price-chart] .scatterlayer .trace").count() == 4

    page.goto("/backtests/history")
    rows = page.locator("[data-testid=history] tbody tr")
    assert rows.count() == 1 and "ma_crossover" in rows.first.inner_text()
    assert problems == []


def test_a_bad_file_shows_the_message_and_stays(page, tmp_path: Path) -> None:
    bad = tmp_path / "EURUSD_H1.csv"
    bad.write_text(
        "time,open,high,low,close\n2024-01-01 00:00,1,2,0.5,1.5\n2024-01-01 00:00,1,2,0.5,1.5\n"
    )
    register_in_browser(page, "Dewi")
    page.goto("/backtests")
    page.set_input_files("[data-testid=file]", str(bad))
    page.click("[data-testid=run]")
    page.wait_for_selector("#errors:not([hidden])")
    assert page.locator("#errors").inner_text() == "row 2: duplicate time 2024-01-01 00:00:00+00:00"
    assert page.locator("#status").inner_text() == translate("id", "backtests.failed")
    assert page.url.endswith("/backtests")
