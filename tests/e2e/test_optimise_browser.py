"""In Chromium, against a server process of its own: upload bars, run a sweep from the
optimisation page and watch its progress and its count of finished combinations move, cancel
it (it shows as cancelled with the combinations that finished), run a smaller sweep to its
end, open its heatmap (two different axes) and walk-forward charts and windows table, read
the overfitting odds, and backtest the best row from its button (in view at 1400 px without
scrolling), landing on the backtest's result."""

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
    context = browser.new_context(base_url=sweep_server, viewport={"width": 1400, "height": 900})
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
    count = page.get_by_test_id("finished")
    seen: set[float] = set()
    counts: set[int] = set()
    deadline = time.monotonic() + 120
    while (len([v for v in seen if v > 0]) < 2 or len([c for c in counts if c > 0]) < 2) and (
        time.monotonic() < deadline
    ):
        value = progress.evaluate("element => element.value")
        seen.add(value)
        counts.add(int(count.get_attribute("data-finished")))
        time.sleep(0.05)
    assert len([v for v in seen if v > 0]) >= 2, seen  # it moved
    assert len([c for c in counts if c > 0]) >= 2, counts  # the finished count follows it
    shown = int(re.findall(r"\d+", count.inner_text())[0])
    assert shown > 0 and page.get_by_test_id("status").inner_text() == translate(
        "id", "optimise.status.running"
    )
    assert page.get_by_test_id("no-results").inner_text() != translate("id", "optimise.no_results")
    if os.environ.get("TRADELOOP_E2E_SHOTS"):
        page.screenshot(path=f"{os.environ['TRADELOOP_E2E_SHOTS']}/optimise_running.png")
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
    # the bar only moves forward over the sweep and then the windows, its text naming the step
    steps: list[tuple[float, str]] = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            found = page.evaluate(
                "() => { const p = document.getElementById('run-progress');"
                " const t = document.getElementById('run-progress-text');"
                " return p ? [p.value, t.textContent] : null; }"
            )
        except Exception:  # the page reloads when the run ends
            found = None
        if found is None:
            break
        if found[1] and (not steps or steps[-1] != tuple(found)):
            steps.append(tuple(found))
        time.sleep(0.02)
    values = [value for value, _ in steps]
    assert values == sorted(values), steps
    assert all(text.startswith("Tahap ") for _, text in steps), steps
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
    stats = page.locator("[data-testid=heat-stat] option").all_inner_texts()
    assert len(stats) == len(set(stats)), stats  # the objective is not listed twice
    assert stats[0] == translate("id", "optimise.heat_objective", name="Laba bersih")
    assert page.get_by_test_id("heat-hint").count() == 0  # only two names swept
    page.select_option("[data-testid=heat-x]", "slow_period")
    assert page.get_by_test_id("heat-y").input_value() == "fast_period"  # never the same two
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
    windows = page.locator("[data-testid=walk-windows] tbody tr")
    assert windows.count() >= 2
    cells = windows.first.locator("td").all_inner_texts()
    assert re.fullmatch(r"\d{4}-\d\d-\d\d –\s+\d{4}-\d\d-\d\d", cells[1]), cells
    assert "Periode cepat" in cells[3] and cells[4].endswith("%"), cells
    assert "Deflated Sharpe Ratio" in page.get_by_test_id("dsr-text").inner_text()
    assert "Probability of Backtest Overfitting" in page.get_by_test_id("pbo-text").inner_text()

    axe = Axe()
    serious = [
        f"{v['id']}: {v['help']} — {[n['target'][0] for n in v['nodes'][:3]]}"
        for v in axe.run(page).response["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert serious == []

    # each row's Backtest button is in view at 1400 px, without scrolling the table
    button = page.get_by_test_id("backtest-row").first
    box = button.bounding_box()
    scroller = page.locator(".table-scroll:has([data-testid=results])")
    frame = scroller.bounding_box()
    assert box is not None and frame is not None
    assert scroller.evaluate("element => element.scrollLeft") == 0
    assert frame["x"] <= box["x"] and box["x"] + box["width"] <= frame["x"] + frame["width"]
    assert box["x"] + box["width"] <= 1400
    page.screenshot(path=str(tmp_path / "optimise_done.png"), full_page=True)
    shot = os.environ.get("TRADELOOP_E2E_SHOTS")
    if shot:
        page.screenshot(path=f"{shot}/optimise_done.png", full_page=True)

    # in English the title keeps "New optimisation" beside it; on a phone the table scrolls
    page.get_by_test_id("lang-en").click()
    page.wait_for_function("() => document.documentElement.lang === 'en'")
    title = page.locator(".run-heading h1").bounding_box()
    new = page.locator(".run-heading .button").bounding_box()
    assert title is not None and new is not None
    assert new["y"] < title["y"] + title["height"] and new["x"] > title["x"] + title["width"] - 1
    assert (
        page.get_by_test_id("walk-windows")
        .locator("th")
        .nth(1)
        .inner_text()
        .startswith("In sample")
    )
    if shot:
        page.screenshot(path=f"{shot}/optimise_done_en.png")
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    page.wait_for_selector("[data-testid=walk-gap] .main-svg")
    # on a phone only the tables scroll sideways, not the page
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 392
    if shot:
        page.screenshot(path=f"{shot}/optimise_phone.png", full_page=True)
    page.set_viewport_size({"width": 1400, "height": 900})
    page.get_by_test_id("lang-id").click()
    page.wait_for_function("() => document.documentElement.lang === 'id'")

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
    assert params == ["Periode", "cepat", best_cells[2], "Periode", "lambat", best_cells[3]]
    assert problems == []
    context.close()
