"""``tradeloop optimize``: sweep a strategy's parameters and execution settings over a data
file (every option of ``tradeloop backtest``), with walk-forward and overfitting odds."""

from __future__ import annotations

import inspect
import os
from typing import Annotated, Any, get_type_hints

import typer

from tradeloop.cli.backtest import (
    backtest_command,
    check_options,
    parse_params,
    read_inputs,
    setting_values,
)
from tradeloop.cli.console import json_bytes, out
from tradeloop.core.errors import InvalidInput

TOP_ROWS = 10
INTERRUPTED = 130  # the shell's code for a run stopped by Ctrl-C


def optimize_command(
    grid: Annotated[
        list[str],
        typer.Option(
            "--grid",
            "-g",
            help="NAME=a,b,c or NAME=start:stop:step (stop included); a strategy parameter "
            "or an execution setting (sl_atr, tp_pips, risk_percent…); repeatable",
        ),
    ],
    method: Annotated[str, typer.Option(help="grid, random or bayes")] = "grid",
    trials: Annotated[
        int | None, typer.Option(help="combinations to try (random and bayes)")
    ] = None,
    seed: Annotated[int, typer.Option(help="seed of the random draw and of bayes")] = 0,
    objective: Annotated[
        str,
        typer.Option(
            help="net_profit, sharpe, sortino, calmar, profit_factor, sqn or return_over_drawdown"
        ),
    ] = "net_profit",
    constraint: Annotated[
        list[str] | None,
        typer.Option(help="e.g. 'fast_period < slow_period' (repeatable)"),
    ] = None,
    min_trades: Annotated[int, typer.Option(help="fewer trades cannot win")] = 1,
    max_drawdown: Annotated[
        float | None, typer.Option(help="a larger max drawdown (%) cannot win")
    ] = None,
    walk_forward: Annotated[
        str | None, typer.Option(help="rolling:IN_BARS:OUT_BARS or anchored:IN_BARS:OUT_BARS")
    ] = None,
    executor: Annotated[
        str | None,
        typer.Option(help="local (processes) or dask (TRADELOOP_DASK_SCHEDULER)"),
    ] = None,
    workers: Annotated[
        int | None, typer.Option(help="local processes (default: every core)")
    ] = None,
    max_combinations: Annotated[int, typer.Option(help="refuse larger sweeps")] = 10_000,
    **options: Any,
) -> None:
    """Sweep a strategy over a data file and say how likely the winner is luck."""
    _optimise(dict(locals(), **options))


def _optimise(o: dict[str, Any]) -> None:
    from pydantic import ValidationError

    from tradeloop.backtest.sweep import SweepJob
    from tradeloop.config import get_settings
    from tradeloop.services.sweeps import SweepRequest, plan_sweep

    check_options(o)
    if o["executor"] not in (None, "local", "dask"):
        raise InvalidInput(f"--executor {o['executor']!r}: use local or dask")
    if o["workers"] is not None and o["workers"] < 1:
        raise InvalidInput("--workers must be at least 1")
    try:
        request = SweepRequest(
            strategy=o["strategy"], params=parse_params(o["param"] or []),
            settings=setting_values(o), grids=o["grid"], method=o["method"],
            trials=o["trials"], seed=o["seed"], objective=o["objective"],
            constraints=o["constraint"] or [], min_trades=o["min_trades"],
            max_drawdown_pct=o["max_drawdown"], walk_forward=o["walk_forward"],
            max_combinations=o["max_combinations"],
        )  # fmt: skip
    except ValidationError as exc:
        err = exc.errors()[0]
        field = {"max_drawdown_pct": "max-drawdown", "grids": "grid", "constraints": "constraint"}
        name = str(err["loc"][0]) if err["loc"] else ""
        raise InvalidInput(f"--{field.get(name, name.replace('_', '-'))}: {err['msg']}") from exc
    plan = plan_sweep(request)
    inputs = read_inputs(o)
    job = SweepJob(inputs.bars, request.strategy, inputs.instrument, inputs.rates)
    result = _with_progress(job, plan, o, get_settings().dask_scheduler)
    if o["json_out"] is not None:
        o["json_out"].write_bytes(json_bytes(result))
    _print(result, inputs, o)
    if not result["complete"]:
        out.print(
            f"interrupted: {len(result['combinations'])} combinations finished"
            + (f"; the partial result is in {o['json_out']}" if o["json_out"] else "")
        )
        raise typer.Exit(INTERRUPTED)


