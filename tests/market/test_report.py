"""The report stored with a dataset: interval, gaps beyond the market's usual closures, and
the bars dropped when the file was read (with their reason)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.conftest import SHARED_DATA
from tradeloop.market.readers import read_bars
from tradeloop.market.report import bars_report, closed_slots, find_gaps
from tradeloop.market.validation import check_intervals

SHARED = SHARED_DATA / "market"


def _rows(times: pd.DatetimeIndex) -> pd.DataFrame:
    close = 1.1 + 0.0001 * np.arange(len(times))
    return pd.DataFrame(
        {"open": close, "high": close + 0.0005, "low": close - 0.0005, "close": close,
         "volume": 100.0},
        index=times.as_unit("ns").rename("time"),
    )  # fmt: skip


def us500_like_csv() -> str:
    """The structure of the real US500 export in small: daily bars first (5, Monday 1 to
    Friday 5 January 2024), then hourly FX-session bars (Sunday 22:00 to Friday 21:00 UTC) for
    two weeks, with hours 13:00-15:00 of Wednesday 10 January missing (a gap) and one extra
    bar at 09:20 on Tuesday 16 January (off the hourly grid)."""
    daily = pd.date_range("2024-01-01", periods=5, freq="D")
    hourly = pd.date_range("2024-01-07 22:00", "2024-01-19 21:00", freq="h")
    weekend = (hourly >= "2024-01-12 22:00") & (hourly < "2024-01-14 22:00")
    gap = (hourly >= "2024-01-10 13:00") & (hourly < "2024-01-10 16:00")
    hourly = hourly[~weekend & ~gap]
    times = daily.append(hourly).append(pd.DatetimeIndex(["2024-01-16 09:20"])).sort_values()
    frame = _rows(times)
    return frame.to_csv(date_format="%Y-%m-%d %H:%M")


def test_the_report_names_the_gap_and_the_dropped_bars_exactly() -> None:
    read = read_bars(us500_like_csv().encode())
    checked = check_intervals(read, keep_dominant_interval=True)
    report = bars_report(checked.bars, checked.timeframe, checked.dropped, len(read))
    off_grid_row = (
        int(np.flatnonzero(read.index == pd.Timestamp("2024-01-16 09:20", tz="UTC"))[0]) + 1
    )
    assert off_grid_row == 5 + 5 * 24 - 3 + 36 + 1  # after the daily rows, a week, Sun-Mon-Tue
    assert report == {
        "version": 1,
        "timeframe": "H1",
        "interval_seconds": 3600,
        "bars": 237,  # 2 weeks of 5 × 24 hours, less the 3 missing
        "rows_read": 243,  # and the 6 dropped
        "closures": {"weekends": True, "daily": []},
        "gaps": 1,
        "expected_gaps": 1,  # the weekend
        "missing_bars": 3,
        "largest_gaps": [
            {
                "start": "2024-01-10T13:00:00+00:00",
                "end": "2024-01-10T16:00:00+00:00",
                "seconds": 10_800,
                "missing_bars": 3,
            },
        ],
        "dropped": [
            {
                "reason": "other_interval",
                "timeframe": "D1",
                "bars": 5,
                "rows": [1, 5],
                "start": "2024-01-01T00:00:00+00:00",
                "end": "2024-01-05T00:00:00+00:00",
            },
            {
                "reason": "off_grid",
                "timeframe": "1200s",
                "bars": 1,
                "rows": [off_grid_row, off_grid_row],
                "start": "2024-01-16T09:20:00+00:00",
                "end": "2024-01-16T09:20:00+00:00",
            },
        ],
        "dropped_bars": 6,
    }


def test_an_extra_off_grid_bar_takes_only_itself_out() -> None:
    read = read_bars(us500_like_csv().encode())
    kept = check_intervals(read, keep_dominant_interval=True).bars
    assert pd.Timestamp("2024-01-16 10:00", tz="UTC") in kept.index
    assert pd.Timestamp("2024-01-16 09:20", tz="UTC") not in kept.index


def index_like(weeks: int = 10) -> pd.DatetimeIndex:
    """Hourly bars of an index CFD in UTC: Sunday 22:00 to Friday 21:00, closed 21:00-22:00
    every day, for ``weeks`` weeks."""
    hours = pd.date_range("2024-01-07 22:00", periods=weeks * 168, freq="h", tz="UTC")
    into_week = (hours.day_of_week * 24 + hours.hour + 2) % 168  # hours since Sunday 22:00
    return hours[(into_week < 119) & (hours.hour != 21)]


def test_daily_breaks_and_weekends_are_learnt_from_a_long_series() -> None:
    times = index_like()
    missing = (times >= "2024-02-06 10:00") & (times < "2024-02-06 12:00")  # a Tuesday
    gaps, expected, closures = find_gaps(times[~missing], "H1")
    assert closures == {"weekends": True, "daily": [["21:00", "22:00"]]}
    assert gaps == [{"start": "2024-02-06T10:00:00+00:00", "end": "2024-02-06T12:00:00+00:00",
                     "seconds": 7200, "missing_bars": 2}]  # fmt: skip
    assert expected == 10 * 4 + 9  # four daily breaks a week, and the weekends between weeks


def test_a_daylight_saving_shift_counts_as_a_closure() -> None:
    times = index_like(20)
    summer = times >= "2024-03-11"  # from then the break is an hour earlier in UTC
    shifted = times[~summer].append(times[summer] - pd.Timedelta(hours=1))
    closed = closed_slots(np.asarray(shifted.as_unit("ns").asi8 // 10**9), 3600)
    wednesday = closed[2 * 24 : 3 * 24]
    assert np.flatnonzero(wednesday).tolist() == [20, 21]
    assert find_gaps(shifted, "H1")[0] == []


def test_a_market_open_at_weekends_has_its_weekend_gaps_reported() -> None:
    hours = pd.date_range("2024-01-01", periods=21 * 24, freq="h", tz="UTC")
    missing = (hours >= "2024-01-13 10:00") & (hours < "2024-01-13 12:00")  # a Saturday
    gaps, expected, closures = find_gaps(hours[~missing], "H1")
    assert closures == {"weekends": False, "daily": []}
    assert [(g["start"], g["missing_bars"]) for g in gaps] == [("2024-01-13T10:00:00+00:00", 2)]
    assert expected == 0


def test_daily_bars_skip_weekends_but_not_a_missing_weekday() -> None:
    days = pd.bdate_range("2024-01-01", periods=15, tz="UTC")
    holiday = days != pd.Timestamp("2024-01-10", tz="UTC")  # a Wednesday
    gaps, expected, closures = find_gaps(days[holiday], "D1")
    assert closures["weekends"] is True
    assert [(g["start"], g["end"], g["missing_bars"]) for g in gaps] == [
        ("2024-01-10T00:00:00+00:00", "2024-01-11T00:00:00+00:00", 1)
    ]
    assert expected == 2


def test_monthly_bars_report_missing_months() -> None:
    months = pd.date_range("2020-01-01", periods=12, freq="MS", tz="UTC")
    gaps, expected, _ = find_gaps(months.delete(4), "MN1")
    assert [(g["start"], g["end"], g["missing_bars"]) for g in gaps] == [
        ("2020-05-01T00:00:00+00:00", "2020-06-01T00:00:00+00:00", 1)
    ]
    assert expected == 0


def test_a_stored_before_reports_dataset_has_unknown_dropped_bars() -> None:
    report = bars_report(_rows(index_like(1)), "H1", None)
    assert report["dropped"] is None and report["dropped_bars"] is None
    assert report["rows_read"] is None


@pytest.mark.skipif(not (SHARED / "US500_H1.csv").exists(), reason="../shared/data is not here")
def test_the_real_us500_file_records_its_105_dropped_daily_bars() -> None:
    read = read_bars(SHARED / "US500_H1.csv")
    checked = check_intervals(read, keep_dominant_interval=True)
    report = bars_report(checked.bars, checked.timeframe, checked.dropped, len(read))
    assert report["dropped"] == [
        {"reason": "other_interval", "timeframe": "D1", "bars": 105, "rows": [1, 105],
         "start": "2020-01-02T00:00:00+00:00", "end": "2020-05-28T00:00:00+00:00"}
    ]  # fmt: skip
    assert (report["bars"], report["rows_read"], report["dropped_bars"]) == (30985, 31090, 105)
    assert report["closures"] == {"weekends": True, "daily": [["00:00", "01:00"]]}
    assert report["largest_gaps"][0]["start"] == "2020-12-24T21:00:00+00:00"  # Christmas
