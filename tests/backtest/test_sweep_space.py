"""What a sweep tries: the grids as written, their combinations, a seeded draw, the size
limit, and the constraints that skip combinations with their reason."""

from __future__ import annotations

import pytest

from tradeloop.backtest.constraints import parse_constraint
from tradeloop.backtest.sweep_space import SweepSpace, judge, parse_grid
from tradeloop.core.errors import InvalidInput

NAMES = ("fast_period", "slow_period", "sl_atr", "tp_pips", "risk_percent")


def test_lists_and_ranges_that_include_their_stop() -> None:
    assert parse_grid("fast_period=5,10,20", NAMES) == ("fast_period", [5, 10, 20])
    assert parse_grid("slow_period=20:60:10", NAMES) == ("slow_period", [20, 30, 40, 50, 60])
    name, values = parse_grid("sl_atr=1:2:0.1", NAMES)
    assert name == "sl_atr" and values == [1.0, 1.1, 1.2, 1.3, 1.4, 1.5, 1.6, 1.7, 1.8, 1.9, 2.0]
    assert parse_grid("tp_pips=10:25:10", NAMES)[1] == [10, 20]  # 30 would pass the stop
    assert parse_grid("risk_percent=0.5,1", NAMES)[1] == [0.5, 1]


@pytest.mark.parametrize(
    ("spec", "problem"),
    [
        ("fast_period", "write NAME=a,b,c or NAME=start:stop:step"),
        (
            "fast=1,2",
            "unknown name 'fast' (known: fast_period, risk_percent, sl_atr, slow_period, tp_pips)",
        ),
        ("fast_period=1,x", "'x' is not a number"),
        ("fast_period=1:5", "a range is start:stop:step"),
        ("fast_period=1:5:0", "the step must be above 0"),
        ("fast_period=5:1:1", "the stop is below the start"),
        ("fast_period=1,1", "a value is given twice"),
        ("fast_period=nan,1", "'nan' is not a finite number"),
        ("fast_period=0:1000000:1", "1,000,001 values: at most 100,000"),
    ],
)
def test_grids_that_cannot_be_read_are_named(spec: str, problem: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        parse_grid(spec, NAMES)
    assert raised.value.message == f"--grid {spec!r}: {problem}"


def test_the_grid_its_size_and_its_limit() -> None:
    space = SweepSpace({"fast_period": [5, 10], "slow_period": [20, 30, 40]})
    assert space.size == 6
    assert list(space.grid()) == [
        {"fast_period": f, "slow_period": s} for f in (5, 10) for s in (20, 30, 40)
    ]
    space.check_size(6)
    with pytest.raises(InvalidInput) as raised:
        space.check_size(5)
    assert raised.value.message == (
        "the sweep holds 6 combinations, above the limit of 5 (--max-combinations): fewer "
        "values, or --method random or bayes with --trials"
    )


def test_a_seeded_draw_is_distinct_and_repeatable() -> None:
    space = SweepSpace({"fast_period": list(range(2, 30)), "slow_period": list(range(30, 90))})
    first = space.draw(50, seed=7)
    assert first == space.draw(50, seed=7)  # same seed, same combinations
    assert first != space.draw(50, seed=8)
    keys = {(c["fast_period"], c["slow_period"]) for c in first}
    assert len(keys) == 50 and all(2 <= f < 30 <= s < 90 for f, s in keys)
    small = SweepSpace({"fast_period": [5, 10]})
    assert sorted(c["fast_period"] for c in small.draw(10, seed=1)) == [5, 10]  # all of it


def test_constraints_skip_combinations_with_the_reason() -> None:
    rules = [parse_constraint("fast_period < slow_period", NAMES),
             parse_constraint("tp_pips / sl_atr >= 10", NAMES)]  # fmt: skip
    combos = [{"fast_period": 5, "slow_period": 20}, {"fast_period": 20, "slow_period": 20},
              {"fast_period": 5, "slow_period": 20, "sl_atr": 0}]  # fmt: skip
    judged = judge(combos, rules, fixed={"tp_pips": 30, "sl_atr": 2})
    assert [j.skipped for j in judged] == [
        None,
        "breaks fast_period < slow_period",
        "tp_pips / sl_atr >= 10: division by zero",
    ]
    [missing] = judge([{"fast_period": 5, "slow_period": 20}], rules[1:])
    assert missing.skipped == "tp_pips / sl_atr >= 10: tp_pips has no value"
