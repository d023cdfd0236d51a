"""Reading the layouts users have, and precise messages for files that are wrong."""

from __future__ import annotations

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
