"""What the execution step needs besides bars and signals, worked out from the settings and
the instrument: stop and target distances per bar, the sizing rule, the quote→account
conversion, the cost and instrument vectors, and the warm-up a strategy needs. Shared by the
backtest engine and the bot runner, so both trade with the same levels, sizes and costs."""

from __future__ import annotations

import numpy as np
import pandas as pd

from tradeloop.core.errors import InvalidInput
from tradeloop.core.instruments import Instrument
from tradeloop.execution.rules import CONVERT_BY_PRICE, CONVERT_FIXED, CONVERT_SERIES
from tradeloop.execution.settings import ExecutionSettings
from tradeloop.execution.step import SIZE_LOTS, SIZE_RISK, SIZE_UNITS
from tradeloop.market.errors import DataError
from tradeloop.strategies.base import Strategy
from tradeloop.strategies.indicators import ta

ACCOUNT_CURRENCY = "USD"
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


def level_distances(
    high: np.ndarray,
    low: np.ndarray,
    close: np.ndarray,
    instrument: Instrument,
    s: ExecutionSettings,
) -> tuple[np.ndarray, np.ndarray]:
    """Each bar's distance from its close to the stop and to the target (pips, or ATR
    multiples: NaN while the ATR warms up; 0 for none)."""
    n = len(close)
    atr = None
    if s.sl_atr is not None or s.tp_atr is not None:
        atr = ta.ATR(high, low, close, timeperiod=s.atr_period)

    def distance(pips: float | None, multiple: float | None) -> np.ndarray:
        if pips is not None:
            return np.full(n, pips * instrument.pip_size)
        if multiple is not None:
            return atr * multiple
        return np.zeros(n)

    return distance(s.sl_pips, s.sl_atr), distance(s.tp_pips, s.tp_atr)


def sizing(instrument: Instrument, s: ExecutionSettings) -> tuple[int, float]:
    """The step's sizing mode and value: units, lots (default: the smallest), or a risk
    fraction of equity."""
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


def instrument_vector(instrument: Instrument) -> np.ndarray:
    """(contract size, min lot, max lot, lot step) as the step reads them."""
    return np.array(
        [instrument.contract_size, instrument.min_lot, instrument.max_lot, instrument.lot_step]
    )


def cost_vector(
    instrument: Instrument, settings: ExecutionSettings, mode: int, rate: float
) -> np.ndarray:
    """(half spread, slippage — both in price —, commission per lot per side, conversion
    mode, fixed conversion rate) as the step reads them."""
    pip = instrument.pip_size
    return np.array(
        [
            settings.spread(instrument) * pip / 2,
            settings.slippage_pips * pip,
            settings.commission,
            mode,
            rate,
        ]
    )


def require_warmup(bars: int, strategy: Strategy, settings: ExecutionSettings) -> None:
    """A DataError when ``bars`` are too few for the strategy's indicators to warm up."""
    need = warmup_bars(strategy, settings)
    if bars < need:
        raise DataError(
            f"{bars} bars are too few: {strategy.key} with these parameters needs "
            f"at least {need} bars for its indicators to warm up",
            [{"bars": bars, "needed": need}],
        )
