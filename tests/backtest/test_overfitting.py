"""The overfitting odds against examples worked by hand from the papers' formulas."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tradeloop.backtest.overfitting import (
    backtest_overfitting,
    deflated_sharpe,
    expected_max_sharpe,
)


def test_the_deflated_sharpe_ratio_of_the_papers_example() -> None:
    """Bailey and López de Prado (2014), section 4's example: an annualised Sharpe ratio of
    2.5 over 5 years of daily returns (T = 1250), skewness −3, kurtosis 10, the best of
    N = 100 trials whose annualised Sharpe ratios vary by V = 1/2. The paper finds DSR 0.9004.

    Per day (250 days a year): SR = 2.5/√250 = 0.158114, V = 0.5/250 = 0.002.
    SR₀ = √0.002 · ((1 − 0.577216) Φ⁻¹(0.99) + 0.577216 Φ⁻¹(1 − 1/(100e)))
        = 0.044721 · (0.422784 · 2.326348 + 0.577216 · 2.680210) = 0.113172.
    Spread: 1 − (−3)(0.158114) + (10 − 1)/4 · 0.158114² = 1.530592.
    z = (0.158114 − 0.113172) · √1249 / √1.530592 = 1.283816; DSR = Φ(z) = 0.900397."""
    assert expected_max_sharpe(100, 0.002) == pytest.approx(0.113172, abs=1e-6)
    found = deflated_sharpe(2.5 / math.sqrt(250), 1250, -3.0, 10.0, 100, 0.002)
    assert found.benchmark == pytest.approx(0.113172, abs=1e-6)
    assert found.dsr == pytest.approx(0.900397, abs=1e-6)
    assert round(found.dsr, 4) == 0.9004  # as the paper prints it
    assert found.p_value == pytest.approx(1 - 0.900397, abs=1e-6)


def test_one_trial_is_not_deflated_and_normal_returns_give_the_probabilistic_sharpe() -> None:
    """With one trial SR₀ = 0: the DSR is the Probabilistic Sharpe Ratio against 0. Normal
    returns (skewness 0, kurtosis 3), SR 0.1 over 101 observations:
    z = 0.1 · √100 / √(1 + 2/4 · 0.01) = 1 / √1.005 = 0.997509; Φ(z) = 0.840741."""
    found = deflated_sharpe(0.1, 101, 0.0, 3.0, 1, 0.002)
    assert found.benchmark == 0.0
    assert found.dsr == pytest.approx(0.840741, abs=1e-6)


def _mean(returns: np.ndarray) -> np.ndarray:
    return returns.mean(axis=0)


def test_pbo_when_the_in_sample_winner_is_the_out_of_sample_loser() -> None:
    """CSCV (Bailey, Borwein, López de Prado and Zhu, 2017) with S = 2 blocks of 2 rows and
    N = 3 combinations, judged by the mean. Block 1 ranks the combinations 1 < 2 < 3, block 2
    the other way. Block 1 in-sample: the winner is the third, last out of sample: rank 1,
    ω = 1/(N + 1) = 1/4, λ = ln((1/4)/(3/4)) = ln(1/3) = −1.098612. Block 2 in-sample: the
    first wins, again last out of sample: λ = ln(1/3). Both λ ≤ 0: PBO = 2/2 = 1."""
    returns = np.array([[1, 2, 3], [1, 2, 3], [3, 2, 1], [3, 2, 1]], dtype=float)
    found = backtest_overfitting(returns, splits=2, metric=_mean)
    assert found.pbo == 1.0
    assert found.logits == pytest.approx((math.log(1 / 3), math.log(1 / 3)))


def test_pbo_when_one_combination_is_best_everywhere() -> None:
    """The first combination has the highest mean in both blocks: in-sample winner, out of
    sample rank 3 of 3, ω = 3/4, λ = ln 3 = 1.098612 > 0 in both splits: PBO = 0."""
    returns = np.array([[3, 1, 2], [3, 2, 1], [3, 1, 2], [3, 2, 1]], dtype=float)
    found = backtest_overfitting(returns, splits=2, metric=_mean)
    assert found.pbo == 0.0
    assert found.logits == pytest.approx((math.log(3), math.log(3)))


def test_pbo_over_four_blocks_counts_each_half_once() -> None:
    """S = 4 blocks of one row, N = 2: C(4, 2) = 6 in-sample halves. Rows: (2, 1), (2, 1),
    (1, 2), (1, 2) by the mean. Halves {0,1}: winner 1st, out of sample (rows 2, 3) last:
    λ = ln((1/3)/(2/3)) = ln ½. {2,3}: the 2nd wins, last out of sample: ln ½. The four
    mixed halves tie in-sample (argmax takes the 1st) and tie out of sample (rank 1.5 of 2,
    ω = 1.5/3 = ½, λ = 0). All six λ ≤ 0: PBO = 1."""
    returns = np.array([[2, 1], [2, 1], [1, 2], [1, 2]], dtype=float)
    found = backtest_overfitting(returns, splits=4, metric=_mean)
    assert len(found.logits) == 6
    assert sorted(found.logits) == pytest.approx([math.log(0.5)] * 2 + [0.0] * 4)
    assert found.pbo == 1.0


def test_cscv_refuses_what_it_cannot_split() -> None:
    with pytest.raises(ValueError, match="even number of blocks"):
        backtest_overfitting(np.zeros((10, 3)), splits=3)
    with pytest.raises(ValueError, match="at least 2 combinations"):
        backtest_overfitting(np.zeros((10, 1)), splits=2)
