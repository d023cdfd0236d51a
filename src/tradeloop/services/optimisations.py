"""Optimisation runs as units of work: a sweep over one of the user's datasets run as a
background job (progress and cancel by the job framework), each finished chunk of
combinations committed on its own so that a cancelled or interrupted run keeps a consistent
partial result, which can be resumed (only the missing combinations run). A row of a run can
be backtested as a normal stored backtest."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from tradeloop.backtest.optimiser import OBJECTIVES
from tradeloop.backtest.sweep import Outcome, SweepJob
from tradeloop.core.errors import Conflict, InvalidInput, NotFound
from tradeloop.services import backtests
from tradeloop.services.database import pause, transaction
from tradeloop.services.jobs import JobRunner, current_job, job_record
from tradeloop.services.runs import InstrumentChoice
from tradeloop.services.sweeps import (
    SweepRequest,
    make_executor,
    odds_sentences,
    plan_sweep,
    run_sweep,
)
from tradeloop.services.work import Ticket
from tradeloop.store import jobs as job_repo
from tradeloop.store import optimisations as repo
from tradeloop.store.datasets import dataset_bars, get_dataset
from tradeloop.store.models import BacktestResult, OptimisationRow, OptimisationRun
from tradeloop.store.pagination import Page
from tradeloop.strategies.base import get_strategy

__all__ = [
    "ACTIVE", "ENDED", "backtest_row", "delete_run", "list_runs", "resume", "run_detail",
    "run_summary", "start", "summary",
]  # fmt: skip

ACTIVE = ("queued", "running")
ENDED = ("done", "cancelled", "interrupted", "failed")
RESUMABLE = ("cancelled", "interrupted", "failed")
KIND = "optimise"


def _plain(value: Any) -> Any:
    """``value`` with numpy scalars as Python numbers (what the JSON columns store)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


# -- starting and resuming ---------------------------------------------------------------------


def start(
    session: Session, runner: JobRunner, ticket: Ticket, user_id: int, dataset_id: int,
    request: SweepRequest, scheduler: str | None, workers: int | None,
) -> tuple[OptimisationRun, dict[str, Any]]:  # fmt: skip
    """Check ``request`` (4xx naming the field), store a queued run on the user's dataset and
    start its job; the run and the job's record. The ticket is the job's from now on."""
    plan = plan_sweep(request)
    dataset = get_dataset(session, user_id, dataset_id)
    bayes = plan.method == "bayes" and not plan.exhaustive
    total = plan.trials if bayes else len(plan.candidates())
    run = repo.add_run(
        session, user_id, dataset.id, request.strategy, request.model_dump(mode="json"), total
    )
    session.commit()
    return run, _submit(session, runner, ticket, user_id, run, scheduler, workers)


def _submit(
    session: Session, runner: JobRunner, ticket: Ticket, user_id: int, run: OptimisationRun,
    scheduler: str | None, workers: int | None,
) -> dict[str, Any]:  # fmt: skip
    run_id = run.id
    work = _work(runner, user_id, run_id, scheduler, workers)
    try:
        job = runner.submit(session, user_id, KIND, ticket, work)
    except Exception as exc:  # the server is stopping: the run never started
        session.rollback()
        with transaction(runner.database.sessions) as db:
            stored = repo.get_run(db, user_id, run_id)
            stored.status, stored.error = "failed", getattr(exc, "message", str(exc))
        raise
    record = job_record(job, runner.silent_after)
    with transaction(runner.database.sessions) as db:
        stored = repo.get_run(db, user_id, run_id)
        stored.job_id = record["id"]
    session.expire_all()
    return record


