"""A sweep's constraints: read by the project's own parser (never Python's eval), judged per
combination, and refused with the reason when they cannot be read."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tradeloop.backtest.constraints import ConstraintError, parse_constraint

NAMES = ("fast_period", "slow_period", "sl_pips", "tp_pips", "risk_percent")


def _holds(text: str, **values: float) -> bool:
    return parse_constraint(text, NAMES).holds(values)


def test_comparisons_arithmetic_and_logic() -> None:
    assert _holds("fast_period < slow_period", fast_period=10, slow_period=20)
    assert not _holds("fast_period < slow_period", fast_period=20, slow_period=20)
    assert _holds("tp_pips >= 2 * sl_pips and risk_percent <= 2", tp_pips=40, sl_pips=20,
                  risk_percent=1.5)  # fmt: skip
    assert not _holds("tp_pips >= 2 * sl_pips and risk_percent <= 2", tp_pips=39, sl_pips=20,
                      risk_percent=1.5)  # fmt: skip
    assert _holds("fast_period * 3 < slow_period or sl_pips == 5", fast_period=10,
                  slow_period=20, sl_pips=5)  # fmt: skip
    assert _holds("(fast_period + 2) / 4 == 3", fast_period=10)
    assert _holds("-fast_period + 12 > 1", fast_period=10)
    assert _holds("not fast_period > slow_period", fast_period=1, slow_period=2)
    assert _holds("tp_pips ≥ 2 × sl_pips and fast_period ≠ slow_period − 1", tp_pips=4,
                  sl_pips=2, fast_period=3, slow_period=5)  # fmt: skip
    assert _holds("risk_percent ÷ 2 ≤ .5", risk_percent=1)


def test_precedence_is_the_usual_one() -> None:
    assert _holds("2 + 3 * fast_period == 14", fast_period=4)  # not (2 + 3) × 4
    assert _holds("fast_period - 2 - 1 == 1", fast_period=4)  # left to right
    # "and" binds tighter than "or": false or (true and true)
    assert _holds("fast_period > 5 or sl_pips > 1 and tp_pips > 1", fast_period=1, sl_pips=2,
                  tp_pips=2)  # fmt: skip


def test_the_names_read_are_known() -> None:
    parsed = parse_constraint("fast_period < slow_period", NAMES)
    assert parsed.names == {"fast_period", "slow_period"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "fast < slow_period",
            "constraint 'fast < slow_period': unknown parameter 'fast' "
            "(known: fast_period, risk_percent, sl_pips, slow_period, tp_pips)",
        ),
        ("", "constraint '': it is empty"),
        ("fast_period <", "constraint 'fast_period <': it ends too early"),
        ("(fast_period < 3", "constraint '(fast_period < 3': a '(' is not closed"),
        (
            "fast_period < 3 4",
            "constraint 'fast_period < 3 4': unexpected '4' after a complete expression",
        ),
        (
            "__import__('os')",
            "constraint \"__import__('os')\": cannot read \"'os')\" (position 12)",
        ),
        (
            "__class__ > 1",
            "constraint '__class__ > 1': unknown parameter '__class__' "
            "(known: fast_period, risk_percent, sl_pips, slow_period, tp_pips)",
        ),
        (
            "fast_period ** 2 > 1",
            "constraint 'fast_period ** 2 > 1': expected a number or a parameter name, found '*'",
        ),
        ("fast_period; 1", "constraint 'fast_period; 1': cannot read '; 1' (position 12)"),
        ("and < 1", "constraint 'and < 1': expected a number or a parameter name, found 'and'"),
    ],
)
def test_what_cannot_be_read_is_named(text: str, message: str) -> None:
    with pytest.raises(ConstraintError) as raised:
        parse_constraint(text, NAMES)
    assert raised.value.message == message
    assert raised.value.status == 422


def test_a_division_by_zero_is_a_reason_not_a_crash() -> None:
    parsed = parse_constraint("tp_pips / sl_pips >= 2", NAMES)
    with pytest.raises(ConstraintError, match="division by zero"):
        parsed.holds({"tp_pips": 10, "sl_pips": 0})


@given(st.integers(-1000, 1000), st.integers(-1000, 1000), st.integers(1, 50))
def test_arithmetic_equals_the_numbers(a: int, b: int, c: int) -> None:
    """The parser's arithmetic and comparisons agree with the numbers'."""
    values = {"fast_period": a, "slow_period": b, "sl_pips": c}
    assert parse_constraint("fast_period + slow_period * sl_pips", NAMES)._test(values) == (
        a + b * c)  # fmt: skip
    assert _holds("fast_period / sl_pips < slow_period", **values) == (a / c < b)
    assert _holds("fast_period - slow_period >= -sl_pips", **values) == (a - b >= -c)
