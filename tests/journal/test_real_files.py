"""Every file of ../shared/data/real against what it states about itself (its README's
"states" column): totals to the cent, trade counts, the refusals. A file this table does not
know fails the test, so a new real file gets classified. Skipped when ../shared is absent."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from tests.conftest import SHARED_DATA
from tradeloop.journal.dedup import drop_duplicates
from tradeloop.journal.importers import import_file
from tradeloop.journal.trades import rebuild_trades
from tradeloop.market.errors import DataError, MixedIntervals
from tradeloop.market.readers import read_bars
from tradeloop.market.validation import prepare_bars
from tradeloop.services.exports import load_journal

REAL = SHARED_DATA / "real"
pytestmark = pytest.mark.skipif(not REAL.is_dir(), reason="../shared/data/real is not here")

# file: (net P&L in the account's money, trades, extra checks) or the refusal's words
STATES: dict[str, Any] = {
    "mt5_report/metaquotes_en_ReportHistory-70358000.html": (-50.84, 658, {"currency": "EUR", "gross_profit": 157.73, "gross_loss": 208.57}),
    "mt5_report/vantage_ReportHistory-25858699.xlsx": (822.08, 8, {"currency": "USD"}),
    "mt5_report/ftmo_fr_ReportHistory-1512497509.xlsx": (-5025.89, 58, {"wins": 37, "losses": 21, "language": "fr"}),
    "mt5_report/oanda_ja_ReportHistory-400078005.html": (2745.00, 85, {"currency": "JPY", "language": "ja"}),
    "mt5_report/oanda_ja_ReportTrade-400078005.html": "lists 1 open position(s) and 9 working order(s) but no closed trades",
    "mt5_report/mt5_2016_TradeHistory_3873474.html": (1333.77, 8, {}),
    "mt5_report/tester_K1_GBPUSD.html": (-3031.70, 140, {"kind": "tested", "format": "mt5-tester"}),
    "mt5_report/fixture_ReportHistory-51104542.xlsx": (None, 3, {}),
    "mt4_statement/MT4Trade_01.htm": (2138.16, 636, {"format": "mt4"}),
    "mt4_statement/startrader_Statement.htm": (172705.68, None, {"format": "mt4"}),
    "tradovate/apex_Orders.csv": (-186.90, 18, {"format": "tradovate"}),
    "tradovate/apex_Performance.csv": (13.00, 39, {"format": "tradovate-performance"}),
    "tradovate/hamtaro_Orders.csv": (136.25, 10, {}),
    "tradovate/hamtaro_Performance.csv": (136.25, 10, {}),
    "tradovate/hamtaro_Fills.csv": (136.25, 10, {"gross": True}),  # commission per fill beside it
    "tradovate/ariel_Performance.csv": (364.00, 43, {}),
    "tradovate/brknolan_Account_Balance_History.csv": "daily account balance history",
    "other_broker/ninjatrader8_Grid_2025-01-28_executions.csv": (359.50, 28, {"gross": True, "commission": 55.80}),
    "other_broker/tradezero_example_tradenote.csv": (None, 10, {"format": "das"}),  # pinned by test_csv_formats
    "other_broker/ibkr_activity_fixture.csv": (None, 2, {"format": "ibkr"}),  # pinned by test_csv_formats
    "other_broker/td_ameritrade_account_statement_tradenote.csv": "TD Ameritrade account statement; tradeloop does not read it yet",
    "other_broker/propfirm_order_history_2026-03-20.csv": "not a Tradovate export",
}  # fmt: skip
FOLDERS = ("mt5_report", "mt4_statement", "tradovate", "other_broker")


def test_every_real_file_is_classified() -> None:
    found = {f"{folder}/{p.name}" for folder in FOLDERS for p in (REAL / folder).iterdir()}
    assert found - set(STATES) == set(), (
        "add these files to STATES (and the README's support table)"
    )


@pytest.mark.parametrize("name", sorted(STATES))
def test_real_file_reproduces_what_it_states(name: str) -> None:
    path = REAL / name
    if not path.exists():
        pytest.skip(f"{name} is not in this copy of ../shared")
    state = STATES[name]
    if isinstance(state, str):
        with pytest.raises(DataError) as raised:
            load_journal(path.read_bytes())
        assert state in raised.value.message
        return
    net, count, extra = state
    journal = load_journal(path.read_bytes(), tz="UTC")
    t, s = journal.analysis.trades, journal.analysis.summary
    money = t["gross_money"] if extra.get("gross") else t["pnl_money"]
    if net is not None:
        assert round(float(money.sum()), 2) == net
    if count is not None:
        assert len(t) == count
    assert not [w for w in journal.warnings if "states a total" in w]  # stated totals reproduced
    for key, value in extra.items():
        if key in ("currency", "kind", "format", "language"):
            assert getattr(journal.imported, key) == value
        elif key == "commission":
            assert round(float(t["commission"].sum()), 2) == value
        elif key != "gross":
            assert round(s[key], 2) == value


def load(name: str) -> Any:
    path = REAL / name
    if not path.exists():
        pytest.skip(f"{name} is not in this copy of ../shared")
    return load_journal(path.read_bytes())


def test_vantage_risk_is_the_stop_set_at_entry_never_the_trailed_one() -> None:
    t = load("mt5_report/vantage_ReportHistory-25858699.xlsx").analysis.trades.set_index("position")
    # bought 4053.41; the final S/L 4054.30 is a trailed stop above the entry: its order had none
    assert pd.isna(t.loc["1688228478", "risk_points"]) and pd.isna(
        t.loc["1688228478", "r_multiple"]
    )
    assert t.loc["1688228478", "mistakes"] == []  # a stop existed: not a trade without a stop
    # bought 4019.94 with the order's S/L at 4014.34 (later moved to 4024.66)
    assert t.loc["1697506759", "risk_points"] == pytest.approx(5.60)
    # one position closed in three partial deals is one trade: 23.03 = 10.82 + 3.13 + 9.08
    assert t.loc["1688234031", "pnl_money"] == pytest.approx(23.03)


def test_ninjatrader_closes_per_account() -> None:
    t = load("other_broker/ninjatrader8_Grid_2025-01-28_executions.csv").analysis.trades
    by = t.groupby("account").agg(gross=("gross_money", "sum"), closes=("lots", "sum"))
    assert by.round(2).to_dict("index") == {
        "APEX1279810000026": {"gross": 70.0, "closes": 6},
        "APEX1279810000027": {"gross": 100.0, "closes": 6},
        "APEX1279810000028": {"gross": 100.0, "closes": 6},
        "Sim101": {"gross": 89.5, "closes": 13},  # 10 exit fills closing 13 entry fills
    }


def test_one_session_exported_three_ways_is_counted_once() -> None:
    names = ["hamtaro_Orders.csv", "hamtaro_Fills.csv", "hamtaro_Performance.csv"]
    paths = [REAL / "tradovate" / n for n in names]
    if not all(p.exists() for p in paths):
        pytest.skip("the hamtaro exports are not here")
    parts = [import_file(p.read_bytes()).orders for p in paths]
    kept, dropped = drop_duplicates(parts)
    assert dropped == [0, 20, 20]  # every fill of the Fills and Performance exports is known
    assert [len(rebuild_trades(part)) for part in kept] == [10, 0, 0]


# OHLC files: rows read, first bar (UTC), timeframe after validation
BARS = {
    "ohlc/EURUSD.csv": (5000, "2017-04-19 09:00", "H1"),
    "ohlc/GOOG.csv": (2148, "2004-08-19 00:00", "D1"),
    "ohlc/binance_BTCUSDT-1h-2023-01.csv": (744, "2023-01-01 00:00", "H1"),
    # the README counts 17 767 (lines minus header); the file's last row has no line end
    "ohlc/dukascopy_GMT_EURUSD_Candlestick_1_Hour_BID_01.07.2020-15.07.2023.csv": (17768, "2020-07-01 00:00", "H1"),
    "ohlc/XAUUSD_H1_202101040000_202412312100.csv": (14210, "2021-01-04 00:00", "mixed"),
}  # fmt: skip


def test_every_real_bar_file_is_classified() -> None:
    assert {f"ohlc/{p.name}" for p in (REAL / "ohlc").iterdir()} - set(BARS) == set()


@pytest.mark.parametrize("name", sorted(BARS))
def test_real_bar_files_read_in_full(name: str) -> None:
    rows, first, timeframe = BARS[name]
    bars = read_bars(REAL / name, tz="Asia/Jakarta")  # Gmt time and epochs ignore the zone
    assert len(bars) == rows
    if timeframe == "mixed":  # the broker has no H1 before 2022-09: 432 daily bars first
        with pytest.raises(MixedIntervals, match=r"rows 1–432 \(432 bars"):
            prepare_bars(bars)
        assert len(prepare_bars(bars, keep_dominant_interval=True)[0]) == 14210 - 432
        return
    stated_zone = "binance" in name or "dukascopy" in name
    expected = pd.Timestamp(first, tz="UTC" if stated_zone else "Asia/Jakarta").tz_convert("UTC")
    assert bars.index[0] == expected and prepare_bars(bars)[1] == timeframe
