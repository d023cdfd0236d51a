"""Backtest pages: run (form + progress), history with comparison, and a result's detail with
candlesticks, equity, grouped statistics, the trade table and a re-run with every setting."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

import plotly
from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, Response
from starlette.exceptions import HTTPException

from tradeloop.core.errors import NotFound
from tradeloop.execution.settings import ExecutionSettings
from tradeloop.services import backtests
from tradeloop.serving.deps import DB, MAX_ID, ObjectId
from tradeloop.strategies.base import all_strategies
from tradeloop.web import backtest_view as view
from tradeloop.web.access import FormUser, MaybeUser, require_user
from tradeloop.web.render import redirect, render, request_language

router = APIRouter(include_in_schema=False)
PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
HISTORY_PER_PAGE = 25
PageNumber = Annotated[int, Query(ge=1, le=1_000_000, description="page, from 1")]
Order = Annotated[Literal["asc", "desc"] | None, Query(description="sort direction")]
TradeSort = Annotated[
    Literal[
        "number", "side", "entry_time", "entry_price", "exit_time", "exit_price", "lots", "pnl",
        "pips", "reason",
    ],
    Query(description="the trade table's sort column"),
]  # fmt: skip
HistorySort = Annotated[
    Literal["time", "strategy", "trades", "profit", "win_rate", "drawdown"],
    Query(description="the history's sort column"),
]


def form_strategies(language: str) -> list[dict[str, Any]]:
    """The library's strategies for the forms, each with its label in ``language``."""
    return [
        cls.describe() | {"label": view.strategy_label(language, cls.key)}
        for cls in all_strategies()
    ]


def _found(read: Any, *args: Any) -> Any:
    """``read(*args)``, its NotFound answered with the friendly 404 page."""
    try:
        return read(*args)
    except NotFound as exc:
        raise HTTPException(404) from exc


def _query(request: Request) -> dict[str, Any]:
    """The request's query parameters (repeated ones as lists)."""
    query: dict[str, Any] = {}
    for key, value in request.query_params.multi_items():
        query.setdefault(key, []).append(value)
    return {k: v[0] if len(v) == 1 else v for k, v in query.items()}


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
        strategies=form_strategies(request_language(request, user)),
        datasets=backtests.list_datasets(session, user.id, 100, 0).items,
        upload_mb=settings.max_backtest_upload_bytes // 1_048_576,
        execution=ExecutionSettings(sl_atr=2, tp_atr=4, lots=0.1).model_dump(),
    )


def _history_row(language: str, result: Any) -> dict[str, Any]:
    p = result.parameters or {}
    return {
        "result": result,
        "strategy": view.strategy_label(language, result.strategy_name),
        "symbol": p.get("symbol", ""),
        "timeframe": p.get("timeframe", ""),
        "params": view.params_text(language, result.strategy_name, p.get("strategy", {})),
        "trades": view.count_text(result.total_trades),
        "profit": view.stat_text(language, "money", result.total_profit_usd),
        "win_rate": view.stat_text(language, "pct1", result.win_rate_percent),
        "drawdown": view.stat_text(language, "pct", result.max_drawdown_percent),
    }


@router.get("/backtests/history")
def history_page(
    request: Request, session: DB, user: MaybeUser, page: PageNumber = 1,
    sort: HistorySort = "time", order: Order = None,
) -> Response:  # fmt: skip
    """The user's saved backtests: sortable, paginated, with runs to compare."""
    user = require_user(user)
    language = request_language(request, user)
    descending = (order or ("desc" if sort in ("time", "profit") else "asc")) == "desc"
    found = backtests.list_results(
        session, user.id, HISTORY_PER_PAGE, (page - 1) * HISTORY_PER_PAGE, sort, descending
    )
    window = view.PageWindow.of(found.total, page, HISTORY_PER_PAGE)
    if window.page != page and found.total:  # past the end: the last page
        found = backtests.list_results(
            session, user.id, HISTORY_PER_PAGE, window.start, sort, descending
        )
    query = _query(request)
    return render(
        request,
        "backtest_history.html",
        user,
        rows=[_history_row(language, r) for r in found.items],
        window=window,
        sort=sort,
        descending=descending,
        link=lambda **changes: view.link("/backtests/history", query, **changes),
    )


