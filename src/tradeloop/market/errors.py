"""Problems with market data files, reported with row numbers."""

from __future__ import annotations

from typing import Any

from tradeloop.core.errors import InvalidInput


class DataError(InvalidInput):
    """A file cannot be read as bars, or its bars are not valid."""


class MixedIntervals(DataError):
    """The file mixes bar intervals (e.g. daily bars before hourly ones). ``segments``
    describe the foreign runs of bars, ``timeframe`` is the dominant interval and ``kept``
    the number of bars at it: an interface words its own message from them (naming its
    own way to keep the dominant interval)."""

    def __init__(
        self, message: str, segments: list[dict[str, Any]], timeframe: str = "",
        kept: int = 0,
    ) -> None:  # fmt: skip
        super().__init__(message, segments)
        self.segments = segments
        self.timeframe = timeframe
        self.kept = kept
