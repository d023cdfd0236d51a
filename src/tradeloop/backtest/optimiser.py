"""A sweep from plan to result: the combinations to try (grid, random draw or Bayesian
search with Optuna's TPE), constraints and filters, the objective's winner, walk-forward
windows and the odds that the winner is luck. Combinations run through an ``Executor``
(a process pool or a Dask cluster, in ``services``); everything here is pure."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import numpy as np
import pandas as pd

from tradeloop.backtest.constraints import Constraint
from tradeloop.backtest.overfitting import backtest_overfitting, deflated_sharpe, sharpe_ratios
from tradeloop.backtest.results import curves
from tradeloop.backtest.stats import finite
from tradeloop.backtest.sweep import (
    Combination,
    Outcome,
    Span,
    SweepJob,
    backtest_span,
)
from tradeloop.backtest.sweep_space import SweepSpace, judge
from tradeloop.backtest.walk_forward import Window, windows
from tradeloop.core.errors import InvalidInput
from tradeloop.market.errors import DataError

Method = Literal["grid", "random", "bayes"]
BAYES_BATCH = 8  # trials asked of TPE at once (fixed, so a seed gives the same search anywhere)
CSCV_SPLITS = 16


def _return_over_drawdown(stats: dict[str, Any]) -> float | None:
    dd = stats.get("max_drawdown_pct")
    return stats["return_pct"] / dd if dd else None


OBJECTIVES: dict[str, Callable[[dict[str, Any]], float | None]] = {
    "net_profit": lambda s: s["net_profit"],
    "sharpe": lambda s: s["sharpe"],
    "sortino": lambda s: s["sortino"],
    "calmar": lambda s: s["calmar"],
    "profit_factor": lambda s: s["profit_factor"],
    "sqn": lambda s: s["sqn"],
    "return_over_drawdown": _return_over_drawdown,
}


class Cancelled(Exception):
    """The sweep was stopped; what finished is kept."""


class Executor(Protocol):
    """Runs combinations of a job over a span, calling ``done`` with each finished chunk's
    outcomes as they arrive (raise ``Cancelled`` from ``done`` to stop)."""

    def run(
        self, span: Span, combos: list[Combination], done: Callable[[list[Outcome]], None]
    ) -> None: ...


@dataclass(frozen=True)
class WalkForward:
    """``rolling`` or ``anchored`` windows of ``in_bars`` in sample, ``out_bars`` out."""

    kind: Literal["rolling", "anchored"]
    in_bars: int
    out_bars: int

    @classmethod
    def parse(cls, text: str) -> WalkForward:
        """``rolling:IN:OUT`` or ``anchored:IN:OUT`` (bars)."""
        kind, *sizes = text.strip().split(":")
        if kind not in ("rolling", "anchored") or len(sizes) != 2:
            raise InvalidInput(
                f"--walk-forward {text!r}: write rolling:IN_BARS:OUT_BARS or "
                "anchored:IN_BARS:OUT_BARS", [{"field": "walk_forward"}],
                "optimise.error.walk_forward_form", {"text": text},
            )  # fmt: skip
        try:
            in_bars, out_bars = (int(x) for x in sizes)
        except ValueError as exc:
            raise InvalidInput(
                f"--walk-forward {text!r}: the bar counts must be whole numbers",
                [{"field": "walk_forward"}],
                "optimise.error.walk_forward_whole",
                {"text": text},
            ) from exc
        if in_bars < 1 or out_bars < 1:
            raise InvalidInput(f"--walk-forward {text!r}: both bar counts must be at least 1",
                               [{"field": "walk_forward"}], "optimise.error.walk_forward_min",
                               {"text": text})  # fmt: skip
        return cls(kind, in_bars, out_bars)  # type: ignore[arg-type]


@dataclass(frozen=True)
class SweepPlan:
    """What to sweep and how to judge it. ``params``/``settings`` hold the fixed strategy
    parameters and execution settings; ``setting_names`` says which swept names are
    execution settings (the others are strategy parameters)."""

    space: SweepSpace
    params: dict[str, Any] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)
    setting_names: frozenset[str] = frozenset()
    constraints: tuple[Constraint, ...] = ()
    fixed_values: dict[str, float] = field(default_factory=dict)
    method: Method = "grid"
    trials: int | None = None
    seed: int = 0
    objective: str = "net_profit"
    min_trades: int = 1
    max_drawdown_pct: float | None = None
    walk_forward: WalkForward | None = None

    def __post_init__(self) -> None:
        if self.objective not in OBJECTIVES:
            raise InvalidInput(
                f"--objective {self.objective!r}: choose one of {', '.join(OBJECTIVES)}",
                [{"field": "objective"}],
                "optimise.error.objective",
                {"objective": self.objective, "choices": ", ".join(OBJECTIVES)},
            )
        if self.method in ("random", "bayes") and (self.trials is None or self.trials < 1):
            raise InvalidInput(f"--method {self.method} needs --trials of at least 1",
                               [{"field": "trials"}], "optimise.error.trials_needed",
                               {"method": self.method})  # fmt: skip

    def combination(self, index: int, values: dict[str, Any], skipped: str | None) -> Combination:
        """Swept ``values`` as a combination (fixed values filled in)."""
        params = dict(self.params)
        settings = dict(self.settings)
        for name, value in values.items():
            (settings if name in self.setting_names else params)[name] = value
        return Combination(index, params, settings, skipped)

    @property
    def exhaustive(self) -> bool:
        """Every combination runs: a grid, or a Bayesian search with as many trials as the
        grid holds (it would only ask again for what it has seen)."""
        return self.method == "grid" or (
            self.method == "bayes" and (self.trials or 0) >= self.space.size
        )

    def candidates(self) -> list[Combination]:
        """The grid's or the random draw's combinations, constraints applied."""
        drawn: Iterable[dict[str, Any]] = (
            self.space.grid() if self.exhaustive
            else self.space.draw(self.trials or 0, self.seed)
        )  # fmt: skip
        judged = judge(drawn, self.constraints, self.fixed_values)
        return [self.combination(i, j.values, j.skipped) for i, j in enumerate(judged)]

    def excluded(self, stats: dict[str, Any]) -> str | None:
        """Why a run's statistics keep it from being chosen (the filters), or None."""
        if stats["trades"] < self.min_trades:
            return f"{stats['trades']} trades, fewer than the minimum of {self.min_trades}"
        if self.max_drawdown_pct is not None and stats["max_drawdown_pct"] > self.max_drawdown_pct:
            return (f"max drawdown {stats['max_drawdown_pct']:.2f}% above the limit of "
                    f"{self.max_drawdown_pct:g}%")  # fmt: skip
        if OBJECTIVES[self.objective](stats) is None:
            return f"{self.objective} cannot be computed for this run"
        return None

    def score(self, stats: dict[str, Any]) -> float | None:
        """The objective of a run that may be chosen, or None."""
        return None if self.excluded(stats) else OBJECTIVES[self.objective](stats)


