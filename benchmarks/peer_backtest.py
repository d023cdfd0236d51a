"""backtesting.py as a user runs it: a script that reads the CSV with pandas and backtests the
same strategy as tradeloop (SMA 20/50 crossover, stop and target at 2 and 4 ATR(14), one
unit, no costs). ``python -m benchmarks.peer_backtest FILE``."""

from __future__ import annotations

import sys
import warnings

import pandas as pd
from backtesting import Backtest
from tests.backtest.peer import SmaCrossAtr


def main(path: str) -> None:
    """Backtest the bars in ``path`` and print the statistics."""
    frame = pd.read_csv(path, index_col=0, parse_dates=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        test = Backtest(
            frame, SmaCrossAtr, cash=1_000_000, commission=0, spread=0, finalize_trades=True
        )
        print(test.run())


if __name__ == "__main__":
    main(sys.argv[1])
