"""Saved backtest results, owned by a user."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, defer

from tradeloop.store.models import BacktestResult
from tradeloop.store.owned import owned_row
from tradeloop.store.pagination import Page, paginate


def save_run(
    session: Session,
    user_id: int,
    columns: dict[str, Any],
    data_filename: str,
    dataset_id: int | None,
) -> BacktestResult:
    """Store a run (its ``result_columns``) for the user."""
    result = BacktestResult(
        user_id=user_id, data_filename=data_filename[:200], dataset_id=dataset_id, **columns
    )
    session.add(result)
    session.flush()
    return result


RESULT_SORTS = {
    "time": BacktestResult.timestamp,
    "strategy": BacktestResult.strategy_name,
    "trades": BacktestResult.total_trades,
    "profit": BacktestResult.total_profit_usd,
    "win_rate": BacktestResult.win_rate_percent,
    "drawdown": BacktestResult.max_drawdown_percent,
}


def list_results(
    session: Session, user_id: int, limit: int, offset: int, sort: str = "time",
    descending: bool = True,
) -> Page[BacktestResult]:  # fmt: skip
    """The user's results (newest first unless ``sort`` names another of ``RESULT_SORTS``),
    without curves and trade logs; ties in the order they were saved."""
    column = RESULT_SORTS[sort]
    query = (
        select(BacktestResult)
        .options(defer(BacktestResult.equity_curve), defer(BacktestResult.trade_log))
        .where(BacktestResult.user_id == user_id)
        .order_by(
            column.desc() if descending else column.asc(),
            BacktestResult.id.desc() if descending else BacktestResult.id.asc(),
        )
    )
    return paginate(session, query, limit, offset)


def get_result(session: Session, user_id: int, result_id: int) -> BacktestResult:
    """The user's result; NotFound when missing or someone else's."""
    return owned_row(session, BacktestResult, user_id, result_id, "backtest")


def delete_result(session: Session, user_id: int, result_id: int) -> None:
    """Delete one of the user's results."""
    session.delete(get_result(session, user_id, result_id))
    session.flush()
