"""How likely a sweep's winner is luck.

- The **Deflated Sharpe Ratio** (Bailey and López de Prado, "The Deflated Sharpe Ratio:
  Correcting for Selection Bias, Backtest Overfitting and Non-Normality", Journal of Portfolio
  Management 40(5), 2014): the probability that the winner's true Sharpe ratio is above the
  best one ``trials`` skill-less strategies would reach by chance, given the length of the
  record and its returns' skewness and kurtosis.
- The **Probability of Backtest Overfitting** by combinatorially symmetric cross-validation
  (Bailey, Borwein, López de Prado and Zhu, "The Probability of Backtest Overfitting",
  Journal of Computational Finance 20(4), 2017): split the record into ``splits`` blocks; for
  every half of them taken as in-sample, pick the best combination there and see where it
  ranks on the other half; the share of halves where it lands below the median.

Sharpe ratios here are per observation (not annualised): a bar's or a day's, as the returns
given are."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from itertools import combinations
from statistics import NormalDist

import numpy as np

EULER_GAMMA = 0.5772156649015329
_NORMAL = NormalDist()


def expected_max_sharpe(trials: int, variance: float) -> float:
    """SR₀: the Sharpe ratio the best of ``trials`` skill-less strategies reaches on
    expectation, whose Sharpe ratios vary by ``variance`` across the trials (eq. 8 of the DSR
    paper): √V · ((1 − γ) Φ⁻¹(1 − 1/N) + γ Φ⁻¹(1 − 1/(N e))), γ Euler–Mascheroni's constant."""
    if trials < 2 or variance <= 0:
        return 0.0
    first = _NORMAL.inv_cdf(1 - 1 / trials)
    second = _NORMAL.inv_cdf(1 - 1 / (trials * math.e))
    return math.sqrt(variance) * ((1 - EULER_GAMMA) * first + EULER_GAMMA * second)


@dataclass(frozen=True)
class DeflatedSharpe:
    """The winner's Deflated Sharpe Ratio (a probability), its p-value (1 − DSR: the chance
    of a Sharpe ratio this high from ``trials`` skill-less tries), and the SR₀ it was tested
    against."""

    dsr: float
    p_value: float
    benchmark: float


def deflated_sharpe(
    sharpe: float, observations: int, skewness: float, kurtosis: float, trials: int,
    variance: float,
) -> DeflatedSharpe:  # fmt: skip
    """The DSR of a winner with per-observation Sharpe ratio ``sharpe`` over ``observations``
    returns of ``skewness`` and (non-excess) ``kurtosis``, chosen among ``trials`` whose Sharpe
    ratios vary by ``variance`` (eq. 9 of the paper): Φ((SR − SR₀)√(T − 1) / √(1 − γ₃ SR +
    (γ₄ − 1)/4 · SR²))."""
    benchmark = expected_max_sharpe(trials, variance)
    spread = 1 - skewness * sharpe + (kurtosis - 1) / 4 * sharpe**2
    if observations < 2 or spread <= 0:
        return DeflatedSharpe(math.nan, math.nan, benchmark)
    z = (sharpe - benchmark) * math.sqrt(observations - 1) / math.sqrt(spread)
    dsr = _NORMAL.cdf(z)
    return DeflatedSharpe(dsr, 1 - dsr, benchmark)


def sharpe_ratios(returns: np.ndarray) -> np.ndarray:
    """Each column's mean over its standard deviation (ddof 1); 0 where it does not vary."""
    mean = returns.mean(axis=0)
    std = returns.std(axis=0, ddof=1)
    return np.divide(mean, std, out=np.zeros_like(mean, dtype=float), where=std > 0)


@dataclass(frozen=True)
class BacktestOverfitting:
    """The PBO (the share of logits at or below 0) and each split's logit λ = ln(ω/(1 − ω)),
    ω the in-sample winner's relative rank out of sample."""

    pbo: float
    logits: tuple[float, ...]


def backtest_overfitting(
    returns: np.ndarray, splits: int = 16,
    metric: Callable[[np.ndarray], np.ndarray] = sharpe_ratios,
) -> BacktestOverfitting:  # fmt: skip
    """The PBO of choosing the best column of ``returns`` (T observations × N combinations)
    by ``metric`` (per column; default the Sharpe ratio), by CSCV over ``splits`` blocks of
    rows in order (an even number; the last block takes the remainder)."""
    rows, columns = returns.shape
    if splits < 2 or splits % 2 or rows < splits or columns < 2:
        raise ValueError(
            f"CSCV needs an even number of blocks (≥ 2) no larger than the {rows} observations, "
            f"and at least 2 combinations (got {splits} blocks, {columns} combinations)"
        )
    edges = np.linspace(0, rows, splits + 1).astype(int)
    blocks = [np.arange(edges[k], edges[k + 1]) for k in range(splits)]
    measure = _block_sharpe(returns, edges) if metric is sharpe_ratios else None
    logits = []
    for chosen in combinations(range(splits), splits // 2):
        rest = tuple(k for k in range(splits) if k not in chosen)
        if measure is not None:
            winner, out = int(np.argmax(measure(chosen))), measure(rest)
        else:
            winner = int(np.argmax(metric(returns[np.concatenate([blocks[k] for k in chosen])])))
            out = metric(returns[np.concatenate([blocks[k] for k in rest])])
        rank = 1 + int(np.sum(out < out[winner])) + (int(np.sum(out == out[winner])) - 1) / 2
        omega = rank / (columns + 1)
        logits.append(math.log(omega / (1 - omega)))
    return BacktestOverfitting(float(np.mean(np.array(logits) <= 0)), tuple(logits))


def _block_sharpe(
    returns: np.ndarray, edges: np.ndarray
) -> Callable[[tuple[int, ...]], np.ndarray]:
    """``sharpe_ratios`` of the rows of some blocks, from each block's sums (a sweep's
    thousands of splits cost a sum over blocks each, not a pass over the returns)."""
    sums = np.add.reduceat(returns, edges[:-1], axis=0)
    squares = np.add.reduceat(returns * returns, edges[:-1], axis=0)
    counts = np.diff(edges)

    def measure(chosen: tuple[int, ...]) -> np.ndarray:
        picked = list(chosen)
        n = counts[picked].sum()
        total = sums[picked].sum(axis=0)
        mean = total / n
        variance = np.maximum(squares[picked].sum(axis=0) - total * mean, 0) / (n - 1)
        std = np.sqrt(variance)
        return np.divide(mean, std, out=np.zeros_like(mean, dtype=float), where=std > 0)

    return measure