def resume(
    session: Session, runner: JobRunner, ticket: Ticket, user_id: int, run_id: int,
    scheduler: str | None, workers: int | None,
) -> tuple[OptimisationRun, dict[str, Any]]:  # fmt: skip
    """Run the missing combinations of a cancelled, interrupted or failed run (409
    otherwise); the run and the new job's record."""
    run = repo.get_run(session, user_id, run_id)
    status = _status(session, user_id, run, runner.silent_after)[0]
    if status not in RESUMABLE:
        raise Conflict(f"optimisation {run_id} is {status}: only a stopped run can be resumed")
    if run.dataset_id is None:
        raise Conflict("the data of this optimisation was deleted: it cannot be resumed")
    get_dataset(session, user_id, run.dataset_id)
    run.status, run.error, run.finished_at, run.job_id = "queued", None, None, None
    session.commit()
    return run, _submit(session, runner, ticket, user_id, run, scheduler, workers)


class _RowWriter:
    """The sweep's ``finished`` callback: each chunk's new outcomes committed in their own
    transaction (an outcome arriving twice is stored once)."""

    def __init__(
        self, sessions: Callable[[], Session], user_id: int, run_id: int,
        names: dict[int, tuple[dict[str, Any], dict[str, Any]]], seen: set[int],
    ) -> None:  # fmt: skip
        self.sessions, self.user_id, self.run_id = sessions, user_id, run_id
        self.names, self.seen = names, seen

    def __call__(self, outcomes: list[Outcome]) -> None:
        fresh: dict[int, Outcome] = {}
        for outcome in outcomes:
            if outcome.index not in self.seen:
                fresh[outcome.index] = outcome
        if not fresh:
            return
        rows = []
        for index, outcome in fresh.items():
            params, settings = self.names.get(index, (None, None))
            daily = None if outcome.daily is None else np.asarray(outcome.daily, "<f8").tobytes()
            rows.append({
                "combo_index": index, "params": _plain(params), "settings": _plain(settings),
                "stats": _plain(outcome.stats), "skipped": outcome.skipped, "daily": daily,
            })  # fmt: skip
        with transaction(self.sessions) as session:
            repo.add_rows(session, self.user_id, self.run_id, rows)
        self.seen.update(fresh)


def _outcome(row: OptimisationRow) -> Outcome:
    daily = None if row.daily is None else np.frombuffer(row.daily, dtype="<f8").copy()
    return Outcome(row.combo_index, row.stats, row.skipped, daily)


def _work(
    runner: JobRunner, user_id: int, run_id: int, scheduler: str | None, workers: int | None
) -> Callable[[Session], int]:
    sessions = runner.database.sessions

    def set_run(**values: Any) -> None:
        with transaction(sessions) as db:
            run = repo.get_run(db, user_id, run_id)
            for name, value in values.items():
                setattr(run, name, value)

    def work(session: Session) -> int:
        control = current_job.get()
        assert control is not None
        run = repo.get_run(session, user_id, run_id)
        request = SweepRequest.model_validate(run.request)
        if run.dataset_id is None:
            raise NotFound("the data of this optimisation was deleted")
        dataset = get_dataset(session, user_id, run.dataset_id)
        resumed = {
            row.combo_index: _outcome(row)
            for row in repo.list_rows(session, user_id, run_id, with_daily=True)
        }
        symbol = dataset.symbol
        bars = dataset_bars(dataset)
        pause(session)  # no transaction is held while the sweep runs
        set_run(status="running", error=None)
        try:
            plan = plan_sweep(request)
            names = (
                {} if plan.method == "bayes"
                else {c.index: (c.params, c.settings) for c in plan.candidates()}
            )  # fmt: skip
            job = SweepJob(bars, request.strategy, InstrumentChoice(symbol).resolve(), None)
            writer = _RowWriter(sessions, user_id, run_id, names, set(resumed))
            executor = make_executor(job, None, workers, scheduler, stop=control.stop_requested)
            walking = plan.walk_forward is not None

            def progress(stage: str, done: int, total: int) -> None:
                # with walk-forward the sweep is the first half, the windows the second, so
                # the bar only moves forward over both stages
                fraction = done / max(total, 1)
                if walking:
                    fraction = 0.5 * fraction if stage == "sweep" else 0.5 + 0.5 * fraction
                control.report(stage, fraction)

            try:
                result = run_sweep(job, plan, executor, progress, resumed, writer)
            finally:
                executor.close()
        except Exception as exc:
            message = getattr(exc, "message", None) or "the optimisation failed on the server"
            set_run(status="failed", error=message, finished_at=job_repo.now())
            raise
        if result["complete"]:
            status = "done"
        else:
            with runner.database.readers() as reader:
                cancelled = job_repo.job_flags(reader, control.job_id)[1]
            status = "cancelled" if cancelled else "interrupted"
        kept = _plain({k: v for k, v in result.items() if k != "combinations"})
        with transaction(sessions) as db:
            named = {r["index"]: (_plain(r["params"]), _plain(r["settings"]))
                     for r in result["combinations"]}  # fmt: skip
            repo.name_rows(db, user_id, run_id, named)
            stored = repo.get_run(db, user_id, run_id)
            stored.result, stored.status, stored.finished_at = kept, status, job_repo.now()
        return run_id

    return work


