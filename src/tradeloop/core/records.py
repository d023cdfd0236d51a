"""JSON-ready rows built from columns: one conversion per column instead of one per value."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd


def iso_times(times: pd.Series) -> np.ndarray:
    """UTC times as ISO 8601 text (``2024-01-02T09:00:00+00:00``, with microseconds when they
    are not zero), as ``Timestamp.isoformat`` writes them; None for missing times."""
    if times.dt.tz is not None:
        times = times.dt.tz_convert("UTC").dt.tz_localize(None)
    micro = times.to_numpy(dtype="datetime64[us]")
    whole = micro.astype("datetime64[s]")
    text = np.datetime_as_string(whole, unit="s").astype(object)
    fraction = micro != whole
    if fraction.any():
        text[fraction] = np.datetime_as_string(micro[fraction], unit="us").astype(object)
    return np.where(np.isnat(micro), None, text + "+00:00")


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
