"""Run the benchmarks and print their figures: ``python -m benchmarks [section ...]`` with
sections cli, load, responsive, kernel, optimise, journal, api, bots (all when none is
named)."""

from __future__ import annotations

import sys

from benchmarks import (
    bench_api,
    bench_backtest,
    bench_bots,
    bench_cli,
    bench_journal,
    bench_load,
    bench_optimise,
    bench_responsive,
)

SECTIONS = {
    "cli": bench_cli.run,
    "load": bench_load.run,
    "responsive": bench_responsive.run,
    "kernel": bench_backtest.run,
    "optimise": bench_optimise.run,
    "journal": bench_journal.run,
    "api": bench_api.run,
    "bots": bench_bots.run,
}


def main(names: list[str]) -> int:
    """Run the named sections (all by default)."""
    unknown = [name for name in names if name not in SECTIONS]
    if unknown:
        print(f"unknown section(s) {', '.join(unknown)}: choose from {', '.join(SECTIONS)}")
        return 2
    for name in names or SECTIONS:
        SECTIONS[name]()
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
