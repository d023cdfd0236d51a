"""A sweep's evaluation: many combinations of one strategy over one bar series, each equal to
its standalone backtest (``run_backtest`` on the same bars) to the last bit.

Speed comes from sharing, not from another rule set: the bars' arrays are built once per
chunk, each indicator of a distinct parameter value is computed once (``sharing``), signals
once per distinct strategy parameters, stop and target distances once per distinct level
setting, and the chunk's combinations run in one compiled call (``run_many``), which loops
over the same per-bar step as a backtest.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from pydantic import ValidationError

from tradeloop.backtest.engine import BacktestRun, assemble_run
from tradeloop.backtest.kernel import run_many
from tradeloop.backtest.stats import daily_returns, finite
from tradeloop.core.errors import InvalidInput, first_problem
from tradeloop.core.instruments import Instrument
from tradeloop.execution.inputs import (
    conversion,
    cost_vector,
    instrument_vector,
    level_distances,
    require_warmup,
    sizing,
)
from tradeloop.execution.settings import ExecutionSettings
from tradeloop.market.errors import DataError
from tradeloop.strategies.base import Strategy, get_strategy
from tradeloop.strategies.indicators import sharing

# execution settings a sweep may vary, by their option name without dashes
SWEPT_SETTINGS = (
    "sl_pips", "tp_pips", "sl_atr", "tp_atr", "atr_period", "lots", "units", "risk_percent",
    "spread_pips", "commission", "slippage_pips", "initial_cash",
)  # fmt: skip
LEVEL_SETTINGS = ("sl_pips", "tp_pips", "sl_atr", "tp_atr", "atr_period")
MAX_CELLS = 4_000_000  # equity values one compiled call may hold (32 MB)


@dataclass(frozen=True)
class SweepJob:
    """What every worker needs once: the bars, the strategy's key, the instrument and the
    conversion rates (crosses with a series)."""

    bars: pd.DataFrame
    strategy: str
    instrument: Instrument
    rates: pd.Series | None = None


@dataclass(frozen=True)
class Span:
    """Trade bars ``start`` to ``stop - 1``; indicators read from bar ``history`` (≤ start),
    so an out-of-sample window can be warmed up on the bars before it."""

    start: int
    stop: int
    history: int | None = None

    @property
    def first(self) -> int:
        """The first bar the indicators read."""
        return self.start if self.history is None else self.history


@dataclass(frozen=True)
class Combination:
    """One point of a sweep: its strategy parameters and execution settings (fixed and swept
    together), and why it is skipped before running, if it is."""

    index: int
    params: dict[str, Any]
    settings: dict[str, Any]
    skipped: str | None = None


@dataclass(frozen=True)
class Outcome:
    """A combination's statistics and daily returns, or the reason it did not run."""

    index: int
    stats: dict[str, Any] | None = None
    skipped: str | None = None
    daily: np.ndarray | None = field(default=None, repr=False, compare=False)


def settings_of(values: dict[str, Any]) -> ExecutionSettings:
    """Execution settings from plain values; InvalidInput naming the setting at fault."""
    try:
        return ExecutionSettings(**values)
    except ValidationError as exc:
        where, text = first_problem(exc.errors())
        raise InvalidInput(f"{where}: {text}" if where else text) from exc


def _key(values: dict[str, Any]) -> tuple:
    return tuple(sorted(values.items()))


@dataclass
class _Ready:
    """A combination that runs: its strategy, settings and rows of the shared inputs."""

    combo: Combination
    strategy: Strategy
    settings: ExecutionSettings
    signal_row: int
    level_row: int
    size_mode: int
    size_value: float
    costs: np.ndarray


