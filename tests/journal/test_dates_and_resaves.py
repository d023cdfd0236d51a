"""Day/month order decided once per file, Excel re-saves, and the property that the order of
rows, the separator, the quoting and the encoding never change the trades."""

from __future__ import annotations

import csv
import io

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tradeloop.journal.synthetic import synthetic_export
from tradeloop.market.errors import DataError
from tradeloop.services.exports import load_journal

# Two trades on MNQ written day first, as Excel re-saves them on an Indonesian or European
# machine: ';' separators, decimal commas, HH.mm.ss times, a BOM and CRLF line ends. The 13th
# settles the order for the whole file: the 5th of February is not the 2nd of May.
RESAVED = (
    "\ufeffOrder ID;Timestamp;Fill Time;B/S;Contract;filledQty;Avg Fill Price;Type;Limit Price;"
    "Stop Price;Status\r\n"
    '1;05/02/2024 09.00.00;05/02/2024 09.00.00;Buy;MNQH4;1;"17 000,25";Market;;;Filled\r\n'
    "2;05/02/2024 09.05.00;05/02/2024 09.05.00;Sell;MNQH4;1;17010,75;Limit;;;Filled\r\n"
    "3;13/02/2024 10.00.00;13/02/2024 10.00.00;Sell;MNQH4;2;17100,00;Market;;;Filled\r\n"
    "4;13/02/2024 10.30.00;13/02/2024 10.30.00;Buy;MNQH4;2;17090,50;Market;;;Filled\r\n"
)


def test_an_excel_resave_with_day_first_dates_reads_as_the_day_first() -> None:
    t = load_journal(RESAVED.encode("utf-8")).analysis.trades
    assert list(t["entry_time"].dt.strftime("%Y-%m-%d %H:%M")) == [
        "2024-02-05 09:00",
        "2024-02-13 10:00",
    ]
    assert list(t["points"]) == [10.5, 9.5] and list(t["pnl_money"]) == [21.0, 38.0]


def test_the_same_file_shuffled_reads_the_same() -> None:
    header, *rows = RESAVED.split("\r\n")[:-1]
    shuffled = "\r\n".join([header, rows[3], rows[1], rows[2], rows[0]]) + "\r\n"
    assert (
        load_journal(shuffled.encode())
        .analysis.trades[["entry_time", "points"]]
        .equals(load_journal(RESAVED.encode()).analysis.trades[["entry_time", "points"]])
    )


GENERIC = (
    "Date,Time,Symbol,Quantity,Price,Side\n"
    "03/04/2024,09:00:00,ESH4,1,5000,Buy\n"
    "03/04/2024,09:10:00,ESH4,1,5010,Sell\n"
)


def test_an_ambiguous_file_without_a_convention_is_refused_with_the_option_to_settle_it() -> None:
    with pytest.raises(DataError) as raised:
        load_journal(GENERIC.encode())
    assert raised.value.message == (
        "Date/Time: the dates could be day/month or month/day (no day above 12, e.g. "
        "'03/04/2024 09:00:00'): choose the order with --date-order dmy or mdy (CLI), or "
        "date_order (API and import form)"
    )
    day_first = load_journal(GENERIC.encode(), date_order="dmy").analysis.trades.iloc[0]
    month_first = load_journal(GENERIC.encode(), date_order="mdy").analysis.trades.iloc[0]
    assert (day_first.entry_time.month, month_first.entry_time.month) == (4, 3)


def test_a_file_mixing_both_orders_is_refused_naming_the_rows() -> None:
    mixed = GENERIC + "13/04/2024,10:00:00,ESH4,1,5000,Buy\n04/13/2024,10:10:00,ESH4,1,5010,Sell\n"
    with pytest.raises(DataError, match=r"mix day/month \(row 3: '13/04/2024 10:00:00'\) and "
                                        r"month/day \(row 4: '04/13/2024 10:10:00'\)"):  # fmt: skip
        load_journal(mixed.encode())


