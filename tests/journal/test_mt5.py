"""MetaTrader 5 reports (HTML and XLSX): the Positions table becomes trades with stops."""

from __future__ import annotations

import io

import pandas as pd
import pytest
from openpyxl import Workbook

from tradeloop.journal.service import load_journal
from tradeloop.market.errors import DataError

HEADER = [
    "Time",
    "Position",
    "Symbol",
    "Type",
    "Volume",
    "Price",
    "S / L",
    "T / P",
    "Time",
    "Price",
    "Commission",
    "Swap",
    "Profit",
]
POSITIONS = [
    [
        "2024.03.01 10:00:00",
        "1001",
        "EURUSD",
        "buy",
        "0.10",
        "1.08000",
        "1.07800",
        "1.08400",
        "2024.03.01 11:00:00",
        "1.08400",
        "-0.70",
        "0.00",
        "40.00",
    ],
    [
        "2024.03.01 11:05:00",
        "1002",
        "XAUUSD",
        "sell",
        "0.05",
        "2050.00",
        "",
        "",
        "2024.03.01 12:00:00",
        "2060.00",
        "-0.50",
        "0.00",
        "-50.00",
    ],
    [
        "2024.03.01 12:10:00",
        "1003",
        "EURUSD",
        "buy",
        "0.20",
        "1.08100",
        "1.07900",
        "0",
        "2024.03.01 12:40:00",
        "1.07900",
        "-1.40",
        "-0.30",
        "-40.00",
    ],
]


def html_report() -> bytes:
    def row(cells: list[str]) -> str:
        return "<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>"

    rows = [
        row(["Trade History Report"]),
        row(["Positions"]),
        row(HEADER),
        *map(row, POSITIONS),
        row(["Orders"]),
        row(["Open Time", "Order"]),
    ]
    return ("<html><body><table>" + "".join(rows) + "</table></body></html>").encode("utf-16")


def xlsx_report() -> bytes:
    book = Workbook()
    sheet = book.active
    for cells in [["Trade History Report"], ["Positions"], HEADER, *POSITIONS, [], ["Orders"]]:
        sheet.append(cells)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize("report", [html_report, xlsx_report], ids=["html", "xlsx"])
def test_positions_become_trades_with_their_stops_and_money(report) -> None:
    journal = load_journal(report())
    trades = journal.analysis.trades
    assert journal.format == "mt5" and len(trades) == 3
    assert list(trades["symbol"]) == ["EURUSD", "XAUUSD", "EURUSD"]
    assert list(trades["side"]) == ["buy", "sell", "buy"]
    assert trades.iloc[0].pnl_money == pytest.approx(40 - 0.70)  # profit + commission + swap
    assert trades.iloc[2].pnl_money == pytest.approx(-40 - 1.40 - 0.30)
    assert trades.iloc[0].risk_points == pytest.approx(0.0020)
    assert trades.iloc[1].mistakes[0] == "no_stop_loss"
    assert "no_stop_loss" not in trades.iloc[2].mistakes
    assert trades.iloc[0].exit_time.isoformat() == "2024-03-01T11:00:00+00:00"


def test_a_report_without_positions_is_refused() -> None:
    with pytest.raises(DataError, match="the MT5 report has no Positions table"):
        load_journal(b"<html><table><tr><td>Deals</td></tr></table></html>")
    with pytest.raises(DataError, match="the MT5 report has no Positions table"):
        load_journal(b"<html>no table here</html>", fmt="mt5")
    with pytest.raises(DataError, match="cannot read the MT5 report"):
        load_journal(b"PK\x03\x04 not a zip at all")
    with pytest.raises(DataError, match="Positions table has no header row"):
        load_journal(b"<html><table><tr><td>Positions</td></tr></table></html>")


def positions_report(rows: list[list[str]]) -> bytes:
    book = Workbook()
    for cells in [["Positions"], HEADER, *rows, [], ["Orders"]]:
        book.active.append(cells)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_a_never_used_take_profit_column_is_fine() -> None:
    rows = [[*r[:7], "", *r[8:]] for r in POSITIONS]
    assert len(load_journal(positions_report(rows)).analysis.trades) == 3


def test_overlapping_and_hedged_positions_stay_one_trade_each() -> None:
    rows = [
        [
            "2024.03.01 10:00:00",
            "1",
            "EURUSD",
            "buy",
            "0.10",
            "1.08000",
            "",
            "",
            "2024.03.01 12:00:00",
            "1.09000",
            "0",
            "0",
            "100.00",
        ],
        [
            "2024.03.01 10:30:00",
            "2",
            "EURUSD",
            "buy",
            "0.10",
            "1.08500",
            "",
            "",
            "2024.03.01 11:00:00",
            "1.08400",
            "0",
            "0",
            "-10.00",
        ],
        [
            "2024.03.01 10:40:00",
            "3",
            "EURUSD",
            "sell",
            "0.10",
            "1.08600",
            "",
            "",
            "2024.03.01 11:30:00",
            "1.08700",
            "0",
            "0",
            "-10.00",
        ],
    ]
    trades = load_journal(positions_report(rows)).analysis.trades.set_index(
        pd.Index(["2", "3", "1"])
    )
    assert trades.loc["1", "entry_price"] == 1.08 and trades.loc["1", "pnl_money"] == 100
    assert trades.loc["2", "entry_price"] == 1.085 and trades.loc["2", "pnl_money"] == -10
    assert trades.loc["3", "side"] == "sell" and trades.loc["3", "pnl_money"] == -10
