"""Backtest pages: run (form + progress), history, and a result's detail with charts."""

from __future__ import annotations

from pathlib import Path

import plotly
from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, Response

from tradeloop.services import backtests
from tradeloop.serving.deps import DB, ObjectId, Paging
from tradeloop.strategies.base import all_strategies
from tradeloop.web.access import FormUser, MaybeUser, require_user
from tradeloop.web.render import redirect, render

router = APIRouter(include_in_schema=False)
PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
TRADES_SHOWN = 500
STAT_ROWS = (
    "start",
    "end",
    "bars",
    "exposure_pct",
    "initial_equity",
    "final_equity",
    "peak_equity",
    "net_profit",
    "return_pct",
    "buy_hold_return_pct",
    "return_ann_pct",
    "volatility_ann_pct",
    "cagr_pct",
    "sharpe",
    "sortino",
    "calmar",
    "max_drawdown_pct",
    "avg_drawdown_pct",
    "max_drawdown_duration_seconds",
    "avg_drawdown_duration_seconds",
    "trades",
    "wins",
    "losses",
    "win_rate_pct",
    "best_trade_pct",
    "worst_trade_pct",
    "avg_trade_pct",
    "max_trade_duration_seconds",
    "avg_trade_duration_seconds",
    "profit_factor",
    "expectancy",
    "sqn",
    "kelly",
    "avg_win",
    "avg_loss",
    "max_consecutive_losses",
    "total_costs",
)


def format_stat(name: str, value: object) -> str:
    """A statistic for people: durations in days and hours, numbers with sensible decimals."""
    if value is None:
        return "—"
    if name.endswith("_seconds") and isinstance(value, int | float):
        days, rest = divmod(int(value), 86400)
        return f"{days}d {rest // 3600}h" if days else f"{rest // 3600}h {rest % 3600 // 60}m"
    if isinstance(value, str):
        return value.replace("T", " ").replace("+00:00", " UTC")
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.2f}" if abs(value) >= 1 or value == 0 else f"{value:.4g}"
    return str(value)


@router.get("/vendor/plotly.min.js")
def plotly_js() -> FileResponse:
    """The plotly.js bundled with the installed plotly package (no CDN)."""
    return FileResponse(
        PLOTLY_JS, media_type="text/javascript", headers={"Cache-Control": "public, max-age=86400"}
    )


@router.get("/backtests")
def backtests_page(request: Request, session: DB, user: MaybeUser) -> Response:
    """The form to run a backtest."""
    user = require_user(user)
    settings = request.app.state.tradeloop.settings
    return render(
        request,
        "backtests.html",
        user,
        strategies=[cls.describe() for cls in all_strategies()],
        datasets=backtests.list_datasets(session, user.id, 100, 0).items,
        upload_mb=settings.max_backtest_upload_bytes // 1_048_576,
    )


@router.get("/backtests/history")
def history_page(request: Request, session: DB, user: MaybeUser, paging: Paging) -> Response:
    """The user's saved backtests."""
    user = require_user(user)
    page = backtests.list_results(session, user.id, paging.limit, paging.offset)
    return render(request, "backtest_history.html", user, page=page)


@router.get("/backtests/{result_id}")
def result_page(request: Request, result_id: ObjectId, session: DB, user: MaybeUser) -> Response:
    """A saved backtest: statistics, charts and trades."""
    user = require_user(user)
    result = backtests.get_result(session, user.id, result_id)
    trades = result.trade_log or []
    return render(
        request,
        "backtest_result.html",
        user,
        result=result,
        trades=trades[:TRADES_SHOWN],
        trade_total=len(trades),
        stat_rows=STAT_ROWS,
        format_stat=format_stat,
        chart={"curve": result.equity_curve, "trades": trades[:5000]},
    )


@router.post("/backtests/{result_id}/delete")
def delete_result(result_id: ObjectId, session: DB, user: FormUser) -> Response:
    """Delete a saved backtest."""
    backtests.delete_result(session, user.id, result_id)
    return redirect("/backtests/history", "backtests.deleted")
