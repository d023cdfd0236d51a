"""The Journal page's reports on a small hand-made import, to the cent: the month calendar, P&L
by hour (in Jakarta, seven hours ahead of the file's UTC), weekday and symbol, the R bands, the
equity curve; trade keys that survive a rebuild; buckets never added; the breakeven sentence."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.journal.helpers import export, fill, orders_of, stop
from tradeloop.habits import reports
from tradeloop.habits.analysis import Analysis, analyze
from tradeloop.habits.insights import insights, pct_pair
from tradeloop.journal.trades import rebuild_trades
from tradeloop.services.exports import load_journal

JAKARTA = "Asia/Jakarta"
# MNQ at 2 USD a point, times in UTC:
# 1. 02:00–02:10 Jan 2, long 100 → 106, stop 96: +12 USD, +1.5R (Jakarta 09:00, Tuesday)
# 2. 03:00–03:05 Jan 2, long 100 → 90, stop 95: -20 USD, -2R (Jakarta 10:00, Tuesday)
# 3. 20:30–20:40 Jan 2, short 200 → 195, stop 210: +10 USD, +0.5R (Jakarta 03:30 *Jan 3*, Wed.)
# 4. 14:00–14:30 May 6, long 2 × 100 → 99, no stop: -4 USD, R unknown (Jakarta 21:00, Monday)
HAND_MADE = export(
    fill(1, "01/02/2024 02:00:00", "Buy", 1, 100),
    stop(2, "01/02/2024 02:00:00", "Sell", 96),
    fill(3, "01/02/2024 02:10:00", "Sell", 1, 106, "Limit"),
    fill(4, "01/02/2024 03:00:00", "Buy", 1, 100),
    stop(5, "01/02/2024 03:00:00", "Sell", 95),
    fill(6, "01/02/2024 03:05:00", "Sell", 1, 90),
    fill(7, "01/02/2024 20:30:00", "Sell", 1, 200),
    stop(8, "01/02/2024 20:30:00", "Buy", 210),
    fill(9, "01/02/2024 20:40:00", "Buy", 1, 195, "Limit"),
    fill(10, "05/06/2024 14:00:00", "Buy", 2, 100),
    fill(11, "05/06/2024 14:30:00", "Sell", 2, 99),
)


@pytest.fixture(scope="module")
def analysis() -> Analysis:
    return load_journal(HAND_MADE, tz="UTC").analysis


def usd(value: float) -> list[dict]:
    return [{"unit": "money", "name": "USD", "value": value}]


def test_the_month_calendar_puts_each_trade_on_its_local_closing_day(analysis) -> None:
    t = analysis.trades
    january = reports.month_calendar(t, JAKARTA, 2024, 1, "money", "USD")
    days = {c["date"]: c for week in january["weeks"] for c in week if c and c["trades"]}
    assert {d: (c["trades"], c["totals"]) for d, c in days.items()} == {
        "2024-01-02": (2, usd(-8.0)),
        "2024-01-03": (1, usd(10.0)),  # 20:40 UTC is 03:40 the next day in Jakarta
    }
    assert (january["trades"], january["days_traded"], january["totals"]) == (3, 2, usd(2.0))
    # Monday first: 1 January 2024 was a Monday, so the grid starts on it; 5 weeks, 7 days each
    assert [len(week) for week in january["weeks"]] == [7] * 5
    assert january["weeks"][0][0]["date"] == "2024-01-01"
    assert january["weeks"][-1][2]["date"] == "2024-01-31" and january["weeks"][-1][3] is None
    in_utc = reports.month_calendar(t, "UTC", 2024, 1, "money", "USD")
    assert [(c["date"], c["trades"]) for w in in_utc["weeks"] for c in w if c and c["trades"]] == [
        ("2024-01-02", 3)
    ]
    march = reports.month_calendar(t, JAKARTA, 2024, 3, "money", "USD")
    assert march["trades"] == 0 and march["totals"] == []
    assert all(c is None or c["trades"] == 0 for week in march["weeks"] for c in week)


def test_every_month_is_listed_so_the_gap_shows(analysis) -> None:
    months = reports.month_totals(analysis.trades, JAKARTA, "money", "USD")
    assert [(m["month"], m["trades"], m["totals"]) for m in months] == [
        ("2024-01", 3, usd(2.0)),
        ("2024-02", 0, []),
        ("2024-03", 0, []),
        ("2024-04", 0, []),
        ("2024-05", 1, usd(-4.0)),
    ]
    assert reports.latest_month(analysis.trades, JAKARTA) == (2024, 5)


def test_pnl_by_local_entry_hour_weekday_and_symbol(analysis) -> None:
    t = analysis.trades
    hours = reports.by_hour(t, JAKARTA, "money", "USD")
    assert [(r["key"], r["trades"], r["totals"]) for r in hours] == [
        (3, 1, usd(10.0)),
        (9, 1, usd(12.0)),
        (10, 1, usd(-20.0)),
        (21, 1, usd(-4.0)),
    ]
    assert [r["key"] for r in reports.by_hour(t, "UTC", "money", "USD")] == [2, 3, 14, 20]
    weekdays = reports.by_weekday(t, JAKARTA, "money", "USD")
    assert [(r["key"], r["trades"], r["wins"], r["totals"]) for r in weekdays] == [
        (0, 1, 0, usd(-4.0)),  # Monday
        (1, 2, 1, usd(-8.0)),  # Tuesday
        (2, 1, 1, usd(10.0)),  # Wednesday (the night trade)
    ]
    symbols = reports.by_symbol(t, "money", "USD")
    assert symbols == [
        {"key": "MNQH4", "trades": 4, "wins": 2, "win_rate": 0.5, "totals": usd(-2.0)}
    ]


def test_hours_say_the_offsets_of_their_zone(analysis) -> None:
    entries = analysis.trades["entry_time"]
    assert reports.offsets_text(entries, JAKARTA) == "UTC+07:00"
    assert reports.offsets_text(entries, "UTC") == "UTC"
    assert reports.offsets_text(entries, "America/New_York") == "UTC-05:00/-04:00"  # Jan, May


def test_r_bands_count_only_trades_with_a_known_stop(analysis) -> None:
    r = reports.r_distribution(analysis.trades)
    assert (r["known"], r["unknown"], r["mean"]) == (3, 1, 0.0)
    assert [(b["low"], b["high"], b["count"]) for b in r["bins"]] == [
        (None, -3.0, 0),
        (-3.0, -2.0, 0),
        (-2.0, -1.0, 1),  # -2R: a band holds its lower edge
        (-1.0, 0.0, 0),
        (0.0, 1.0, 1),
        (1.0, 2.0, 1),
        (2.0, 3.0, 0),
        (3.0, None, 0),
    ]
    none = reports.r_distribution(analysis.trades.assign(r_multiple=float("nan")))
    assert (none["known"], none["unknown"], none["mean"]) == (0, 4, None)


def test_the_equity_curve_starts_at_zero_and_adds_each_exit(analysis) -> None:
    (curve,) = reports.equity_curves(analysis.trades, JAKARTA, "money", "USD")
    assert curve["x"] == [
        "2024-01-02 09:00:00",
        "2024-01-02 09:10:00",
        "2024-01-02 10:05:00",
        "2024-01-03 03:40:00",
        "2024-05-06 21:30:00",
    ]
    assert curve["y"] == [0.0, 12.0, -8.0, 2.0, -2.0]
    assert (curve["unit"], curve["name"], curve["final"], curve["trades"]) == (
        "money", "USD", -2.0, 4,
    )  # fmt: skip


def test_currencies_and_markets_are_never_added() -> None:
    times = pd.to_datetime(
        ["2024-01-02 09:00", "2024-01-02 10:00", "2024-01-02 11:00", "2024-01-02 12:00"], utc=True
    )
    trades = pd.DataFrame(
        {
            "entry_time": times,
            "exit_time": times + pd.Timedelta(minutes=5),
            "symbol": ["EURUSD", "EURGBP", "XYZ", "XYZ"],
            "underlying": ["EURUSD", "EURGBP", "XYZ", "XYZ"],
            "pnl_money": [10.0, -4.0, float("nan"), float("nan")],
            "currency": ["USD", "GBP", "", ""],
            "pnl_points": [0.001, -0.0005, 3.0, 2.0],
            "r_multiple": [float("nan")] * 4,
        }
    )
    (day,) = [c for w in reports.month_calendar(trades, "UTC", 2024, 1, "points", None)["weeks"]
              for c in w if c and c["trades"]]  # fmt: skip
    assert day["trades"] == 4
    assert day["totals"] == [
        {"unit": "money", "name": "GBP", "value": -4.0},
        {"unit": "money", "name": "USD", "value": 10.0},
        {"unit": "points", "name": "XYZ", "value": 5.0},
    ]
    curves = reports.equity_curves(trades, "UTC", "points", None)
    assert [(c["unit"], c["name"], c["y"]) for c in curves] == [
        ("money", "GBP", [0.0, -4.0]),
        ("money", "USD", [0.0, 10.0]),
        ("points", "XYZ", [0.0, 3.0, 5.0]),
    ]


def test_trade_keys_survive_a_rebuild_with_another_import() -> None:
    first = orders_of(HAND_MADE).assign(source="1")
    later = orders_of(
        export(
            fill(20, "06/03/2024 14:00:00", "Sell", 1, 100),
            fill(21, "06/03/2024 14:05:00", "Buy", 1, 98),
        )
    ).assign(source="2")
    alone = reports.trade_keys(rebuild_trades(first))
    together = reports.trade_keys(rebuild_trades(pd.concat([first, later], ignore_index=True)))
    assert len(set(alone)) == 4 and together[:4] == alone and len(set(together)) == 5
    assert all(k.startswith("t") and len(k) == 25 for k in alone)
    settings_changed = analyze(rebuild_trades(first), first).trades  # analysis re-sorts: same
    assert reports.trade_keys(settings_changed) == alone


def test_the_same_trade_twice_gets_a_numbered_key() -> None:
    orders = orders_of(
        export(
            fill(1, "09:00:00", "Buy", 2, 100),
            fill(2, "09:05:00", "Sell", 1, 101),
            fill(3, "09:05:00", "Sell", 1, 101),
        )
    )
    keys = reports.trade_keys(rebuild_trades(orders))
    assert keys[1] == keys[0] + "-2"


@pytest.mark.parametrize(
    ("text", "parsed"),
    [("2024-05", (2024, 5)), ("2024-13", None), ("24-05", None), ("", None), ("2024-5x", None)],
)
def test_months_in_the_address(text: str, parsed) -> None:
    assert reports.parse_month(text) == parsed
    assert reports.shift_month(2024, 1, -1) == (2023, 12)
    assert reports.shift_month(2024, 12, 1) == (2025, 1)


def test_percentages_are_rounded_so_different_ones_never_read_the_same() -> None:
    assert pct_pair(0.5, 0.5217) == ("50%", "52%")
    assert pct_pair(0.5, 0.5043) == ("50.0%", "50.4%")
    assert pct_pair(0.5, 0.50004) == ("50%", "50%")  # equal to two decimals: said as equal
    assert pct_pair(0.4996, 0.5004) == ("49.96%", "50.04%")


def test_the_breakeven_sentence_is_true(analysis) -> None:
    # won 2 of 4 (avg win 11 USD, avg loss 12 USD): breakeven is 12 / 23 = 52.2%
    (below,) = [i for i in insights(analysis, "en") if "breakeven" in i["code"]]
    assert below["code"] == "below_breakeven"
    assert "You win 50% of trades but need 52% to break even" in below["text"]
    # the same wins and losses in size: 50% won, breakeven 50% — at breakeven, not "under" it
    even = load_journal(
        export(
            fill(1, "09:00:00", "Buy", 1, 100),
            fill(2, "09:05:00", "Sell", 1, 110),
            fill(3, "10:00:00", "Buy", 1, 100),
            fill(4, "10:05:00", "Sell", 1, 90),
        ),
        tz="UTC",
    ).analysis
    (at,) = [i for i in insights(even, "en") if "breakeven" in i["code"]]
    assert at["code"] == "around_breakeven"
    assert at["text"].startswith(
        "You win 50% of trades, and with your average win and loss you break even at 50%"
    )
    (di,) = [i for i in insights(even, "id") if "breakeven" in i["code"]]
    assert di["text"].startswith("Anda menang 50% transaksi, dan dengan rata-rata menang")
