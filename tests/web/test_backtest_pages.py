"""The backtest pages over HTTP: a result's candles, statistics, trade table (lots, sorting,
pages) and re-run form; the history's columns, sorting and comparison; other users' runs."""

from __future__ import annotations

import json

import lxml.html
import pytest
from fastapi.testclient import TestClient

from tests.conftest import bearer, register
from tests.web.test_pages import csrf, sign_in
from tradeloop.market.synthetic import random_walk_bars

UNITS = {"sl_atr": 2, "tp_atr": 4, "units": 10_000, "spread_pips": 0}


def csv_bytes(n: int, seed: int = 4) -> bytes:
    return random_walk_bars(n, seed=seed).to_csv(date_format="%Y-%m-%d %H:%M:%S").encode()


def run(client, headers, params, settings=UNITS, n=3000, name="EURUSD_H1.csv") -> dict:
    response = client.post(
        "/api/backtests",
        headers=headers,
        files={"file": (name, csv_bytes(n), "text/csv")},
        data={
            "strategy": "ma_crossover",
            "params": json.dumps(params),
            "settings": json.dumps(settings),
        },
    )
    assert response.status_code == 201, response.text
    return response.json()


@pytest.fixture
def signed_in(client: TestClient) -> dict[str, str]:
    register(client, "ayu@example.com")
    sign_in(client, "ayu@example.com")
    client.post("/language", data={"csrf_token": csrf(client, "/"), "lang": "en", "next": "/"})
    return bearer(client, "ayu@example.com")


def page(client: TestClient, path: str) -> lxml.html.HtmlElement:
    response = client.get(path)
    assert response.status_code == 200, response.text
    return lxml.html.fromstring(response.text)


def visible_text(doc: lxml.html.HtmlElement) -> str:
    for script in doc.xpath("//script"):
        script.drop_tree()
    return doc.text_content()


def table(doc: lxml.html.HtmlElement, testid: str) -> list[list[str]]:
    return [
        [cell.text_content().strip() for cell in row.xpath("./td")]
        for row in doc.xpath(f"//table[@data-testid='{testid}']/tbody/tr")
    ]


def test_the_trade_table_is_in_lots_and_money_sorted_and_paged(client, signed_in) -> None:
    flips = {"units": 10_000, "spread_pips": 0, "on_opposite": "reverse"}
    result = run(client, signed_in, {"fast_period": 5, "slow_period": 10}, flips)
    log = result["trade_log"]
    assert len(log) > 100
    doc = page(client, f"/backtests/{result['id']}")
    headers = [th.text_content().strip() for th in doc.xpath("//table[@data-testid='trades']//th")]
    assert headers == [
        "# ▲", "Side", "Entry time", "Entry price", "Exit time", "Exit price", "Lots",
        "P&L (USD)", "P&L (pips)", "Exit reason",
    ]  # fmt: skip
    rows = table(doc, "trades")
    assert len(rows) == 50
    first = log[0]
    assert rows[0][0] == "1" and rows[0][1] == {"long": "Buy", "short": "Sell"}[first["side"]]
    assert rows[0][3] == f"{first['entry_price']:.5f}" and rows[0][6] == "0.10"
    assert rows[0][7] == f"{first['pnl']:,.2f}".replace(",", " ") + " USD"
    assert rows[0][2].endswith(" UTC") and rows[0][9] in ("stop", "target", "signal")

    by_pnl = sorted(range(len(log)), key=lambda i: (-log[i]["pnl"], i))
    second = page(client, f"/backtests/{result['id']}?sort=pnl&order=desc&page=2")
    numbers = [int(r[0]) for r in table(second, "trades")]
    assert numbers == [i + 1 for i in by_pnl[50:100]]
    pager = second.xpath("//nav[@data-testid='trade-pager']")[0]
    assert f"rows 51–100 of {len(log)}" in pager.text_content()
    links = {a.get("rel"): a.get("href") for a in pager.xpath(".//a")}
    assert links["next"] == f"/backtests/{result['id']}?sort=pnl&order=desc&page=3#trades"
    assert links["prev"] == f"/backtests/{result['id']}?sort=pnl&order=desc&page=1#trades"
    sort_link = second.xpath("//a[@data-sort='pnl']")[0]
    assert sort_link.get("href") == f"/backtests/{result['id']}?sort=pnl&order=asc#trades"
    assert client.get(f"/backtests/{result['id']}?sort=size").status_code == 422


