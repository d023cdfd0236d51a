"""MetaTrader reports of our own making with the quirks of real ones; hand-worked figures.

The MT5 fixture (metatrader_fixtures.py): 1001 buys 0.10 EURUSD at 1.08000 with its order's
S/L at 1.07800 (risk 0.00200), later trailed to 1.08100 where it closes: +10.00 − 0.70 = 9.30,
R = 0.00100 / 0.00200 = 0.5. 1002 sells 0.05 XAUUSD 2 050 → 2 060 without any stop:
−50.00 − 0.50 = −50.50. 1003 buys 0.20 EURUSD 1.08100 → 1.08150 with only a final S/L (its
order had none): +10.00 − 1.40 − 0.30 = 8.30, protected, risk unknown. Net −32.90.
"""

from __future__ import annotations

import math

import pytest

from tests.journal import metatrader_fixtures as fx
from tradeloop.market.errors import DataError
from tradeloop.services.exports import load_journal


def check_fixture(data: bytes) -> None:
    journal = load_journal(data)
    t = journal.analysis.trades.set_index("position")
    assert journal.format == "mt5" and list(t.index) == ["1001", "1002", "1003"]
    assert journal.imported.accounts == ["7001234"] and journal.imported.currency == "USD"
    assert [round(v, 2) for v in t["pnl_money"]] == [9.30, -50.50, 8.30]
    assert [round(v, 2) for v in t["gross_money"]] == [10.00, -50.00, 10.00]
    assert round(journal.analysis.summary["net_pnl"], 2) == -32.90
    assert t.loc["1001", "risk_points"] == pytest.approx(0.002)  # the stop set at entry
    assert t.loc["1001", "r_multiple"] == pytest.approx(0.5)
    assert t.loc["1001", "exit_type"] == "stop"
    assert t.loc["1002", "mistakes"] == ["no_stop_loss"]
    assert "no_stop_loss" not in t.loc["1003", "mistakes"]  # a stop existed at the end…
    assert math.isnan(t.loc["1003", "risk_points"])  # …but where it was planned is unknown
    assert journal.warnings == []  # the stated net profit is reproduced


@pytest.mark.parametrize("lang", ["en", "ja", "xx"])
def test_hidden_cells_and_any_terminal_language(lang: str) -> None:
    check_fixture(fx.mt5_html(lang).encode("utf-8"))


def test_the_terminals_utf16_with_a_stray_trailing_byte() -> None:
    data = fx.mt5_html("ja").encode("utf-16")
    check_fixture(data + b"\x00")  # odd length: one byte too many
    assert load_journal(data + b"\x00").imported.language == "ja"


@pytest.mark.parametrize("lang", ["en", "xx"])
def test_xlsx_with_merged_cells_and_numbers_as_numbers(lang: str) -> None:
    check_fixture(fx.mt5_xlsx(lang))


def test_a_position_closed_in_partial_deals_is_one_trade() -> None:
    # 0.05 lots closed 0.02 @ 4058.35, 0.01 @ 4056.07, 0.02 @ 4057.48: MT5's Positions row
    # gives the weighted close 4057.55 and the summed profit 23.03
    position = ["2026.07.31 14:51:55", "77", "XAUUSD", "buy", "0.05", "4052.94", "4054.28",
                "4068.16", "2026.07.31 15:15:39", "4057.55", "0.00", "0.00", "23.03"]  # fmt: skip
    journal = load_journal(fx.mt5_html(positions=[position], orders=[], net="23.03").encode())
    (trade,) = journal.analysis.trades.itertuples()
    assert (trade.qty, trade.exit_price, trade.pnl_money) == (0.05, 4057.55, 23.03)


def test_a_report_without_positions_is_rebuilt_from_its_deals() -> None:
    journal = load_journal(fx.deals_only_html().encode("utf-16"))
    t = journal.analysis.trades
    assert journal.format == "mt5" and len(t) == 3 and journal.imported.currency == "USD"
    # hedged: the sell opened against two buys; each out-deal closes the oldest opposite lot
    assert list(zip(t["side"], t["entry_price"], t["exit_price"], strict=True)) == [
        ("buy", 0.97430, 0.98062),
        ("buy", 0.97394, 0.98062),
        ("sell", 0.98059, 0.98073),
    ]
    assert [round(v, 2) for v in t["pnl_money"]] == [644.59, 681.30, -14.28]  # profit + swap
    assert round(journal.analysis.summary["net_pnl"], 2) == 1311.61
    assert t.iloc[2].risk_points == pytest.approx(0.00141) and t.iloc[2].exit_type == "stop"
    assert journal.warnings == []