@dataclass
class Sweep:
    """A sweep's state: its combinations and the outcomes received so far (by index)."""

    plan: SweepPlan
    combos: list[Combination] = field(default_factory=list)
    outcomes: dict[int, Outcome] = field(default_factory=dict)
    listener: Callable[[list[Outcome]], None] | None = None  # told of each new outcome

    def add(self, outcomes: Iterable[Outcome]) -> None:
        """Keep ``outcomes`` (by index: one arriving twice counts once, and the listener
        hears of it once)."""
        fresh = [o for o in outcomes if o.index not in self.outcomes]
        for outcome in fresh:
            self.outcomes[outcome.index] = outcome
        if self.listener is not None and fresh:
            self.listener(fresh)

    def best(self) -> Combination | None:
        """The finished combination with the highest objective (the first on ties)."""
        scored = [
            (score, -o.index)
            for o in self.outcomes.values()
            if o.stats is not None and (score := self.plan.score(o.stats)) is not None
        ]
        return self.combos[-max(scored)[1]] if scored else None

    def rows(self) -> list[dict[str, Any]]:
        """Every combination as the JSON gives it, in order (unfinished ones left out)."""
        found = []
        for combo in self.combos:
            outcome = self.outcomes.get(combo.index)
            if outcome is not None:
                found.append(row(self.plan, combo, outcome))
        return found


def row(plan: SweepPlan, combo: Combination, outcome: Outcome) -> dict[str, Any]:
    """A combination and its outcome: params, settings, stats, skipped, excluded."""
    return {
        "index": combo.index,
        "params": combo.params,
        "settings": combo.settings,
        "stats": outcome.stats,
        "skipped": outcome.skipped,
        "excluded": None if outcome.stats is None else plan.excluded(outcome.stats),
    }


