"""Sweeps as a unit of work: a request checked and turned into a plan, an executor chosen,
the search and walk-forward run, and a result that stays consistent when cancelled."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from tradeloop.backtest.constraints import parse_constraint
from tradeloop.backtest.optimiser import (
    Cancelled,
    Executor,
    Sweep,
    SweepPlan,
    WalkForward,
    result,
    search,
    walk_forward,
)
from tradeloop.backtest.sweep import SWEPT_SETTINGS, Outcome, Span, SweepJob, settings_of
from tradeloop.backtest.sweep_space import MAX_COMBINATIONS, SweepSpace, parse_grid
from tradeloop.core.errors import InvalidInput
from tradeloop.strategies.base import get_strategy


class SweepRequest(BaseModel):
    """A sweep as the CLI and the API take it."""

    model_config = ConfigDict(extra="forbid")

    strategy: str = Field(min_length=1, max_length=64)
    params: dict[str, int | float | bool] = Field(default_factory=dict)
    settings: dict[str, Any] = Field(default_factory=dict)
    grids: list[str] = Field(min_length=1, max_length=12)
    method: Literal["grid", "random", "bayes"] = "grid"
    trials: int | None = Field(default=None, ge=1, le=MAX_COMBINATIONS)
    seed: int = Field(default=0, ge=0, le=2**32 - 1)
    objective: str = "net_profit"
    constraints: list[str] = Field(default_factory=list, max_length=12)
    min_trades: int = Field(default=1, ge=0, le=1_000_000)
    max_drawdown_pct: float | None = Field(default=None, gt=0, le=100)
    walk_forward: str | None = Field(default=None, max_length=64)
    max_combinations: int = Field(default=MAX_COMBINATIONS, ge=1, le=1_000_000)


def plan_sweep(request: SweepRequest) -> SweepPlan:
    """The request as a plan: names known, grids and constraints parsed, the fixed settings
    valid with the first swept values, the size within ``max_combinations``."""
    strategy = get_strategy(request.strategy, request.params)
    param_names = [p.name for p in strategy.params]
    known = [*param_names, *SWEPT_SETTINGS]
    grids: dict[str, list[float | int]] = {}
    for spec in request.grids:
        name, values = parse_grid(spec, known)
        if name in grids:
            raise InvalidInput(
                f"--grid {spec!r}: {name} is swept twice", [{"field": "grids"}],
                "optimise.error.grid_twice_name", {"spec": spec, "name": name},
            )  # fmt: skip
        grids[name] = values
    space = SweepSpace(grids)
    if request.method == "grid" and request.trials is not None:
        raise InvalidInput("--trials applies to --method random or bayes, not to a grid",
                           [{"field": "trials"}], "optimise.error.trials_grid")  # fmt: skip
    if request.method == "grid":
        space.check_size(request.max_combinations)
    elif (request.trials or 0) > request.max_combinations:
        raise InvalidInput(
            f"--trials {request.trials:,} is above the limit of {request.max_combinations:,} "
            "(--max-combinations)", [{"field": "trials"}], "optimise.error.trials_limit",
            {"trials": request.trials, "limit": request.max_combinations},
        )  # fmt: skip
    setting_names = frozenset(n for n in grids if n in SWEPT_SETTINGS)
    first = {n: values[0] for n, values in grids.items() if n in setting_names}
    settings_of({**request.settings, **first})  # the fixed settings themselves are sound
    numbers = {
        k: float(v) for k, v in {**strategy.values, **request.settings}.items()
        if isinstance(v, int | float) and not isinstance(v, bool)
    }  # fmt: skip
    return SweepPlan(
        space=space,
        params={k: v for k, v in request.params.items() if k not in grids},
        settings={k: v for k, v in request.settings.items() if k not in grids},
        setting_names=setting_names,
        constraints=tuple(parse_constraint(text, known) for text in request.constraints),
        fixed_values=numbers,
        method=request.method,
        trials=request.trials,
        seed=request.seed,
        objective=request.objective,
        min_trades=request.min_trades,
        max_drawdown_pct=request.max_drawdown_pct,
        walk_forward=WalkForward.parse(request.walk_forward) if request.walk_forward else None,
    )


def run_sweep(
    job: SweepJob, plan: SweepPlan, executor: Executor,
    progress: Callable[[str, int, int], None] = lambda stage, done, total: None,
    resumed: dict[int, Outcome] | None = None,
    finished: Callable[[list[Outcome]], None] | None = None,
) -> dict[str, Any]:  # fmt: skip
    """The sweep's result (``complete`` false when it was cancelled or interrupted: the
    combinations that finished, judged as they are). ``progress(stage, done, total)``
    reports the sweep, then the walk-forward windows."""
    sweep = Sweep(plan, listener=finished)
    try:
        search(sweep, executor, Span(0, len(job.bars)), lambda d, t: progress("sweep", d, t),
               resumed)  # fmt: skip
        walk = None
        if plan.walk_forward is not None:
            walk = walk_forward(plan, job, executor, lambda d, t: progress("walk_forward", d, t))
    except (Cancelled, KeyboardInterrupt):
        return result(sweep, complete=False)
    return result(sweep, complete=True, walk=walk)


def make_executor(
    job: SweepJob, kind: Literal["local", "dask"] | None, workers: int | None,
    scheduler: str | None, stop: Callable[[], bool] = lambda: False, start_method: str = "spawn",
) -> Any:  # fmt: skip
    """The executor asked for: ``dask`` (at ``scheduler``, required), or local processes
    (in this process when one worker is asked for; ``start_method`` as ``LocalExecutor``
    takes it). ``kind`` None: Dask when a scheduler is configured, else local."""
    from tradeloop.services.sweep_executors import DaskExecutor, InlineExecutor, LocalExecutor

    if kind == "dask" or (kind is None and scheduler):
        if not scheduler:
            raise InvalidInput(
                "--executor dask needs a scheduler: set TRADELOOP_DASK_SCHEDULER=tcp://host:port",
                [{"field": "executor"}],
            )
        try:
            return DaskExecutor(job, scheduler, stop=stop)
        except OSError as exc:
            raise InvalidInput(
                f"cannot reach the Dask scheduler at {scheduler}: {exc}", [{"field": "executor"}]
            ) from exc
    if workers == 1:
        return InlineExecutor(job, stop)
    return LocalExecutor(job, workers, stop, start_method)


PBO_LOW, PBO_HIGH = 0.25, 0.5  # below: held up; to 50 %: about a coin toss; above: overfit


def odds_sentences(odds: dict[str, Any], language: str) -> dict[str, str]:
    """What the DSR and the PBO of a result mean, in ``language``: a DSR of at least 95 %
    is unlikely to be luck; a PBO below 25 % held up, to 50 % is about a coin toss, above is
    likely overfitting."""
    from tradeloop.i18n import translate

    def pct(value: float) -> str:
        return f"{value * 100:.0f}%"

    if odds["dsr"] is None:
        dsr = translate(language, "optimise.dsr.none")
    else:
        strong = odds["dsr"] >= 0.95
        dsr = translate(
            language, f"optimise.dsr.{'strong' if strong else 'weak'}", dsr=pct(odds["dsr"]),
            trials=odds["trials"], p=f"{odds['dsr_p_value']:.2f}",
        )  # fmt: skip
    if odds["pbo"] is None:
        pbo = translate(language, "optimise.pbo.none")
    else:
        band = "high" if odds["pbo"] >= PBO_HIGH else "middle" if odds["pbo"] >= PBO_LOW else "low"
        pbo = translate(language, f"optimise.pbo.{band}", pbo=pct(odds["pbo"]))
    return {"dsr": dsr, "pbo": pbo}
