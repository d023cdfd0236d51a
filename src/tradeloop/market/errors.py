"""Problems with market data files, reported with row numbers."""

from __future__ import annotations

from typing import Any

from tradeloop.core.errors import InvalidInput


class DataError(InvalidInput):
    """A file cannot be read as bars, or its bars are not valid."""


class MixedIntervals(DataError):
    """The file mixes bar intervals (e.g. daily bars before hourly ones)."""

    def __init__(self, message: str, segments: list[dict[str, Any]]) -> None:
        super().__init__(message, segments)
        self.segments = segments