def test_statistics_are_grouped_labelled_and_rounded(client, signed_in) -> None:
    result = run(client, signed_in, {"fast_period": 10, "slow_period": 30})
    stats = result["stats"]
    doc = page(client, f"/backtests/{result['id']}")
    captions = [c.text_content() for c in doc.xpath("//div[@data-testid='stats']//caption")]
    assert captions == ["Performance", "Risk", "Trades", "Period, exposure and costs"]
    shown = {
        tr.get("data-stat"): tr.xpath("./td")[0].text_content().strip()
        for tr in doc.xpath("//div[@data-testid='stats']//tr")
    }
    assert len(shown) == 38
    assert shown["win_rate_pct"] == f"{stats['win_rate_pct']:.1f} %"
    assert shown["net_profit"] == f"{stats['net_profit']:,.2f}".replace(",", " ") + " USD"
    assert shown["sharpe"] == f"{stats['sharpe']:.2f}"
    assert shown["bars"] == "3 000" and shown["trades"] == str(stats["trades"])
    assert shown["start"] == "2020-01-01 00:00 UTC"
    text = visible_text(doc)
    for raw in ("ma_crossover", "fast_period", "slow_period", "_pct", "exit_reason"):
        assert raw not in text
    assert "Fast period" in text and "MA Crossover · EURUSD H1" in text


def test_the_price_chart_has_candles_lines_and_trades_or_says_the_bars_are_gone(
    client, signed_in
) -> None:
    result = run(client, signed_in, {"fast_period": 10, "slow_period": 30}, n=5000)
    doc = page(client, f"/backtests/{result['id']}")
    price = json.loads(doc.xpath("//script[@id='price-data']")[0].text)
    assert (price["interval"], price["bars_interval"], price["resampled"]) == ("H4", "H1", True)
    assert len(price["time"]) == len(price["open"]) == 1250
    assert [line["name"] for line in price["lines"]] == ["Fast SMA", "Slow SMA"]
    assert len(price["marks"]["entry"]) == result["total_trades"]
    assert "Each candle is H4" in doc.xpath("//p[@data-testid='candle-interval']")[0].text_content()
    assert doc.xpath("//div[@id='price-chart']/@data-time-axis") == ["Time (UTC)"]

    deleted = client.delete(f"/api/datasets/{result['dataset_id']}", headers=signed_in)
    assert deleted.status_code == 204
    gone = page(client, f"/backtests/{result['id']}")
    assert not gone.xpath("//script[@id='price-data']")
    assert "bars of this backtest were deleted" in gone.xpath("//p[@data-testid='no-bars']")[0].text
    assert table(gone, "trades")  # the trades and statistics stay


def test_the_rerun_form_holds_every_setting_of_the_run(client, signed_in) -> None:
    settings = {"sl_pips": 30, "tp_pips": 60, "units": 10_000, "spread_pips": 1.5,
                "commission": 3.5, "slippage_pips": 0.2, "fill": "close",
                "on_opposite": "reverse", "initial_cash": 25_000}  # fmt: skip
    result = run(client, signed_in, {"fast_period": 8, "slow_period": 21}, settings)
    form = page(client, f"/backtests/{result['id']}").xpath("//form[@id='rerun-form']")[0]
    values = {e.get("name"): e.value for e in form.xpath(".//input | .//select")}
    assert values == {
        "stop_mode": "pips", "stop": "30.0", "target": "60.0", "atr_period": "14",
        "size_mode": "units", "size": "10000.0", "initial_cash": "25000.0", "spread_pips": "1.5",
        "commission": "3.5", "slippage_pips": "0.2", "fill": "close", "on_opposite": "reverse",
        "conversion_rate": "",
    }  # fmt: skip
    values = json.loads(page(client, f"/backtests/{result['id']}").xpath(
        "//script[@id='strategy-values']")[0].text)  # fmt: skip
    assert values == {"fast_period": 8, "slow_period": 21}

    # what the page's script sends: every setting, unset ones as null
    every = {**settings, "sl_pips": None, "tp_pips": None, "units": None, "sl_atr": 1.5,
             "tp_atr": 3, "lots": 0.2, "risk_percent": None, "conversion_rate": None,
             "atr_period": 20}  # fmt: skip
    again = client.post(
        f"/api/backtests/{result['id']}/rerun",
        headers=signed_in,
        json={"params": {"fast_period": 5, "slow_period": 21}, "settings": every},
    )
    assert again.status_code == 201, again.text
    stored = again.json()["parameters"]
    assert stored["strategy"] == {"fast_period": 5, "slow_period": 21}
    assert {k: stored["execution"][k] for k in ("sl_atr", "tp_atr", "lots", "units", "sl_pips", "atr_period")} == {
        "sl_atr": 1.5, "tp_atr": 3.0, "lots": 0.2, "units": None, "sl_pips": None, "atr_period": 20,
    }  # fmt: skip
    assert {t["lots"] for t in again.json()["trade_log"]} == {0.2}