def search(
    sweep: Sweep, executor: Executor, span: Span, progress: Callable[[int, int], None],
    resumed: dict[int, Outcome] | None = None,
) -> None:  # fmt: skip
    """Run the plan's search over ``span`` into ``sweep`` (which keeps what finished when
    the run is cancelled); ``progress(done, total)`` after each chunk. With ``resumed``
    outcomes (an interrupted run's), only the missing combinations run."""
    if sweep.plan.method == "bayes" and not sweep.plan.exhaustive:
        _bayes(sweep, executor, span, progress, resumed or {})
        return
    sweep.combos = sweep.plan.candidates()
    sweep.outcomes.update((i, o) for i, o in (resumed or {}).items() if i < len(sweep.combos))
    missing = [c for c in sweep.combos if c.index not in sweep.outcomes]

    def done(outcomes: list[Outcome]) -> None:
        sweep.add(outcomes)
        progress(len(sweep.outcomes), len(sweep.combos))

    progress(len(sweep.outcomes), len(sweep.combos))
    if missing:
        executor.run(span, missing, done)


def _bayes(
    sweep: Sweep, executor: Executor, span: Span, progress: Callable[[int, int], None],
    resumed: dict[int, Outcome],
) -> None:  # fmt: skip
    """TPE over the grid's values, ``BAYES_BATCH`` trials at a time; a combination asked
    again is told its earlier result without running twice. Trials that break a constraint,
    cannot run or are filtered out are told as failed."""
    import optuna

    plan = sweep.plan
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(
        direction="maximize", sampler=optuna.samplers.TPESampler(seed=plan.seed)
    )
    known: dict[tuple, int] = {}
    total, asked = plan.trials or 0, 0
    progress(0, total)
    while asked < total:
        trials = [study.ask() for _ in range(min(BAYES_BATCH, total - asked))]
        asked += len(trials)
        picks = []
        for trial in trials:
            values = {
                name: trial.suggest_categorical(name, grid)
                for name, grid in plan.space.grids.items()
            }
            key = tuple(values.items())
            if key not in known:
                judged = judge([values], plan.constraints, plan.fixed_values)[0]
                known[key] = len(sweep.combos)
                sweep.combos.append(plan.combination(len(sweep.combos), values, judged.skipped))
            picks.append((trial, known[key]))
        fresh = list({i: sweep.combos[i] for _, i in picks if i not in sweep.outcomes}.values())
        sweep.outcomes.update((c.index, resumed[c.index]) for c in fresh if c.index in resumed)
        waiting = [c for c in fresh if c.index not in sweep.outcomes]
        if waiting:
            executor.run(span, waiting, sweep.add)
        for trial, index in picks:
            stats = sweep.outcomes[index].stats
            score = None if stats is None else plan.score(stats)
            if score is None or not math.isfinite(score):
                study.tell(trial, state=optuna.trial.TrialState.FAIL)
            else:
                study.tell(trial, score)
        progress(asked, total)


def overfitting(sweep: Sweep, best: Combination | None) -> dict[str, Any]:
    """The winner's Deflated Sharpe Ratio given the trials, and the PBO by CSCV, over the
    daily returns of every combination that ran (``None`` where they cannot be computed)."""
    ran = [o for o in sweep.outcomes.values() if o.daily is not None and o.stats is not None]
    ran.sort(key=lambda o: o.index)
    found: dict[str, Any] = {"trials": len(ran), "dsr": None, "dsr_p_value": None,
                             "dsr_benchmark": None, "pbo": None}  # fmt: skip
    if not ran or len(ran[0].daily) < 3:  # type: ignore[arg-type]
        return found
    returns = np.column_stack([o.daily for o in ran])
    if len(ran) >= 2 and len(returns) >= CSCV_SPLITS:  # the choosing, whatever it chose
        found["pbo"] = backtest_overfitting(returns, CSCV_SPLITS).pbo
    if best is None:
        return found
    ratios = sharpe_ratios(returns)
    column = next(k for k, o in enumerate(ran) if o.index == best.index)
    winner = returns[:, column]
    centred = winner - winner.mean()
    m2 = float(np.mean(centred**2))
    if m2 > 0:
        skew = float(np.mean(centred**3)) / m2**1.5
        kurtosis = float(np.mean(centred**4)) / m2**2
        variance = float(np.var(ratios, ddof=1)) if len(ran) > 1 else 0.0
        dsr = deflated_sharpe(float(ratios[column]), len(winner), skew, kurtosis, len(ran),
                              variance)  # fmt: skip
        if math.isfinite(dsr.dsr):
            found |= {"dsr": dsr.dsr, "dsr_p_value": dsr.p_value, "dsr_benchmark": dsr.benchmark}
    return found


