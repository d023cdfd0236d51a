"""Bar validation with row numbers, timeframe inference and mixed intervals."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.backtest.helpers import bars
from tests.conftest import SHARED_DATA
from tradeloop.market.errors import DataError, MixedIntervals
from tradeloop.market.readers import read_bars
from tradeloop.market.synthetic import random_walk_bars
from tradeloop.market.validation import prepare_bars

SHARED = SHARED_DATA / "market"
OK = (1.10, 1.12, 1.09, 1.11)


def test_valid_bars_pass_with_their_timeframe() -> None:
    for freq, name in [
        ("1min", "M1"),
        ("5min", "M5"),
        ("15min", "M15"),
        ("30min", "M30"),
        ("1h", "H1"),
        ("4h", "H4"),
        ("1D", "D1"),
        ("7D", "W1"),
    ]:
        assert prepare_bars(bars([OK] * 10, freq=freq))[1] == name


@pytest.mark.parametrize(
    ("row", "change", "message"),
    [
        (3, {"high": 1.105}, "row 4: high 1.105 is below open/close"),
        (2, {"low": 1.105}, "row 3: low 1.105 is above open/close"),
        (5, {"open": 0.0, "low": 0.0}, "row 6: prices must be positive"),
        (1, {"close": -1.0, "low": -1.0}, "row 2: prices must be positive"),
    ],
)
def test_broken_bars_name_their_row(row: int, change: dict, message: str) -> None:
    frame = bars([OK] * 8)
    for column, value in change.items():
        frame.iloc[row, frame.columns.get_loc(column)] = value
    with pytest.raises(DataError, match=message):
        prepare_bars(frame)


def test_unsorted_and_duplicate_times_name_their_row() -> None:
    frame = bars([OK] * 6)
    swapped = frame.index.tolist()
    swapped[3], swapped[4] = swapped[4], swapped[3]
    with pytest.raises(DataError, match="row 5: time .* is earlier than the row before it"):
        prepare_bars(frame.set_axis(pd.DatetimeIndex(swapped)))
    duplicated = frame.index.tolist()
    duplicated[2] = duplicated[1]
    with pytest.raises(DataError, match="row 3: duplicate time 2024-01-01 01:00:00"):
        prepare_bars(frame.set_axis(pd.DatetimeIndex(duplicated)))


def daily_then_hourly(daily: int = 12, hourly: int = 300) -> pd.DataFrame:
    days = pd.bdate_range("2024-01-01", periods=daily, tz="UTC")
    hours = pd.date_range(days[-1] + pd.Timedelta(hours=22), periods=hourly, freq="1h", tz="UTC")
    frame = bars([OK] * (daily + hourly))
    return frame.set_axis(days.append(hours).as_unit("ns").rename("time"))


def test_mixed_intervals_are_reported_never_mixed() -> None:
    with pytest.raises(MixedIntervals) as raised:
        prepare_bars(daily_then_hourly())
    assert raised.value.message.startswith(
        "mixed bar intervals: rows 1–12 (12 bars, 2024-01-01 → 2024-01-16) are D1; the other 300 bars are H1"
    )
    assert raised.value.details == [
        {
            "rows": [1, 12],
            "bars": 12,
            "timeframe": "D1",
            "start": "2024-01-01T00:00:00+00:00",
            "end": "2024-01-16T00:00:00+00:00",
        }
    ]


def test_keeping_the_dominant_interval_drops_the_other_bars() -> None:
    kept, timeframe = prepare_bars(daily_then_hourly(), keep_dominant_interval=True)
    assert (len(kept), timeframe) == (300, "H1")
    assert kept.index[0] == pd.Timestamp("2024-01-16 22:00", tz="UTC")


def test_a_single_off_grid_bar_is_reported_too() -> None:
    frame = bars([OK] * 10)
    shifted = frame.index.tolist()
    shifted[5] = shifted[4] + pd.Timedelta(minutes=20)
    with pytest.raises(MixedIntervals, match=r"rows 6–6 \(1 bars, .*\) are 1200s"):
        prepare_bars(frame.set_axis(pd.DatetimeIndex(shifted)))
    kept, _ = prepare_bars(frame.set_axis(pd.DatetimeIndex(shifted)), keep_dominant_interval=True)
    assert len(kept) == 9


def test_absurd_prices_are_refused() -> None:
    frame = bars([OK] * 5)
    frame.iloc[2] = [1e300, 1e300, 1e300, 1e300, 1.0]
    with pytest.raises(DataError, match="row 3: prices above 1e9 are not market prices"):
        prepare_bars(frame)


def test_weekend_gaps_are_not_a_second_interval() -> None:
    weekdays = random_walk_bars(2000)
    weekdays = weekdays[weekdays.index.day_of_week < 5]
    assert prepare_bars(weekdays)[1] == "H1"


@pytest.mark.skipif(not (SHARED / "US500_H1.csv").exists(), reason="../shared/data is not here")
def test_the_real_us500_file_starts_with_105_daily_bars() -> None:
    with pytest.raises(MixedIntervals) as raised:
        prepare_bars(read_bars(SHARED / "US500_H1.csv"))
    assert raised.value.details[0]["rows"] == [1, 105]
    assert raised.value.details[0]["timeframe"] == "D1"
    kept, timeframe = prepare_bars(read_bars(SHARED / "US500_H1.csv"), keep_dominant_interval=True)
    assert (len(kept), timeframe) == (31090 - 105, "H1")


def test_monthly_and_weekly_bars_are_one_timeframe() -> None:
    from tradeloop.market.validation import prepare_bars

    def bars(freq: str, start: str) -> pd.DataFrame:
        times = pd.date_range(start, periods=65, freq=freq, tz="UTC")
        return pd.DataFrame(
            {c: 1.0 for c in ("open", "high", "low", "close", "volume")}, index=times
        )

    assert prepare_bars(bars("MS", "2015-01-01"))[1] == "MN1"  # 28 to 31 days apart
    assert prepare_bars(bars("ME", "2015-01-31"))[1] == "MN1"  # dated on each month's last day
    assert prepare_bars(bars("W-MON", "2015-01-05"))[1] == "W1"
