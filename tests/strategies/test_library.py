"""Every strategy fires where it must and not where it must not, never looks ahead, and has
the documented parameters."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.strategies.scenarios import QUIET, constant, mirrored, scenario
from tradeloop.core.errors import InvalidInput
from tradeloop.market.synthetic import random_walk_bars
from tradeloop.strategies.base import all_strategies, get_strategy

TREND_BACK = {"drift": -0.0004}  # a decline, then a rise: fresh crosses
DIP = {"drift": 0.0003, "dip": 0.03, "move": 0.0005}  # an uptrend with one deep lower wick
CALM_DIP = {"drift": 0.0002, "dip": 0.02, "move": 0.0}  # the same, flattening out (ADX ≈ 54)
RANGING = {"adx_threshold": 60.0}  # ADX stays below: the mean-reversion branch
CRYPTO = {**RANGING, "weekend_mode": False, "rsi_overbought": 90.0, "rsi_oversold": 10.0}
# key → (parameters, scenario, bars after the move starts where the first long must appear)
FIRES = {
    "ma_crossover": ({}, TREND_BACK, 10),
    "rsi_crossover": ({}, {"move": 0.001}, 1),
    "bollinger_reversion": ({}, DIP, 10),
    "bollinger_squeeze": ({}, {"coil": 0.1, "coil_bars": 8, "move": 0.0005}, 2),
    "mercy_edge": ({}, {}, 12),
    "pulse_sync": ({}, {}, 12),
    "quantum_velocity": ({}, {"coil": 0.1, "move": 0.001, "drift": 0.0002}, 0),
    "turtle_breakout": ({}, {}, 0),
    "ichimoku_cloud": ({}, {"drift": -0.0001, "move": 0.001}, 2),
    "dynamic_breakout": ({}, {}, 0),
    "hybrid_regime": ({"adx_threshold": 5.0, "trend_filter": 20}, TREND_BACK, 10),
    "crypto_regime": (CRYPTO, CALM_DIP, 10),
    "index_momentum": ({}, {"move": 0.001}, 0),
    "index_breakout": ({}, {}, 0),
}
DEFAULTS = {
    "ma_crossover": {"fast_period": 20, "slow_period": 50},
    "rsi_crossover": {"rsi_period": 14, "rsi_ma_period": 10, "trend_filter_period": 50},
    "bollinger_reversion": {"bb_length": 20, "bb_std": 2.0, "trend_filter_period": 200},
    "bollinger_squeeze": {
        "bb_length": 20,
        "bb_std": 2.0,
        "squeeze_window": 10,
        "squeeze_factor": 0.7,
        "rsi_period": 14,
    },
    "mercy_edge": {
        "macd_fast": 12,
        "macd_slow": 26,
        "macd_signal": 9,
        "stoch_k": 14,
        "stoch_d": 3,
        "stoch_smooth": 3,
    },
    "pulse_sync": {
        "trend_period": 100,
        "macd_fast": 12,
        "macd_slow": 26,
        "macd_signal": 9,
        "stoch_k": 14,
        "stoch_d": 3,
        "stoch_smooth": 3,
    },
    "quantum_velocity": {
        "ema_period": 200,
        "bb_length": 20,
        "bb_std": 2.0,
        "squeeze_window": 10,
        "squeeze_factor": 0.7,
    },
    "turtle_breakout": {"entry_period": 20, "exit_period": 10},
    "ichimoku_cloud": {"tenkan": 9, "kijun": 26, "senkou": 52, "use_cloud_filter": True},
    "dynamic_breakout": {
        "donchian_period": 20,
        "ema_filter_period": 50,
        "atr_period": 14,
        "atr_multiplier": 0.8,
    },
    "hybrid_regime": {
        "adx_period": 14,
        "adx_threshold": 25.0,
        "ma_fast": 20,
        "ma_slow": 50,
        "bb_length": 20,
        "bb_std": 2.0,
        "trend_filter": 200,
    },
    "crypto_regime": {
        "adx_period": 14,
        "adx_threshold": 25.0,
        "ma_fast": 20,
        "ma_slow": 50,
        "bb_length": 20,
        "bb_std": 2.0,
        "trend_filter": 200,
        "rsi_period": 14,
        "rsi_overbought": 75.0,
        "rsi_oversold": 25.0,
        "max_volatility": 0.05,
        "weekend_mode": True,
    },
    "index_momentum": {
        "momentum_period": 14,
        "volume_period": 20,
        "volume_multiplier": 1.3,
        "gap_threshold": 0.5,
    },
    "index_breakout": {
        "breakout_period": 20,
        "volume_surge_multiplier": 1.5,
        "trend_filter_period": 50,
    },
}


def test_library_has_the_documented_strategies_and_defaults() -> None:
    assert {cls.key: cls().values for cls in all_strategies()} == DEFAULTS
    for cls in all_strategies():
        info = cls.describe()
        assert info["description"]["id"] and info["description"]["en"]
        assert all(p["label"]["id"] and p["label"]["en"] for p in info["params"])


@pytest.mark.parametrize("key", sorted(FIRES))
def test_fires_long_on_the_move_and_short_on_its_mirror(key: str) -> None:
    params, shape, first = FIRES[key]
    strategy = get_strategy(key, params)
    rise = scenario(**shape)
    up = strategy.signals(rise).entries[QUIET:]
    down = strategy.signals(mirrored(rise)).entries[QUIET:]
    assert np.flatnonzero(up == 1)[0] == first and not (up == -1).any()
    assert np.flatnonzero(down == -1)[0] == first and not (down == 1).any()


@pytest.mark.parametrize("key", sorted(FIRES))
def test_never_fires_on_a_market_that_does_not_move(key: str) -> None:
    signals = get_strategy(key).signals(constant())
    assert not signals.entries.any()
    assert signals.exit_long is None or not signals.exit_long.any()


def test_hybrid_regime_uses_bollinger_touches_when_there_is_no_trend() -> None:
    ranging = get_strategy("hybrid_regime", RANGING).signals(scenario(**CALM_DIP)).entries
    trending = get_strategy("hybrid_regime").signals(scenario(**CALM_DIP)).entries  # ADX 54 > 25
    assert ranging[QUIET + 10] == 1 and trending[QUIET + 10] == 0


def test_crypto_rsi_gate_blocks_overbought_entries() -> None:
    gated = get_strategy("crypto_regime", {**CRYPTO, "rsi_overbought": 75.0})  # RSI is 81.8 there
    assert gated.signals(scenario(**CALM_DIP)).entries[QUIET + 10] == 0


def test_crypto_volatility_filter_really_fires() -> None:
    normal = get_strategy("crypto_regime", CRYPTO).signals(scenario(**CALM_DIP)).entries
    strict = (
        get_strategy("crypto_regime", {**CRYPTO, "max_volatility": 0.001})
        .signals(scenario(**CALM_DIP))
        .entries
    )
    assert normal[QUIET + 10] == 1 and strict[QUIET + 10] == 0  # 24-bar std/mean there is 0.0037
    assert 0 < np.count_nonzero(strict) < np.count_nonzero(normal)
    wild = scenario(**CALM_DIP, noise=0.04)  # 24-bar std/mean ≈ 0.074, above 0.05
    filtered = (
        get_strategy("crypto_regime", {**CRYPTO, "max_volatility": 0.05}).signals(wild).entries
    )
    unfiltered = (
        get_strategy("crypto_regime", {**CRYPTO, "max_volatility": 1.0}).signals(wild).entries
    )
    assert np.count_nonzero(filtered) < np.count_nonzero(unfiltered) / 2


def test_crypto_weekend_mode_drops_weak_weekend_signals() -> None:
    frame = scenario(**CALM_DIP)
    saturday = frame.set_axis(
        frame.index + (pd.Timestamp("2024-01-20 02:00", tz="UTC") - frame.index[QUIET + 10])
    )
    assert saturday.index[QUIET + 10].day_name() == "Saturday"
    weekend = get_strategy("crypto_regime", {**CRYPTO, "weekend_mode": True})
    assert weekend.signals(saturday).entries[QUIET + 10] == 0
    assert get_strategy("crypto_regime", CRYPTO).signals(saturday).entries[QUIET + 10] == 1


def test_index_momentum_follows_gaps() -> None:
    gapped = scenario(move=0.0, gap=0.01, volume_boost=1.0)
    signals = get_strategy("index_momentum").signals(gapped).entries
    assert (
        signals[QUIET] == 1
        and get_strategy("index_momentum", {"gap_threshold": 2.0}).signals(gapped).entries[QUIET]
        == 0
    )


def test_turtle_exits_on_the_opposite_channel() -> None:
    frame = scenario(move=0.003)
    fall = mirrored(scenario(move=0.003)).iloc[QUIET:]
    joined = pd.concat(
        [
            frame,
            fall.set_axis(frame.index[-1] + pd.Timedelta(hours=1) * np.arange(1, len(fall) + 1)),
        ]
    )
    signals = get_strategy("turtle_breakout").signals(joined)
    assert not signals.exit_long[
        QUIET : len(frame)
    ].any()  # a steady rise never breaks its 10-bar low
    assert signals.exit_long[len(frame) : len(frame) + 5].any()  # the fall does, within a few bars
    assert not signals.exit_short[len(frame) :].any()


def test_ichimoku_cloud_filter_only_removes_signals() -> None:
    bars = random_walk_bars(3000, seed=5)
    filtered = get_strategy("ichimoku_cloud").signals(bars).entries
    unfiltered = get_strategy("ichimoku_cloud", {"use_cloud_filter": False}).signals(bars).entries
    assert (filtered != 0).sum() < (unfiltered != 0).sum()
    assert ((filtered == 0) | (filtered == unfiltered)).all()
    assert (unfiltered[-300:] != 0).any()  # recent bars are usable: no span pushed into the future


@pytest.mark.parametrize(
    ("key", "params", "message"),
    [
        (
            "ma_crossover",
            {"fast_period": 60},
            "fast_period (60) must be smaller than slow_period (50)",
        ),
        (
            "ma_crossover",
            {"fast_period": 1},
            "fast_period: Input should be greater than or equal to 2",
        ),
        (
            "bollinger_squeeze",
            {"squeeze_factor": 1.5},
            "squeeze_factor: Input should be less than or equal to 1",
        ),
        (
            "ichimoku_cloud",
            {"use_cloud_filter": "maybe"},
            "use_cloud_filter: Input should be a valid boolean",
        ),
        (
            "turtle_breakout",
            {"entry_period": 20.5},
            "entry_period: Input should be a valid integer",
        ),
        ("rsi_crossover", {"period": 3}, "period: Extra inputs are not permitted"),
        ("no_such_strategy", {}, "unknown strategy 'no_such_strategy'"),
    ],
)
def test_bad_parameters_name_the_parameter(key: str, params: dict, message: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        get_strategy(key, params)
    assert message in raised.value.message


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), cut=st.integers(260, 899))
@pytest.mark.parametrize("key", sorted(DEFAULTS))
def test_signals_never_look_ahead(key: str, seed: int, cut: int) -> None:
    bars = random_walk_bars(900, seed=seed, gap_chance=0.05)
    strategy = get_strategy(key)
    full, part = strategy.signals(bars), strategy.signals(bars.iloc[:cut])
    assert np.array_equal(full.entries[:cut], part.entries)
    for name in ("exit_long", "exit_short"):
        whole, truncated = getattr(full, name), getattr(part, name)
        assert (whole is None and truncated is None) or np.array_equal(whole[:cut], truncated)
