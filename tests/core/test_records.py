"""JSON-ready rows built from columns match what per-value conversion gives."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from tradeloop.core.records import iso_times, records

moments = st.datetimes(
    min_value=datetime(1971, 1, 1), max_value=datetime(2099, 1, 1), timezones=st.just(UTC)
)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.one_of(st.none(), moments), min_size=1, max_size=30))
def test_iso_times_write_what_isoformat_writes(times: list[datetime | None]) -> None:
    column = pd.Series(pd.to_datetime(times, utc=True))
    expected = [None if t is None else pd.Timestamp(t).isoformat() for t in times]
    assert iso_times(column).tolist() == expected


def test_records_turn_nan_into_none_and_keep_types() -> None:
    rows = records(
        {
            "price": np.array([1.5, np.nan]),
            "lots": np.array([1, 2]),
            "ok": np.array([True, False]),
            "mistakes": [["no_stop_loss"], []],
        }
    )
    assert rows == [
        {"price": 1.5, "lots": 1, "ok": True, "mistakes": ["no_stop_loss"]},
        {"price": None, "lots": 2, "ok": False, "mistakes": []},
    ]
    assert type(rows[0]["lots"]) is int and type(rows[0]["price"]) is float
