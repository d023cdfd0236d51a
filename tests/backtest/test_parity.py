"""Parity with backtesting.py: same trades (times equal, prices within 1e-9) for ma_crossover
with ATR stops, one unit, no costs, next-open fills and opposite signals ignored."""

from __future__ import annotations

import pytest

from tests.backtest.peer import assert_same_trades, peer_trades
from tests.conftest import SHARED_DATA
from tradeloop.backtest.engine import run_backtest
from tradeloop.execution.settings import ExecutionSettings
from tradeloop.market.instruments import resolve_instrument
from tradeloop.market.readers import read_bars
from tradeloop.market.synthetic import random_walk_bars
from tradeloop.strategies.base import get_strategy

SHARED = SHARED_DATA / "market"


def ours(bars, symbol="EURUSD", fast=20, slow=50, sl=2.0, tp=4.0):
    settings = ExecutionSettings(
        sl_atr=sl, tp_atr=tp, units=1, spread_pips=0, initial_cash=1_000_000
    )
    strategy = get_strategy("ma_crossover", {"fast_period": fast, "slow_period": slow})
    return run_backtest(bars, strategy, resolve_instrument(symbol), settings).trades


@pytest.mark.skipif(not (SHARED / "EURUSD_H1.csv").exists(), reason="../shared/data is not here")
def test_eurusd_h1_default_parameters() -> None:
    bars = read_bars(SHARED / "EURUSD_H1.csv")
    trades = ours(bars)
    assert len(trades) == 692
    assert_same_trades(trades, peer_trades(bars))


@pytest.mark.parametrize(
    ("seed", "fast", "slow", "sl", "tp"),
    [(1, 5, 20, 0.5, 1.0), (2, 8, 29, 2.0, 4.0), (3, 12, 40, 1.0, 6.0), (4, 20, 50, 3.0, 1.5)],
)
def test_synthetic_series_with_gaps(seed: int, fast: int, slow: int, sl: float, tp: float) -> None:
    bars = random_walk_bars(6000, seed=seed, gap_chance=0.1)
    trades = ours(bars, fast=fast, slow=slow, sl=sl, tp=tp)
    assert len(trades) > 50
    assert {"stop", "target"} <= set(trades["exit_reason"])
    assert_same_trades(trades, peer_trades(bars, fast=fast, slow=slow, sl_atr=sl, tp_atr=tp))


def test_a_trade_still_open_at_the_end_matches_too() -> None:
    bars = random_walk_bars(3000, seed=11)
    for tail in range(2900, 3000, 7):  # cut where some trade is open
        trades = ours(bars.iloc[:tail], sl=6.0, tp=12.0)
        if trades["exit_reason"].iloc[-1] == "end":
            assert_same_trades(trades, peer_trades(bars.iloc[:tail], sl_atr=6.0, tp_atr=12.0))
            return
    pytest.fail("no cut left a trade open")
