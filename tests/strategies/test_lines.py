"""The indicator lines a strategy exposes for charts are the series its signals come from."""

from __future__ import annotations

import numpy as np
import pytest

from tradeloop.i18n import catalogue
from tradeloop.market.synthetic import random_walk_bars
from tradeloop.strategies.base import all_strategies, get_strategy
from tradeloop.strategies.indicators import cross_above, cross_below, to_signals

BARS = random_walk_bars(600, seed=3)


@pytest.mark.parametrize("key", [cls.key for cls in all_strategies()])
def test_every_line_covers_every_bar_and_has_a_label(key: str) -> None:
    lines = get_strategy(key).indicators(BARS)
    for name, values in lines.items():
        assert len(values) == len(BARS)
        assert np.isfinite(values[-1]), name  # warmed up by the last bar
        for language in ("id", "en"):
            assert f"strategy.line.{name}" in catalogue(language)
    assert f"strategy.{key}" in catalogue("id") and f"strategy.{key}" in catalogue("en")


def test_only_index_momentum_draws_nothing_over_the_price() -> None:
    empty = [c.key for c in all_strategies() if not get_strategy(c.key).indicators(BARS)]
    assert empty == ["index_momentum"]


def test_ma_crossover_lines_are_its_moving_averages_and_its_signals_cross_them() -> None:
    strategy = get_strategy("ma_crossover", {"fast_period": 5, "slow_period": 12})
    lines = strategy.indicators(BARS)
    close = BARS["close"].to_numpy()
    assert lines["sma_fast"][100] == pytest.approx(close[96:101].mean(), rel=1e-12)
    assert lines["sma_slow"][100] == pytest.approx(close[89:101].mean(), rel=1e-12)
    assert np.isnan(lines["sma_slow"][10]) and not np.isnan(lines["sma_slow"][11])
    fast, slow = lines["sma_fast"], lines["sma_slow"]
    expected = to_signals(cross_above(fast, slow), cross_below(fast, slow))
    assert (strategy.signals(BARS).entries == expected).all()
    assert (expected != 0).sum() > 10


def test_turtle_channels_are_the_previous_bars_extremes() -> None:
    strategy = get_strategy("turtle_breakout", {"entry_period": 20, "exit_period": 10})
    lines = strategy.indicators(BARS)
    high, low = BARS["high"].to_numpy(), BARS["low"].to_numpy()
    assert lines["channel_high"][300] == high[280:300].max()
    assert lines["exit_low"][300] == low[290:300].min()
