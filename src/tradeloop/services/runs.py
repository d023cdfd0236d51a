"""Run a backtest from a data file without a database: read and validate the bars, resolve the
instrument, run, summarise (what the CLI and the backtest service share)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from tradeloop.backtest.engine import BacktestRun, run_backtest
from tradeloop.backtest.results import result_columns
from tradeloop.core.instruments import Instrument
from tradeloop.execution.settings import ExecutionSettings
from tradeloop.market.instruments import custom_instrument, resolve_instrument
from tradeloop.market.readers import StoredBars, read_bars, stored_bars
from tradeloop.market.report import bars_report
from tradeloop.market.times import DateOrder
from tradeloop.market.validation import check_intervals, prepare_bars
from tradeloop.strategies.base import Strategy, get_strategy  # noqa: F401


@dataclass(frozen=True)
class InstrumentChoice:
    """The symbol, and optionally a description for a symbol the registry does not know."""

    symbol: str
    contract_size: float | None = None
    pip_size: float | None = None
    quote_currency: str | None = None

    def resolve(self) -> Instrument:
        """The registry's instrument, or the described one."""
        if self.contract_size or self.pip_size or self.quote_currency:
            if not (self.contract_size and self.pip_size and self.quote_currency):
                from tradeloop.core.errors import InvalidInput

                raise InvalidInput(
                    "describe a custom instrument with all of contract size, "
                    "pip size and quote currency"
                )
            return custom_instrument(
                self.symbol, self.contract_size, self.pip_size, self.quote_currency
            )
        return resolve_instrument(self.symbol)


def symbol_from_filename(name: str) -> str:
    """``EURUSD_H1.csv`` → ``EURUSD`` (the part before the first ``_``, ``-``, space or dot)."""
    return re.split(r"[_\-\s.]", Path(name).name, maxsplit=1)[0]


def load_bars(
    source: bytes | str | Path,
    tz: str = "UTC",
    keep_dominant_interval: bool = False,
    date_order: DateOrder = "auto",
) -> tuple[pd.DataFrame, str]:
    """Read and validate bars; returns the bar frame and its timeframe."""
    return prepare_bars(read_bars(source, tz, date_order), keep_dominant_interval)


def load_reported_bars(
    source: bytes | str | Path, tz: str = "UTC", keep_dominant_interval: bool = False,
    date_order: DateOrder = "auto",
) -> tuple[pd.DataFrame, str, dict[str, Any]]:  # fmt: skip
    """Read and validate bars; the bar frame, its timeframe and its report (interval, gaps
    beyond usual closures, the bars dropped and why) as a dataset stores it."""
    read = read_bars(source, tz, date_order)
    checked = check_intervals(read, keep_dominant_interval)
    report = bars_report(checked.bars, checked.timeframe, checked.dropped, len(read))
    return checked.bars, checked.timeframe, report


def backtest(
    bars: pd.DataFrame,
    strategy: Strategy,
    instrument: Instrument,
    settings: ExecutionSettings,
    conversion_rates: pd.Series | None = None,
    replayed: bool = False,
) -> BacktestRun:
    """Run the backtest (the strategy's parameters are already validated); ``replayed``: as a
    paper bot over a replay feed, bar by bar, with the same result shape."""
    if replayed:
        from tradeloop.bots.runner import replay_run

        return replay_run(bars, strategy, instrument, settings, conversion_rates)
    return run_backtest(bars, strategy, instrument, settings, conversion_rates)


def run_summary(run: BacktestRun, bars: pd.DataFrame) -> dict[str, Any]:
    """The JSON document of a run: bars, start, end, strategy, params, trades, stats."""
    return {
        "bars": len(bars),
        "start": bars.index[0].isoformat(),
        "end": bars.index[-1].isoformat(),
        "symbol": run.instrument.symbol,
        "strategy": run.strategy.key,
        "params": run.strategy.values,
        "settings": run.settings.model_dump(),
        "trades": run.trade_records(),
        "stats": run.stats,
    }


@dataclass(frozen=True)
class StorableRun:
    """A run as it will be stored, made in a worker process: the result's columns, the bars'
    timeframe and symbol, and (for an uploaded file) the bars as a dataset keeps them."""

    columns: dict[str, Any]
    timeframe: str
    symbol: str
    bars: StoredBars | None = None
    report: dict[str, Any] | None = None


def run_upload(
    data: bytes, choice: InstrumentChoice, strategy: Strategy, settings: ExecutionSettings,
    tz: str = "UTC", keep_dominant_interval: bool = False, date_order: DateOrder = "auto",
) -> StorableRun:  # fmt: skip
    """Read an uploaded bar file, run the backtest, and prepare both for storing."""
    bars, timeframe, report = load_reported_bars(data, tz, keep_dominant_interval, date_order)
    instrument = choice.resolve()
    run = backtest(bars, strategy, instrument, settings)
    return StorableRun(result_columns(run, bars, timeframe), timeframe, instrument.symbol,
                       stored_bars(bars), report)  # fmt: skip


def run_stored(
    parquet: bytes, timeframe: str, choice: InstrumentChoice, strategy: Strategy,
    settings: ExecutionSettings,
) -> StorableRun:  # fmt: skip
    """Run the backtest on a stored dataset's bars and prepare the result for storing."""
    bars = read_bars(parquet)
    instrument = choice.resolve()
    run = backtest(bars, strategy, instrument, settings)
    return StorableRun(result_columns(run, bars, timeframe), timeframe, instrument.symbol)


def read_upload(
    data: bytes, tz: str = "UTC", keep_dominant_interval: bool = False,
    date_order: DateOrder = "auto",
) -> tuple[StoredBars, str, dict[str, Any]]:  # fmt: skip
    """Read and validate an uploaded bar file; the bars as a dataset keeps them, their
    timeframe and their report."""
    bars, timeframe, report = load_reported_bars(data, tz, keep_dominant_interval, date_order)
    return stored_bars(bars), timeframe, report
