"""In Chromium: upload bars, choose a strategy and every setting, run, read the result (a
candlestick chart with a legend and the trades, grouped statistics, a sortable and paged
trade table), run it again, compare runs from the history."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.e2e.conftest import register_in_browser
from tradeloop.i18n import translate
from tradeloop.market.synthetic import random_walk_bars

pytestmark = pytest.mark.browser


def money(text: str) -> float:
    assert text.endswith(" USD"), text
    return float(text.removesuffix(" USD").replace(" ", ""))


def test_run_a_backtest_read_its_chart_sort_and_page_its_trades(page, tmp_path: Path) -> None:
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
    page.fill("input[name='param:fast_period']", "5")
    page.fill("input[name='param:slow_period']", "12")
    page.select_option("select[name=stop_mode]", "none")
    page.select_option("select[name=on_opposite]", "reverse")
    page.select_option("select[name=size_mode]", "units")
    page.fill("input[name=size]", "10000")
    page.click("[data-testid=run]")
    page.wait_for_url(re.compile(r"/backtests/\d+$"))
    result_url = page.url

    assert page.locator("h1").inner_text() == "Persilangan MA · EURUSD H1"
    assert page.locator("[data-testid=params]").inner_text().split() == [
        "Periode", "cepat", "5", "Periode", "lambat", "12",
    ]  # fmt: skip
    chart = page.locator("[data-testid=price-chart]")
    page.wait_for_selector("[data-testid=price-chart] .main-svg")
    assert chart.locator(".legend .legendtext").all_text_contents() == [
        "Candle (H1)", "SMA cepat", "SMA lambat", "Masuk beli", "Masuk jual", "Keluar beli",
        "Keluar jual",
    ]  # fmt: skip
    assert chart.locator(".cartesianlayer .trace.boxes").count() == 1  # the candlesticks
    assert chart.locator(".scatterlayer .trace").count() == 6  # 2 lines, 4 kinds of marks
    assert chart.locator(".scatterlayer .trace .points path.point").count() > 100
    assert chart.locator(".g-xtitle").text_content() == "Waktu (UTC)"
    page.wait_for_selector("[data-testid=equity-chart] .main-svg")
    assert (
        page.locator("[data-testid=equity-chart] .g-ytitle").first.text_content() == "Ekuitas (USD)"
    )

    stats = {
        row.get_attribute("data-stat"): row.locator("td").inner_text()
        for row in page.locator("[data-testid=stats] tr").all()
    }
    assert stats["bars"] == "3 000" and re.fullmatch(r"\d+\.\d %", stats["win_rate_pct"])
    total = int(stats["trades"])
    assert total > 100
    rows = page.locator("[data-testid=trades] tbody tr")
    assert rows.count() == 50
    assert set(rows.locator("td:nth-child(7)").all_inner_texts()) == {"0.10"}

    page.click("[data-testid=trades] a[data-sort=pnl]")  # highest first
    page.wait_for_url(re.compile(r"sort=pnl&order=desc"))
    first_page = [money(t) for t in rows.locator("td:nth-child(8)").all_inner_texts()]
    assert first_page == sorted(first_page, reverse=True)
    page.click("[data-testid=trade-pager-next]")
    page.wait_for_url(re.compile(r"sort=pnl&order=desc&page=2"))
    second_page = [money(t) for t in rows.locator("td:nth-child(8)").all_inner_texts()]
    assert len(second_page) == 50 and min(first_page) >= max(second_page)
    assert "baris 51–100" in page.locator("[data-testid=trade-pager]").inner_text()

    # run it again with other settings, from the pre-filled form
    page.goto(result_url)
    assert page.locator("#rerun-form select[name=size_mode]").input_value() == "units"
    assert page.locator("#rerun-form input[name='param:fast_period']").input_value() == "5"
    page.fill("#rerun-form input[name='param:fast_period']", "8")
    page.select_option("#rerun-form select[name=size_mode]", "lots")
    page.fill("#rerun-form input[name=size]", "0.2")
    page.click("[data-testid=rerun]")
    page.wait_for_url(lambda url: re.search(r"/backtests/\d+$", url) and url != result_url)
    assert page.locator("[data-testid=params]").inner_text().split()[2] == "8"
    assert set(rows.locator("td:nth-child(7)").all_inner_texts()) == {"0.20"}

    page.goto("/backtests/history")
    history = page.locator("[data-testid=history] tbody tr")
    assert history.count() == 2 and "Persilangan MA" in history.first.inner_text()
    history.nth(0).locator("input[type=checkbox]").check()
    history.nth(1).locator("input[type=checkbox]").check()
    page.click("[data-testid=compare]")
    page.wait_for_url(re.compile(r"/backtests/compare\?ids=\d+&ids=\d+"))
    page.wait_for_selector("[data-testid=compare-chart] .main-svg")
    legend = page.locator("[data-testid=compare-chart] .legend .legendtext").all_text_contents()
    assert len(legend) == 2 and all("Persilangan MA EURUSD H1" in name for name in legend)
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
    assert page.locator("#status").inner_text() == translate("id", "backtests.failed")
    assert page.locator("#errors").inner_text()
    assert page.url.endswith("/backtests")
