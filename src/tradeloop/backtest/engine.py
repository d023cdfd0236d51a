"""Run a strategy over bars with the execution rules and return trades, equity and statistics."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import talib

from tradeloop.backtest.kernel import SIZE_LOTS, SIZE_RISK, SIZE_UNITS, TRADE_FIELDS, run_kernel
from tradeloop.backtest.stats import compute_stats
from tradeloop.core.errors import InvalidInput
from tradeloop.core.instruments import Instrument
from tradeloop.execution.rules import CONVERT_BY_PRICE, CONVERT_FIXED, EXIT_REASONS
from tradeloop.execution.settings import ExecutionSettings
from tradeloop.market.errors import DataError
from tradeloop.strategies.base import Strategy

ACCOUNT_CURRENCY = "USD"


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
        return [
            {
                "side": "long" if row.side > 0 else "short",
                "entry_time": row.entry_time.isoformat(),
                "exit_time": row.exit_time.isoformat(),
                "entry_price": row.entry_price,
                "exit_price": row.exit_price,
                "size": row.size,
                "lots": row.lots,
                "pnl": row.pnl,
                "costs": row.costs,
                "exit_reason": row.exit_reason,
                "stop": None if np.isnan(row.stop) else row.stop,
                "target": None if np.isnan(row.target) else row.target,
            }
            for row in self.trades.itertuples()
        ]


def conversion(instrument: Instrument, settings: ExecutionSettings) -> tuple[int, float]:
    """How quote-currency profit becomes account currency: (mode, fixed rate)."""
    if instrument.quote == ACCOUNT_CURRENCY:
        return CONVERT_FIXED, 1.0
    if instrument.base == ACCOUNT_CURRENCY:
        return CONVERT_BY_PRICE, 1.0  # e.g. USDJPY: divide JPY profit by the pair's own rate
    if settings.conversion_rate is not None:
        return CONVERT_FIXED, settings.conversion_rate
    raise InvalidInput(
        f"profit of {instrument.symbol} is in {instrument.quote}: give conversion_rate, the value "
        f"of 1 {instrument.quote} in {ACCOUNT_CURRENCY} (CLI --conversion-rate)",
        [{"field": "conversion_rate"}],
    )


def _distances(
    bars: pd.DataFrame, instrument: Instrument, s: ExecutionSettings
) -> tuple[np.ndarray, np.ndarray]:
    n = len(bars)
    atr = None
    if s.sl_atr is not None or s.tp_atr is not None:
        atr = talib.ATR(
            *(bars[c].to_numpy(dtype=np.float64) for c in ("high", "low", "close")),
            timeperiod=s.atr_period,
        )

    def distance(pips: float | None, multiple: float | None) -> np.ndarray:
        if pips is not None:
            return np.full(n, pips * instrument.pip_size)
        if multiple is not None:
            return atr * multiple
        return np.zeros(n)

    return distance(s.sl_pips, s.sl_atr), distance(s.tp_pips, s.tp_atr)


def _sizing(instrument: Instrument, s: ExecutionSettings) -> tuple[int, float]:
    if s.units is not None:
        return SIZE_UNITS, s.units
    if s.risk_percent is not None:
        return SIZE_RISK, s.risk_percent / 100
    lots = instrument.min_lot if s.lots is None else s.lots  # default: the smallest lot
    if not instrument.min_lot <= lots <= instrument.max_lot:
        raise InvalidInput(
            f"lots {lots} outside {instrument.symbol}'s limits "
            f"{instrument.min_lot}–{instrument.max_lot}",
            [{"field": "lots"}],
        )
    return SIZE_LOTS, lots


def run_backtest(
    bars: pd.DataFrame,
    strategy: Strategy,
    instrument: Instrument,
    settings: ExecutionSettings | None = None,
) -> BacktestRun:
    """Backtest ``strategy`` on ``bars`` (a validated bar frame) for ``instrument``."""
    s = settings or ExecutionSettings()
    need = strategy.warmup()
    if len(bars) < need:
        raise DataError(
            f"{len(bars)} bars are too few: {strategy.key} with these parameters needs "
            f"at least {need} bars for its indicators to warm up",
            [{"bars": len(bars), "needed": need}],
        )
    mode, rate = conversion(instrument, s)
    size_mode, size_value = _sizing(instrument, s)
    signals = strategy.signals(bars)
    n = len(bars)
    none = np.zeros(n, dtype=np.bool_)
    stop_dist, target_dist = _distances(bars, instrument, s)
    o, h, low, c = (
        np.ascontiguousarray(bars[col].to_numpy(dtype=np.float64))
        for col in ("open", "high", "low", "close")
    )
    pip = instrument.pip_size
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
        np.array(
            [instrument.contract_size, instrument.min_lot, instrument.max_lot, instrument.lot_step]
        ),
        np.array([s.spread(instrument) * pip / 2, s.slippage_pips * pip, s.commission, mode, rate]),
        s.initial_cash,
    )
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
    )
    return BacktestRun(trades, equity_series, stats, strategy, s, instrument)
