"""Where sweeps run: a local process pool and a real Dask ``LocalCluster`` of two worker
processes give the in-process result exactly; a worker killed mid-run loses and duplicates
no combination; a cancelled run keeps what finished."""

from __future__ import annotations

import os
import signal
from collections import Counter

import pytest

from tradeloop.backtest.optimiser import Cancelled, Sweep, SweepPlan, result, search
from tradeloop.backtest.sweep import Span, SweepJob
from tradeloop.backtest.sweep_space import SweepSpace
from tradeloop.core.errors import InvalidInput
from tradeloop.market.instruments import resolve_instrument
from tradeloop.market.synthetic import random_walk_bars
from tradeloop.services.sweep_executors import (
    DaskExecutor,
    InlineExecutor,
    LocalExecutor,
    chunks,
)
from tradeloop.services.sweeps import make_executor

BARS = random_walk_bars(3000, seed=8)
JOB = SweepJob(BARS, "ma_crossover", resolve_instrument("EURUSD"))
PLAN = SweepPlan(
    space=SweepSpace({"fast_period": [4, 6, 8, 10, 12], "slow_period": [20, 25, 30, 35],
                      "sl_atr": [1.0, 2.0]}),
    setting_names=frozenset({"sl_atr"}), settings={"tp_atr": 3.0}, min_trades=0,
)  # fmt: skip


def swept(executor, done=None) -> dict:
    sweep = Sweep(PLAN, listener=done)
    search(sweep, executor, Span(0, len(BARS)), lambda d, t: None)
    return result(sweep, complete=True)


@pytest.fixture(scope="module")
def expected() -> dict:
    return swept(InlineExecutor(JOB))


@pytest.fixture(scope="module")
def cluster():
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:  # fmt: skip
        yield client


def test_chunks_cover_every_combination_once_in_order() -> None:
    combos = PLAN.candidates()
    cut = chunks(combos, 2)
    assert [c for chunk in cut for c in chunk] == combos and len(cut) == 8  # 40 / (4 × 2) = 5
    assert len(chunks(combos, 1)) == 4 and len(chunks(combos[:3], 8)) == 3


def test_local_pool_gives_the_in_process_result(expected: dict) -> None:
    pool = LocalExecutor(JOB, workers=2)
    try:
        assert swept(pool) == expected
    finally:
        pool.close()
    assert len(expected["combinations"]) == 40 and expected["best"] is not None


def test_local_pool_survives_a_killed_worker(expected: dict) -> None:
    pool = LocalExecutor(JOB, workers=2)
    first = pool.pool
    seen: Counter[int] = Counter()

    def done(outcomes) -> None:
        if not seen:
            os.kill(next(iter(pool.pool._processes)), signal.SIGKILL)
        seen.update(o.index for o in outcomes)

    try:
        assert swept(pool, done) == expected
        assert pool.pool is not first  # the broken pool was replaced
    finally:
        pool.close()
    assert sorted(seen) == list(range(40)) and set(seen.values()) == {1}


def test_dask_cluster_gives_the_in_process_result(cluster, expected: dict) -> None:
    executor = DaskExecutor(JOB, client=cluster)
    try:
        assert executor.workers == 2
        assert swept(executor) == expected
    finally:
        executor.close()


def test_dask_worker_killed_mid_run_loses_and_repeats_nothing(cluster, expected: dict) -> None:
    executor = DaskExecutor(JOB, client=cluster)
    pids = cluster.run(os.getpid)
    seen: Counter[int] = Counter()

    def done(outcomes) -> None:
        if not seen:
            os.kill(next(iter(pids.values())), signal.SIGKILL)
        seen.update(o.index for o in outcomes)

    try:
        assert swept(executor, done) == expected
    finally:
        executor.close()
    assert sorted(seen) == list(range(40)) and set(seen.values()) == {1}
    cluster.wait_for_workers(2, timeout=60)  # the nanny restarts the worker


def test_a_cancelled_dask_run_keeps_a_consistent_partial(cluster, expected: dict) -> None:
    finished: list[int] = []
    executor = DaskExecutor(JOB, client=cluster, stop=lambda: len(finished) >= 5)
    sweep = Sweep(PLAN, listener=lambda outcomes: finished.extend(o.index for o in outcomes))
    try:
        with pytest.raises(Cancelled):
            search(sweep, executor, Span(0, len(BARS)), lambda d, t: None)
    finally:
        executor.close()
    partial = result(sweep, complete=False)
    assert 5 <= len(partial["combinations"]) < 40
    assert sorted(finished) == [r["index"] for r in partial["combinations"]]
    whole = {r["index"]: r for r in expected["combinations"]}
    assert all(r == whole[r["index"]] for r in partial["combinations"])


def test_the_executor_asked_for(monkeypatch) -> None:
    assert isinstance(make_executor(JOB, "local", 1, None), InlineExecutor)
    with pytest.raises(InvalidInput, match="--executor dask needs a scheduler: set TRADELOOP_DASK"):
        make_executor(JOB, "dask", None, None)
    with pytest.raises(InvalidInput, match="cannot reach the Dask scheduler at tcp://127.0.0.1:9"):
        make_executor(JOB, None, None, "tcp://127.0.0.1:9")
