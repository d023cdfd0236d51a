"""The bars a bot has seen and what it decided on each, as the growing arrays the execution
step reads (index ``i`` is the ``i``-th bar since the bot started)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

COLUMNS = (
    "open", "high", "low", "close", "volume", "entries", "exit_long", "exit_short", "stop_dist",
    "target_dist", "rates",
)  # fmt: skip
DTYPES = {"entries": np.int8, "exit_long": np.bool_, "exit_short": np.bool_}


@dataclass
class Tape:
    """Growing bar and decision arrays (doubling capacity) and the bars' times."""

    size: int = 0
    arrays: dict[str, np.ndarray] = field(default_factory=dict)
    times: list[pd.Timestamp] = field(default_factory=list)
    stamps: np.ndarray = field(default_factory=lambda: np.zeros(64, dtype=np.int64))  # ns, UTC

    def __post_init__(self) -> None:
        self.arrays = {name: np.zeros(64, dtype=DTYPES.get(name, np.float64)) for name in COLUMNS}

    def add_bar(
        self, time: pd.Timestamp, o: float, h: float, low: float, c: float, v: float = 0.0
    ) -> int:
        """Append a bar (its decision still zero); returns its index."""
        if self.size == len(self.stamps):
            for name, array in self.arrays.items():
                self.arrays[name] = np.concatenate((array, np.zeros_like(array)))
            self.stamps = np.concatenate((self.stamps, np.zeros_like(self.stamps)))
        i = self.size
        prices = ("open", "high", "low", "close", "volume")
        for name, value in zip(prices, (o, h, low, c, v), strict=True):
            self.arrays[name][i] = value
        self.times.append(time)
        self.stamps[i] = time.value
        self.size += 1
        return i

    def decide(self, i: int, **values: float) -> None:
        """Set bar ``i``'s signal, exit flags, stop and target distances and rate."""
        for name, value in values.items():
            self.arrays[name][i] = value

    def index(self) -> pd.DatetimeIndex:
        """The bars' times so far (UTC)."""
        return pd.DatetimeIndex(
            self.stamps[: self.size].view("datetime64[ns]"), name="time"
        ).tz_localize("UTC")

    def seen(self, name: str) -> np.ndarray:
        """The values of ``name`` for the bars so far (a view)."""
        return self.arrays[name][: self.size]
