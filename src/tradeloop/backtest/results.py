"""What a stored backtest keeps of a run: figures, sampled curves, the trade log and the
parameters (pure: computed in the worker process that ran the backtest)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from tradeloop.backtest.engine import BacktestRun

CURVE_POINTS = 3000


def curves(equity: pd.Series, close: pd.Series, points: int = CURVE_POINTS) -> dict[str, list[Any]]:
    """Equity, drawdown % and close at up to ``points`` evenly spaced bars (always the last)."""
    n = len(equity)
    picks = np.unique(
        np.concatenate((np.linspace(0, n - 1, min(points, n)).astype(np.int64), [n - 1]))
    )
    values = equity.to_numpy()
    drawdown = (1 - values / np.maximum.accumulate(values)) * 100
    return {
        "time": [t.isoformat() for t in equity.index[picks]],
        "equity": values[picks].round(6).tolist(),
        "drawdown_pct": (-drawdown[picks]).round(4).tolist(),
        "close": close.to_numpy()[picks].tolist(),
    }


def result_columns(run: BacktestRun, bars: pd.DataFrame, timeframe: str) -> dict[str, Any]:
    """A run's figures, curves, trade log and parameters as stored (computed where the run
    was: in a worker process)."""
    stats = run.stats
    return {
        "strategy_name": run.strategy.key,
        "total_profit_usd": stats["net_profit"],
        "total_trades": stats["trades"],
        "win_rate_percent": stats["win_rate_pct"] or 0.0,
        "max_drawdown_percent": stats["max_drawdown_pct"],
        "wins": stats["wins"],
        "losses": stats["losses"],
        "equity_curve": curves(run.equity, bars["close"]),
        "trade_log": run.trade_records(),
        "stats": stats,
        "parameters": {
            "strategy": run.strategy.values,
            "execution": run.settings.model_dump(),
            "symbol": run.instrument.symbol,
            "timeframe": timeframe,
            "instrument": {
                "contract_size": run.instrument.contract_size,
                "pip_size": run.instrument.pip_size,
                "quote_currency": run.instrument.quote,
            },
        },
    }
