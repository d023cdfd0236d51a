"""What a dataset is made of: its bar interval, the gaps beyond the market's usual closures,
and the bars dropped when it was read. Computed once, where the bars are read, and stored
with the dataset (``datasets.report``).

**Usual closures** are learnt from the bars themselves, on a week's grid of the bar
interval (168 slots for H1, 7 for D1): a slot that holds a bar in fewer than three weeks in
four is a closure (weekends for FX, the daily break of index and metal CFDs, the night of a
stock market). This holds whatever zone the file's times were given in and follows
daylight-saving shifts (a slot shifted half the year counts as closed). A series shorter
than ``LEARN_WEEKS`` weeks is judged by a fixed rule instead: from Friday 17:00 to Monday
07:00 UTC is a weekend closure unless the series trades at weekends (crypto). A gap is
*expected* when every bar missing from it falls in a closure; any other gap is reported.
Weekly and monthly bars have no closures: each missing bar is a gap.

Times in the report are ISO 8601 in UTC; interfaces show them in the reader's zone.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from tradeloop.market.timeframes import MONTHLY, TIMEFRAMES
from tradeloop.market.validation import Segment

REPORT_VERSION = 1
LARGEST_GAPS = 10
WEEK = 604_800
DAY = 86_400
MONDAY = 4 * DAY  # 1970-01-05, the first Monday after the epoch (a Thursday)
LEARN_WEEKS = 8  # a shorter series is judged by the fixed weekend rule
OPEN_SHARE = 0.75  # a slot holding a bar in fewer weeks than this share of the busiest is closed
WEEKEND_FROM = 4 * DAY + 17 * 3600  # Friday 17:00 UTC, in seconds from Monday 00:00
WEEKEND_TO = 7 * DAY + 7 * 3600  # Monday 07:00 UTC of the next week
TRADES_WEEKENDS = 0.01  # share of bars between Saturday 12:00 and Sunday 12:00 UTC


def _iso(seconds: int) -> str:
    return pd.Timestamp(int(seconds), unit="s", tz="UTC").isoformat()


def _clock(slot: int, interval: int) -> str:
    seconds = slot * interval % DAY
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"


def _week_slots(seconds: np.ndarray, interval: int) -> np.ndarray:
    """Each time's slot on the week's grid (0 = the slot starting Monday 00:00 UTC)."""
    return ((seconds - MONDAY) % WEEK) // interval


def _trades_weekends(seconds: np.ndarray) -> bool:
    into_week = (seconds - MONDAY) % WEEK
    weekend = (into_week >= 5 * DAY + 12 * 3600) & (into_week < 6 * DAY + 12 * 3600)
    return bool(weekend.mean() >= TRADES_WEEKENDS) if len(seconds) else False


def closed_slots(seconds: np.ndarray, interval: int) -> np.ndarray | None:
    """Which slots of the week's grid are usual closures (``None``: the interval does not
    divide a week, or is a week or longer: no closures)."""
    if interval <= 0 or interval >= WEEK or WEEK % interval:
        return None
    slots = WEEK // interval
    weeks = (seconds[-1] - seconds[0]) / WEEK if len(seconds) else 0
    if weeks >= LEARN_WEEKS:
        counts = np.bincount(_week_slots(seconds, interval), minlength=slots)
        return counts < OPEN_SHARE * counts.max()
    if _trades_weekends(seconds):
        return np.zeros(slots, dtype=bool)
    starts = np.arange(slots) * interval
    return (starts >= WEEKEND_FROM) | (starts + interval <= WEEKEND_TO - WEEK)


def describe_closures(closed: np.ndarray | None, interval: int) -> dict[str, Any]:
    """The closures as people read them: whether weekends are closed, and the daily
    closed hours (UTC) on a Wednesday, as ``[from, to]`` clock times."""
    if closed is None or not closed.any():
        return {"weekends": False, "daily": []}
    per_day = DAY // interval if DAY % interval == 0 else 0
    saturday = closed[5 * per_day : 6 * per_day] if per_day else closed[:0]
    daily: list[list[str]] = []
    if per_day:
        wednesday = closed[2 * per_day : 3 * per_day]
        edges = np.flatnonzero(np.diff(np.concatenate(([0], wednesday.astype(np.int8), [0]))))
        for start, stop in zip(edges[::2], edges[1::2], strict=True):
            daily.append([_clock(int(start), interval), _clock(int(stop), interval)])
    return {"weekends": bool(per_day and saturday.all()), "daily": daily}


def _month_gaps(times: pd.DatetimeIndex) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Missing calendar months: where each gap starts, how many bars it misses, where it ends."""
    months = np.asarray(times.year * 12 + times.month)
    steps = np.diff(months)
    rows = np.flatnonzero(steps > 1)
    starts = np.array([(times[r] + pd.DateOffset(months=1)).value // 10**9 for r in rows])
    ends = np.asarray(times[rows + 1].as_unit("ns").asi8 // 10**9)
    return starts.astype(np.int64), (steps[rows] - 1).astype(np.int64), ends


def find_gaps(
    times: pd.DatetimeIndex, timeframe: str
) -> tuple[list[dict[str, Any]], int, dict[str, Any]]:
    """The gaps beyond usual closures, largest first; how many gaps were closures; and the
    closures as ``describe_closures`` gives them."""
    seconds = np.asarray(times.as_unit("ns").asi8 // 10**9, dtype=np.int64)
    if len(seconds) < 2:
        return [], 0, {"weekends": False, "daily": []}
    if timeframe == MONTHLY:
        starts, missing, ends = _month_gaps(times)
        gaps = [
            {"start": _iso(s), "end": _iso(e), "seconds": int(e - s), "missing_bars": int(m)}
            for s, e, m in zip(starts, ends, missing, strict=True)
        ]
        gaps.sort(key=lambda gap: -gap["seconds"])
        return gaps, 0, {"weekends": False, "daily": []}
    interval = TIMEFRAMES.get(timeframe) or int(np.median(np.diff(seconds)))
    diffs = np.diff(seconds)
    rows = np.flatnonzero(diffs > interval)
    missing = -(-diffs[rows] // interval) - 1  # bars that would fit between the two
    starts = seconds[rows] + interval
    ends = seconds[rows + 1]
    closed = closed_slots(seconds, interval)
    expected = np.zeros(len(rows), dtype=bool)
    if closed is not None:
        slots = len(closed)
        open_before = np.concatenate(([0], np.cumsum(~np.concatenate((closed, closed)))))
        first = _week_slots(starts, interval)
        short = missing <= slots
        last = first[short] + missing[short]
        expected[short] = (open_before[last] - open_before[first[short]]) == 0
    gaps = [
        {"start": _iso(s), "end": _iso(e), "seconds": int(e - s), "missing_bars": int(m)}
        for s, e, m in zip(starts[~expected], ends[~expected], missing[~expected], strict=True)
    ]
    gaps.sort(key=lambda gap: (-gap["seconds"], gap["start"]))
    return gaps, int(expected.sum()), describe_closures(closed, interval)


def dropped_parts(dropped: Iterable[Segment]) -> list[dict[str, Any]]:
    """The bars left out when the file was read, one entry per run, with the reason."""
    return [
        {
            "reason": segment.reason,
            "timeframe": segment.timeframe,
            "bars": segment.bars,
            "rows": [segment.first_row, segment.last_row],
            "start": segment.start.isoformat(),
            "end": segment.end.isoformat(),
        }
        for segment in dropped
    ]


def bars_report(
    bars: pd.DataFrame,
    timeframe: str,
    dropped: Iterable[Segment] | None = (),
    rows_read: int | None = None,
) -> dict[str, Any]:
    """The report of ``bars`` (already validated, at ``timeframe``): interval, closures, gaps
    (count, missing bars, the ``LARGEST_GAPS`` largest) and the dropped bars (``None``: not
    known, for data stored before reports were kept)."""
    gaps, expected, closures = find_gaps(bars.index, timeframe)
    parts = None if dropped is None else dropped_parts(dropped)
    return {
        "version": REPORT_VERSION,
        "timeframe": timeframe,
        "interval_seconds": TIMEFRAMES.get(timeframe),
        "bars": len(bars),
        "rows_read": rows_read,
        "closures": closures,
        "gaps": len(gaps),
        "expected_gaps": expected,
        "missing_bars": sum(gap["missing_bars"] for gap in gaps),
        "largest_gaps": gaps[:LARGEST_GAPS],
        "dropped": parts,
        "dropped_bars": None if parts is None else sum(part["bars"] for part in parts),
    }