def _per_100_bars(stats: dict[str, Any] | None) -> float | None:
    if not stats or not stats["bars"]:
        return None
    return stats["return_pct"] / stats["bars"] * 100


def walk_forward(
    plan: SweepPlan, job: SweepJob, executor: Executor,
    progress: Callable[[int, int], None],
) -> tuple[list[dict[str, Any]], dict[str, list[Any]]]:  # fmt: skip
    """Each window's in-sample winner tested out of sample (its indicators warmed up on the
    in-sample bars), with the gap in return per 100 bars; and the out-of-sample equity
    stitched window after window (each window compounding from where the last ended)."""
    assert plan.walk_forward is not None
    wf = plan.walk_forward
    found: list[dict[str, Any]] = []
    times, values, level = [], [], 1.0
    cuts = windows(len(job.bars), wf.in_bars, wf.out_bars, wf.kind)
    for number, window in enumerate(cuts):
        inside = Sweep(plan)
        search(inside, executor, Span(window.in_start, window.in_end), lambda d, t: None)
        best = inside.best()
        entry = _window_times(job, window) | {"params": None, "settings": None,
                                              "in_stats": None, "out_stats": None}  # fmt: skip
        if best is not None:
            entry |= {"params": best.params, "settings": best.settings,
                      "in_stats": inside.outcomes[best.index].stats}  # fmt: skip
            try:
                run = backtest_span(job, Span(window.out_start, window.out_end, window.in_start),
                                    best)  # fmt: skip
            except (InvalidInput, DataError) as exc:
                entry["out_skipped"] = exc.message
            else:
                entry["out_stats"] = finite(run.stats)
                equity = run.equity.to_numpy() / run.settings.initial_cash * level
                times.extend(run.equity.index)
                values.extend(equity.tolist())
                level = float(equity[-1])
        entry["in_per_100_bars_pct"] = _per_100_bars(entry["in_stats"])
        entry["out_per_100_bars_pct"] = _per_100_bars(entry["out_stats"])
        both = (entry["in_per_100_bars_pct"], entry["out_per_100_bars_pct"])
        entry["gap_per_100_bars_pct"] = None if None in both else both[0] - both[1]
        found.append(entry)
        progress(number + 1, len(cuts))
    stitched: dict[str, list[Any]] = {"time": [], "growth": []}
    if values:
        series = pd.Series(values, index=pd.DatetimeIndex(times))
        sampled = curves(series, series)
        stitched = {"time": sampled["time"], "growth": sampled["equity"]}
    return found, stitched


def _window_times(job: SweepJob, window: Window) -> dict[str, Any]:
    index = job.bars.index
    return {
        "in_start": index[window.in_start].isoformat(),
        "in_end": index[window.in_end - 1].isoformat(),
        "out_start": index[window.out_start].isoformat(),
        "out_end": index[window.out_end - 1].isoformat(),
        "bars": {"in_start": window.in_start, "in_end": window.in_end,
                 "out_start": window.out_start, "out_end": window.out_end},
    }  # fmt: skip


def result(
    sweep: Sweep, complete: bool,
    walk: tuple[list[dict[str, Any]], dict[str, list[Any]]] | None = None,
) -> dict[str, Any]:  # fmt: skip
    """The sweep as its JSON: combinations, best, overfitting, walk-forward."""
    best = sweep.best()
    rows = sweep.rows()
    return {
        "complete": complete,
        "objective": sweep.plan.objective,
        "method": sweep.plan.method,
        "combinations": rows,
        "best": next((r for r in rows if best is not None and r["index"] == best.index), None),
        "overfitting": overfitting(sweep, best),
        "walk_forward": walk[0] if walk else [],
        "walk_forward_equity": walk[1] if walk else {"time": [], "growth": []},
    }
