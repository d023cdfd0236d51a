"""Optimisation runs: start a sweep on a stored dataset (a job followed by its server-sent
events at /api/jobs/{id}/events), list, read, cancel, resume, delete, backtest a row."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from tradeloop.i18n import pick_language
from tradeloop.services import optimisations
from tradeloop.services.sweeps import SweepRequest
from tradeloop.serving.deps import (
    DB,
    MAX_ID,
    AppState,
    CurrentUser,
    ObjectId,
    Paging,
    State,
    Work,
    limited,
)

router = APIRouter(prefix="/api/optimisations", tags=["optimisations"])


class OptimisationIn(SweepRequest):
    """A sweep (as ``tradeloop optimize`` takes it) on one of the user's datasets."""

    model_config = ConfigDict(extra="forbid")

    dataset_id: int = Field(ge=1, le=MAX_ID, description="the stored dataset to sweep over")


class RowChoice(BaseModel):
    """A finished combination of the run, by its index."""

    model_config = ConfigDict(extra="forbid")

    index: int = Field(ge=0, le=10_000_000)


def _executor(state: AppState) -> tuple[str | None, int | None]:
    settings = state.settings
    workers = settings.sweep_workers if settings.cpu_processes else 1
    return settings.dask_scheduler, workers


def _accepted(run: Any, job: dict[str, Any]) -> JSONResponse:
    body = {
        "id": run.id, "run_id": run.id, "job_id": job["id"], "job": job,
        "url": f"/api/optimisations/{run.id}", "events": f"/api/jobs/{job['id']}/events",
    }  # fmt: skip
    return JSONResponse(
        jsonable_encoder(body), status_code=202, headers={"Location": f"/api/jobs/{job['id']}"}
    )


def _admitted(state: AppState, user_id: int, start: Any) -> JSONResponse:
    """``start(ticket)`` with a ticket admitted for ``user_id`` (429 when full), given back
    unless the job took it."""
    ticket = state.work.admit(user_id)
    try:
        return _accepted(*start(ticket))
    finally:
        if not ticket.kept:
            ticket.close()


@router.post("", status_code=202, dependencies=[limited("backtests")])
def start_optimisation(body: OptimisationIn, user: CurrentUser, session: DB, state: State) -> Any:
    """Start a sweep on one of the user's datasets: 202 with the run and its job."""
    request = SweepRequest.model_validate(body.model_dump(exclude={"dataset_id"}))
    scheduler, workers = _executor(state)
    return _admitted(
        state, user.id,
        lambda ticket: optimisations.start(
            session, state.jobs, ticket, user.id, body.dataset_id, request, scheduler, workers
        ),
    )  # fmt: skip


@router.get("")
def list_optimisations(user: CurrentUser, session: DB, state: State, paging: Paging) -> Any:
    """The user's runs, newest first."""
    page = optimisations.list_runs(
        session, user.id, paging.limit, paging.offset, state.jobs.silent_after
    )
    return {"items": page.items, "total": page.total, "limit": page.limit, "offset": page.offset}


@router.get("/{run_id}")
def get_optimisation(
    run_id: ObjectId, user: CurrentUser, session: DB, state: State,
    sort: Annotated[str, Query(max_length=40, pattern=r"^[a-z_]+$",
                               description="index or a statistic")] = "index",
    order: Annotated[Literal["asc", "desc"], Query(description="sort direction")] = "asc",
    summary: Annotated[bool, Query(description="only the headline: status, finished, "
                                               "total, job, best (no combinations)")] = False,
) -> Any:  # fmt: skip
    """One run in full: every finished combination, best, overfitting odds, walk-forward;
    with ``summary=true`` only its headline (cheap enough to poll while it runs)."""
    if summary:
        return optimisations.summary(session, user.id, run_id, state.jobs.silent_after)
    return optimisations.run_detail(
        session,
        user.id,
        run_id,
        state.jobs.silent_after,
        pick_language(user.language),
        sort,
        order == "desc",
    )


@router.delete("/{run_id}", status_code=204)
def delete_optimisation(run_id: ObjectId, user: CurrentUser, session: DB, state: State) -> Response:
    """Delete a run that is not running, with its rows."""
    optimisations.delete_run(session, user.id, run_id, state.jobs.silent_after)
    return Response(status_code=204)


@router.post("/{run_id}/cancel", status_code=202)
def cancel_optimisation(run_id: ObjectId, user: CurrentUser, session: DB, state: State) -> Any:
    """Ask the run's job to stop: what finished stays stored (409 when it already ended)."""
    job_id = optimisations.job_of(session, user.id, run_id)
    state.jobs.cancel(session, user.id, job_id)
    session.commit()
    return optimisations.summary(session, user.id, run_id, state.jobs.silent_after)


@router.post("/{run_id}/resume", status_code=202, dependencies=[limited("backtests")])
def resume_optimisation(run_id: ObjectId, user: CurrentUser, session: DB, state: State) -> Any:
    """Run the missing combinations of a cancelled or interrupted run: 202 with its job."""
    scheduler, workers = _executor(state)
    return _admitted(
        state, user.id,
        lambda ticket: optimisations.resume(
            session, state.jobs, ticket, user.id, run_id, scheduler, workers
        ),
    )  # fmt: skip


@router.post("/{run_id}/backtest", status_code=201, dependencies=[limited("backtests")])
def backtest_row(
    run_id: ObjectId, choice: RowChoice, user: CurrentUser, session: DB, work: Work
) -> Any:
    """A normal stored backtest of one finished combination: 201 with its id and page."""
    result = optimisations.backtest_row(session, user.id, run_id, choice.index)
    return {
        "id": result.id,
        "url": f"/api/backtests/{result.id}",
        "page": f"/backtests/{result.id}",
    }
