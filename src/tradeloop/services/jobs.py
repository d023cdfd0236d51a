"""Background jobs: long work (an import, a dataset upload, a backtest) answered at once with
a job the client follows (state, progress 0–1, the object made) and may cancel.

A job runs in a thread of the server that accepted it, holding one of the bounded workers
(``WorkSlots``) while it computes. Its result and its ``done`` state are committed in one
transaction, only if the job is still active and nobody asked to cancel it: a cancelled,
failed or interrupted job has stored nothing (but what its work commits on its own: an
optimisation keeps each chunk of combinations it finished). While it runs, its server renews
a heartbeat; a job whose server died (even killed with SIGKILL) goes silent and is shown, then
stored, as interrupted. At shutdown, running jobs get ``grace`` seconds to finish; the others are
marked interrupted."""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from tradeloop.core.errors import Conflict, Unavailable, UserError
from tradeloop.services.database import Database, transaction
from tradeloop.services.work import Ticket, work_steps
from tradeloop.store import jobs as repo
from tradeloop.store.models import Job

__all__ = [
    "RESULT_PATHS", "Job", "JobControl", "JobRunner", "current_job", "get_job", "job_record",
    "list_jobs",
]  # fmt: skip

log = logging.getLogger(__name__)

# Where each kind of job's result is read
RESULT_PATHS = {
    "backtest": "/api/backtests/{id}",
    "dataset": "/api/datasets/{id}",
    "import": "/api/journal/imports/{id}",
    "optimise": "/api/optimisations/{id}",
}
SILENT_BEATS = 3  # heartbeats missed before a job counts as interrupted


class JobCancelled(Exception):
    """The job's owner cancelled it, or the server is stopping."""


Work = Callable[[Session], int]  # does the job's work in a session; returns the object's id


@dataclass(frozen=True)
class JobControl:
    """What a running job's work may use besides ``run_cpu``: report its own progress
    (``report(stage, fraction)``, fraction 0–1) and ask whether it should stop (cancelled,
    or no longer active)."""

    job_id: int
    report: Callable[[str, float], None]
    stop_requested: Callable[[], bool]


# The job whose work runs in this context (None outside a job)
current_job: ContextVar[JobControl | None] = ContextVar("current_job", default=None)


