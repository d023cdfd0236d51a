"""Sweep speed, as users run it: ``tradeloop optimize`` on 1 and 2 cores against
backtesting.py's ``Backtest.optimize`` (a script, its default process pool) on the same
200-combination grid of the same strategy (SMA fast × slow crossover, stop and target at 2
and 4 ATR(14), one unit, no costs) over EURUSD H1, each a whole process in the same run:
CPU seconds (user + system, children included), wall seconds and bar-evaluations per second
(combinations × bars / wall). Then the sweep alone in this process, its workers started.
vectorbt, where it is installed, sweeps the same crossover signals without the ATR stops
(its stops are fractions of the price, not ATR multiples).

The bars are ``../shared/data/market/EURUSD_H1.csv`` (or ``TRADELOOP_BENCH_EURUSD``) when
it exists, else a synthetic series of the same length, written once as a Date/Open/... CSV
that every contender reads."""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.processes import CLI, measure
from tradeloop.market.readers import read_bars
from tradeloop.market.synthetic import random_walk_bars

REAL = Path(__file__).resolve().parents[2] / "shared" / "data" / "market" / "EURUSD_H1.csv"
FAST = list(range(5, 51, 5))  # 10 values
SLOW = list(range(60, 251, 10))  # 20 values: 200 combinations, every one fast < slow
GOAL = 20.0  # times less CPU than backtesting.py


def _bar_file(folder: Path) -> tuple[Path, int, str]:
    source = Path(os.environ.get("TRADELOOP_BENCH_EURUSD", REAL))
    if source.is_file():
        bars, origin = read_bars(source), str(source)
    else:
        bars, origin = random_walk_bars(39_196, seed=1), "synthetic (EURUSD_H1.csv not found)"
    bars.index = bars.index.tz_localize(None)
    bars.index.name = "Date"
    path = folder / "EURUSD_H1.csv"
    bars.rename(columns=str.capitalize).to_csv(path)
    return path, len(bars), origin


def _peer_script(folder: Path, data: Path) -> Path:
    script = folder / "peer_optimise.py"
    script.write_text(
        "import warnings, pandas as pd\n"
        "from backtesting import Backtest\n"
        "from tests.backtest.peer import SmaCrossAtr\n"
        f"frame = pd.read_csv({str(data)!r}, index_col=0, parse_dates=True)\n"
        "warnings.simplefilter('ignore')\n"
        "test = Backtest(frame, SmaCrossAtr, cash=1_000_000, commission=0, spread=0,"
        " finalize_trades=True)\n"
        f"print(test.optimize(fast={FAST}, slow={SLOW}, sl_atr=[2.0], tp_atr=[4.0],"
        " maximize='Equity Final [$]'))\n"
    )
    return script


def _vectorbt(data: Path) -> tuple[float, float] | None:
    """CPU and wall seconds of vectorbt's sweep in this process, or None without it."""
    try:
        import numpy as np
        import pandas as pd
        import vectorbt as vbt
    except ImportError:
        return None
    close = pd.read_csv(data, index_col=0, parse_dates=True)["Close"]
    vbt.Portfolio.from_signals(close.iloc[:500], close.iloc[:500] > 0)  # compile first
    cpu, start = time.process_time(), time.perf_counter()
    fast = vbt.MA.run(close, FAST, short_name="fast")
    slow = vbt.MA.run(close, SLOW, short_name="slow")
    fast_wide = fast.ma.loc[:, np.repeat(FAST, len(SLOW))].to_numpy()
    slow_wide = slow.ma.loc[:, np.tile(SLOW, len(FAST))].to_numpy()
    above = fast_wide > slow_wide
    before = np.vstack([above[:1], above[:-1]])
    up, down = above & ~before, ~above & before
    columns = pd.MultiIndex.from_product([FAST, SLOW], names=["fast", "slow"])
    portfolio = vbt.Portfolio.from_signals(
        close, entries=pd.DataFrame(up, index=close.index, columns=columns),
        short_entries=pd.DataFrame(down, index=close.index, columns=columns), size=1,
        init_cash=1_000_000, upon_opposite_entry="ignore",
    )  # fmt: skip
    portfolio.total_profit()
    return time.process_time() - cpu, time.perf_counter() - start


