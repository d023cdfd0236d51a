"""In Chromium, against a server process of its own: upload bars, run a sweep from the
optimisation page and watch its progress move, cancel it (it shows as cancelled with the
combinations that finished), run a smaller sweep to its end, open its heatmap and
walk-forward chart, read the overfitting odds, and backtest the best row, landing on the
backtest's result."""

from __future__ import annotations

import os
import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.e2e.conftest import CLI, register_in_browser, serving
from tradeloop.i18n import translate
from tradeloop.market.synthetic import random_walk_bars

pytestmark = pytest.mark.browser


@pytest.fixture
def sweep_server(tmp_path: Path) -> Iterator[str]:
    """A server whose sweeps run in its own process, chunk after chunk (one worker)."""
    data = tmp_path / "data"
    env = {**os.environ, "TRADELOOP_DATA_DIR": str(data), "TRADELOOP_SWEEP_WORKERS": "1"}
    env.pop("TRADELOOP_DATABASE_URL", None)
    subprocess.run([*CLI, "db", "upgrade"], env=env, check=True, capture_output=True)
    with serving(data, env) as base:
        yield base


def fill_row(page, name: str, start: str, stop: str = "", step: str = "") -> None:
    page.fill(f"input[name='{name}:from']", start)
    page.fill(f"input[name='{name}:to']", stop)
    page.fill(f"input[name='{name}:step']", step)


def test_sweep_progress_cancel_heatmap_and_backtest_the_best_row(
    browser, sweep_server: str, tmp_path: Path
) -> None:
    problems: list[str] = []
    context = browser.new_context(base_url=sweep_server)
    page = context.new_page()
    page.on(
        "console",
        lambda message: problems.append(message.text) if message.type == "error" else None,
    )
    page.on("pageerror", lambda error: problems.append(str(error)))
    bars = tmp_path / "EURUSD_H1.csv"
    random_walk_bars(40_000, seed=21).to_csv(bars, date_format="%Y-%m-%d %H:%M:%S")

    register_in_browser(page, "Sari")
    page.goto("/market")
    page.set_input_files("[data-testid=market-file]", str(bars))
    page.click("[data-testid=market-upload]")
    page.wait_for_url(re.compile(r"/market\?stored=\d+&notice=datasets\.stored$"), timeout=60_000)

    # the nav leads to the page; the form is the strategy's schema
    page.goto("/")
    page.click(f"nav >> text={translate('id', 'nav.optimise')}")
    page.wait_for_url(re.compile(r"/optimise$"))
    page.select_option("[data-testid=strategy]", "ma_crossover")
    labels = page.locator("#o-params .sweep-name").all_inner_texts()
    assert labels == ["Periode cepat", "Periode lambat"]

    # a large sweep: its progress moves, then it is cancelled
    fill_row(page, "fast_period", "2", "40", "1")
    fill_row(page, "slow_period", "20", "200", "10")
    page.fill("[data-testid=constraint]", "fast_period < slow_period")
    page.click("[data-testid=start]")
    page.wait_for_url(re.compile(r"/optimise/\d+$"))
    big_run = page.url
    progress = page.get_by_test_id("progress")
    seen: set[float] = set()
    deadline = time.monotonic() + 120
    while len([v for v in seen if v > 0]) < 2 and time.monotonic() < deadline:
        value = progress.evaluate("element => element.value")
        seen.add(value)
        time.sleep(0.05)
    assert len([v for v in seen if v > 0]) >= 2, seen  # it moved
    page.click("[data-testid=cancel]")
    page.wait_for_function(
        "() => document.querySelector('[data-testid=run-state]')?.dataset.status === 'cancelled'",
        timeout=60_000,
    )
    assert page.get_by_test_id("status").inner_text() == translate(
        "id", "optimise.status.cancelled"
    )
    finished = page.get_by_test_id("finished").inner_text()
    done, total = (int(n) for n in re.findall(r"\d+", finished)[:2])
    assert 0 < done < total == 741, finished
    rows = page.locator("[data-testid=results] tbody tr")
    assert rows.count() == min(done, 100)
    assert page.get_by_test_id("resume").is_visible()

    # a small sweep with walk-forward, to its end
    page.goto("/optimise")
    page.select_option("[data-testid=strategy]", "ma_crossover")
    fill_row(page, "fast_period", "5", "20", "5")
    fill_row(page, "slow_period", "", "", "")
    page.fill("input[name='slow_period:list']", "30, 60, 90")
    page.fill("[data-testid=constraint]", "fast_period < slow_period")
    page.select_option("[data-testid=walk-forward]", "rolling")
    page.fill("input[name=wf_in]", "8000")
    page.fill("input[name=wf_out]", "4000")
    page.click("[data-testid=start]")
    page.wait_for_url(lambda url: re.search(r"/optimise/\d+$", url) and url != big_run)
    page.wait_for_function(
        "() => document.querySelector('[data-testid=run-state]')?.dataset.status === 'done'",
        timeout=120_000,
    )
    assert page.get_by_test_id("status").inner_text() == translate("id", "optimise.status.done")
    assert page.locator("[data-testid=results] tbody tr").count() == 12

    # the heatmap of the two swept parameters, then with them swapped
    heatmap = page.get_by_test_id("heatmap")
    page.wait_for_selector("[data-testid=heatmap] .main-svg")
    assert heatmap.locator(".hm").count() == 1  # the heatmap trace
    assert heatmap.locator(".g-xtitle").text_content() == "Periode cepat"
    page.select_option("[data-testid=heat-x]", "slow_period")
    page.select_option("[data-testid=heat-y]", "fast_period")
    page.wait_for_function(
        "() => document.getElementById('heatmap').dataset.drawn === 'slow_period|fast_period|score'"
    )
    assert heatmap.locator(".g-xtitle").text_content() == "Periode lambat"
    page.wait_for_selector("[data-testid=walk-equity] .main-svg")
    page.wait_for_selector("[data-testid=walk-gap] .main-svg")
    assert page.locator("[data-testid=walk-gap] .legendtext").all_text_contents() == [
        translate("id", key)
        for key in ("optimise.walk_in", "optimise.walk_out", "optimise.walk_gap")
    ]
    assert "Deflated Sharpe Ratio" in page.get_by_test_id("dsr-text").inner_text()
    assert "Probability of Backtest Overfitting" in page.get_by_test_id("pbo-text").inner_text()

    axe = Axe()
    serious = [
        f"{v['id']}: {v['help']} — {[n['target'][0] for n in v['nodes'][:3]]}"
        for v in axe.run(page).response["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert serious == []

    # sorted by the objective (net profit), highest first: the best row leads
    page.click("[data-testid=results] a[data-sort=net_profit]")
    page.wait_for_url(re.compile(r"sort=net_profit&order=desc"))
    first = page.locator("[data-testid=results] tbody tr").first
    assert first.get_attribute("data-testid") == "best-row"
    best = page.get_by_test_id("best-row")
    best_cells = best.locator("td").all_inner_texts()
    best.get_by_test_id("backtest-row").click()
    page.wait_for_url(re.compile(r"/backtests/\d+$"), timeout=60_000)
    assert page.locator("h1").inner_text() == "Persilangan MA · EURUSD H1"
    params = page.locator("[data-testid=params]").inner_text().split()
    assert params == ["Periode", "cepat", best_cells[1], "Periode", "lambat", best_cells[2]]
    assert problems == []
    context.close()