class JobRunner:
    """Runs one server process's background jobs (see the module docstring)."""

    def __init__(self, database: Database, heartbeat: float, grace: float) -> None:
        self.database, self.heartbeat, self.grace = database, heartbeat, grace
        self._threads: dict[int, threading.Thread] = {}
        self._abandoned: set[int] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()  # no new jobs
        self._closed = threading.Event()  # shut down: no more heartbeats
        self._beating: threading.Thread | None = None
        self._progress: queue.Queue[tuple[int, dict[str, Any]] | None] = queue.Queue()

    @property
    def silent_after(self) -> float:
        """Seconds without a heartbeat after which an active job counts as interrupted."""
        return self.heartbeat * SILENT_BEATS

    def start(self) -> None:
        """Declare jobs of dead servers interrupted and start renewing this one's heartbeats."""
        self._sweep()
        self._beating = threading.Thread(target=self._beat, name="job-heartbeat", daemon=True)
        self._beating.start()

    def submit(self, session: Session, user_id: int, kind: str, ticket: Ticket, work: Work) -> Job:
        """Create a queued job of ``kind`` (committed before the caller answers) and start
        ``work`` for it; the ticket is the job's from now on."""
        if self._stop.is_set():
            raise Unavailable(
                "the server is shutting down: start this again in a moment",
                key="error.shutting_down",
            )
        job = repo.add_job(session, user_id, kind)
        session.commit()
        ticket.kept = True
        thread = threading.Thread(
            target=self._run, args=(job.id, ticket, work), name=f"job-{job.id}", daemon=True
        )
        with self._lock:
            self._threads[job.id] = thread
        thread.start()
        return job

    def cancel(self, session: Session, user_id: int, job_id: int) -> Job:
        """Ask the user's job to stop; 409 when it already ended."""
        job, requested = repo.request_cancel(session, user_id, job_id)
        if not requested:
            raise Conflict(f"job {job_id} already ended ({job.state})")
        return job

    def shutdown(self) -> None:
        """Let running jobs finish for ``grace`` seconds, then mark the rest interrupted."""
        self._stop.set()
        with self._lock:
            threads = dict(self._threads)
        deadline = time.monotonic() + self.grace
        for thread in threads.values():
            thread.join(timeout=max(0.0, deadline - time.monotonic()))
        with self._lock:
            left = [job_id for job_id, thread in self._threads.items() if thread.is_alive()]
            self._abandoned.update(left)
        if left:
            with transaction(self.database.sessions) as session:
                repo.mark_interrupted(session, left)
            log.warning("jobs %s interrupted by shutdown", left)
        self._closed.set()
        self._progress.put(None)  # wakes the heartbeat thread, which then ends
        if self._beating is not None:
            self._beating.join(timeout=10)

    # -- inside the job's thread ------------------------------------------------------------

    def _run(self, job_id: int, ticket: Ticket, work: Work) -> None:
        steps = {"done": 0}

        def step(finished: bool) -> None:
            self._check(job_id)
            if finished:
                steps["done"] += 1
            progress = round(0.9 - 0.8 * 0.5 ** steps["done"], 3)
            # written by the heartbeat thread: this one may be inside the work's transaction
            self._progress.put((job_id, {"stage": "computing", "progress": progress}))

        def report(stage: str, fraction: float) -> None:
            progress = round(0.05 + 0.9 * min(max(fraction, 0.0), 1.0), 3)
            self._progress.put((job_id, {"stage": stage[:32], "progress": progress}))

        def stop_requested() -> bool:
            try:
                self._check(job_id)
            except JobCancelled:
                return True
            return False

        try:
            with ticket.running(give_up=lambda: self._check(job_id)):
                self._update(job_id, state="running", stage="starting", progress=0.05,
                             started_at=repo.now())  # fmt: skip
                token = work_steps.set(step)
                control = current_job.set(JobControl(job_id, report, stop_requested))
                try:
                    self._work(job_id, work)
                finally:
                    current_job.reset(control)
                    work_steps.reset(token)
        except JobCancelled as exc:
            self._end(job_id, "cancelled" if job_id not in self._abandoned else "interrupted",
                      str(exc))  # fmt: skip
        except UserError as exc:
            self._end(job_id, "failed", exc.message)
        except Exception:
            log.exception("job %s failed", job_id)
            self._end(job_id, "failed", "the job failed on the server: nothing was stored")
        finally:
            ticket.close()
            with self._lock:
                self._threads.pop(job_id, None)

    def _work(self, job_id: int, work: Work) -> None:
        session = self.database.sessions()
        try:
            result_id = work(session)
            finished = repo.finish(session, job_id, result_id, self.silent_after)
            if finished and job_id not in self._abandoned:
                session.commit()  # the result and "done" together, or neither
                return
            session.rollback()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()
        self._check(job_id)
        raise JobCancelled(repo.INTERRUPTED)

    def _check(self, job_id: int) -> None:
        """Raise ``JobCancelled`` when the job was cancelled or is no longer active."""
        if job_id in self._abandoned:
            raise JobCancelled(repo.INTERRUPTED)
        with self.database.readers() as session:
            state, cancelled = repo.job_flags(session, job_id)
        if cancelled:
            raise JobCancelled("cancelled: nothing was stored")
        if state not in repo.ACTIVE:
            raise JobCancelled(repo.INTERRUPTED)

    def _update(self, job_id: int, **values: Any) -> None:
        with transaction(self.database.sessions) as session:
            if not repo.advance(session, job_id, **values):
                raise JobCancelled(repo.INTERRUPTED)

    def _end(self, job_id: int, state: str, message: str) -> None:
        try:
            with transaction(self.database.sessions) as session:
                repo.advance(session, job_id, state=state, stage=state, error=message,
                             finished_at=repo.now())  # fmt: skip
        except Exception:
            log.exception("job %s: could not record its end (%s)", job_id, state)

    # -- the heartbeat ------------------------------------------------------------------------

    def _beat(self) -> None:
        """Write progress as it comes; every ``heartbeat`` seconds renew this server's jobs'
        heartbeats and declare silent ones interrupted."""
        next_beat = time.monotonic() + self.heartbeat
        while not self._closed.is_set():
            updates: dict[int, dict[str, Any]] = {}
            try:
                item = self._progress.get(timeout=max(0.0, next_beat - time.monotonic()))
                while item is not None:  # coalesce what else is waiting
                    updates.setdefault(item[0], {}).update(item[1])
                    item = self._progress.get_nowait()
            except queue.Empty:
                pass
            if self._closed.is_set():
                return
            beat = time.monotonic() >= next_beat
            if beat:
                next_beat = time.monotonic() + self.heartbeat
            with self._lock:
                running = list(self._threads)
            if not updates and not (beat and running):
                continue  # an idle server writes nothing (dead servers' jobs show as silent)
            try:
                with transaction(self.database.sessions) as session:
                    for job_id, values in updates.items():
                        repo.advance(session, job_id, **values)
                    if beat:
                        repo.beat(session, running)
                        repo.mark_interrupted(session, silent_for=self.silent_after)
            except Exception:
                log.exception("job progress or heartbeat not written")

    def _sweep(self) -> None:
        with transaction(self.database.sessions) as session:
            repo.mark_interrupted(session, silent_for=self.silent_after)


def job_record(job: Job, silent_after: float) -> dict[str, Any]:
    """A job as JSON-ready data; an active job whose server went silent is shown interrupted."""
    state, stage, error = job.state, job.stage, job.error
    if state in repo.ACTIVE and job.heartbeat_at < repo.now() - timedelta(seconds=silent_after):
        state = stage = "interrupted"
        error = repo.INTERRUPTED
    result = None
    if state == "done" and job.result_id is not None:
        result = {"id": job.result_id, "url": RESULT_PATHS[job.kind].format(id=job.result_id)}
    return {
        "id": job.id,
        "kind": job.kind,
        "state": state,
        "stage": stage,
        "progress": 1.0 if state == "done" else job.progress,
        "error": error,
        "cancel_requested": job.cancel_requested,
        "result": result,
        "created_at": job.created_at.isoformat(),
        "started_at": job.started_at.isoformat() if job.started_at else None,
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
    }


def get_job(session: Session, user_id: int, job_id: int, silent_after: float) -> dict[str, Any]:
    """The user's job as ``job_record`` data; 404 when missing or another's."""
    return job_record(repo.get_job(session, user_id, job_id), silent_after)


list_jobs = repo.list_jobs
