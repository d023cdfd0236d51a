"""Commands as users run them, each a whole process: CPU seconds (user + system) and wall
seconds of ``tradeloop backtest`` against a backtesting.py script on the same 1M-bar CSV, of
``tradeloop habits analyze --json`` on 10k, 100k and 1M trades, and of ``tradeloop version``.
Each figure is the best of a few runs (the first loads the compiled kernel's disk cache)."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from benchmarks.processes import CLI, best_of
from tradeloop.journal.synthetic import synthetic_export
from tradeloop.market.synthetic import random_walk_bars

BARS = 1_000_000
TRADES = (10_000, 100_000, 1_000_000)


def _bar_file(folder: Path) -> Path:
    bars = random_walk_bars(BARS, seed=1)
    bars.index = bars.index.tz_localize(None)
    bars.index.name = "Date"
    path = folder / "EURUSD_H1.csv"
    bars.rename(columns=str.capitalize).to_csv(path, float_format="%.5f")
    return path


def _row(what: str, cpu: float, wall: float, goal: str) -> None:
    print(f"  {what:<44} {cpu:7.2f} CPU-s {wall:7.2f} s   {goal}")


def run() -> dict[str, float]:
    """Print and return the CPU seconds of each command."""
    figures: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        print("whole processes (best of runs)")
        bars = _bar_file(folder)
        command = [*CLI, "backtest", str(bars), "-s", "ma_crossover", "--sl-atr", "2",
                   "--tp-atr", "4", "--units", "1", "--spread-pips", "0",
                   "--json", str(folder / "run.json")]  # fmt: skip
        ours = best_of(3, command)
        theirs = best_of(1, [sys.executable, "-m", "benchmarks.peer_backtest", str(bars)])
        _row(f"tradeloop backtest, {BARS:,} bars --json", *ours, "")
        _row("backtesting.py script, same file", *theirs, "")
        figures["backtest_speedup"] = theirs[0] / ours[0]
        print(f"  {'':<44} {figures['backtest_speedup']:7.1f}x less CPU (goal ≥ 10x)")
        for trades in TRADES:
            path = folder / f"orders_{trades}.csv"
            path.write_bytes(synthetic_export(trades, seed=trades, start="1975-01-02 08:00:00"))
            cpu, wall = best_of(2 if trades < 1_000_000 else 1, [
                *CLI, "habits", "analyze", str(path), "--json", str(folder / "habits.json")
            ])  # fmt: skip
            figures[f"habits_{trades}"] = cpu
            goal = "goal ≤ 3 CPU-s" if trades == 100_000 else ""
            _row(f"tradeloop habits analyze --json, {trades:,} trades", cpu, wall, goal)
        cpu, wall = best_of(5, [*CLI, "version"])
        figures["version"] = cpu
        _row("tradeloop version", cpu, wall, "goal < 0.3 CPU-s")
    return figures
