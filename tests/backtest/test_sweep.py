"""The sweep engine: every combination equals its standalone backtest (a property over random
grids of every strategy), indicators are computed once per distinct value, and ma_crossover
sweeps match backtesting.py's ``optimize``."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import talib
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tradeloop.backtest.engine import run_backtest
from tradeloop.backtest.stats import finite
from tradeloop.backtest.sweep import (
    Combination,
    Span,
    SweepJob,
    backtest_span,
    evaluate,
    settings_of,
)
from tradeloop.core.errors import InvalidInput
from tradeloop.market.errors import DataError
from tradeloop.market.instruments import resolve_instrument
from tradeloop.market.synthetic import random_walk_bars
from tradeloop.strategies.base import all_strategies, get_strategy

BARS = random_walk_bars(1500, seed=3)
EURUSD = resolve_instrument("EURUSD")
JOB = SweepJob(BARS, "ma_crossover", EURUSD)
EXECUTION = st.sampled_from(
    [
        {},
        {"sl_atr": 2.0, "tp_atr": 3.0},
        {"sl_pips": 20.0, "tp_pips": 35.5, "risk_percent": 1.0},
        {"sl_atr": 1.5, "atr_period": 7, "units": 1000.0, "spread_pips": 0.0},
        {"tp_pips": 15.0, "lots": 0.2, "commission": 3.5, "slippage_pips": 0.5},
        {"sl_pips": 10.0, "fill": "close", "on_opposite": "reverse"},
        {"risk_percent": 2.0},  # needs a stop: skipped with the settings' own reason
    ]
)


def standalone(job: SweepJob, combo: Combination, start: int = 0, stop: int | None = None):
    """What ``tradeloop backtest`` gives for the combination: statistics or the error."""
    try:
        strategy = get_strategy(job.strategy, combo.params)
        run = run_backtest(job.bars.iloc[start:stop], strategy, EURUSD, settings_of(combo.settings))
    except (InvalidInput, DataError) as exc:
        return None, exc.message
    return finite(run.stats), None


@st.composite
def grids(draw: st.DrawFn) -> tuple[str, list[Combination]]:
    """A strategy, a few values of up to two of its numeric parameters, and settings."""
    cls = draw(st.sampled_from([s for s in all_strategies() if s.params]))
    numeric = [p for p in cls.params if p.kind in (int, float)]
    swept = draw(
        st.lists(st.sampled_from(numeric), min_size=1, max_size=2, unique_by=lambda p: p.name)
    )
    values = {}
    for p in swept:
        lo, hi = p.minimum or 1, min(p.maximum or 60, 60)
        element = (
            st.integers(int(lo), int(hi))
            if p.kind is int
            else st.floats(lo, hi).map(lambda x: round(x, 2))
        )
        values[p.name] = draw(st.lists(element, min_size=1, max_size=3, unique=True))
    combos = []
    for execution in draw(st.lists(EXECUTION, min_size=1, max_size=2)):
        for pick in _product(values):
            combos.append(Combination(len(combos), pick, execution))
    return cls.key, combos


def _product(values: dict[str, list]) -> list[dict]:
    import itertools

    names = list(values)
    return [dict(zip(names, v, strict=True)) for v in itertools.product(*values.values())]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(grids())
def test_every_combination_equals_its_standalone_backtest(grid) -> None:
    key, combos = grid
    job = SweepJob(BARS, key, EURUSD)
    for combo, outcome in zip(combos, evaluate(job, Span(0, len(BARS)), combos), strict=True):
        stats, reason = standalone(job, combo)
        assert outcome.index == combo.index
        assert (outcome.stats, outcome.skipped) == (stats, reason), combo


def test_a_span_equals_a_backtest_of_those_bars_and_history_only_warms_up() -> None:
    combo = Combination(0, {"fast_period": 10, "slow_period": 30}, {"sl_atr": 2.0})
    [outcome] = evaluate(JOB, Span(400, 1100), [combo])
    assert outcome.stats == standalone(JOB, combo, 400, 1100)[0]
    warmed = backtest_span(JOB, Span(1100, 1500, history=400), combo)
    assert warmed.equity.index[0] == BARS.index[1100] and len(warmed.equity) == 400
    assert warmed.trades["entry_index"].min() >= 0  # positions in the traded span
    # the same signals as one backtest over 400..1500, read from bar 1100 on
    full = run_backtest(BARS.iloc[400:1500], get_strategy("ma_crossover", combo.params), EURUSD,
                        settings_of(combo.settings))  # fmt: skip
    first_full = full.trades[full.trades["entry_time"] >= BARS.index[1101]].iloc[0]
    first_warm = warmed.trades.iloc[0]
    assert first_warm["entry_time"] == first_full["entry_time"]
    assert first_warm["entry_price"] == first_full["entry_price"]


def test_constraint_skips_keep_their_reason_and_order() -> None:
    combos = [
        Combination(0, {"fast_period": 10, "slow_period": 30}, {}),
        Combination(1, {"fast_period": 30, "slow_period": 10}, {}, skipped="breaks fast_period < slow_period"),
        Combination(2, {"fast_period": 30, "slow_period": 30}, {}),
    ]  # fmt: skip
    outcomes = evaluate(JOB, Span(0, 1500), combos)
    assert [o.index for o in outcomes] == [0, 1, 2]
    assert outcomes[1].skipped == "breaks fast_period < slow_period" and outcomes[1].stats is None
    assert outcomes[2].skipped == "fast_period (30) must be smaller than slow_period (30)"
    assert outcomes[0].stats["trades"] > 0 and len(outcomes[0].daily) == 62  # 1500 h / 24, -1


def test_each_indicator_of_a_distinct_value_is_computed_once(monkeypatch) -> None:
    calls: list[int] = []
    plain = talib.SMA

    def counted(values, timeperiod):
        calls.append(timeperiod)
        return plain(values, timeperiod=timeperiod)

    monkeypatch.setattr(talib, "SMA", counted)
    combos = [
        Combination(i, {"fast_period": f, "slow_period": s}, {"sl_atr": a})
        for i, (f, s, a) in enumerate(
            (f, s, a) for f in (5, 10, 15) for s in (30, 40) for a in (1.0, 2.0)
        )
    ]
    evaluate(JOB, Span(0, 1500), combos)
    assert sorted(calls) == [5, 10, 15, 30, 40]  # 12 combinations, 5 distinct periods


def test_shared_indicators_are_read_only_and_plain_calls_are_not_shared() -> None:
    from tradeloop.strategies.indicators import sharing, ta

    close = np.linspace(1, 2, 50)
    with sharing(close):
        a = ta.SMA(close, timeperiod=5)
        assert ta.SMA(close, timeperiod=5) is a
        with pytest.raises(ValueError):
            a[10] = 0.0
        assert ta.SMA(close * 2, timeperiod=5) is not ta.SMA(close * 2, timeperiod=5)
    assert ta.SMA(close, timeperiod=5) is not ta.SMA(close, timeperiod=5)


def test_ma_crossover_sweep_equals_backtesting_py_optimize() -> None:
    """backtesting.py's grid search over the same strategy (SMA cross, ATR stop and target,
    one unit, no costs): its final equity − cash is our net profit per combination. The peer
    is told our one rule it lacks: no entry on the last bar's signal."""
    from backtesting import Backtest

    from tests.backtest.peer import SmaCrossAtrNoLastEntry

    frame = BARS.rename(columns=str.capitalize)
    frame.index = frame.index.tz_localize(None)
    fast, slow, stops = [5, 10, 20], [30, 50], [1.5, 2.5]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        test = Backtest(frame, SmaCrossAtrNoLastEntry, cash=1_000_000, commission=0, spread=0,
                        finalize_trades=True)  # fmt: skip
        _, heatmap = test.optimize(
            fast=fast, slow=slow, sl_atr=stops, tp_atr=[4.0], maximize="Equity Final [$]",
            return_heatmap=True, method="grid",
        )  # fmt: skip
    combos = [
        Combination(i, {"fast_period": f, "slow_period": s},
                    {"sl_atr": a, "tp_atr": 4.0, "units": 1.0, "spread_pips": 0.0,
                     "initial_cash": 1_000_000.0})
        for i, (f, s, a) in enumerate((f, s, a) for f in fast for s in slow for a in stops)
    ]  # fmt: skip
    outcomes = evaluate(JOB, Span(0, len(BARS)), combos)
    assert len(heatmap) == len(combos) == 12
    for combo, outcome in zip(combos, outcomes, strict=True):
        p, s = combo.params, combo.settings
        theirs = heatmap.loc[(p["fast_period"], p["slow_period"], s["sl_atr"], 4.0)] - 1_000_000
        assert outcome.stats["net_profit"] == pytest.approx(theirs, abs=1e-6)
