"""Bounded CPU work: imports, analyses and backtests run in worker processes (``run_cpu``),
never on the event loop nor holding its GIL, a few at a time. Each user may have
``per_user`` running or waiting; at most ``workers`` run at once and ``queue`` wait; past
either bound the caller is answered 429 with Retry-After instead of piling up behind the
others."""

from __future__ import annotations

import os
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from contextvars import ContextVar
from multiprocessing import get_context
from typing import Any, TypeVar

from tradeloop.core.errors import TooManyRequests, Unavailable

T = TypeVar("T")

RETRY_SECONDS = 5
POLL_SECONDS = 0.25
WORKER_NICENESS = 10


class Ticket:
    """One admitted piece of work: it counts against its user and the queue until ``close``;
    ``running`` holds one of the workers while the work runs."""

    def __init__(self, slots: WorkSlots, user_id: int) -> None:
        self._slots, self.user_id = slots, user_id
        self._waiting, self._closed = True, False
        self.kept = False  # a background job holds it: whoever admitted it must not close it

    @contextmanager
    def running(self, give_up: Callable[[], bool] | None = None) -> Iterator[None]:
        """Wait for a free worker, then hold it; ``give_up`` (polled while waiting) may end
        the wait early by raising."""
        while not self._slots._running.acquire(timeout=POLL_SECONDS):
            if give_up is not None:
                give_up()
        with self._slots._lock:
            self._slots._waiting -= 1
            self._waiting = False
        try:
            yield
        finally:
            self._slots._running.release()

    def close(self) -> None:
        """Give the ticket back (its user and the queue count it no more)."""
        with self._slots._lock:
            if self._closed:
                return
            self._closed = True
            self._slots._by_user[self.user_id] -= 1
            if self._waiting:
                self._slots._waiting -= 1


class WorkSlots:
    """Admission for CPU-heavy requests (see the module docstring)."""

    def __init__(self, workers: int, per_user: int, queue: int) -> None:
        self.workers, self.per_user, self.queue = workers, per_user, queue
        self._running = threading.BoundedSemaphore(workers)
        self._lock = threading.Lock()
        self._by_user: Counter[int] = Counter()
        self._waiting = 0

    def admit(self, user_id: int) -> Ticket:
        """A ticket for ``user_id``'s work; 429 with Retry-After when the user already has
        ``per_user`` or the queue is full."""
        with self._lock:
            if self._by_user[user_id] >= self.per_user:
                raise TooManyRequests(
                    f"you already have {self._by_user[user_id]} imports or backtests running: "
                    "try again when one has finished",
                    RETRY_SECONDS,
                    key="error.busy_user",
                    values={"running": self._by_user[user_id]},
                )
            if self._waiting >= self.queue:
                raise TooManyRequests(
                    "the server is busy: try again in a few seconds",
                    RETRY_SECONDS,
                    key="error.busy_server",
                )
            self._by_user[user_id] += 1
            self._waiting += 1
        return Ticket(self, user_id)

    @contextmanager
    def slot(self, user_id: int) -> Iterator[None]:
        """Hold one of the workers for ``user_id``'s work (waiting in the queue if needed)."""
        ticket = self.admit(user_id)
        try:
            with ticket.running():
                yield
        finally:
            ticket.close()


# Called before and after each piece of work ``run_cpu`` does in this context (a background
# job reports its progress and stops there when cancelled).
work_steps: ContextVar[Callable[[bool], None] | None] = ContextVar("work_steps", default=None)


_pool: ProcessPoolExecutor | None = None
_pool_lock = threading.Lock()
_processes = {"workers": max(1, os.cpu_count() or 1), "enabled": True}


def configure(workers: int, processes: bool = True) -> None:
    """How many worker processes CPU work runs in (``processes`` false: in the caller)."""
    _processes.update(workers=workers, enabled=processes)


def _exit_with(parent: int) -> None:
    """End this worker when the server that started it is gone (even killed with SIGKILL,
    when nothing tells the workers): no orphan keeps its memory."""
    while os.getppid() == parent:
        time.sleep(1)
    os._exit(0)


def _start_worker(parent: int) -> None:
    os.nice(WORKER_NICENESS)  # the server answering requests goes first when CPUs are busy
    threading.Thread(target=_exit_with, args=(parent,), daemon=True).start()
    _warm_up()


def _warm_up() -> None:
    """Load what the work needs before the first request does: the journal and habit code,
    and the compiled backtest kernel from its disk cache (a tiny run)."""
    from tradeloop.backtest.engine import run_backtest
    from tradeloop.execution.settings import ExecutionSettings
    from tradeloop.market.instruments import resolve_instrument
    from tradeloop.market.synthetic import random_walk_bars
    from tradeloop.services import analyses, exports  # noqa: F401
    from tradeloop.strategies.base import get_strategy

    bars = random_walk_bars(300, seed=1)
    run_backtest(bars, get_strategy("ma_crossover"), resolve_instrument("EURUSD"),
                 ExecutionSettings(sl_atr=2, tp_atr=4))  # fmt: skip


def _ready() -> bool:
    return True


def start() -> None:
    """Start every worker process now (each loads its code), not on the first request."""
    if _processes["enabled"]:
        executor = _executor()
        for _ in range(int(_processes["workers"])):
            executor.submit(_ready)


def _executor() -> ProcessPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:  # spawned (not forked) beside a threaded server; shared by its apps
            _pool = ProcessPoolExecutor(
                max_workers=int(_processes["workers"]),
                mp_context=get_context("spawn"),
                initializer=_start_worker,
                initargs=(os.getpid(),),
            )
        return _pool


def run_cpu(function: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """``function(*args, **kwargs)`` in a worker process (the GIL and the event loop stay
    free), its result or its exception returned here. A worker that died is replaced and the
    work is refused with a message, never retried behind the caller's back."""
    global _pool
    step = work_steps.get()
    if step is not None:
        step(False)
    used = None
    try:
        if not _processes["enabled"]:
            result = function(*args, **kwargs)
        else:
            used = _executor()
            result = used.submit(function, *args, **kwargs).result()
    except BrokenProcessPool as exc:
        with _pool_lock:
            if _pool is used:  # replaced once, not again by each caller it failed
                _pool = None
        raise Unavailable(
            "the worker doing this stopped (out of memory?): try again", key="error.worker_stopped"
        ) from exc
    if step is not None:
        step(True)
    return result


def shutdown() -> None:
    """Stop the worker processes (running work finishes first)."""
    global _pool
    with _pool_lock:
        if _pool is not None:
            _pool.shutdown(wait=True, cancel_futures=True)
            _pool = None
