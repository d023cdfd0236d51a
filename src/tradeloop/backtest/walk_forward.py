"""Walk-forward windows: optimise on ``in_bars``, test the choice on the ``out_bars`` after,
step forward by ``out_bars``; rolling (the in-sample window slides) or anchored (it always
starts at the first bar). Bars are positions in the series, ends exclusive."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from tradeloop.core.errors import InvalidInput


@dataclass(frozen=True)
class Window:
    """One step: bars ``[in_start, in_end)`` in sample, ``[out_start, out_end)`` out."""

    in_start: int
    in_end: int
    out_start: int
    out_end: int


def windows(
    bars: int, in_bars: int, out_bars: int, kind: Literal["rolling", "anchored"] = "rolling"
) -> list[Window]:
    """The windows over ``bars`` bars: each out-of-sample window follows its in-sample one
    and the next starts where it ended; the last is cut at the series' end (and left out
    when nothing is left to test)."""
    if in_bars < 1 or out_bars < 1:
        raise InvalidInput(
            "walk-forward windows need at least 1 bar in and out of sample",
            [{"field": "walk_forward"}], "optimise.error.walk_forward_bars",
        )  # fmt: skip
    if in_bars + 1 > bars:
        raise InvalidInput(
            f"walk-forward needs more than {in_bars} bars for its first window: the series "
            f"has {bars}", [{"field": "walk_forward"}], "optimise.error.walk_forward_short",
            {"in_bars": in_bars, "bars": bars},
        )  # fmt: skip
    found, out_start = [], in_bars
    while out_start < bars:
        in_start = 0 if kind == "anchored" else out_start - in_bars
        found.append(Window(in_start, out_start, out_start, min(out_start + out_bars, bars)))
        out_start += out_bars
    return found