def test_a_strategy_tester_report_is_labelled_as_tested() -> None:
    journal = load_journal(fx.deals_only_html(tester=True).encode())
    imported = journal.imported
    assert (imported.format, imported.kind) == ("mt5-tester", "tested")
    assert imported.label == "Strategy Tester: Crossing EA, USDCHF H1 (2016.08.01 - 2016.08.09)"
    assert imported.currency == "USD" and len(journal.analysis.trades) == 3


def test_mt4_statement_trades_with_their_final_stops() -> None:
    journal = load_journal(fx.mt4_html().encode("cp1252"))
    t = journal.analysis.trades
    assert journal.format == "mt4" and journal.imported.accounts == ["25810419"]
    assert list(t["symbol"]) == ["USDCAD", "EURJPY"]  # the pending order and open trade: not trades
    assert [round(v, 2) for v in t["pnl_money"]] == [14.43, -5.95]  # profit + commission + swap
    assert t.iloc[0].mistakes == [] and math.isnan(t.iloc[0].risk_points)  # final S/L only
    assert t.iloc[1].mistakes[0] == "no_stop_loss"
    assert journal.imported.stated == {"net_profit": 8.48} and journal.warnings == []


def test_a_stated_total_that_the_trades_do_not_reproduce_is_said() -> None:
    journal = load_journal(fx.mt5_html(net="-30.00").encode())
    assert journal.warnings == [
        "the report states a total net profit of -30.00; its closed trades add up to -32.90 "
        "(costs of positions still open are not in any trade)"
    ]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (fx.trade_account_html().encode("utf-16"),
         "this MT5 report lists 1 open position(s) and 0 working order(s) but no closed trades"),
        (b"<html><table><tr><td>Deals</td></tr></table></html>",
         "the file is not a MetaTrader trade history"),
        (b"<html>no table here</html>", "the file has no table rows"),
        (b"PK\x03\x04 not a zip at all", "cannot read the XLSX file"),
    ],
)  # fmt: skip
def test_reports_without_closed_trades_are_refused_by_name(data: bytes, message: str) -> None:
    with pytest.raises(DataError) as raised:
        load_journal(data)
    assert message in raised.value.message


def test_a_chosen_format_that_does_not_match_is_refused() -> None:
    with pytest.raises(DataError, match="the file is a MT4 Statement, not mt5"):
        load_journal(fx.mt4_html().encode(), fmt="mt5")
    with pytest.raises(DataError, match="the file is an HTML/XLSX report, not a tradovate CSV"):
        load_journal(fx.mt4_html().encode(), fmt="tradovate")


def test_a_netting_account_reverses_through_an_in_out_deal() -> None:
    # buy 1.00 at 1.1000; sell 2.00 at 1.1010 (in/out: closes the long, +100.00, and opens a
    # short); buy 1.00 at 1.1005 closes the short (+50.00)
    deals = [
        ["2024.05.02 09:00:00", "1", "EURUSD", "buy", "in", "1.00", "1.10000", "11", "0.00",
         "0.00", "0.00", "10 000.00", ""],
        ["2024.05.02 10:00:00", "2", "EURUSD", "sell", "in/out", "2.00", "1.10100", "12", "0.00",
         "0.00", "100.00", "10 100.00", ""],
        ["2024.05.02 11:00:00", "3", "EURUSD", "buy", "out", "1.00", "1.10050", "13", "0.00",
         "0.00", "50.00", "10 150.00", ""],
    ]  # fmt: skip
    rows = "".join(fx._row(d) for d in deals)
    header = fx._row([c for c in fx.WORDS["en"]["deal"] if c != "Fee"])
    data = fx.deals_only_html()
    start = data.index(fx._title("Deals"))
    data = data[:start] + fx._title("Deals") + header + rows + "</table></body></html>"
    t = load_journal(data.encode()).analysis.trades
    assert list(zip(t["side"], t["entry_price"], t["exit_price"], t["pnl_money"], strict=True)) == [
        ("buy", 1.1, 1.101, 100.0),
        ("sell", 1.101, 1.1005, 50.0),
    ]


def test_an_mt4_statement_saved_as_xlsx_reads_the_same() -> None:
    import io

    from openpyxl import Workbook

    from tradeloop.journal.grid import report_rows

    book = Workbook()
    for row in report_rows(fx.mt4_html().encode()):
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    journal = load_journal(buffer.getvalue())
    assert journal.format == "mt4" and [
        round(v, 2) for v in journal.analysis.trades["pnl_money"]
    ] == [14.43, -5.95]
