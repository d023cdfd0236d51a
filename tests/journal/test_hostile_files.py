"""Files built to cost a server time or memory are refused by a parser limit, with a short
message (never the hostile value itself)."""

from __future__ import annotations

import io
import zipfile

import pytest
from openpyxl import Workbook

from tradeloop.market.errors import DataError
from tradeloop.market.readers import read_bars
from tradeloop.services.exports import load_journal


def xlsx_with_rows(rows: int, repeat: bool) -> bytes:
    """An XLSX whose sheet has ``rows`` rows (all the same row when ``repeat``: a zip bomb)."""
    book = Workbook()
    book.active.append(["x"])
    plain = io.BytesIO()
    book.save(plain)
    source, out = zipfile.ZipFile(io.BytesIO(plain.getvalue())), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                row = '<row r="{i}"><c r="A{i}" t="inlineStr"><is><t>x</t></is></c></row>'
                body = (
                    (row.format(i=2) * rows)
                    if repeat
                    else "".join(row.format(i=i) for i in range(2, rows + 2))
                )
                data = data.replace(b"</sheetData>", (body + "</sheetData>").encode())
            target.writestr(info, data)
    return out.getvalue()


WIDE = (",".join(f"c{i}" for i in range(20_000)) + "\n" + ",".join(["1"] * 20_000) + "\n").encode()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (WIDE, "the header has 20000 columns: an export has at most 512"),
        (b"Date,Time,Symbol,Quantity,Price,Side\n2024-01-02,09:00:00,ES,1,5000,Buy\n"
         + b",".join([b"1"] * 20_000) + b"\n", "row 2 has 20000 fields: an export has at most 512"),
        (b"Date,Time,Symbol,Quantity,Price,Side\n" + b"1" * 1_000_000 + b",09:00:00,ES,1,5000,Buy\n",
         "row 1: Date holds 1000000 characters: a cell of an export has at most 4096"),
        (b"Date,Time,Symbol,Quantity,Price,Side\n2024-01-02,09:00:00,ES,1," + b"9" * 100 + b",Buy\n",
         "row 1: Price '99999999999999999999"),
        (xlsx_with_rows(300_000, repeat=True), "the XLSX file expands to"),
        (xlsx_with_rows(200_000, repeat=False), "the XLSX file holds more than 150,000 rows"),
        (b'<html><table><tr><td colspan="2000">x</td></tr>' * 50 + b"</table></html>",
         "the file is not a MetaTrader trade history"),
    ],
)  # fmt: skip
def test_hostile_journal_files_are_refused_by_a_limit(data: bytes, message: str) -> None:
    with pytest.raises(DataError) as raised:
        load_journal(data)
    assert raised.value.message.startswith(message) and len(raised.value.message) < 400


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (WIDE, "the header has 20000 columns"),
        (b"time,open,high,low,close\n" + b",".join([b"1"] * 20_000) + b"\n",
         "row 1 has 20000 fields: an export has at most 512"),
        (b"time,open,high,low,close\n" + b"1" * 1_000_000 + b",1,2,0.5,1.5\n",
         "row 1: time holds 1000000 characters"),
        (b"time,open,high,low,close\n" + b"2" * 80 + b",1,2,0.5,1.5\n", "row 1: cannot read the time '2222"),
        (b"time,open,high,low,close\n2024-01-02," + b"1" * 70 + b",2,0.5,1.5\n", "row 1: open '1111"),
    ],
)  # fmt: skip
def test_hostile_bar_files_are_refused_by_a_limit(data: bytes, message: str) -> None:
    with pytest.raises(DataError) as raised:
        read_bars(data)
    assert raised.value.message.startswith(message) and len(raised.value.message) < 400