@router.get("/backtests/compare")
def compare_page(
    request: Request,
    session: DB,
    user: MaybeUser,
    ids: Annotated[list[int], Query(description="the runs to compare")] = [],  # noqa: B006
) -> Response:
    """Two or more of the user's runs side by side: parameters, statistics, equity curves."""
    user = require_user(user)
    language = request_language(request, user)
    chosen = list(dict.fromkeys(i for i in ids if 1 <= i <= MAX_ID))
    if not 2 <= len(chosen) <= backtests.MAX_COMPARED:
        return redirect("/backtests/history", "backtests.compare_count")
    results = _found(backtests.get_results, session, user.id, chosen)
    runs = []
    for result in results:
        p = result.parameters or {}
        stats = result.stats or {}
        runs.append(
            {
                "result": result,
                "name": f"#{result.id} {view.strategy_label(language, result.strategy_name)} "
                f"{p.get('symbol', '')} {p.get('timeframe', '')}".strip(),
                "params": view.params_text(language, result.strategy_name, p.get("strategy", {})),
                "stats": {
                    name: view.stat_text(language, view.STAT_KINDS[name], stats.get(name))
                    for name in view.COMPARED
                },
                "curve": view.equity_chart(result.equity_curve or {}, user.timezone),
            }
        )
    return render(
        request,
        "backtest_compare.html",
        user,
        runs=runs,
        curves_json=view.compact_json([run["curve"] for run in runs]),
        compared=view.COMPARED,
        currency=view.ACCOUNT_CURRENCY,
    )


def _execution(result: Any) -> dict[str, Any]:
    """The run's execution settings, complete (older runs stored fewer)."""
    stored = (result.parameters or {}).get("execution", {})
    return ExecutionSettings().model_dump() | stored


@router.get("/backtests/{result_id}")
def result_page(
    request: Request, result_id: ObjectId, session: DB, user: MaybeUser, page: PageNumber = 1,
    sort: TradeSort = "number", order: Order = None,
) -> Response:  # fmt: skip
    """A saved backtest: candlesticks with indicators and trades, equity and drawdown,
    statistics by group, the trade table (sorted, 50 rows a page) and a re-run form."""
    user = require_user(user)
    language = request_language(request, user)
    result = _found(backtests.get_result, session, user.id, result_id)
    p = result.parameters or {}
    trades = result.trade_log or []
    market = view.Market.of(p)
    strategy = backtests.result_strategy(result)
    bars = backtests.result_bars(session, user.id, result)
    price = (
        view.price_chart(bars, strategy, trades, user.timezone, language, market)
        if bars is not None
        else None
    )
    equity = view.equity_chart(result.equity_curve or {}, user.timezone)
    descending = order == "desc"
    rows = view.sorted_rows(view.trade_rows(trades, market), sort, descending)
    window = view.PageWindow.of(len(rows), page, view.TRADES_PER_PAGE)
    query = _query(request)
    return render(
        request,
        "backtest_result.html",
        user,
        result=result,
        title=view.strategy_label(language, result.strategy_name),
        symbol=p.get("symbol", ""),
        timeframe=p.get("timeframe", ""),
        params=view.param_rows(language, result.strategy_name, p.get("strategy", {})),
        groups=view.stat_groups(language, result.stats or {}, user.timezone),
        price=price,
        price_json=view.compact_json(price),
        equity=equity,
        equity_json=view.compact_json(equity),
        market=market,
        trades=rows[window.start : window.stop],
        window=window,
        sort=sort,
        descending=descending,
        lots_text=view.lots_text,
        tr_time=lambda iso: view.stat_text(language, "time", iso, user.timezone),
        currency=view.ACCOUNT_CURRENCY,
        link=lambda **changes: view.link(f"/backtests/{result.id}", query, **changes),
        strategies=[s for s in form_strategies(language) if s["key"] == result.strategy_name],
        strategy_values=p.get("strategy", {}),
        execution=_execution(result),
    )


@router.post("/backtests/{result_id}/delete")
def delete_result(result_id: ObjectId, session: DB, user: FormUser) -> Response:
    """Delete a saved backtest."""
    backtests.delete_result(session, user.id, result_id)
    return redirect("/backtests/history", "backtests.deleted")
