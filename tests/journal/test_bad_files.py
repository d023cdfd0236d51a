"""Broken and random files never crash: they raise a DataError naming the problem."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.journal.helpers import HEADER, export, fill
from tradeloop.market.errors import DataError
from tradeloop.services.exports import load_journal


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "the file is empty"),
        (HEADER.encode(), "the export has a header but no rows"),
        (
            b"Order ID,Timestamp,B/S,Contract,Status\n1,01/02/2024 09:00:00,Buy,MNQH4,Filled\n",
            "Tradovate Orders export is missing column(s): Fill Time, Type",
        ),
        (b"a,b,c\n1,2,3\n", "cannot tell the export's format from its header"),
        (export(fill(1, "09:00:00", "Buy", 1, 100)), "the file has no closed trade"),
        (
            export("1,2024-13-45 9:00,2024-13-45 9:00,Buy,MNQH4,1,100,Market,,,Filled"),
            "row 1: cannot read Timestamp '2024-13-45 9:00' (expected YYYY-MM-DD HH:mm)",
        ),
        (
            export(
                fill(1, "09:00:00", "Buy", 1, 100),
                "2,01/02/2024 09:01:00,01/02/2024 09:01:00,Hold,MNQH4,1,101,Market,,,Filled",
            ),
            "row 2: B/S 'Hold' is neither Buy nor Sell",
        ),
        (
            export("1,01/02/2024 09:00:00,01/02/2024 09:00:00,Buy,MNQH4,one,100,Market,,,Filled"),
            "row 1: filledQty 'one' is not a number",
        ),
        (b"\x89PNG\r\n\x1a\n\x00\x00junk", "the file is binary"),
        (
            b"Date,Time,Symbol,Quantity,Price\n2024-01-02,09:00:00,ES,1,5000\n",
            "generic executions export is missing column(s): Side",
        ),
    ],
)
def test_broken_files_name_the_problem(data: bytes, message: str) -> None:
    with pytest.raises(DataError) as raised:
        load_journal(data)
    assert message in raised.value.message


def test_one_row_export_is_no_trade() -> None:
    with pytest.raises(DataError, match="no closed trade"):
        load_journal(export(fill(1, "09:00:00", "Buy", 1, 100)))


def test_generic_executions_with_stops_and_fees() -> None:
    data = (
        b"Date,Time,Symbol,Quantity,Price,Side,Commission,StopPrice\n"
        b"2024-01-02,09:00:00,ESH4,2,5000,Buy,2.5,4990\n2024-01-02,09:10:00,ESH4,2,5010,Sell,2.5,\n"
    )
    journal = load_journal(data)
    row = journal.analysis.trades.iloc[0]
    assert journal.format == "generic"
    # ES: 50 USD a point; the money is net of the 2.5 + 2.5 commission the file states
    assert (row.points, row.pnl_points, row.gross_money, row.commission) == (10, 20, 1000, 5.0)
    assert (row.pnl_money, row.currency, journal.analysis.unit) == (995.0, "USD", "money")
    assert row.risk_points == 10 and row.mistakes == []


@pytest.mark.parametrize("word", ["Canceled", "Cancelled", " Canceled"])
def test_canceled_and_cancelled_are_the_same_status(word: str) -> None:
    def mistakes(stop_time: str) -> list[str]:
        rows = [
            fill(1, "09:00:00", "Buy", 1, 100),
            f"3,01/02/2024 {stop_time},,Sell,MNQH4,,,Stop,,95,{word}",
            fill(2, "09:05:00", "Sell", 1, 105, "Limit"),
        ]
        return load_journal(export(*rows)).analysis.trades.iloc[0].mistakes

    assert mistakes("09:00:00") == []  # cancelled with the bracket: it protected the trade
    assert mistakes("08:59:30") == ["no_stop_loss"]  # cancelled 30 s before entry: it did not


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            export(
                fill(1, "01/02/2300 09:00:00", "Buy", 1, 100), fill(2, "09:05:00", "Sell", 1, 105)
            ),
            "row 1: Timestamp '01/02/2300 09:00:00' is outside 1970–2100",
        ),
        (
            b"Date,Time,Symbol,Quantity,Price,Side\n2024-01-02,09:00:00,ESH4,1,,Buy\n",
            "row 1: Price is missing",
        ),
    ],
)
def test_impossible_values_are_refused(data: bytes, message: str) -> None:
    with pytest.raises(DataError) as raised:
        load_journal(data)
    assert message in raised.value.message


def test_a_repeated_dst_hour_is_refused_not_dropped() -> None:
    rows = [
        fill(1, "11/03/2024 00:50:00", "Buy", 1, 100),
        fill(2, "11/03/2024 01:20:00", "Sell", 1, 110),
    ]
    with pytest.raises(DataError, match="happens twice in America/New_York"):
        load_journal(export(*rows), tz="America/New_York")
    assert len(load_journal(export(*rows), tz="UTC").analysis.trades) == 1


def test_decimal_commas_and_broker_side_words() -> None:
    data = (
        b"Date;Time;Symbol;Quantity;Price;Side\n2024-01-02;09:00:00;ESH4;1;5000,25;Sell Short\n"
        b"2024-01-02;09:10:00;ESH4;1;4990,75;Buy to Cover\n"
    )
    row = load_journal(data).analysis.trades.iloc[0]
    assert (row.side, row.entry_price, row.points) == ("sell", 5000.25, 9.5)


cells = st.one_of(
    st.text(max_size=12),
    st.sampled_from(
        ["Buy", "Sell", "Filled", "Stop", "01/02/2024 09:00:00", "1", "-3", "1e308", "nan"]
    ),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(st.lists(cells, min_size=11, max_size=11), max_size=6))
def test_random_rows_never_crash(rows: list[list[str]]) -> None:
    body = "\n".join(
        ",".join(
            c.replace(",", " ").replace("\n", " ").replace("\r", " ").replace('"', "") for c in row
        )
        for row in rows
    )
    with contextlib.suppress(DataError):
        load_journal((HEADER + body).encode())


@settings(max_examples=150, deadline=None)
@given(data=st.binary(max_size=400))
def test_random_bytes_never_crash(data: bytes) -> None:
    with contextlib.suppress(DataError):
        load_journal(data)
