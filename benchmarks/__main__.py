"""Run every benchmark and print its figures."""

from __future__ import annotations

from benchmarks import bench_api, bench_backtest, bench_journal


def main() -> None:
    """Run the benchmarks in order."""
    bench_backtest.run()
    bench_journal.run()
    bench_api.run()


if __name__ == "__main__":
    main()
