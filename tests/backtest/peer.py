"""The same strategy written for backtesting.py, the peer the engine is checked against."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import talib
from backtesting import Backtest, Strategy
from backtesting.lib import crossover


class SmaCrossAtr(Strategy):
    """SMA fast/slow crossover; stop and target at ATR multiples from the signal bar's close;
    opposite signals are ignored while a position is open."""

    fast = 20
    slow = 50
    sl_atr = 2.0
    tp_atr = 4.0

    def init(self) -> None:
        close = self.data.Close
        self.fast_ma = self.I(talib.SMA, close, self.fast)
        self.slow_ma = self.I(talib.SMA, close, self.slow)
        self.atr = self.I(talib.ATR, self.data.High, self.data.Low, close, 14)

    def next(self) -> None:
        if self.position:
            return
        price, atr = self.data.Close[-1], self.atr[-1]
        if crossover(self.fast_ma, self.slow_ma):
            self.buy(size=1, sl=price - self.sl_atr * atr, tp=price + self.tp_atr * atr)
        elif crossover(self.slow_ma, self.fast_ma):
            self.sell(size=1, sl=price + self.sl_atr * atr, tp=price - self.tp_atr * atr)


class SmaCrossAtrNoLastEntry(SmaCrossAtr):
    """``SmaCrossAtr`` with tradeloop's rule of no entry on the last bar's signal
    (backtesting.py fills one at that bar's open in its finalising pass and counts it in the
    final equity, though its trade list leaves it out)."""

    def init(self) -> None:
        super().init()
        self.last_time = self.data.index[-1]  # init sees every bar

    def next(self) -> None:
        if self.data.index[-1] != self.last_time:
            super().next()


def peer_trades(bars: pd.DataFrame, **params: float) -> pd.DataFrame:
    """backtesting.py's trades for ``bars`` (a tradeloop bar frame), no costs, next-open fills."""
    frame = bars.rename(columns=str.capitalize)
    frame.index = frame.index.tz_localize(None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        test = Backtest(
            frame, SmaCrossAtr, cash=1_000_000, commission=0, spread=0, finalize_trades=True
        )
        stats = test.run(**params)
    trades = stats["_trades"].sort_values("EntryTime", kind="stable").reset_index(drop=True)
    trades["EntryTime"] = trades["EntryTime"].dt.tz_localize("UTC")
    trades["ExitTime"] = trades["ExitTime"].dt.tz_localize("UTC")
    return trades


def assert_same_trades(ours: pd.DataFrame, theirs: pd.DataFrame) -> None:
    """Equal entry/exit times and sides; prices within 1e-9."""
    assert len(ours) == len(theirs), (len(ours), len(theirs))
    assert (ours["entry_time"].to_numpy() == theirs["EntryTime"].to_numpy()).all()
    assert (ours["exit_time"].to_numpy() == theirs["ExitTime"].to_numpy()).all()
    assert (np.sign(theirs["Size"].to_numpy()) == ours["side"].to_numpy()).all()
    assert np.allclose(ours["entry_price"], theirs["EntryPrice"], rtol=0, atol=1e-9)
    assert np.allclose(ours["exit_price"], theirs["ExitPrice"], rtol=0, atol=1e-9)
