"""Routes that can answer at once and run as a job (``?background=true``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse

from tradeloop.api.schemas import JobOut
from tradeloop.services.database import Session
from tradeloop.services.jobs import job_record
from tradeloop.serving.deps import AppState, WorkRequest

# How such a route documents its 202 answer
ACCEPTED: dict[int | str, dict[str, Any]] = {
    202: {"model": JobOut, "description": "with background=true: the job that was started"}
}


def in_background(
    state: AppState, session: Session, user_id: int, kind: str, work: WorkRequest,
    run: Callable[[Session], Any],
) -> JSONResponse:  # fmt: skip
    """``run`` as a job of ``kind``; 202 Accepted with the job and ``Location`` where to
    follow it. The job's result is the object ``run`` returns."""
    job = state.jobs.submit(session, user_id, kind, work.ticket, lambda db: run(db).id)
    record = job_record(job, state.jobs.silent_after)
    return JSONResponse(
        jsonable_encoder(record), status_code=202, headers={"Location": f"/api/jobs/{job.id}"}
    )
