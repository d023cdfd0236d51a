"""MetaTrader 5 reports (HTML and XLSX): the Positions table becomes trades with stops."""

from __future__ import annotations

import io

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
    with pytest.raises(DataError, match="cannot read the MT5 report"):
        load_journal(b"<html>no table here</html>", fmt="mt5")
