"""Saved backtest results, owned by a user."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session, defer

from tradeloop.backtest.engine import BacktestRun
from tradeloop.core.errors import NotFound
from tradeloop.store.models import BacktestResult
from tradeloop.store.pagination import Page, paginate

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


def save_run(
    session: Session,
    user_id: int,
    run: BacktestRun,
    bars: pd.DataFrame,
    data_filename: str,
    timeframe: str,
    dataset_id: int | None,
) -> BacktestResult:
    """Store a run's figures, curves, trade log and parameters for the user."""
    stats = run.stats
    result = BacktestResult(
        user_id=user_id,
        strategy_name=run.strategy.key,
        data_filename=data_filename[:200],
        total_profit_usd=stats["net_profit"],
        total_trades=stats["trades"],
        win_rate_percent=stats["win_rate_pct"] or 0.0,
        max_drawdown_percent=stats["max_drawdown_pct"],
        wins=stats["wins"],
        losses=stats["losses"],
        equity_curve=curves(run.equity, bars["close"]),
        trade_log=run.trade_records(),
        stats=stats,
        dataset_id=dataset_id,
        parameters={
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
    )
    session.add(result)
    session.flush()
    return result


def list_results(session: Session, user_id: int, limit: int, offset: int) -> Page[BacktestResult]:
    """The user's results, newest first, without curves and trade logs."""
    query = (
        select(BacktestResult)
        .options(defer(BacktestResult.equity_curve), defer(BacktestResult.trade_log))
        .where(BacktestResult.user_id == user_id)
        .order_by(BacktestResult.timestamp.desc(), BacktestResult.id.desc())
    )
    return paginate(session, query, limit, offset)


def get_result(session: Session, user_id: int, result_id: int) -> BacktestResult:
    """The user's result; NotFound when missing or someone else's."""
    result = session.scalar(
        select(BacktestResult).where(
            BacktestResult.id == result_id, BacktestResult.user_id == user_id
        )
    )
    if result is None:
        raise NotFound(f"backtest {result_id} not found")
    return result


def delete_result(session: Session, user_id: int, result_id: int) -> None:
    """Delete one of the user's results."""
    session.delete(get_result(session, user_id, result_id))
    session.flush()
