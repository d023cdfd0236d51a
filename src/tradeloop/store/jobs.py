"""Background jobs, owned by a user: created queued, moved through running to one final state
(done, failed, cancelled, interrupted) by conditional updates, so a job that was declared
interrupted can never be finished afterwards."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from tradeloop.core.errors import NotFound
from tradeloop.store.models import Job
from tradeloop.store.pagination import Page, paginate

ACTIVE = ("queued", "running")
INTERRUPTED = "the server stopped before this job finished: nothing of it was stored"
FINAL = ("done", "failed", "cancelled", "interrupted")


def now() -> datetime:
    """The current time in UTC."""
    return datetime.now(UTC)


def add_job(session: Session, user_id: int, kind: str) -> Job:
    """A new queued job of ``kind`` for ``user_id``."""
    moment = now()
    job = Job(
        user_id=user_id, kind=kind, state="queued", progress=0.0, stage="queued",
        created_at=moment, heartbeat_at=moment, cancel_requested=False,
    )  # fmt: skip
    session.add(job)
    session.flush()
    return job


def get_job(session: Session, user_id: int, job_id: int) -> Job:
    """The user's job ``job_id``; 404 when it is missing or someone else's."""
    job = session.scalar(select(Job).where(Job.id == job_id, Job.user_id == user_id))
    if job is None:
        raise NotFound(
            f"job {job_id} not found", key="error.job_not_found", values={"job_id": job_id}
        )
    return job


def list_jobs(
    session: Session, user_id: int, limit: int, offset: int, state: str | None = None
) -> Page[Job]:
    """The user's jobs, newest first (optionally only those in ``state``)."""
    query = select(Job).where(Job.user_id == user_id)
    if state is not None:
        query = query.where(Job.state == state)
    return paginate(session, query.order_by(Job.id.desc()), limit, offset)


def advance(session: Session, job_id: int, **values: Any) -> bool:
    """Set ``values`` on an active job and renew its heartbeat; False when it is no longer
    active (cancelled or declared interrupted meanwhile)."""
    result = session.execute(
        update(Job)
        .where(Job.id == job_id, Job.state.in_(ACTIVE))
        .values(heartbeat_at=now(), **values)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)


def job_flags(session: Session, job_id: int) -> tuple[str, bool]:
    """The job's state, and whether its owner asked to cancel it."""
    row = session.execute(select(Job.state, Job.cancel_requested).where(Job.id == job_id)).one()
    return row.state, bool(row.cancel_requested)


def request_cancel(session: Session, user_id: int, job_id: int) -> tuple[Job, bool]:
    """Ask the user's job to stop if it is still active (it then stops at its next step,
    storing nothing); the job as it now is, and whether the request took."""
    get_job(session, user_id, job_id)  # 404 for a missing or another's job
    result = session.execute(
        update(Job)
        .where(Job.id == job_id, Job.user_id == user_id, Job.state.in_(ACTIVE))
        .values(cancel_requested=True)
        .execution_options(synchronize_session=False)
    )
    job = get_job(session, user_id, job_id)
    session.refresh(job)
    return job, bool(result.rowcount)


def beat(session: Session, job_ids: list[int]) -> None:
    """Renew the heartbeat of the active jobs among ``job_ids``."""
    if job_ids:
        session.execute(
            update(Job)
            .where(Job.id.in_(job_ids), Job.state.in_(ACTIVE))
            .values(heartbeat_at=now())
            .execution_options(synchronize_session=False)
        )


def mark_interrupted(
    session: Session, job_ids: list[int] | None = None, silent_for: float | None = None
) -> int:
    """Declare active jobs interrupted: those among ``job_ids``, or those whose heartbeat is
    older than ``silent_for`` seconds (their server died). Returns how many."""
    query = update(Job).where(Job.state.in_(ACTIVE))
    if job_ids is not None:
        query = query.where(Job.id.in_(job_ids))
    if silent_for is not None:
        query = query.where(Job.heartbeat_at < now() - timedelta(seconds=silent_for))
    result = session.execute(
        query.values(
            state="interrupted",
            stage="interrupted",
            error=f"{INTERRUPTED}; start it again",
            finished_at=now(),
        ).execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)


def finish(session: Session, job_id: int, result_id: int, silent_for: float) -> bool:
    """Mark the job done with its result, in the session that stored the result; False (and
    nothing changed) when it was cancelled, declared interrupted, or already shown as
    interrupted (its heartbeat older than ``silent_for`` seconds) meanwhile."""
    result = session.execute(
        update(Job)
        .where(
            Job.id == job_id,
            Job.state.in_(ACTIVE),
            Job.cancel_requested.is_(False),
            Job.heartbeat_at >= now() - timedelta(seconds=silent_for),
        )
        .values(
            state="done",
            stage="done",
            progress=1.0,
            result_id=result_id,
            finished_at=now(),
            heartbeat_at=now(),
        )
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)
