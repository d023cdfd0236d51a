"""A paper bot replaying bars trades exactly as the backtest of the same bars and options:
on every shared market file and on generated gappy series, for every strategy and the
execution options that change fills (stops in pips or ATR, next-open or on-close fills,
reversals, risk sizing, costs). Times equal, prices within 1e-9."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.conftest import SHARED_DATA
from tradeloop.backtest.engine import BacktestRun, run_backtest
from tradeloop.bots.runner import replay_run
from tradeloop.core.errors import InvalidInput
from tradeloop.execution.settings import ExecutionSettings
from tradeloop.market.instruments import custom_instrument, resolve_instrument
from tradeloop.market.synthetic import random_walk_bars
from tradeloop.services.runs import load_bars, symbol_from_filename
from tradeloop.strategies.base import all_strategies, get_strategy

FILES = sorted((SHARED_DATA / "market").glob("*.csv")) + sorted(
    (SHARED_DATA / "real" / "ohlc").glob("*.csv")
)
SETTINGS = [
    ExecutionSettings(sl_atr=2, tp_atr=4),
    ExecutionSettings(sl_pips=25, tp_pips=50, fill="close", on_opposite="reverse"),
    ExecutionSettings(sl_pips=30, tp_pips=45, risk_percent=1, commission=3.5, slippage_pips=0.5),
]


def same_trades(backtest: BacktestRun, replayed: BacktestRun) -> None:
    a, b = backtest.trades, replayed.trades
    assert len(a) == len(b)
    assert (a["entry_time"].to_numpy() == b["entry_time"].to_numpy()).all()
    assert (a["exit_time"].to_numpy() == b["exit_time"].to_numpy()).all()
    assert (a["side"].to_numpy() == b["side"].to_numpy()).all()
    assert (a["exit_reason"].to_numpy() == b["exit_reason"].to_numpy()).all()
    for column in ("entry_price", "exit_price", "size", "pnl", "costs"):
        assert np.allclose(a[column], b[column], rtol=0, atol=1e-9, equal_nan=True), column
    assert np.allclose(backtest.equity, replayed.equity, rtol=0, atol=1e-6)


def instrument_of(path: Path):
    try:
        return resolve_instrument(symbol_from_filename(path.name))
    except InvalidInput:  # e.g. GOOG, a stock: one share a lot, cents as pips
        return custom_instrument(symbol_from_filename(path.name), 1, 0.01, "USD")


@pytest.mark.skipif(not FILES, reason="../shared/data is not here")
@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_shared_market_file_replays_as_its_backtest(path: Path) -> None:
    bars, _ = load_bars(path, "UTC", keep_dominant_interval=True)
    instrument = instrument_of(path)
    strategy = get_strategy("ma_crossover")
    settings = ExecutionSettings(sl_atr=2, tp_atr=4)
    backtest = run_backtest(bars, strategy, instrument, settings)
    assert len(backtest.trades) > 10  # a real test: the file trades
    same_trades(backtest, replay_run(bars, strategy, instrument, settings))


def gappy_bars(seed: int) -> pd.DataFrame:
    """A random walk with price gaps and missing bars (weekends, a dropped hour here and
    there)."""
    bars = random_walk_bars(3000, seed=seed, gap_chance=0.08, volatility=0.002)
    keep = (bars.index.day_of_week < 5) & (np.random.default_rng(seed).random(len(bars)) > 0.03)
    return bars[keep]


@pytest.mark.parametrize("key", [s.key for s in all_strategies()])
@pytest.mark.parametrize("settings", SETTINGS, ids=["atr", "close-reverse", "risk-costs"])
def test_every_strategy_replays_as_its_backtest_on_gappy_series(key, settings) -> None:
    bars = gappy_bars(seed=len(key))
    strategy = get_strategy(key)
    instrument = resolve_instrument("EURUSD")
    backtest = run_backtest(bars, strategy, instrument, settings)
    same_trades(backtest, replay_run(bars, strategy, instrument, settings))


def test_the_cli_replay_writes_the_backtests_json(tmp_path: Path) -> None:
    data = tmp_path / "EURUSD_H1.csv"
    gappy_bars(seed=11).rename_axis("time").to_csv(data)
    options = ["--strategy", "rsi_crossover", "--sl-pips", "20", "--tp-pips", "40"]
    cli = [sys.executable, "-m", "tradeloop.cli.main"]
    for command, out in (("backtest", "b.json"), ("bots replay", "r.json")):
        done = subprocess.run(
            [*cli, *command.split(), str(data), *options, "--json", str(tmp_path / out)],
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, done.stderr
    backtest = json.loads((tmp_path / "b.json").read_text())
    replayed = json.loads((tmp_path / "r.json").read_text())
    assert replayed == backtest and len(replayed["trades"]) > 10
    assert set(replayed) >= {"bars", "start", "end", "strategy", "params", "trades", "stats"}
    missing = subprocess.run(
        [*cli, "bots", "replay", str(tmp_path / "none.csv"), *options],
        capture_output=True,
        text=True,
    )
    assert missing.returncode == 2
    assert missing.stderr == f"error: data file {str(tmp_path / 'none.csv')!r} does not exist\n"
