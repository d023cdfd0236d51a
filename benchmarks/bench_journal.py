"""Journal speed: parse, rebuild and analyse 10k, 30k and 100k trades (about three order rows
each) from a Tradovate-layout CSV in memory. Goal: 100,000 trades in under 3 s, scaling
linearly."""

from __future__ import annotations

import time

from tradeloop.journal.synthetic import synthetic_export
from tradeloop.services.exports import load_journal


def run() -> dict[int, float]:
    """Print and return seconds per size."""
    figures = {}
    print("journal: parse + rebuild + analyse (Tradovate layout)")
    for trades in (10_000, 30_000, 100_000):
        data = synthetic_export(trades, seed=trades)
        start = time.perf_counter()
        journal = load_journal(data)
        seconds = time.perf_counter() - start
        figures[trades] = seconds
        rows = len(journal.orders)
        print(
            f"  {trades:>7,} trades ({rows:,} rows): {seconds:6.2f} s  "
            f"({trades / seconds:,.0f} trades/s; goal for 100k: < 3 s)"
        )
    return figures
