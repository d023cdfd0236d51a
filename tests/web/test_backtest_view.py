"""What the backtest pages show, computed without a server: statistics rounded by kind,
labels instead of keys, trades in lots and pips, sorting and pages."""

from __future__ import annotations

import pytest

from tradeloop.i18n import translate
from tradeloop.strategies.base import all_strategies
from tradeloop.web import backtest_view as view

EURUSD = view.Market.of({"symbol": "EURUSD", "instrument": {"pip_size": 0.0001}})


@pytest.mark.parametrize(
    ("language", "kind", "value", "text"),
    [
        ("en", "money", 1234.567, "1 234.57 USD"),
        ("en", "money", -5.0, "-5.00 USD"),
        ("en", "pct", 12.3456, "12.35 %"),
        ("en", "pct1", 33.3333, "33.3 %"),
        ("en", "ratio", 1.23456, "1.23"),
        ("en", "share", 0.12345, "12.35 %"),
        ("en", "count", 50000, "50 000"),
        ("en", "duration", 3 * 86400 + 4 * 3600 + 100, "3 days 4 h"),
        ("id", "duration", 3 * 86400 + 4 * 3600 + 100, "3 hari 4 jam"),
        ("id", "duration", 5 * 3600 + 20 * 60, "5 jam 20 menit"),
        ("en", "duration", 12 * 60, "12 min"),
        ("en", "time", "2024-01-02T03:04:00+00:00", "2024-01-02 10:04 UTC+07:00"),
        ("en", "ratio", None, "—"),
    ],
)
def test_statistics_are_rounded_by_kind(language, kind, value, text) -> None:
    assert view.stat_text(language, kind, value, "Asia/Jakarta") == text


def test_every_statistic_has_a_group_a_kind_and_labels() -> None:
    names = [name for _, rows in view.STAT_GROUPS for name, _ in rows]
    assert len(names) == len(set(names)) == 38
    groups = view.stat_groups("id", {"win_rate_pct": 41.666, "net_profit": 1500.0}, "UTC")
    assert [g["title"] for g in groups] == [
        "Kinerja",
        "Risiko",
        "Transaksi",
        "Periode, eksposur dan biaya",
    ]
    rows = {r["key"]: r for g in groups for r in g["rows"]}
    assert (rows["win_rate_pct"]["label"], rows["win_rate_pct"]["text"]) == (
        "Rasio menang",
        "41.7 %",
    )
    assert rows["net_profit"]["text"] == "1 500.00 USD"
    assert set(view.COMPARED) <= set(view.STAT_KINDS)


def test_strategies_and_parameters_are_named_in_both_languages() -> None:
    assert view.strategy_label("id", "ma_crossover") == "Persilangan MA"
    assert view.strategy_label("en", "ma_crossover") == "MA Crossover"
    values = {"fast_period": 20, "slow_period": 50}
    assert view.params_text("id", "ma_crossover", values) == "Periode cepat 20 · Periode lambat 50"
    assert view.params_text("en", "ma_crossover", values) == "Fast period 20 · Slow period 50"
    assert view.params_text("en", "ichimoku_cloud", {"use_cloud_filter": True}) == (
        "Use cloud filter yes"
    )
    for cls in all_strategies():
        assert translate("id", f"strategy.{cls.key}") and translate("en", f"strategy.{cls.key}")
    assert view.strategy_label("en", "retired_strategy") == "retired_strategy"


def trade(side: str, entry: float, exit_: float, pnl: float, lots: float = 0.1) -> dict:
    return {
        "side": side, "entry_time": "2024-01-01T00:00:00+00:00", "entry_price": entry,
        "exit_time": "2024-01-01T05:00:00+00:00", "exit_price": exit_, "size": lots * 100_000,
        "lots": lots, "pnl": pnl, "exit_reason": "target",
    }  # fmt: skip


def test_a_10000_unit_eurusd_trade_is_a_tenth_of_a_lot_and_its_move_in_pips() -> None:
    rows = view.trade_rows(
        [trade("long", 1.1, 1.1025, 25.0), trade("short", 1.1, 1.1030, -30.0)], EURUSD
    )
    assert [view.lots_text(r["lots"]) for r in rows] == ["0.10", "0.10"]
    assert [r["pips"] for r in rows] == [25.0, -30.0]
    assert [r["number"] for r in rows] == [1, 2]
    assert view.lots_text(0.00001) == "0.00001" and view.lots_text(2) == "2.00"
    usdjpy = view.Market.of({"symbol": "USDJPY", "instrument": {"pip_size": 0.01}})
    assert (usdjpy.digits, usdjpy.pips) == (3, True)
    assert view.trade_rows([trade("long", 150.0, 150.5, 3.3)], usdjpy)[0]["pips"] == 50.0
    us500 = view.Market.of({"symbol": "US500", "instrument": {"pip_size": 0.1}})
    assert us500.pips is False  # an index moves in points


def test_page_two_holds_rows_51_to_100_of_the_chosen_order() -> None:
    trades = [trade("long", 1.1, 1.1, pnl=float((i * 37) % 101)) for i in range(130)]
    rows = view.sorted_rows(view.trade_rows(trades, EURUSD), "pnl", descending=True)
    window = view.PageWindow.of(len(rows), 2, view.TRADES_PER_PAGE)
    assert (window.start, window.stop, window.pages) == (50, 100, 3)
    shown = rows[window.start : window.stop]
    ranked = sorted(range(130), key=lambda i: (-((i * 37) % 101), i))
    assert [r["number"] for r in shown] == [i + 1 for i in ranked[50:100]]
    assert view.PageWindow.of(130, 9, 50).page == 3  # past the end: the last page
    oldest_last = view.sorted_rows(rows, "number", descending=True)
    assert oldest_last[0]["number"] == 130


def test_links_keep_the_other_parameters() -> None:
    query = {"sort": "pnl", "order": "desc", "page": "2", "notice": "backtests.deleted"}
    assert view.link("/backtests/7", query, page=3) == "/backtests/7?sort=pnl&order=desc&page=3"
    assert view.link("/backtests/7", query, sort="lots", page=None) == (
        "/backtests/7?sort=lots&order=desc"
    )
    assert view.link("/x", {"ids": ["1", "2"]}) == "/x?ids=1&ids=2"
