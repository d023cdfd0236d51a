"""Time columns read with one layout per file: the fast reading (PyArrow) gives exactly what
pandas' strptime gives, and a value that does not fit is refused naming its row."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tradeloop.market.errors import DataError
from tradeloop.market.times import parse_times

LAYOUTS = [
    ("%Y-%m-%d %H:%M:%S", "auto"),
    ("%Y.%m.%d %H:%M", "auto"),
    ("%m/%d/%Y %H:%M:%S", "mdy"),
    ("%d.%m.%Y %H:%M:%S.%f", "dmy"),
    ("%d/%m/%Y", "dmy"),
    ("%m/%d/%Y %I:%M:%S %p", "mdy"),  # AM/PM: pandas reads these
]
moments = st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2090, 12, 31))


@settings(max_examples=60, deadline=None)
@given(st.lists(moments, min_size=1, max_size=40), st.sampled_from(LAYOUTS), st.booleans())
def test_any_layout_reads_back_the_times_written(
    times: list[datetime], layout: tuple[str, str], unpadded: bool
) -> None:
    fmt, order = layout
    if "%f" not in fmt:
        times = [t.replace(microsecond=0) for t in times]
    if "%S" not in fmt:
        times = [t.replace(second=0) for t in times]
    if "%H" not in fmt and "%I" not in fmt:
        times = [t.replace(hour=0, minute=0, second=0) for t in times]
    text = [t.strftime(fmt) for t in times]
    if unpadded:  # 1/2/2024 8:05 as some brokers write it
        text = [v.lstrip("0").replace("/0", "/").replace(" 0", " ") for v in text]
    parsed = parse_times(pd.Series(text), "UTC", "Time", order)  # type: ignore[arg-type]
    expected = pd.to_datetime(pd.Series(times)).dt.tz_localize("UTC").dt.as_unit("ns")
    assert parsed.tolist() == expected.tolist()


def test_a_day_the_month_does_not_have_is_refused_naming_its_row() -> None:
    values = pd.Series(["01/30/2024 10:00:00", "02/28/2024 10:00:00", "02/30/2024 10:00:00"])
    with pytest.raises(DataError) as err:
        parse_times(values, "UTC", "Fill Time")
    assert err.value.message == (
        "row 3: cannot read Fill Time '02/30/2024 10:00:00' (expected MM/DD/YYYY HH:mm:SS)"
    )


def test_a_different_separator_in_one_row_is_refused() -> None:
    values = pd.Series(["2024.01.02 10:00", "2024.01.02 11:00", "2024-01-02 12:00"])
    with pytest.raises(DataError) as err:
        parse_times(values, "UTC", "Time")
    assert err.value.message.startswith("row 3: cannot read Time '2024-01-02 12:00'")


def test_local_times_are_converted_once_the_layout_is_read() -> None:
    values = pd.Series(["2024.07.01 09:30", "2024.01.15 09:30"])
    parsed = parse_times(values, "Europe/Athens", "Time")
    assert parsed.tolist() == [
        pd.Timestamp("2024-07-01 06:30", tz="UTC"),  # summer: UTC+3
        pd.Timestamp("2024-01-15 07:30", tz="UTC"),  # winter: UTC+2
    ]