def _in_process(data: Path) -> dict[int, float]:
    """Wall seconds of the sweep alone on 1 and 2 cores: bars read, workers started and
    warmed up by a first sweep."""
    from tradeloop.backtest.optimiser import Sweep, SweepPlan, search
    from tradeloop.backtest.sweep import Span, SweepJob
    from tradeloop.backtest.sweep_space import SweepSpace
    from tradeloop.market.instruments import resolve_instrument
    from tradeloop.services.sweep_executors import InlineExecutor, LocalExecutor

    bars = read_bars(data)
    job = SweepJob(bars, "ma_crossover", resolve_instrument("EURUSD"))
    plan = SweepPlan(
        space=SweepSpace({"fast_period": FAST, "slow_period": SLOW}),
        settings={"sl_atr": 2.0, "tp_atr": 4.0, "units": 1.0, "spread_pips": 0.0},
    )  # fmt: skip
    timed = {}
    for cores, executor in ((1, InlineExecutor(job)), (2, LocalExecutor(job, 2))):
        try:
            search(Sweep(plan), executor, Span(0, len(bars)), lambda d, t: None)  # warm up
            start = time.perf_counter()
            search(Sweep(plan), executor, Span(0, len(bars)), lambda d, t: None)
            timed[cores] = time.perf_counter() - start
        finally:
            executor.close()
    return timed


def _row(what: str, cpu: float, wall: float, evaluations: int) -> None:
    print(f"  {what:<46} {cpu:7.2f} CPU-s {wall:7.2f} s {evaluations / wall:12,.0f} bar-evals/s")


def run() -> dict[str, float]:
    """Print and return the figures."""
    figures: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        data, bars, origin = _bar_file(folder)
        evaluations = len(FAST) * len(SLOW) * bars
        print(f"optimisation: {len(FAST) * len(SLOW)} combinations × {bars:,} bars of {origin}")
        sweep = [*CLI, "optimize", str(data), "-s", "ma_crossover", "-g", "fast_period=5:50:5",
                 "-g", "slow_period=60:250:10", "--sl-atr", "2", "--tp-atr", "4", "--units", "1",
                 "--spread-pips", "0", "--cash", "1000000"]  # fmt: skip
        measure([*sweep, "--workers", "1"])  # loads the compiled kernels' disk cache
        for cores in (1, 2):
            cpu, wall = measure([*sweep, "--workers", str(cores)])
            figures[f"tradeloop_{cores}_cpu"], figures[f"tradeloop_{cores}_wall"] = cpu, wall
            _row(f"tradeloop optimize, {cores} core{'s' if cores > 1 else ''}", cpu, wall,
                 evaluations)  # fmt: skip
        for cores, wall in _in_process(data).items():
            figures[f"sweep_{cores}_wall"] = wall
            print(f"  {'the sweep alone (workers ready), ' + str(cores) + ' core(s)':<46} "
                  f"{'':>13} {wall:7.2f} s {evaluations / wall:12,.0f} bar-evals/s")  # fmt: skip
        env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
        cpu, wall = measure([sys.executable, str(_peer_script(folder, data))], env)
        figures["peer_cpu"], figures["peer_wall"] = cpu, wall
        _row("backtesting.py Backtest.optimize (all cores)", cpu, wall, evaluations)
        less = cpu / figures["tradeloop_1_cpu"]
        print(f"  tradeloop on 1 core uses {less:.1f}× less CPU than backtesting.py "
              f"(goal ≥ {GOAL:g}×: {'met' if less >= GOAL else 'NOT met'})")  # fmt: skip
        timed = _vectorbt(data)
        if timed is None:
            print("  vectorbt: not installed (pip install vectorbt), no figure")
        else:
            figures["vectorbt_cpu"], figures["vectorbt_wall"] = timed
            _row("vectorbt, same signals without ATR stops", *timed, evaluations)
    return figures
