"""Run a strategy over bars with the execution rules and return trades, equity and statistics."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from tradeloop.backtest.kernel import TRADE_FIELDS, run_kernel
from tradeloop.backtest.stats import compute_stats
from tradeloop.core.instruments import Instrument
from tradeloop.core.records import iso_times, records
from tradeloop.execution.inputs import (
    ACCOUNT_CURRENCY,
    conversion,
    cost_vector,
    instrument_vector,
    level_distances,
    require_warmup,
    sizing,
)
from tradeloop.execution.rules import EXIT_REASONS
from tradeloop.execution.settings import ExecutionSettings
from tradeloop.strategies.base import Strategy

__all__ = ["ACCOUNT_CURRENCY", "BacktestRun", "run_backtest"]
RECORD_FIELDS = (
    "entry_price", "exit_price", "size", "lots", "pnl", "costs", "exit_reason", "stop", "target",
)  # fmt: skip


@dataclass
class BacktestRun:
    """What a backtest produced."""

    trades: pd.DataFrame
    equity: pd.Series
    stats: dict[str, Any]
    strategy: Strategy
    settings: ExecutionSettings
    instrument: Instrument

    def trade_records(self) -> list[dict[str, Any]]:
        """Trades as JSON-ready dicts (ISO-8601 times)."""
        t = self.trades
        return records(
            {
                "side": np.where(t["side"].to_numpy() > 0, "long", "short").tolist(),
                "entry_time": iso_times(t["entry_time"]),
                "exit_time": iso_times(t["exit_time"]),
                **{name: t[name] for name in RECORD_FIELDS},
            }
        )


def run_backtest(
    bars: pd.DataFrame,
    strategy: Strategy,
    instrument: Instrument,
    settings: ExecutionSettings | None = None,
    conversion_rates: pd.Series | None = None,
) -> BacktestRun:
    """Backtest ``strategy`` on ``bars`` (a validated bar frame) for ``instrument``."""
    s = settings or ExecutionSettings()
    require_warmup(len(bars), strategy, s)
    mode, rate, rates = conversion(instrument, s, bars, conversion_rates)
    size_mode, size_value = sizing(instrument, s)
    signals = strategy.signals(bars)
    n = len(bars)
    none = np.zeros(n, dtype=np.bool_)
    o, h, low, c = (
        np.ascontiguousarray(bars[col].to_numpy(dtype=np.float64))
        for col in ("open", "high", "low", "close")
    )
    stop_dist, target_dist = level_distances(h, low, c, instrument, s)
    table, equity = run_kernel(
        o,
        h,
        low,
        c,
        signals.entries,
        none if signals.exit_long is None else signals.exit_long,
        none if signals.exit_short is None else signals.exit_short,
        stop_dist,
        target_dist,
        s.fill == "close",
        s.on_opposite == "reverse",
        size_mode,
        size_value,
        instrument_vector(instrument),
        cost_vector(instrument, s, mode, rate),
        rates,
        s.initial_cash,
    )
    return assemble_run(bars, table, equity, strategy, instrument, s)


def assemble_run(
    bars: pd.DataFrame,
    table: np.ndarray,
    equity: np.ndarray,
    strategy: Strategy,
    instrument: Instrument,
    settings: ExecutionSettings,
    daily: np.ndarray | None = None,
) -> BacktestRun:
    """A run from the step's trade table and equity per bar over ``bars`` (a backtest's, or a
    replayed bot's): trades with times and exit reasons, statistics (``daily``: the equity's
    daily returns, when the caller has them)."""
    s = settings
    trades = pd.DataFrame(table, columns=list(TRADE_FIELDS))
    for col in ("entry_index", "exit_index", "side", "reason"):
        trades[col] = trades[col].astype(np.int64)
    trades.insert(0, "entry_time", bars.index[trades["entry_index"].to_numpy()])
    trades.insert(1, "exit_time", bars.index[trades["exit_index"].to_numpy()])
    trades["exit_reason"] = np.array(EXIT_REASONS)[trades["reason"].to_numpy()]
    equity_series = pd.Series(equity, index=bars.index, name="equity")
    stats = compute_stats(
        trades,
        equity_series,
        bars["close"],
        s.initial_cash,
        365 if instrument.trades_weekends else 252,
        daily,
    )
    return BacktestRun(trades, equity_series, stats, strategy, s, instrument)
