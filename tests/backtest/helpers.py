"""Small hand-made bar frames and a strategy that emits given signals (the engine is real)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from tradeloop.strategies.base import Signals, Strategy


def bars(
    rows: list[tuple[float, float, float, float]], start: str = "2024-01-01", freq: str = "1h"
) -> pd.DataFrame:
    """A bar frame from (open, high, low, close) rows."""
    index = pd.date_range(start, periods=len(rows), freq=freq, tz="UTC", name="time").as_unit("ns")
    frame = pd.DataFrame(rows, columns=["open", "high", "low", "close"], index=index, dtype=float)
    frame["volume"] = 1000.0
    return frame


class GivenSignals(Strategy):
    """Emits the signals it is given; lets a test fix exactly when orders are decided."""

    key = "given"
    title = "given"
    description = {"id": "", "en": ""}
    params = ()

    def __init__(
        self,
        entries: list[int],
        exit_long: list[bool] | None = None,
        exit_short: list[bool] | None = None,
    ) -> None:
        super().__init__()
        self.entries = np.array(entries, dtype=np.int8)
        self.exit_long = None if exit_long is None else np.array(exit_long, dtype=bool)
        self.exit_short = None if exit_short is None else np.array(exit_short, dtype=bool)

    def warmup(self) -> int:
        return 1

    def signals(self, frame: pd.DataFrame) -> Signals:
        return Signals(self.entries, self.exit_long, self.exit_short)
