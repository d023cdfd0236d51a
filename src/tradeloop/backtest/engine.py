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
from tradeloop.core.records import iso_times, records
from tradeloop.execution.rules import CONVERT_BY_PRICE, CONVERT_FIXED, CONVERT_SERIES, EXIT_REASONS
from tradeloop.execution.settings import ExecutionSettings
from tradeloop.market.errors import DataError
from tradeloop.strategies.base import Strategy

ACCOUNT_CURRENCY = "USD"
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


NO_RATES = np.ones(1)


def conversion(
    instrument: Instrument,
    settings: ExecutionSettings,
    bars: pd.DataFrame,
    rates: pd.Series | None = None,
) -> tuple[int, float, np.ndarray]:
    """How quote-currency profit becomes account currency: (mode, fixed rate, per-bar rates).

    USD-quoted symbols need nothing; USD-based pairs use their own price; crosses need a fixed
    ``conversion_rate`` or a series of rates (the value of 1 quote-currency unit in USD),
    taken at or before each bar.
    """
    if instrument.quote == ACCOUNT_CURRENCY:
        return CONVERT_FIXED, 1.0, NO_RATES
    if instrument.base == ACCOUNT_CURRENCY:
        return CONVERT_BY_PRICE, 1.0, NO_RATES  # e.g. USDJPY: divide JPY profit by its own rate
    if rates is not None:
        aligned = rates.sort_index().reindex(bars.index, method="ffill").to_numpy(dtype=np.float64)
        if np.isnan(aligned).any() or (aligned <= 0).any():
            raise InvalidInput(
                f"the conversion rates must start by {bars.index[0]:%Y-%m-%d %H:%M} "
                "and be positive",
                [{"field": "conversion_rates"}],
            )
        return CONVERT_SERIES, 1.0, np.ascontiguousarray(aligned)
    if settings.conversion_rate is not None:
        return CONVERT_FIXED, settings.conversion_rate, NO_RATES
    raise InvalidInput(
        f"profit of {instrument.symbol} is in {instrument.quote}: give conversion_rate, the value "
        f"of 1 {instrument.quote} in {ACCOUNT_CURRENCY} (CLI --conversion-rate, or a series "
        "with --conversion-data)",
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


def warmup_bars(strategy: Strategy, settings: ExecutionSettings) -> int:
    """Bars needed before the first trade: the strategy's, or ATR's when stops use it."""
    uses_atr = settings.sl_atr is not None or settings.tp_atr is not None
    return max(strategy.warmup(), settings.atr_period + 2 if uses_atr else 0)


def run_backtest(
    bars: pd.DataFrame,
    strategy: Strategy,
    instrument: Instrument,
    settings: ExecutionSettings | None = None,
    conversion_rates: pd.Series | None = None,
) -> BacktestRun:
    """Backtest ``strategy`` on ``bars`` (a validated bar frame) for ``instrument``."""
    s = settings or ExecutionSettings()
    need = warmup_bars(strategy, s)
    if len(bars) < need:
        raise DataError(
            f"{len(bars)} bars are too few: {strategy.key} with these parameters needs "
            f"at least {need} bars for its indicators to warm up",
            [{"bars": len(bars), "needed": need}],
        )
    mode, rate, rates = conversion(instrument, s, bars, conversion_rates)
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
        rates,
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
