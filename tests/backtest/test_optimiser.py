"""Searching a sweep: grid, random and Bayesian choices, filters and the winner, resuming and
cancelling, walk-forward over a known regime change, and the odds that the winner is luck."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from tradeloop.backtest.constraints import parse_constraint
from tradeloop.backtest.optimiser import (
    Cancelled,
    Sweep,
    SweepPlan,
    WalkForward,
    overfitting,
    result,
    search,
    walk_forward,
)
from tradeloop.backtest.overfitting import backtest_overfitting, deflated_sharpe
from tradeloop.backtest.sweep import Span, SweepJob, evaluate
from tradeloop.backtest.sweep_space import SweepSpace
from tradeloop.core.errors import InvalidInput
from tradeloop.market.instruments import resolve_instrument
from tradeloop.market.synthetic import random_walk_bars
from tradeloop.services.sweep_executors import InlineExecutor

EURUSD = resolve_instrument("EURUSD")
BARS = random_walk_bars(2000, seed=5)
JOB = SweepJob(BARS, "ma_crossover", EURUSD)
SPACE = SweepSpace({"fast_period": [5, 10, 20, 40], "slow_period": [20, 30, 60]})
ALL = Span(0, len(BARS))


class Recording(InlineExecutor):
    """The in-process executor, keeping which combinations it ran (and able to stop)."""

    def __init__(self, job: SweepJob, stop_after: int | None = None) -> None:
        self.ran: list[int] = []
        super().__init__(job, stop=lambda: stop_after is not None and len(self.ran) >= stop_after)

    def run(self, span, combos, done) -> None:
        def keep(outcomes):
            self.ran.extend(o.index for o in outcomes)
            done(outcomes)

        super().run(span, combos, keep)


def swept(plan: SweepPlan, executor=None, resumed=None) -> Sweep:
    sweep = Sweep(plan)
    search(sweep, executor or InlineExecutor(JOB), ALL, lambda d, t: None, resumed)
    return sweep


def test_grid_runs_every_combination_with_constraints_and_picks_the_best_that_may_win() -> None:
    rule = parse_constraint("fast_period < slow_period", ["fast_period", "slow_period"])
    plan = SweepPlan(space=SPACE, settings={"sl_atr": 2.0}, constraints=(rule,), min_trades=5)
    sweep = swept(plan)
    doc = result(sweep, complete=True)
    assert len(doc["combinations"]) == 12
    skipped = [(r["params"], r["skipped"]) for r in doc["combinations"] if r["skipped"]]
    assert skipped == [
        ({"fast_period": 20, "slow_period": 20}, "breaks fast_period < slow_period"),
        ({"fast_period": 40, "slow_period": 20}, "breaks fast_period < slow_period"),
        ({"fast_period": 40, "slow_period": 30}, "breaks fast_period < slow_period"),
    ]
    ran = [r for r in doc["combinations"] if r["stats"] and not r["excluded"]]
    top = max(ran, key=lambda r: (r["stats"]["net_profit"], -r["index"]))
    assert doc["best"] == top and doc["best"]["settings"] == {"sl_atr": 2.0}
    assert doc["overfitting"]["trials"] == 9


def test_filters_keep_a_run_from_winning_and_say_why() -> None:
    plan = SweepPlan(space=SPACE, min_trades=10_000)
    doc = result(swept(plan), complete=True)
    assert doc["best"] is None
    first = doc["combinations"][0]
    assert (
        first["excluded"] == f"{first['stats']['trades']} trades, fewer than the minimum of 10000"
    )
    capped = SweepPlan(space=SPACE, max_drawdown_pct=0.0001, min_trades=0)
    row = result(swept(capped), complete=True)["combinations"][0]
    assert (
        row["excluded"].startswith("max drawdown ")
        and "above the limit of 0.0001%" in row["excluded"]
    )


def test_objectives_rank_by_their_statistic() -> None:
    sweep = swept(SweepPlan(space=SPACE, objective="return_over_drawdown", min_trades=0))
    best = result(sweep, True)["best"]
    ratio = [r["stats"]["return_pct"] / r["stats"]["max_drawdown_pct"]
             for r in result(sweep, True)["combinations"] if r["stats"]]  # fmt: skip
    assert best["stats"]["return_pct"] / best["stats"]["max_drawdown_pct"] == max(ratio)
    with pytest.raises(InvalidInput, match="--objective 'profit': choose one of net_profit"):
        SweepPlan(space=SPACE, objective="profit")


def test_random_draws_the_same_combinations_for_the_same_seed() -> None:
    plan = SweepPlan(space=SPACE, method="random", trials=5, seed=11)
    one, two = result(swept(plan), True), result(swept(plan), True)
    assert one["combinations"] == two["combinations"] and len(one["combinations"]) == 5
    other = result(swept(SweepPlan(space=SPACE, method="random", trials=5, seed=12)), True)
    assert [r["params"] for r in other["combinations"]] != [
        r["params"] for r in one["combinations"]
    ]


def test_bayes_is_repeatable_and_never_runs_a_combination_twice() -> None:
    plan = SweepPlan(space=SPACE, method="bayes", trials=11, seed=3, min_trades=0)
    first, again = Recording(JOB), Recording(JOB)
    one, two = result(swept(plan, first), True), result(swept(plan, again), True)
    assert one == two
    assert first.ran == again.ran and len(first.ran) == len(set(first.ran))
    assert len(one["combinations"]) == len(first.ran) < 11  # TPE asked some twice


def test_bayes_with_as_many_trials_as_the_grid_runs_the_whole_grid() -> None:
    grid = result(swept(SweepPlan(space=SPACE, min_trades=0)), True)
    plan = SweepPlan(space=SPACE, method="bayes", trials=12, seed=3, min_trades=0)
    assert plan.exhaustive and not SweepPlan(space=SPACE, method="bayes", trials=11).exhaustive
    assert result(swept(plan), True) == grid | {"method": "bayes"}


def test_with_every_combination_filtered_out_the_pbo_still_judges_the_choosing() -> None:
    sweep = swept(SweepPlan(space=SPACE, min_trades=10_000))
    odds = result(sweep, True)["overfitting"]
    assert odds["dsr"] is None and odds["trials"] == 9
    daily = np.column_stack([o.daily for _, o in sorted(sweep.outcomes.items()) if o.stats])
    assert odds["pbo"] == backtest_overfitting(daily, 16).pbo
    with pytest.raises(InvalidInput, match="--method bayes needs --trials of at least 1"):
        SweepPlan(space=SPACE, method="bayes")


def test_a_cancelled_sweep_keeps_what_finished_and_a_resumed_one_runs_only_the_rest() -> None:
    plan = SweepPlan(space=SPACE, min_trades=0)
    stopping = Recording(JOB, stop_after=3)
    partial = Sweep(plan)
    with pytest.raises(Cancelled):
        search(partial, stopping, ALL, lambda d, t: None)
    assert sorted(partial.outcomes) == stopping.ran == [0, 1, 2]
    assert [r["index"] for r in result(partial, complete=False)["combinations"]] == [0, 1, 2]
    resuming = Recording(JOB)
    resumed = swept(plan, resuming, dict(partial.outcomes))
    assert resuming.ran == list(range(3, 12))
    assert result(resumed, True) == result(swept(plan), True)


def test_the_odds_are_the_papers_formulas_over_the_daily_returns() -> None:
    sweep = swept(SweepPlan(space=SPACE, min_trades=0))
    best = sweep.best()
    odds = overfitting(sweep, best)
    ran = [i for i in sorted(sweep.outcomes) if sweep.outcomes[i].stats is not None]
    assert len(ran) == 9  # fast ≥ slow cannot run: 3 of the 12
    daily = np.column_stack([sweep.outcomes[i].daily for i in ran])
    ratios = daily.mean(axis=0) / daily.std(axis=0, ddof=1)
    winner = daily[:, ran.index(best.index)]
    z = (winner - winner.mean()) / winner.std()
    expected = deflated_sharpe(
        ratios[ran.index(best.index)], len(winner), float(np.mean(z**3)), float(np.mean(z**4)),
        9, float(np.var(ratios, ddof=1)),
    )  # fmt: skip
    assert odds["trials"] == 9
    assert odds["dsr"] == pytest.approx(expected.dsr, rel=1e-9)
    assert odds["dsr_p_value"] == pytest.approx(1 - expected.dsr, rel=1e-9)
    assert odds["pbo"] == backtest_overfitting(daily, 16).pbo


def regime_bars() -> pd.DataFrame:
    """1,200 hourly bars of slow 120-bar waves (a trend follower rides them), then 1,200 of
    fast 14-bar waves (its crossings come late and lose)."""
    t = np.arange(2400)
    close = 1.1 + 0.01 * np.where(t < 1200, np.sin(2 * np.pi * t / 120), np.sin(2 * np.pi * t / 14))
    open_ = np.concatenate(([close[0]], close[:-1]))
    return pd.DataFrame(
        {"open": open_, "high": np.maximum(open_, close) + 1e-4,
         "low": np.minimum(open_, close) - 1e-4, "close": close, "volume": 1.0},
        index=pd.date_range("2024-01-01", periods=2400, freq="1h", tz="UTC"),
    )  # fmt: skip


def test_walk_forward_shows_the_gap_where_the_regime_changes() -> None:
    job = SweepJob(regime_bars(), "ma_crossover", EURUSD)
    plan = SweepPlan(
        space=SweepSpace({"fast_period": [3, 5], "slow_period": [10, 20]}),
        settings={"lots": 1.0, "spread_pips": 0.0}, walk_forward=WalkForward("rolling", 600, 300),
    )  # fmt: skip
    found, stitched = walk_forward(plan, job, InlineExecutor(job), lambda d, t: None)
    assert [w["bars"] for w in found] == [
        {"in_start": s, "in_end": s + 600, "out_start": s + 600, "out_end": s + 900}
        for s in (0, 300, 600, 900, 1200, 1500)
    ]
    assert found[2]["out_start"] == "2024-02-20T00:00:00+00:00"  # bar 1200, the change
    assert found[2]["in_end"] == "2024-02-19T23:00:00+00:00"
    calm, change = found[:2], found[2]
    assert all(w["out_per_100_bars_pct"] > 0 and w["gap_per_100_bars_pct"] < 0 for w in calm)
    assert change["in_per_100_bars_pct"] > 1 and change["out_per_100_bars_pct"] < -2
    assert change["gap_per_100_bars_pct"] > 4 > max(w["gap_per_100_bars_pct"] for w in calm)
    # the stitched growth compounds each window's out-of-sample return
    growth = math.prod(1 + w["out_stats"]["return_pct"] / 100 for w in found)
    assert stitched["growth"][-1] == pytest.approx(growth, rel=1e-6)
    assert stitched["time"][0] == "2024-01-26T00:00:00+00:00"  # bar 600


def test_walk_forward_parses_its_windows_and_names_mistakes() -> None:
    assert WalkForward.parse("anchored:500:100") == WalkForward("anchored", 500, 100)
    for text, problem in (
        ("rolling:500", "write rolling:IN_BARS:OUT_BARS or anchored:IN_BARS:OUT_BARS"),
        ("sliding:5:5", "write rolling:IN_BARS:OUT_BARS"),
        ("rolling:5.5:5", "the bar counts must be whole numbers"),
        ("rolling:0:5", "both bar counts must be at least 1"),
    ):
        with pytest.raises(InvalidInput, match=problem):
            WalkForward.parse(text)


def test_anchored_in_sample_grows_from_the_first_bar() -> None:
    job = SweepJob(BARS.iloc[:1000], "ma_crossover", EURUSD)
    plan = SweepPlan(space=SweepSpace({"fast_period": [5, 10]}), min_trades=0,
                     walk_forward=WalkForward("anchored", 400, 250))  # fmt: skip
    found, _ = walk_forward(plan, job, InlineExecutor(job), lambda d, t: None)
    assert [w["bars"] for w in found] == [
        {"in_start": 0, "in_end": 400, "out_start": 400, "out_end": 650},
        {"in_start": 0, "in_end": 650, "out_start": 650, "out_end": 900},
        {"in_start": 0, "in_end": 900, "out_start": 900, "out_end": 1000},
    ]
    combos = plan.candidates()
    inside = evaluate(job, Span(0, 650), combos)
    best = max(range(2), key=lambda k: (inside[k].stats["net_profit"], -k))
    assert found[1]["params"] == combos[best].params
    assert found[1]["in_stats"] == inside[best].stats