def _with_progress(job: Any, plan: Any, o: dict[str, Any], scheduler: str | None) -> Any:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from tradeloop.services.sweeps import make_executor, run_sweep

    labels = {"sweep": "combinations", "walk_forward": "walk-forward windows"}
    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
        TimeElapsedColumn(), console=Console(stderr=True), transient=True,
    ) as progress:  # fmt: skip
        tasks: dict[str, Any] = {}

        def report(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = progress.add_task(labels[stage], total=total)
            progress.update(tasks[stage], completed=done, total=total)

        # a command has no threads of its own to fear: forked workers start at once
        method = "fork" if os.name == "posix" else "spawn"
        executor = make_executor(job, o["executor"], o["workers"], scheduler, start_method=method)
        try:
            return run_sweep(job, plan, executor, report)
        finally:
            executor.close()


def _number(value: Any) -> str:
    if value is None:
        return "—"
    return f"{value:,.4g}" if isinstance(value, float) else str(value)


def _print(result: dict[str, Any], inputs: Any, o: dict[str, Any]) -> None:
    from rich.table import Table

    from tradeloop.backtest.optimiser import OBJECTIVES
    from tradeloop.services.sweeps import odds_sentences

    objective = OBJECTIVES[result["objective"]]
    rows = [r for r in result["combinations"] if r["stats"] is not None and not r["excluded"]]
    rows.sort(key=lambda r: -(objective(r["stats"]) or float("-inf")))
    swept = [spec.partition("=")[0].strip() for spec in o["grid"]]
    shown = ["trades", "net_profit", "sharpe", "max_drawdown_pct"]
    extra = [] if result["objective"] in shown else [result["objective"]]
    table = Table(
        *swept, *shown, *extra,
        title=f"{o['strategy']} on {inputs.instrument.symbol} {inputs.timeframe}: best "
        f"{min(TOP_ROWS, len(rows))} of {len(result['combinations'])} combinations "
        f"by {result['objective']}",
    )  # fmt: skip
    for r in rows[:TOP_ROWS]:
        values = {**r["params"], **r["settings"]}
        table.add_row(
            *(_number(values.get(n)) for n in swept),
            *(_number(r["stats"][n]) for n in shown),
            *(_number(objective(r["stats"])) for _ in extra),
        )
    out.print(table)
    skipped = [r for r in result["combinations"] if r["skipped"]]
    if skipped:
        out.print(f"{len(skipped)} skipped, e.g. {skipped[0]['skipped']}")
    if result["walk_forward"]:
        walk = Table("out of sample", "chosen in sample", "in %/100 bars", "out %/100 bars", "gap",
                     title="walk-forward")  # fmt: skip
        for w in result["walk_forward"]:
            walk.add_row(
                f"{w['out_start'][:10]} → {w['out_end'][:10]}",
                " ".join(f"{n}={_number(chosen.get(n))}" for n in swept)
                if (chosen := {**(w["params"] or {}), **(w["settings"] or {})}) else "—",
                _number(w["in_per_100_bars_pct"]), _number(w["out_per_100_bars_pct"]),
                _number(w["gap_per_100_bars_pct"]),
            )  # fmt: skip
        out.print(walk)
    for sentence in odds_sentences(result["overfitting"], "en").values():
        out.print(sentence)


def _signature() -> inspect.Signature:
    """The command's own options, then every option of ``tradeloop backtest``."""
    own = inspect.signature(optimize_command, eval_str=True).parameters.values()
    shared = inspect.signature(backtest_command, eval_str=True).parameters.values()
    params = [p for p in own if p.kind is not p.VAR_KEYWORD]
    first = [p for p in shared if p.default is inspect.Parameter.empty]
    rest = [p for p in shared if p.default is not inspect.Parameter.empty]
    return inspect.Signature([*first, *params, *rest])


optimize_command.__signature__ = _signature()  # type: ignore[attr-defined]
optimize_command.__annotations__ = {
    **get_type_hints(backtest_command, include_extras=True),
    **{
        k: v
        for k, v in get_type_hints(optimize_command, include_extras=True).items()
        if k != "options"
    },
}
