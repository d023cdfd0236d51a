"""Background jobs: list, follow (JSON or server-sent events), cancel."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Annotated, Literal

import anyio
import anyio.to_thread
import orjson
from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from tradeloop.api.schemas import JobOut, PageOut, page_of
from tradeloop.services import jobs
from tradeloop.serving.deps import DB, CurrentUser, ObjectId, Paging, State

router = APIRouter(prefix="/api/jobs", tags=["jobs"])

EVENT_POLL_SECONDS = 0.25
EVENT_STREAM_SECONDS = 300  # then the stream ends; EventSource reconnects by itself
KEEP_ALIVE_SECONDS = 15
JobState = Literal["queued", "running", "done", "failed", "cancelled", "interrupted"]


@router.get("", response_model=PageOut[JobOut])
def list_jobs(
    user: CurrentUser,
    session: DB,
    state: State,
    paging: Paging,
    only: Annotated[
        JobState | None, Query(alias="state", description="only jobs in this state")
    ] = None,
) -> object:
    """The user's background jobs, newest first."""
    page = jobs.list_jobs(session, user.id, paging.limit, paging.offset, only)
    return page_of(page, lambda job: jobs.job_record(job, state.jobs.silent_after))


@router.get("/{job_id}", response_model=JobOut)
def get_job(job_id: ObjectId, user: CurrentUser, session: DB, state: State) -> object:
    """One job: state, progress 0–1, and its result once done."""
    return jobs.get_job(session, user.id, job_id, state.jobs.silent_after)


@router.delete("/{job_id}", status_code=202, response_model=JobOut)
def cancel_job(job_id: ObjectId, user: CurrentUser, session: DB, state: State) -> object:
    """Cancel a queued or running job: it stops at its next step and stores nothing
    (409 when it already ended)."""
    state.jobs.cancel(session, user.id, job_id)
    return jobs.get_job(session, user.id, job_id, state.jobs.silent_after)


@router.get(
    "/{job_id}/events",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "job events"}},
)
def job_events(job_id: ObjectId, user: CurrentUser, session: DB, state: State) -> StreamingResponse:
    """Server-sent events: a ``job`` event with the job (as GET /api/jobs/{id}) each time
    its state or progress changes; the stream ends when the job has ended."""
    jobs.get_job(session, user.id, job_id, state.jobs.silent_after)  # 404 before streaming
    readers, silent_after = state.database.readers, state.jobs.silent_after

    def read() -> dict:
        with readers() as reader:
            return jobs.get_job(reader, user.id, job_id, silent_after)

    async def stream() -> AsyncIterator[bytes]:
        last, quiet, deadline = None, 0.0, time.monotonic() + EVENT_STREAM_SECONDS
        while time.monotonic() < deadline:
            job = await anyio.to_thread.run_sync(read)
            if job != last:
                yield b"event: job\ndata: " + orjson.dumps(job) + b"\n\n"
                last, quiet = job, 0.0
            if job["state"] not in ("queued", "running"):
                return
            if quiet >= KEEP_ALIVE_SECONDS:
                yield b": keep-alive\n\n"
                quiet = 0.0
            await anyio.sleep(EVENT_POLL_SECONDS)
            quiet += EVENT_POLL_SECONDS

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
