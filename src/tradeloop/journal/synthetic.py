"""A synthetic Tradovate Orders export (short layout): bracket trades on MNQ, for demos,
tests and benchmarks. Every trade is three orders: a market entry, a stop and a target; one
of the two exits fills, the other is cancelled; one trade in fifty has no stop at all."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd

from tradeloop.journal.csv_formats import TRADOVATE_SHORT

HEADER = TRADOVATE_SHORT  # the short 11-column layout


def synthetic_export(trades: int, seed: int = 1, start: str = "2024-01-02 08:00:00") -> bytes:
    """CSV bytes of an export with ``trades`` closed trades (about three rows each)."""
    rng = np.random.default_rng(seed)
    gaps = rng.integers(60, 3600, trades)
    entry = pd.Timestamp(start) + pd.to_timedelta(
        np.cumsum(gaps) + np.arange(trades) * 900, unit="s"
    )
    hold = pd.to_timedelta(rng.integers(20, 900, trades), unit="s")
    long = rng.random(trades) < 0.5
    price = 17000 + np.cumsum(rng.normal(0, 5, trades)).round(2)
    price = (price * 4).round() / 4
    risk = rng.integers(16, 80, trades) / 4.0
    reward = rng.integers(16, 100, trades) / 4.0
    stopped = rng.random(trades) < 0.52
    naked = rng.random(trades) < 0.02
    direction = np.where(long, 1, -1)
    stop = price - direction * risk
    target = price + direction * reward
    exit_price = np.where(stopped, stop, target)
    open_side = np.where(long, "Buy", "Sell")
    close_side = np.where(long, "Sell", "Buy")
    fmt = "%m/%d/%Y %H:%M:%S"
    t_entry = entry.strftime(fmt)
    t_exit = (entry + hold).strftime(fmt)
    rows = []
    for i in range(trades):
        base = 10_000_000 + 3 * i
        rows.append(
            (
                base,
                t_entry[i],
                t_entry[i],
                open_side[i],
                "MNQH4",
                1,
                price[i],
                "Market",
                price[i],
                "",
                "Filled",
            )
        )
        if not naked[i]:
            status, fill, avg = (
                ("Filled", t_exit[i], exit_price[i]) if stopped[i] else ("Cancelled", "", "")
            )
            rows.append(
                (
                    base + 1,
                    t_entry[i],
                    fill,
                    close_side[i],
                    "MNQH4",
                    1 if stopped[i] else "",
                    avg,
                    "Stop",
                    "",
                    stop[i],
                    status,
                )
            )
        filled = not stopped[i] or naked[i]
        rows.append(
            (
                base + 2,
                t_entry[i],
                t_exit[i] if filled else "",
                close_side[i],
                "MNQH4",
                1 if filled else "",
                (target[i] if not stopped[i] else stop[i]) if filled else "",
                "Limit",
                target[i] if not stopped[i] else stop[i],
                "",
                "Filled" if filled else "Cancelled",
            )
        )
    buffer = io.StringIO()
    pd.DataFrame(rows, columns=HEADER).to_csv(buffer, index=False)
    return buffer.getvalue().encode()