# -- reading ------------------------------------------------------------------------------------


def _status(
    session: Session, user_id: int, run: OptimisationRun, silent_after: float
) -> tuple[str, dict[str, Any] | None]:
    """The run's status (an active run whose job ended or went silent takes the job's
    state) and its latest job's record."""
    job = None
    if run.job_id is not None:
        try:
            job = job_record(job_repo.get_job(session, user_id, run.job_id), silent_after)
        except NotFound:
            job = None
    status = run.status
    if status in ACTIVE:
        if job is None:  # a queued run gets its job in a moment; a running one lost it
            status = "queued" if status == "queued" else "interrupted"
        elif job["state"] not in ("queued", "running", "done"):
            status = job["state"]
    return status, job


def run_summary(
    session: Session, user_id: int, run: OptimisationRun, finished: int, silent_after: float
) -> dict[str, Any]:
    """A run's headline: request, status, its job, how many combinations finished, best."""
    status, job = _status(session, user_id, run, silent_after)
    result = run.result or {}
    return {
        "id": run.id,
        "dataset_id": run.dataset_id,
        "strategy": run.strategy,
        "request": run.request,
        "status": status,
        "error": run.error,
        "total": run.total,
        "finished": finished,
        "job": job,
        "best": result.get("best"),
        "created_at": run.created_at.isoformat(),
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
    }


def summary(session: Session, user_id: int, run_id: int, silent_after: float) -> dict[str, Any]:
    """The user's run as ``run_summary`` data; 404 when missing or someone else's."""
    run = repo.get_run(session, user_id, run_id)
    counts = repo.row_counts(session, user_id, [run.id])
    return _finite(run_summary(session, user_id, run, counts.get(run.id, 0), silent_after))


def list_runs(
    session: Session, user_id: int, limit: int, offset: int, silent_after: float
) -> Page[dict[str, Any]]:
    """A page of the user's runs as ``run_summary`` data, newest first."""
    page = repo.list_runs(session, user_id, limit, offset)
    counts = repo.row_counts(session, user_id, [r.id for r in page.items])
    items = [
        _finite(run_summary(session, user_id, r, counts.get(r.id, 0), silent_after))
        for r in page.items
    ]
    return Page(items=items, total=page.total, limit=page.limit, offset=page.offset)


def _finite(value: Any) -> Any:
    """``value`` with infinite and NaN numbers as None (JSON has neither)."""
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _sort_key(stat: str, descending: bool) -> Callable[[dict[str, Any]], tuple]:
    """By ``index``, ``score`` (the objective), a statistic, or a parameter or setting."""

    def key(row: dict[str, Any]) -> tuple:
        if stat in ("index", "score"):
            value = row[stat]
        elif row["stats"] and stat in row["stats"]:
            value = row["stats"][stat]
        else:
            value = (row["params"] or {}).get(stat, (row["settings"] or {}).get(stat))
        if not isinstance(value, int | float) or (isinstance(value, float) and math.isnan(value)):
            return (1, 0.0, row["index"])  # runs without the figure last, either way
        return (0, -value if descending else value, row["index"])

    return key


