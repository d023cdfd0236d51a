"""Every statistic on a small series worked by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from tradeloop.backtest.stats import compute_stats

DAYS = pd.date_range("2024-01-01", periods=5, freq="D", tz="UTC").as_unit("ns")
EQUITY = pd.Series([100.0, 110.0, 99.0, 121.0, 121.0], index=DAYS)
CLOSE = pd.Series([50.0, 55.0, 60.0, 55.0, 75.0], index=DAYS)
TRADES = pd.DataFrame(
    {
        "side": [1, -1, 1],
        "entry_price": [100.0, 110.0, 99.0],
        "exit_price": [110.0, 121.0, 121.0],
        "pnl": [10.0, -11.0, 22.0],
        "costs": [1.0, 1.0, 0.5],
        "entry_index": [0, 1, 3],
        "exit_index": [1, 2, 3],
        "entry_time": DAYS[[0, 1, 3]],
        "exit_time": DAYS[[1, 2, 3]],
    }
)


@pytest.fixture(scope="module")
def stats() -> dict:
    return compute_stats(TRADES, EQUITY, CLOSE, initial_cash=100.0, year_days=252)


def test_period_and_equity_figures(stats: dict) -> None:
    assert (
        stats["start"] == "2024-01-01T00:00:00+00:00"
        and stats["end"] == "2024-01-05T00:00:00+00:00"
    )
    assert stats["duration_seconds"] == 4 * 86400 and stats["bars"] == 5
    assert (stats["final_equity"], stats["peak_equity"], stats["net_profit"]) == (
        121.0,
        121.0,
        21.0,
    )
    assert stats["return_pct"] == pytest.approx(21.0)
    assert stats["buy_hold_return_pct"] == pytest.approx(50.0)  # 50 → 75
    assert stats["exposure_pct"] == pytest.approx(80.0)  # bars 0–3 held, bar 4 flat


def test_annualised_figures(stats: dict) -> None:
    daily = np.array([0.1, -0.1, 22 / 99, 0.0])  # 100→110→99→121→121
    ann = 1.21 ** (252 / 4) - 1  # the four daily growths multiply to 1.21
    vol = daily.std(ddof=1) * math.sqrt(252)
    downside = math.sqrt(0.01 / 4) * math.sqrt(252)  # only −10 % is below zero
    assert stats["return_ann_pct"] == pytest.approx(ann * 100)
    assert stats["volatility_ann_pct"] == pytest.approx(vol * 100)
    assert stats["sharpe"] == pytest.approx(ann / vol)
    assert stats["sortino"] == pytest.approx(ann / downside)
    years = 4 / 365.25
    assert stats["cagr_pct"] == pytest.approx((1.21 ** (1 / years) - 1) * 100)


def test_drawdown_figures(stats: dict) -> None:
    # one drawdown: peak 110 (day 2) → 99 (day 3) → recovered at 121 (day 4)
    assert stats["max_drawdown_pct"] == pytest.approx(10.0)
    assert stats["avg_drawdown_pct"] == pytest.approx(10.0)
    assert stats["max_drawdown_duration_seconds"] == 2 * 86400
    assert stats["avg_drawdown_duration_seconds"] == 2 * 86400
    assert stats["calmar"] == pytest.approx((1.21**63 - 1) / 0.10)


def test_trade_figures(stats: dict) -> None:
    assert (stats["trades"], stats["wins"], stats["losses"]) == (3, 2, 1)
    assert stats["win_rate_pct"] == pytest.approx(200 / 3)
    assert stats["best_trade_pct"] == pytest.approx(22 / 99 * 100)
    assert stats["worst_trade_pct"] == pytest.approx(-10.0)  # short 110 → 121
    assert stats["avg_trade_pct"] == pytest.approx((10 - 10 + 22 / 99 * 100) / 3)
    assert stats["profit_factor"] == pytest.approx(32 / 11)
    assert stats["expectancy"] == pytest.approx(7.0)
    assert stats["sqn"] == pytest.approx(math.sqrt(3) * 7 / math.sqrt(279))  # std of 10, −11, 22
    assert stats["kelly"] == pytest.approx(2 / 3 - (1 / 3) / (16 / 11))
    assert (stats["avg_win"], stats["avg_loss"]) == (16.0, 11.0)
    assert stats["max_consecutive_losses"] == 1
    assert stats["total_costs"] == pytest.approx(2.5)
    assert stats["max_trade_duration_seconds"] == 86400
    assert stats["avg_trade_duration_seconds"] == pytest.approx(2 * 86400 / 3)


def test_no_trades_gives_none_not_nonsense() -> None:
    flat = pd.Series([100.0] * 5, index=DAYS)
    stats = compute_stats(TRADES.iloc[0:0], flat, CLOSE, 100.0)
    assert (stats["trades"], stats["exposure_pct"], stats["max_drawdown_pct"]) == (0, 0.0, 0.0)
    for name in (
        "win_rate_pct",
        "profit_factor",
        "expectancy",
        "sqn",
        "kelly",
        "avg_win",
        "sharpe",
        "calmar",
    ):
        assert stats[name] is None, name


def test_losing_streak_counts_consecutive_losses() -> None:
    trades = TRADES.iloc[[0, 1, 1, 1, 2, 1]].reset_index(drop=True)
    assert compute_stats(trades, EQUITY, CLOSE, 100.0)["max_consecutive_losses"] == 3


def test_too_short_for_annual_figures_gives_none() -> None:
    hours = pd.date_range("2024-01-01", periods=5, freq="h", tz="UTC").as_unit("ns")
    stats = compute_stats(
        TRADES.iloc[0:0],
        pd.Series([100.0, 90, 85, 80, 79], index=hours),
        pd.Series(1.0, index=hours),
        100.0,
    )
    assert stats["return_pct"] == pytest.approx(-21.0)
    assert (
        stats["return_ann_pct"] is None
        and stats["volatility_ann_pct"] is None
        and stats["sharpe"] is None
    )


def test_a_wiped_out_account_has_no_ratios() -> None:
    stats = compute_stats(
        TRADES, pd.Series([100.0, 50.0, -10.0, 5.0, 20.0], index=DAYS), CLOSE, 100.0
    )
    assert stats["return_ann_pct"] == -100.0
    assert stats["sharpe"] is None and stats["sortino"] is None and stats["calmar"] is None
