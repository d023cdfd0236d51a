"""Walk-forward window boundaries, exactly."""

from __future__ import annotations

import pytest

from tradeloop.backtest.walk_forward import Window, windows
from tradeloop.core.errors import InvalidInput


def test_rolling_windows_slide_by_the_out_of_sample_length() -> None:
    assert windows(100, 40, 20) == [
        Window(0, 40, 40, 60), Window(20, 60, 60, 80), Window(40, 80, 80, 100),
    ]  # fmt: skip


def test_anchored_windows_always_start_at_the_first_bar() -> None:
    assert windows(100, 40, 20, "anchored") == [
        Window(0, 40, 40, 60), Window(0, 60, 60, 80), Window(0, 80, 80, 100),
    ]  # fmt: skip


def test_the_last_window_is_cut_at_the_end() -> None:
    assert windows(95, 40, 20) == [
        Window(0, 40, 40, 60), Window(20, 60, 60, 80), Window(40, 80, 80, 95),
    ]  # fmt: skip
    assert windows(41, 40, 20) == [Window(0, 40, 40, 41)]


def test_a_series_too_short_is_refused_by_name() -> None:
    with pytest.raises(InvalidInput) as raised:
        windows(40, 40, 20)
    assert raised.value.message == (
        "walk-forward needs more than 40 bars for its first window: the series has 40"
    )
    with pytest.raises(InvalidInput, match="at least 1 bar"):
        windows(100, 40, 0)