class _Inputs:
    """The shared rows of one chunk: signals per distinct strategy parameters, level
    distances per distinct level settings (all over the span's traded bars)."""

    def __init__(self, job: SweepJob, span: Span) -> None:
        self.job, self.span = job, span
        read = job.bars.iloc[span.first : span.stop]
        self.arrays = Strategy._arrays(read)
        self.times = read.index
        self.traded = job.bars.iloc[span.start : span.stop]
        self.skip = span.start - span.first
        self.strategies: dict[tuple, tuple[int, Strategy]] = {}
        self.signals: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self.levels: dict[tuple, int] = {}
        self.level_rows: list[tuple[np.ndarray, np.ndarray]] = []
        self.rates: np.ndarray | None = None

    def strategy(self, params: dict[str, Any]) -> tuple[int, Strategy]:
        key = _key(params)
        if key not in self.strategies:
            strategy = get_strategy(self.job.strategy, params)
            made = strategy.compute(*self.arrays, self.times)
            n, s = len(self.traded), self.skip
            none = np.zeros(n, dtype=np.bool_)
            self.signals.append(
                (
                    made.entries[s:],
                    none if made.exit_long is None else made.exit_long[s:],
                    none if made.exit_short is None else made.exit_short[s:],
                )
            )
            self.strategies[key] = (len(self.signals) - 1, strategy)
        return self.strategies[key]

    def level(self, settings: ExecutionSettings) -> int:
        key = tuple(getattr(settings, name) for name in LEVEL_SETTINGS)
        if key not in self.levels:
            _, h, low, c, _ = self.arrays
            stop, target = level_distances(h, low, c, self.job.instrument, settings)
            self.level_rows.append((stop[self.skip :], target[self.skip :]))
            self.levels[key] = len(self.level_rows) - 1
        return self.levels[key]

    def prepare(self, combo: Combination) -> _Ready:
        """The combination's rows and sizing; InvalidInput or DataError when it cannot run."""
        row, strategy = self.strategy(combo.params)
        settings = settings_of(combo.settings)
        require_warmup(len(self.arrays[0]), strategy, settings)
        mode, rate, rates = conversion(self.job.instrument, settings, self.traded, self.job.rates)
        self.rates = rates
        size_mode, size_value = sizing(self.job.instrument, settings)
        costs = cost_vector(self.job.instrument, settings, mode, rate)
        return _Ready(
            combo, strategy, settings, row, self.level(settings), size_mode, size_value, costs
        )


def evaluate(job: SweepJob, span: Span, combos: list[Combination]) -> list[Outcome]:
    """Each combination's outcome over ``span`` of the job's bars, in the order given."""
    inputs = _Inputs(job, span)
    outcomes: dict[int, Outcome] = {}
    ready: list[_Ready] = []
    with sharing(*inputs.arrays):
        for combo in combos:
            if combo.skipped is not None:
                outcomes[combo.index] = Outcome(combo.index, skipped=combo.skipped)
                continue
            try:
                ready.append(inputs.prepare(combo))
            except (InvalidInput, DataError) as exc:
                outcomes[combo.index] = Outcome(combo.index, skipped=exc.message)
    per_call = max(1, MAX_CELLS // max(len(inputs.traded), 1))
    for first in range(0, len(ready), per_call):
        for r, run, daily in _run(inputs, ready[first : first + per_call]):
            outcomes[r.combo.index] = Outcome(r.combo.index, finite(run.stats), daily=daily)
    return [outcomes[combo.index] for combo in combos]


def backtest_span(job: SweepJob, span: Span, combo: Combination) -> BacktestRun:
    """The full run (trades, equity) of one combination over ``span``: a walk-forward's
    out-of-sample test. InvalidInput or DataError when it cannot run."""
    inputs = _Inputs(job, span)
    with sharing(*inputs.arrays):
        ready = inputs.prepare(combo)
    return _run(inputs, [ready])[0][1]


def _stacked(rows: list[np.ndarray], dtype: Any) -> np.ndarray:
    return np.ascontiguousarray(np.stack(rows), dtype=dtype)


def _run(inputs: _Inputs, ready: list[_Ready]) -> list[tuple[_Ready, BacktestRun, np.ndarray]]:
    """One compiled call for ``ready``, then each one's run with its statistics and its
    daily returns."""
    traded = inputs.traded
    o, h, low, c = (np.ascontiguousarray(a[inputs.skip :]) for a in inputs.arrays[:4])
    entries, exit_long, exit_short = zip(*inputs.signals, strict=True)
    stops, targets = zip(*inputs.level_rows, strict=True)
    trades, bounds, equity = run_many(
        o, h, low, c,
        _stacked(entries, entries[0].dtype), _stacked(exit_long, np.bool_),
        _stacked(exit_short, np.bool_), _stacked(stops, np.float64),
        _stacked(targets, np.float64),
        np.array([r.signal_row for r in ready], dtype=np.int64),
        np.array([r.level_row for r in ready], dtype=np.int64),
        np.array([r.settings.fill == "close" for r in ready]),
        np.array([r.settings.on_opposite == "reverse" for r in ready]),
        np.array([r.size_mode for r in ready], dtype=np.int64),
        np.array([r.size_value for r in ready], dtype=np.float64),
        instrument_vector(inputs.job.instrument), _stacked([r.costs for r in ready], np.float64),
        inputs.rates, np.array([r.settings.initial_cash for r in ready], dtype=np.float64),
    )  # fmt: skip
    times = traded.index.as_unit("ns").asi8
    found = []
    for k, (r, (b0, b1)) in enumerate(zip(ready, bounds.tolist(), strict=True)):
        daily = daily_returns(equity[k], times)
        run = assemble_run(traded, trades[b0:b1], equity[k], r.strategy, inputs.job.instrument,
                           r.settings, daily)  # fmt: skip
        found.append((r, run, daily))
    return found