def test_a_chosen_order_the_dates_contradict_is_refused() -> None:
    with pytest.raises(DataError) as raised:
        load_journal(RESAVED.encode(), date_order="mdy")
    assert raised.value.message == (
        "row 3: Timestamp '13/02/2024 10.00.00' is not a date in the order you chose "
        "(MM/DD/YYYY HH.mm.SS)"
    )


def trades_of(data: bytes) -> pd.DataFrame:
    t = load_journal(data).analysis.trades
    return t[["entry_time", "exit_time", "side", "qty", "entry_price", "exit_price", "pnl_money",
              "mistakes"]].reset_index(drop=True)  # fmt: skip


def resave(data: bytes, order: list[int], sep: str, quote: int, encoding: str, crlf: bool) -> bytes:
    """The export rewritten as another tool would: rows in ``order``, another separator
    (decimal commas with ';', as Excel does), quoting, encoding and line ends."""
    header, *rows = list(csv.reader(io.StringIO(data.decode())))
    if sep == ";":
        rows = [
            [c.replace(".", ",") if c.replace(".", "").isdigit() else c for c in r] for r in rows
        ]
    out = io.StringIO()
    writer = csv.writer(out, delimiter=sep, quoting=quote, lineterminator="\r\n" if crlf else "\n")
    writer.writerows([header, *(rows[i] for i in order)])
    return out.getvalue().encode(encoding)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10_000),
    data=st.data(),
    sep=st.sampled_from([",", ";", "\t"]),
    quote=st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL, csv.QUOTE_NONNUMERIC]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "cp1252"]),
    crlf=st.booleans(),
)
def test_shuffled_or_resaved_exports_give_the_same_trades(
    seed: int, data: st.DataObject, sep: str, quote: int, encoding: str, crlf: bool
) -> None:
    original = synthetic_export(12, seed=seed)
    rows = original.decode().count("\n") - 1
    order = data.draw(st.permutations(range(rows)))
    pd.testing.assert_frame_equal(
        trades_of(resave(original, order, sep, quote, encoding, crlf)), trades_of(original)
    )


def test_one_decision_for_all_the_time_columns_of_a_file() -> None:
    # the bought times alone could be month first; the sold times settle day first for both
    perf = (
        "symbol,_priceFormat,_priceFormatType,_tickSize,buyFillId,sellFillId,qty,buyPrice,"
        "sellPrice,pnl,boughtTimestamp,soldTimestamp,duration\n"
        "MNQH5,-2,0,0.25,1,2,1,100.00,101.00,$2.00,12/03/2025 09:00:00,13/03/2025 09:05:00,1d\n"
    )
    (trade,) = load_journal(perf.encode()).analysis.trades.itertuples()
    assert (trade.side, trade.entry_time.month, trade.exit_time.day) == ("buy", 3, 13)
    contradicting = perf.replace("13/03/2025 09:05:00", "03/13/2025 09:05:00").replace(
        "12/03/2025", "13/03/2025"
    )
    with pytest.raises(
        DataError, match=r"boughtTimestamp / soldTimestamp: the dates mix day/month"
    ):
        load_journal(contradicting.encode())


def test_a_semicolon_resave_reads_commas_as_the_decimal_mark() -> None:
    data = (
        "Date;Time;Symbol;Quantity;Price;Side\n"
        "2024-01-02;09:00:00;USDJPY;1;150,123;Buy\n2024-01-02;09:10:00;USDJPY;1;150,156;Sell\n"
        "2024-01-02;10:00:00;XAUUSD;1;1.950,5;Buy\n2024-01-02;10:10:00;XAUUSD;1;1951.5;Sell\n"
    )
    t = load_journal(data.encode()).analysis.trades
    assert list(t["entry_price"]) == [150.123, 1950.5] and list(t["exit_price"]) == [
        150.156,
        1951.5,
    ]
