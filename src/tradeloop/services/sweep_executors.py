"""Where a sweep's combinations run: in this process, in a local process pool (all cores by
default) or on a Dask cluster. Each ships the job (the bars, strategy and instrument) to
every worker once and then sends only chunks of combinations; outcomes come back by
combination index, so a chunk run twice (a worker died after finishing it) counts once."""

from __future__ import annotations

import math
import os
import signal
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import get_context
from typing import Any

from tradeloop.backtest.optimiser import Cancelled
from tradeloop.backtest.sweep import Combination, Outcome, Span, SweepJob, evaluate

MAX_CHUNK = 50  # combinations per task: enough to share indicators, small enough to balance


def chunks(combos: list[Combination], workers: int) -> list[list[Combination]]:
    """``combos`` in order, cut in about four tasks per worker (1 to ``MAX_CHUNK`` each)."""
    size = max(1, min(MAX_CHUNK, math.ceil(len(combos) / (4 * max(workers, 1)))))
    return [combos[k : k + size] for k in range(0, len(combos), size)]


Done = Callable[[list[Outcome]], None]


class InlineExecutor:
    """Every chunk in this process, one after the other (one core)."""

    workers = 1

    def __init__(self, job: SweepJob, stop: Callable[[], bool] = lambda: False) -> None:
        self.job, self.stop = job, stop

    def run(self, span: Span, combos: list[Combination], done: Done) -> None:
        for chunk in chunks(combos, 1):
            if self.stop():
                raise Cancelled
            done(evaluate(self.job, span, chunk))

    def close(self) -> None:
        """Nothing to release."""


_JOB: SweepJob | None = None


def _install(job: SweepJob) -> None:
    """A pool worker's start: keep the job; leave Ctrl-C to the parent, which cancels."""
    global _JOB
    _JOB = job
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _evaluate_installed(span: Span, chunk: list[Combination]) -> list[Outcome]:
    assert _JOB is not None
    return evaluate(_JOB, span, chunk)


class LocalExecutor:
    """A pool of ``workers`` processes (default: every core), started with the job. A worker
    that dies breaks the pool: a new one takes the chunks that had not come back (twice at
    most)."""

    RESTARTS = 2

    def __init__(
        self, job: SweepJob, workers: int | None = None, stop: Callable[[], bool] = lambda: False,
        start_method: str = "spawn",
    ) -> None:  # fmt: skip
        """``start_method``: ``spawn`` (safe beside threads: a server) or ``fork`` (a command
        line: the workers start at once with everything already imported)."""
        self.job = job
        self.workers = workers or os.cpu_count() or 1
        self.stop = stop
        self.context = get_context(start_method)
        self.pool = self._start()

    def _start(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            self.workers, mp_context=self.context, initializer=_install, initargs=(self.job,)
        )

    def run(self, span: Span, combos: list[Combination], done: Done) -> None:
        waiting = chunks(combos, self.workers)
        for attempt in range(self.RESTARTS + 1):
            try:
                self._run(span, waiting, done)
                return
            except BrokenProcessPool:
                if attempt == self.RESTARTS:
                    raise
                self.pool.shutdown(wait=False, cancel_futures=True)
                self.pool = self._start()

    def _run(self, span: Span, waiting: list[list[Combination]], done: Done) -> None:
        """Run ``waiting`` chunks, removing each from it as its outcomes are handed on."""
        pending: dict[Future[Any], list[Combination]] = {
            self.pool.submit(_evaluate_installed, span, chunk): chunk for chunk in waiting
        }
        try:
            while pending:
                finished, _ = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
                for future in finished:
                    outcomes = future.result()
                    waiting.remove(pending.pop(future))
                    done(outcomes)
                if self.stop():
                    raise Cancelled
        finally:
            for future in pending:
                future.cancel()

    def close(self) -> None:
        """Stop the workers (tasks not started are dropped)."""
        self.pool.shutdown(wait=True, cancel_futures=True)


class DaskExecutor:
    """Chunks as tasks on a Dask cluster: the scheduler at ``address``, or a given client.
    The job is scattered to every worker once; a task whose worker dies is run again by
    the scheduler on another."""

    def __init__(
        self, job: SweepJob, address: str | None = None, client: Any = None,
        stop: Callable[[], bool] = lambda: False,
    ) -> None:  # fmt: skip
        from distributed import Client

        self.own_client = client is None
        self.client = client if client is not None else Client(address, timeout="5s")
        self.workers = max(1, len(self.client.scheduler_info()["workers"]))
        self.job = self.client.scatter(job, broadcast=True, hash=False)
        self.stop = stop

    def run(self, span: Span, combos: list[Combination], done: Done) -> None:
        from distributed import as_completed

        futures = [
            self.client.submit(evaluate, self.job, span, chunk, pure=False, retries=2)
            for chunk in chunks(combos, self.workers)
        ]
        try:
            for future in as_completed(futures):
                done(future.result())
                if self.stop():
                    raise Cancelled
        finally:
            self.client.cancel([f for f in futures if not f.done()])

    def close(self) -> None:
        """Release the job's data (and the client, when this executor made it)."""
        self.client.cancel([self.job])
        if self.own_client:
            self.client.close()
