"""Bar validation with row numbers, timeframe inference and mixed-interval detection.

Row numbers count data rows from 1 (the header is not a row).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from tradeloop.market.errors import DataError, MixedIntervals
from tradeloop.market.timeframes import (
    MONTHLY,
    TIMEFRAMES,
    calendar_monthly,
    dominant_interval,
    timeframe_name,
)

MIN_SEGMENT_BARS = 3
MAX_PRICE = 1e9


@dataclass(frozen=True)
class Segment:
    """A run of bars at an interval other than the file's dominant one."""

    first_row: int
    last_row: int
    bars: int
    timeframe: str
    start: pd.Timestamp
    end: pd.Timestamp

    @property
    def reason(self) -> str:
        """Why the bars do not belong: ``other_interval`` (a run of bars at another
        timeframe, e.g. daily bars before hourly ones) or ``off_grid`` (a single bar closer
        to the bar before it than the interval)."""
        return "other_interval" if self.bars >= MIN_SEGMENT_BARS else "off_grid"

    def describe(self) -> dict[str, Any]:
        """The segment as plain data for error details."""
        return {
            "rows": [self.first_row, self.last_row],
            "bars": self.bars,
            "timeframe": self.timeframe,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
        }


def _first(mask: np.ndarray) -> int | None:
    hits = np.flatnonzero(mask)
    return int(hits[0]) if len(hits) else None


def check_bars(bars: pd.DataFrame) -> None:
    """Raise DataError naming the first row that breaks a rule: order, duplicates, OHLC sanity."""
    times = bars.index.as_unit("ns").asi8
    o, h, low, c = (bars[col].to_numpy() for col in ("open", "high", "low", "close"))
    rules = [
        (np.diff(times) < 0, 1, "time {t} is earlier than the row before it (rows must be sorted)",
         "unsorted"),
        (np.diff(times) == 0, 1, "duplicate time {t}", "duplicate_time"),
        (np.minimum(np.minimum(o, h), np.minimum(low, c)) <= 0, 0, "prices must be positive",
         "price_not_positive"),
        (np.maximum(np.maximum(o, h), np.maximum(low, c)) > MAX_PRICE, 0,
         "prices above 1e9 are not market prices", "price_too_high"),
        (h < np.maximum(o, c), 0, "high {h} is below open/close", "high_below"),
        (low > np.minimum(o, c), 0, "low {l} is above open/close", "low_above"),
    ]  # fmt: skip
    for mask, shift, text, name in rules:
        found = _first(mask)
        if found is not None:
            row = found + shift
            shown = {"t": f"{bars.index[row]}", "h": f"{h[row]}", "l": f"{low[row]}"}
            message = text.format(**shown)
            raise DataError(
                f"row {row + 1}: {message}",
                [{"row": row + 1, "problem": message}],
                key=f"market.error.{name}",
                values={"row": row + 1, **shown},
            )


def foreign_segments(bars: pd.DataFrame) -> tuple[str, list[Segment]]:
    """The dominant timeframe and the bars that do not belong to it.

    A bar belongs to the dominant interval when one of its neighbours is exactly that
    interval away; runs of at least three other bars whose own spacing is a standard
    timeframe are reported (weekend and holiday gaps are not). A bar closer to the bar
    before it than the dominant interval is always reported: it is off the bar grid (the
    bar after an extra off-grid bar is measured from the bar before that one, so it stays).
    """
    times = bars.index.as_unit("ns").asi8
    if calendar_monthly(times):
        return MONTHLY, []
    interval = dominant_interval(times)
    if len(times) < MIN_SEGMENT_BARS or interval == 0:
        return timeframe_name(interval), []
    gaps = np.diff(times) // 1_000_000_000
    fits = np.zeros(len(times), dtype=bool)
    fits[1:] |= gaps == interval
    fits[:-1] |= gaps == interval
    segments = []
    edges = np.flatnonzero(np.diff(np.concatenate(([0], (~fits).astype(np.int8), [0]))))
    for start, stop in zip(edges[::2], edges[1::2], strict=True):
        if stop - start < MIN_SEGMENT_BARS:
            continue
        other = dominant_interval(times[start:stop])
        if other in TIMEFRAMES.values() and other != interval:
            segments.append(
                Segment(
                    int(start) + 1,
                    int(stop),
                    int(stop - start),
                    timeframe_name(other),
                    bars.index[start],
                    bars.index[stop - 1],
                )
            )
    covered = np.zeros(len(times), dtype=bool)
    for seg in segments:
        covered[seg.first_row - 1 : seg.last_row] = True
    for row in np.flatnonzero(gaps < interval) + 1:
        if covered[row]:
            continue
        kept = row - 1  # measured from the bar before it that stays (an extra bar off the
        while kept > 0 and covered[kept]:  # grid does not take the next bar with it)
            kept -= 1
        if (times[row] - times[kept]) // 1_000_000_000 >= interval:
            continue
        covered[row] = True
        gap = timeframe_name(int(gaps[row - 1]))
        segments.append(
            Segment(int(row) + 1, int(row) + 1, 1, gap, bars.index[row], bars.index[row])
        )
    segments.sort(key=lambda seg: seg.first_row)
    return timeframe_name(interval), segments


@dataclass(frozen=True)
class CheckedBars:
    """Validated bars, their timeframe and the runs of bars left out of them (with
    ``keep_dominant_interval``)."""

    bars: pd.DataFrame
    timeframe: str
    dropped: tuple[Segment, ...] = ()


def check_intervals(bars: pd.DataFrame, keep_dominant_interval: bool = False) -> CheckedBars:
    """Validate ``bars``; mixed intervals raise MixedIntervals describing each foreign
    segment, unless ``keep_dominant_interval`` is set: then those segments are dropped and
    named in ``dropped``."""
    check_bars(bars)
    timeframe, segments = foreign_segments(bars)
    if segments and not keep_dominant_interval:
        parts = "; ".join(
            f"rows {s.first_row}–{s.last_row} ({s.bars} bars, "
            f"{s.start:%Y-%m-%d} → {s.end:%Y-%m-%d}) are {s.timeframe}"
            for s in segments
        )
        kept = len(bars) - sum(s.bars for s in segments)
        raise MixedIntervals(
            f"mixed bar intervals: {parts}; the other {kept} bars are {timeframe}. "
            f"Keep only the {timeframe} bars (CLI --keep-dominant-interval, API "
            "keep_dominant_interval=true) or split the file",
            [s.describe() for s in segments],
            timeframe,
            kept,
        )
    if segments:
        drop = np.zeros(len(bars), dtype=bool)
        for s in segments:
            drop[s.first_row - 1 : s.last_row] = True
        bars = bars[~drop]
    return CheckedBars(bars, timeframe, tuple(segments))


def prepare_bars(
    bars: pd.DataFrame, keep_dominant_interval: bool = False
) -> tuple[pd.DataFrame, str]:
    """Validate ``bars`` and return them with their timeframe.

    Mixed intervals raise MixedIntervals describing each foreign segment, unless
    ``keep_dominant_interval`` is set: then those segments are dropped.
    """
    checked = check_intervals(bars, keep_dominant_interval)
    return checked.bars, checked.timeframe