def test_history_lists_sorts_and_compares_runs(client, signed_in) -> None:
    one = run(client, signed_in, {"fast_period": 10, "slow_period": 30})
    two = run(client, signed_in, {"fast_period": 5, "slow_period": 50}, name="EURUSD_H1_b.csv")
    doc = page(client, "/backtests/history?sort=profit&order=asc")
    rows = table(doc, "history")
    low, high = sorted((one, two), key=lambda r: r["total_profit_usd"])
    assert [int(r.get("data-id")) for r in doc.xpath("//table[@data-testid='history']/tbody/tr")] == [
        low["id"], high["id"]
    ]  # fmt: skip
    cells = rows[0]
    assert cells[2:5] == ["MA Crossover", "EURUSD", "H1"]
    assert cells[5] == {one["id"]: "Fast period 10 · Slow period 30",
                        two["id"]: "Fast period 5 · Slow period 50"}[low["id"]]  # fmt: skip
    assert cells[7] == f"{low['total_profit_usd']:,.2f}".replace(",", " ") + " USD"
    assert cells[8] == f"{low['win_rate_percent']:.1f} %" and cells[1].endswith(" UTC")
    assert doc.xpath("//th/a[@data-sort='time']")[0].text_content().startswith("Run at (UTC)")

    compared = page(client, f"/backtests/compare?ids={one['id']}&ids={two['id']}")
    names = [
        th.text_content() for th in compared.xpath("//table[@data-testid='compare']/thead//th")
    ]
    assert names == [
        "Figure",
        f"#{one['id']} MA Crossover EURUSD H1",
        f"#{two['id']} MA Crossover EURUSD H1",
    ]
    curves = json.loads(compared.xpath("//script[@id='compare-data']")[0].text)
    assert len(curves) == 2 and curves[0]["equity"][-1] == round(one["stats"]["final_equity"], 2)
    profit = compared.xpath("//tr[@data-stat='net_profit']/td")
    assert [td.text_content() for td in profit] == [
        f"{r['total_profit_usd']:,.2f}".replace(",", " ") + " USD" for r in (one, two)
    ]
    alone = client.get(f"/backtests/compare?ids={one['id']}", follow_redirects=False)
    assert alone.headers["location"] == "/backtests/history?notice=backtests.compare_count"


def test_another_users_runs_are_not_found(client, signed_in) -> None:
    mine = run(client, signed_in, {"fast_period": 10, "slow_period": 30})
    register(client, "budi@example.com")
    theirs = run(client, bearer(client, "budi@example.com"), {"fast_period": 10, "slow_period": 30})
    assert client.get(f"/backtests/{theirs['id']}").status_code == 404
    compare = client.get(f"/backtests/compare?ids={mine['id']}&ids={theirs['id']}")
    assert compare.status_code == 404 and "<html" in compare.text
    listed = page(client, "/backtests/history").xpath(
        "//table[@data-testid='history']/tbody/tr/@data-id"
    )
    assert listed == [str(mine["id"])]


def test_a_long_run_stays_a_small_page(client, signed_in) -> None:
    result = run(client, signed_in, {}, {"sl_atr": 2, "tp_atr": 4, "lots": 0.1}, n=50_000)
    response = client.get(f"/backtests/{result['id']}")
    assert response.status_code == 200
    assert len(response.content) < 350_000  # 50,000 bars, hundreds of trades
    doc = lxml.html.fromstring(response.text)
    price = json.loads(doc.xpath("//script[@id='price-data']")[0].text)
    assert (price["interval"], len(price["time"])) == ("D1", 2084)
    assert len(price["marks"]["entry"]) == result["total_trades"] > 500
    assert len(table(doc, "trades")) == 50
