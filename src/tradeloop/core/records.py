"""JSON-ready rows built from columns: one conversion per column instead of one per value."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd


def iso_times(times: pd.Series) -> np.ndarray:
    """UTC times as ISO 8601 text (``2024-01-02T09:00:00+00:00``, with microseconds when they
    are not zero), as ``Timestamp.isoformat`` writes them."""
    base = times.dt.strftime("%Y-%m-%dT%H:%M:%S").to_numpy(dtype=object)
    micro = times.dt.microsecond.to_numpy()
    fraction = np.char.mod(".%06d", micro).astype(object)
    return np.where(micro == 0, base, base + fraction) + "+00:00"


def column_values(column: pd.Series | np.ndarray) -> list[Any]:
    """A column as Python values, NaN as None."""
    array = np.asarray(column)
    if array.dtype.kind == "f":
        return np.where(np.isnan(array), None, array.astype(object)).tolist()
    return array.tolist()


def records(columns: dict[str, Any]) -> list[dict[str, Any]]:
    """Rows as dicts from equally long columns (arrays, Series or lists)."""
    values = [v if isinstance(v, list) else column_values(v) for v in columns.values()]
    keys = list(columns)
    return [dict(zip(keys, row, strict=True)) for row in zip(*values, strict=True)]
