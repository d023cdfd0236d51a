"""Reading the layouts users have, and precise messages for files that are wrong."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tradeloop.market.errors import DataError
from tradeloop.market.readers import read_bars, write_parquet

MT5_CSV = b"""time,open,high,low,close,volume
2024-01-02 10:00:00,1.10000,1.10100,1.09900,1.10050,120
2024-01-02 11:00:00,1.10050,1.10200,1.10000,1.10150,130
2024-01-02 12:00:00,1.10150,1.10250,1.10100,1.10200,140
"""
TERMINAL_EXPORT = (
    "<DATE>\t<TIME>\t<OPEN>\t<HIGH>\t<LOW>\t<CLOSE>\t<TICKVOL>\t<VOL>\t<SPREAD>\n"
    "2024.01.02\t10:00:00\t1.10000\t1.10100\t1.09900\t1.10050\t120\t0\t5\n"
    "2024.01.02\t11:00:00\t1.10050\t1.10200\t1.10000\t1.10150\t130\t0\t5\n"
)
SEMICOLON = b"DATE;OPEN;HIGH;LOW;CLOSE;VOLUME\n2024-01-02;1.1;1.2;1.0;1.15;5\n2024-01-03;1.15;1.25;1.1;1.2;6\n"


def test_mt5_csv_becomes_a_utc_bar_frame() -> None:
    bars = read_bars(MT5_CSV)
    assert list(bars.columns) == ["open", "high", "low", "close", "volume"]
    assert str(bars.index.tz) == "UTC" and bars.index.name == "time"
    assert bars.index[0] == pd.Timestamp("2024-01-02 10:00", tz="UTC")
    assert bars.iloc[1].tolist() == [1.1005, 1.102, 1.1, 1.1015, 130.0]


def test_tz_option_converts_the_files_zone_to_utc() -> None:
    winter = read_bars(MT5_CSV, tz="Europe/Athens")  # EET, UTC+2 in January
    assert winter.index[0] == pd.Timestamp("2024-01-02 08:00", tz="UTC")
    summer = read_bars(MT5_CSV.replace(b"2024-01-02", b"2024-07-02"), tz="Europe/Athens")  # UTC+3
    assert summer.index[0] == pd.Timestamp("2024-07-02 07:00", tz="UTC")


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16"])
def test_mt5_terminal_tab_export(encoding: str) -> None:
    bars = read_bars(TERMINAL_EXPORT.encode(encoding))
    assert len(bars) == 2 and bars.index[1] == pd.Timestamp("2024-01-02 11:00", tz="UTC")
    assert bars["volume"].tolist() == [120.0, 130.0]  # tick volume


def test_semicolons_and_any_capitalisation() -> None:
    bars = read_bars(SEMICOLON)
    assert bars.index[1] == pd.Timestamp("2024-01-03", tz="UTC") and bars["close"].tolist() == [
        1.15,
        1.2,
    ]


def test_parquet_round_trip() -> None:
    bars = read_bars(MT5_CSV)
    assert read_bars(write_parquet(bars)).equals(bars)


def test_volume_is_optional() -> None:
    bars = read_bars(b"Date,Open,High,Low,Close\n2024-01-02,1,2,0.5,1.5\n")
    assert bars["volume"].tolist() == [0.0]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "the file is empty"),
        (b"time,open,high,low,close\n", "header but no bars"),
        (
            b"time,open,high,close\n2024-01-02,1,2,1.5\n",
            "missing column(s) low: found time, open, high, close",
        ),
        (b"when,open,high,low,close\n2024-01-02,1,2,0.5,1.5\n", "no time column: found when"),
        (
            b"time,open,high,low,close\n2024-01-02,1,2,0.5,1.5\n2024-13-45,1,2,0.5,1.5\n",
            "row 2: cannot read the time '2024-13-45'",
        ),
        (
            b"time,open,high,low,close\n2024-01-02,1,2,0.5,1.5\n2024-01-03,1,abc,0.5,1.5\n",
            "row 2: high 'abc' is not a number",
        ),
        (b"time,open,high,low,close\n2024-01-02,1,2,0.5,\n", "row 1: close is missing"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\xff\xfe", "binary"),
        (b"just some words without separators\n", "cannot find columns in the header"),
        (b"PAR1 not really parquet", "cannot read the Parquet file"),
    ],
)
def test_bad_files_get_precise_messages(data: bytes, message: str) -> None:
    with pytest.raises(DataError) as raised:
        read_bars(data)
    assert message in raised.value.message


@pytest.mark.parametrize(
    ("data", "first"),
    [
        (
            b"time,open,high,low,close\n2024-03-30 10:00+02:00,1,2,0.5,1.5\n2024-04-01 10:00+03:00,1,2,0.5,1.5\n",
            "2024-03-30 08:00",
        ),  # an export across a DST change: offsets are honoured
        (b"Time,Date,Open,High,Low,Close\n10:00,2024-01-02,1,2,0.5,1.5\n", "2024-01-02 10:00"),
        (b"time,open,high,low,close\n202401021300,1,2,0.5,1.5\n", "2024-01-02 13:00"),
        (b"time,open,high,low,close\n20240102,1,2,0.5,1.5\n", "2024-01-02 00:00"),
        (b"time,open,high,low,close\n1704204000,1,2,0.5,1.5\n", "2024-01-02 14:00"),
        (b"time,open,high,low,close\n1704204000000,1,2,0.5,1.5\n", "2024-01-02 14:00"),
        (b"\n\ntime,open,high,low,close\n2024-01-02 10:00,1,2,0.5,1.5\n", "2024-01-02 10:00"),
    ],
)
def test_time_layouts(data: bytes, first: str) -> None:
    assert read_bars(data).index[0] == pd.Timestamp(first, tz="UTC")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            b"time,open,high,low,close\n2024-01-02T10:00Z,1,2,0.5,1.5\n2024-01-02 11:00,1,2,0.5,1.5\n",
            "row 2: the time '2024-01-02 11:00' has no UTC offset while others do",
        ),
        (
            b"time,close,Close,open,high,low\n2024-01-02,1,1,1,2,0.5\n",
            "column 'close' appears more than once",
        ),
        (
            b"time,open,high,low,close\n3000-01-01,1,2,0.5,1.5\n",
            "row 1: the time '3000-01-01' is outside 1900–2200",
        ),
        (b"time,open,high,low,close\n10:00,1,2,0.5,1.5\n", "row 1: the time '10:00' has no date"),
        (
            b"time,open,high,low,close\n99999999999,1,2,0.5,1.5\n",
            "row 1: cannot read the time '99999999999'",
        ),
    ],
)
def test_ambiguous_or_impossible_times_are_refused(data: bytes, message: str) -> None:
    with pytest.raises(DataError) as raised:
        read_bars(data)
    assert message in raised.value.message


def test_unknown_time_zone() -> None:
    with pytest.raises(DataError, match="unknown time zone 'Mars/Olympus'"):
        read_bars(MT5_CSV, tz="Mars/Olympus")


# Layouts data vendors write, as small fixtures of our own.
PANDAS_TO_CSV = b",Open,High,Low,Close,Volume\n2017-04-19 09:00:00,1.0716,1.0722,1.07083,1.07219,1413\n2017-04-19 10:00:00,1.07214,1.07296,1.07214,1.0726,1241\n"
BINANCE = (
    b"open_time,open,high,low,close,volume,close_time,quote_volume,count,taker_buy_volume,"
    b"taker_buy_quote_volume,ignore\n"
    b"1672531200000,16541.77,16545.70,16508.39,16529.67,4364.8357,1672534799999,72146293.58,149854,2179.94,36032352.87,0\n"
    b"1672534800000,16529.59,16556.80,16525.78,16551.47,3590.0666,1672538399999,59376757.34,126556,1730.24,28617416.00,0\n"
)
YAHOO = b"Date,Open,High,Low,Close,Adj Close,Volume\n2004-08-19,100,104.06,95.96,100.34,50.22,22351900\n2004-08-20,101.01,109.08,100.5,108.31,54.21,11428600\n"
HISTORY_CENTER = (
    "<DATE>\t<TIME>\t<OPEN>\t<HIGH>\t<LOW>\t<CLOSE>\t<TICKVOL>\t<VOL>\t<SPREAD>\r\n"
    "2021.01.04\t00:00:00\t1909.88\t1944.46\t1907.70\t1942.86\t408188\t0\t0\r\n"
    "2021.01.05\t00:00:00\t1942.50\t1953.04\t1934.33\t1949.98\t347971\t0\t0\r\n"
)


def dukascopy(days: list[int], header: str = "Gmt time") -> bytes:
    rows = "".join(
        f"{d:02d}.07.2020 {h:02d}:00:00.000,1.12,1.13,1.11,1.125,4148.03\n"
        for d in days
        for h in (0, 1)
    )
    return f"{header},Open,High,Low,Close,Volume\n{rows}".encode()


@pytest.mark.parametrize(
    ("data", "first", "volume"),
    [
        (PANDAS_TO_CSV, "2017-04-19 09:00", 1413.0),  # the time is the unnamed first column
        (BINANCE, "2023-01-01 00:00", 4364.8357),  # epoch milliseconds are UTC
        (BINANCE.split(b"\n", 1)[1], "2023-01-01 00:00", 4364.8357),  # an older dump: no header
        (YAHOO, "2004-08-19 00:00", 22351900.0),  # Adj Close is left aside
        (HISTORY_CENTER.encode("utf-16"), "2021-01-04 00:00", 408188.0),
    ],
)
def test_vendor_layouts(data: bytes, first: str, volume: float) -> None:
    bars = read_bars(data)
    assert bars.index[0] == pd.Timestamp(first, tz="UTC") and bars["volume"].iloc[0] == volume


def test_epoch_milliseconds_ignore_the_zone_given() -> None:
    assert read_bars(BINANCE, tz="Asia/Jakarta").index[0] == pd.Timestamp("2023-01-01", tz="UTC")


def test_dukascopy_gmt_time_is_day_first_and_utc_whatever_the_zone() -> None:
    # the first days (1–12) cannot tell day from month; the 13th and later settle it
    bars = read_bars(dukascopy([1, 2, 3, 13, 14]), tz="America/New_York")
    assert bars.index[0] == pd.Timestamp("2020-07-01 00:00", tz="UTC")
    assert (
        bars.index[-1] == pd.Timestamp("2020-07-14 01:00", tz="UTC")
        and bars.index.is_monotonic_increasing
    )
    # even with only days ≤ 12, Dukascopy writes day first
    assert read_bars(dukascopy([1, 2])).index[-1] == pd.Timestamp("2020-07-02 01:00", tz="UTC")


def test_a_column_that_names_its_zone_is_read_in_it() -> None:
    bars = read_bars(dukascopy([1, 2], header="Time (EET)"))  # EET in July is UTC+3 (summer)
    assert bars.index[0] == pd.Timestamp("2020-06-30 21:00", tz="UTC")


def test_day_month_order_is_one_decision_for_the_file() -> None:
    late = b"Date,Open,High,Low,Close\n01/02/2024,1,2,0.5,1.5\n02/02/2024,1,2,0.5,1.5\n13/02/2024,1,2,0.5,1.5\n"
    assert list(read_bars(late).index.strftime("%m-%d")) == ["02-01", "02-02", "02-13"]
    ambiguous = b"Date,Open,High,Low,Close\n01/02/2024,1,2,0.5,1.5\n02/02/2024,1,2,0.5,1.5\n"
    with pytest.raises(DataError, match="could be day/month or month/day.*--date-order dmy or mdy"):
        read_bars(ambiguous)
    assert read_bars(ambiguous, date_order="mdy").index[0] == pd.Timestamp("2024-01-02", tz="UTC")
    assert read_bars(ambiguous, date_order="dmy").index[0] == pd.Timestamp("2024-02-01", tz="UTC")


def test_clean_and_locale_files_read_the_same_numbers() -> None:
    clean = read_bars(MT5_CSV)
    locale = read_bars(MT5_CSV.replace(b",", b";").replace(b".", b","))  # Excel on a id/de machine
    assert locale.equals(clean)


def test_numbers_and_words_read_the_same_by_either_reader() -> None:
    """A column PyArrow casts and one pandas cleans (thousands separators) give the same
    floats; blanks are NaN; a word is refused naming its row."""
    from tradeloop.market.tables import mapped, numbers

    frame = pd.DataFrame({"plain": ["1.5", "", "-2", "3e2"], "spaced": ["1,000.5", "", "2", "3"]})
    assert numbers(frame, "plain").tolist()[::2] == [1.5, -2.0]
    assert np.isnan(numbers(frame, "plain").iloc[1])
    assert numbers(frame, "spaced").fillna(0).tolist() == [1000.5, 0.0, 2.0, 3.0]
    frame.loc[3, "plain"] = "ten"
    with pytest.raises(DataError, match=r"^row 4: plain 'ten' is not a number$"):
        numbers(frame, "plain")
    words = pd.Series(["Buy", "Sell", None, "Buy", "Hold"])
    assert mapped(words, {"Buy": 1, "Sell": -1}).tolist() == [1, -1, None, 1, None]