def run_detail(
    session: Session, user_id: int, run_id: int, silent_after: float, language: str,
    sort: str = "index", descending: bool = False,
) -> dict[str, Any]:  # fmt: skip
    """The user's run in full: ``run_summary`` data, every finished combination (sorted by
    ``sort``, a statistic or ``index``), best, overfitting odds with their sentences in
    ``language``, walk-forward; 404 when missing or someone else's."""
    run = repo.get_run(session, user_id, run_id)
    rows = repo.list_rows(session, user_id, run_id)
    found = run_summary(session, user_id, run, len(rows), silent_after)
    try:
        plan = plan_sweep(SweepRequest.model_validate(run.request))
    except (InvalidInput, ValueError):
        plan = None  # the library no longer accepts the request: rows are shown as they are
    objective = run.request.get("objective", "net_profit")
    objective = objective if objective in OBJECTIVES else "net_profit"
    combinations = [
        {
            "index": row.combo_index, "params": row.params, "settings": row.settings,
            "stats": row.stats, "skipped": row.skipped,
            "excluded": plan.excluded(row.stats) if plan and row.stats is not None else None,
            "score": OBJECTIVES[objective](row.stats) if row.stats is not None else None,
        }
        for row in rows
    ]  # fmt: skip
    combinations.sort(key=_sort_key(sort, descending))
    result = run.result or {}
    odds = result.get("overfitting")
    found |= {
        "complete": bool(result.get("complete")) and found["status"] == "done",
        "objective": objective,
        "method": run.request.get("method", "grid"),
        "combinations": combinations,
        "overfitting": odds,
        "odds": odds_sentences(odds, language) if odds else None,
        "walk_forward": result.get("walk_forward", []),
        "walk_forward_equity": result.get("walk_forward_equity", {"time": [], "growth": []}),
    }
    return _finite(found)


def delete_run(session: Session, user_id: int, run_id: int, silent_after: float) -> None:
    """Delete the user's run and its rows (409 while it runs: cancel it first)."""
    run = repo.get_run(session, user_id, run_id)
    if _status(session, user_id, run, silent_after)[0] in ACTIVE:
        raise Conflict(f"optimisation {run_id} is running: cancel it first")
    repo.delete_run(session, user_id, run_id)


def job_of(session: Session, user_id: int, run_id: int) -> int:
    """The id of the run's latest job (404 when the run is missing or someone else's)."""
    run = repo.get_run(session, user_id, run_id)
    if run.job_id is None:
        raise Conflict(f"optimisation {run_id} has no job")
    return run.job_id


# -- a row as a backtest ----------------------------------------------------------------------


def backtest_row(session: Session, user_id: int, run_id: int, index: int) -> BacktestResult:
    """A normal stored backtest of the run's combination ``index`` on the run's dataset."""
    run = repo.get_run(session, user_id, run_id)
    row = repo.get_row(session, user_id, run_id, index)
    if row is None:
        raise NotFound(f"combination {index} of optimisation {run_id} has not run")
    if row.skipped is not None or row.stats is None:
        raise Conflict(f"combination {index} was skipped: {row.skipped}")
    if row.params is None or row.settings is None:
        raise Conflict(f"combination {index}: resume the optimisation to name its parameters")
    if run.dataset_id is None:
        raise Conflict("the data of this optimisation was deleted: upload it again to backtest")
    strategy = get_strategy(run.strategy, row.params)
    execution = backtests.execution_settings(row.settings)
    dataset_id = run.dataset_id
    return backtests.run_and_save(session, user_id, strategy, execution, dataset_id=dataset_id)
