"""Optimisation pages: the sweep form generated from the strategy schema with the runs so far,
and a run's page: live progress (server-sent events, the step named when walk-forward follows
the sweep) with the finished count re-read as chunks are stored, and Cancel; the sortable
results table with a Backtest button first in each row, a heatmap of two swept parameters,
the walk-forward charts and table of windows, the overfitting read-out, and a line saying so
when no combination passed the filters."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from starlette.exceptions import HTTPException

from tradeloop.backtest.optimiser import OBJECTIVES
from tradeloop.core.errors import NotFound
from tradeloop.i18n import translate
from tradeloop.services import backtests, optimisations
from tradeloop.serving.deps import DB, ObjectId
from tradeloop.web import backtest_view as view
from tradeloop.web.access import FormUser, MaybeUser, require_user
from tradeloop.web.backtest_pages import form_strategies
from tradeloop.web.render import redirect, render, request_language

router = APIRouter(include_in_schema=False)
ROWS_PER_PAGE = 100
RUNS_SHOWN = 50
PageNumber = Annotated[int, Query(ge=1, le=1_000_000, description="page, from 1")]
Order = Annotated[Literal["asc", "desc"] | None, Query(description="sort direction")]
Sort = Annotated[str, Query(max_length=40, pattern=r"^[a-z_]+$", description="sort column")]
# The statistics of the results table (and of the heatmap's colour), with how they are shown
COLUMNS = (
    ("trades", "count"), ("net_profit", "money"), ("sharpe", "ratio"),
    ("max_drawdown_pct", "pct"), ("profit_factor", "ratio"), ("win_rate_pct", "pct1"),
)  # fmt: skip


def swept_names(request: dict[str, Any]) -> list[str]:
    """The names a run sweeps, in the order of its grids."""
    return [spec.split("=", 1)[0].strip() for spec in request.get("grids", [])]


def name_label(language: str, strategy: str, name: str) -> str:
    """A strategy parameter's label, or an execution setting's from the catalogue."""
    cls = view.strategy_class(strategy)
    for p in cls.params if cls else ():
        if p.name == name:
            return p.label_id if language == "id" else p.label_en
    return translate(language, f"optimise.setting.{name}")


def _values_text(language: str, strategy: str, row: dict[str, Any], names: list[str]) -> str:
    """``Fast period 10 · Slow period 30``: the swept values of ``row``."""
    values = {**(row.get("settings") or {}), **(row.get("params") or {})}
    return " · ".join(
        f"{name_label(language, strategy, n)} {view.value_text(language, values.get(n))}"
        for n in names
    )


def _status_text(language: str, status: str) -> str:
    return translate(language, f"optimise.status.{status}")


def finished_text(
    language: str, request: dict[str, Any], finished: int | str, total: int | None, active: bool
) -> str:
    """How many combinations finished: ``12 of 741`` for a grid or random draw; for a
    Bayesian run, ``87 combinations from 500 trials`` (the trials its ``request`` asked: a
    combination asked twice runs once, so fewer than the trials is a complete run), ``… so
    far`` while it runs."""
    if request.get("method") == "bayes":
        key = "optimise.finished_bayes_running" if active else "optimise.finished_bayes"
        trials = request.get("trials") or total or "?"
        return translate(language, key, finished=finished, trials=trials)
    return translate(language, "optimise.finished_of", finished=finished, total=total or "?")


def _date_text(value: str | None, zone: str) -> str:
    """``2024-05-01``: the day of an ISO time (naive: UTC) in ``zone``."""
    if not value:
        return "—"
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo("UTC"))
    return moment.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d")


def _span_text(window: dict[str, Any], part: str, zone: str) -> str:
    """``2024-01-01 – 2024-03-31``: the days of a window's ``in`` or ``out`` part."""
    start, end = window.get(f"{part}_start"), window.get(f"{part}_end")
    return f"{_date_text(start, zone)} – {_date_text(end, zone)}"


def walk_rows(
    language: str, strategy: str, windows: list[dict[str, Any]], names: list[str], zone: str
) -> list[dict[str, Any]]:
    """The walk-forward windows as table rows: in- and out-of-sample days, the values the
    in-sample search chose, the return per 100 bars in, out and their gap, and the
    out-of-sample trades and net profit."""
    shown = []
    for w in windows:
        out_stats = w.get("out_stats") or {}
        profit = out_stats.get("net_profit")
        shown.append({
            "in_dates": _span_text(w, "in", zone),
            "out_dates": _span_text(w, "out", zone),
            "chosen": _values_text(language, strategy, w, names),
            "in_return": view.stat_text(language, "pct", w.get("in_per_100_bars_pct")),
            "out_return": view.stat_text(language, "pct", w.get("out_per_100_bars_pct")),
            "gap": view.stat_text(language, "pct", w.get("gap_per_100_bars_pct")),
            "out_trades": view.stat_text(language, "count", out_stats.get("trades")),
            "out_profit": view.stat_text(language, "money", profit),
            "profit_class": "" if not isinstance(profit, int | float) or profit == 0
            else "gain" if profit > 0 else "loss",
        })  # fmt: skip
    return shown


@router.get("/optimise")
def optimise_page(request: Request, session: DB, user: MaybeUser) -> Response:
    """The sweep form and the user's runs."""
    user = require_user(user)
    language = request_language(request, user)
    silent_after = request.app.state.tradeloop.jobs.silent_after
    runs = optimisations.list_runs(session, user.id, RUNS_SHOWN, 0, silent_after).items
    return render(
        request,
        "optimise.html",
        user,
        strategies=form_strategies(language),
        datasets=backtests.list_datasets(session, user.id, 100, 0).items,
        objectives=list(OBJECTIVES),
        runs=[
            run
            | {
                "strategy_label": view.strategy_label(language, run["strategy"]),
                "status_text": _status_text(language, run["status"]),
                "finished_text": finished_text(
                    language,
                    run["request"],
                    run["finished"],
                    run["total"],
                    run["status"] in optimisations.ACTIVE,
                ),
                "created": view.stat_text(language, "time", run["created_at"], user.timezone),
            }
            for run in runs
        ],
    )


# The optimiser's reasons (English) for a combination skipped or not chosen, as the catalogue
# words them; a reason not matched here is shown as it is.
REASONS = (
    (re.compile(r"breaks (?P<rule>.+)"), "optimise.reason.breaks"),
    (re.compile(r"(?P<trades>\d+) trades, fewer than the minimum of (?P<minimum>\d+)"),
     "optimise.reason.min_trades"),
    (re.compile(r"max drawdown (?P<drawdown>[\d.]+)% above the limit of (?P<limit>[\d.e+-]+)%"),
     "optimise.reason.max_drawdown"),
    (re.compile(r"(?P<objective>\w+) cannot be computed for this run"),
     "optimise.reason.no_objective"),
)  # fmt: skip


def reason_text(language: str, reason: str) -> str:
    """The optimiser's ``reason`` in ``language`` (as it is when it is not a known one)."""
    for pattern, key in REASONS:
        found = pattern.fullmatch(reason)
        if found is not None:
            values = found.groupdict()
            if "objective" in values:
                values["objective"] = translate(
                    language, f"optimise.objective.{values['objective']}"
                )
            return translate(language, key, **values)
    return reason


def _row_view(language: str, row: dict[str, Any], names: list[str]) -> dict[str, Any]:
    stats = row["stats"] or {}
    values = {**(row["settings"] or {}), **(row["params"] or {})}
    note = ""
    if row["skipped"]:
        note = translate(language, "optimise.skipped", reason=reason_text(language, row["skipped"]))
    elif row["excluded"]:
        reason = reason_text(language, row["excluded"])
        note = translate(language, "optimise.excluded", reason=reason)
    return {
        "index": row["index"],
        "values": [view.value_text(language, values.get(name)) for name in names],
        "stats": [view.stat_text(language, kind, stats.get(key)) for key, kind in COLUMNS],
        "score": view.stat_text(language, "ratio", row["score"]),
        "profit": stats.get("net_profit"),
        "note": note,
        "ran": row["stats"] is not None,
    }


@router.get("/optimise/{run_id}")
def run_page(
    request: Request, run_id: ObjectId, session: DB, user: MaybeUser, page: PageNumber = 1,
    sort: Sort = "index", order: Order = None,
) -> Response:  # fmt: skip
    """One run: progress while it runs, then its results, heatmap, walk-forward and odds."""
    user = require_user(user)
    language = request_language(request, user)
    silent_after = request.app.state.tradeloop.jobs.silent_after
    descending = order == "desc"
    try:
        run = optimisations.run_detail(
            session, user.id, run_id, silent_after, language, sort, descending
        )
    except NotFound as exc:
        raise HTTPException(404) from exc
    names = swept_names(run["request"])
    rows = run["combinations"]
    window = view.PageWindow.of(len(rows), page, ROWS_PER_PAGE)
    query = {k: v for k, v in request.query_params.items() if k in ("sort", "order", "page")}
    best = run["best"]
    dataset_name = ""
    if run["dataset_id"] is not None:
        try:
            dataset_name = backtests.get_dataset(session, user.id, run["dataset_id"]).name
        except NotFound:
            dataset_name = ""
    heat = [
        {"p": {n: {**(r["settings"] or {}), **(r["params"] or {})}.get(n) for n in names},
         "s": {key: r["stats"].get(key) for key, _ in COLUMNS} | {"score": r["score"]}}
        for r in rows if r["stats"] is not None
    ]  # fmt: skip
    stat_labels = {key: translate(language, f"stat.{key}") for key, _ in COLUMNS}
    stat_labels["score"] = translate(language, f"optimise.objective.{run['objective']}")
    active = run["status"] in optimisations.ACTIVE
    ran = [r for r in rows if r["stats"] is not None]
    return render(
        request,
        "optimise_run.html",
        user,
        run=run,
        title=view.strategy_label(language, run["strategy"]),
        dataset_name=dataset_name,
        status_text=_status_text(language, run["status"]),
        active=active,
        finished_text=finished_text(
            language, run["request"], run["finished"], run["total"], active
        ),
        finished_template=finished_text(language, run["request"], "__F__", run["total"], active),
        # a run that ended with combinations but no winner: every one failed a filter
        none_passed=not active and best is None and bool(ran),
        walk_rows=walk_rows(language, run["strategy"], run["walk_forward"], names, user.timezone),
        zone=user.timezone,
        resumable=run["status"] in optimisations.RESUMABLE,
        names=[(n, name_label(language, run["strategy"], n)) for n in names],
        columns=[(key, translate(language, f"stat.{key}")) for key, _ in COLUMNS],
        rows=[_row_view(language, r, names) for r in rows[window.start : window.stop]],
        score_column=run["objective"] not in dict(COLUMNS),  # else that column shows it
        best_index=best["index"] if best else None,
        best_text=_values_text(language, run["strategy"], best, names) if best else "",
        best_stats=[
            view.stat_text(language, kind, ((best or {}).get("stats") or {}).get(key))
            for key, kind in COLUMNS
        ],
        window=window,
        sort=sort,
        descending=descending,
        link=lambda **changes: view.link(f"/optimise/{run_id}", query, **changes),
        heat_json=view.compact_json(
            {
                "rows": heat,
                "names": [[n, name_label(language, run["strategy"], n)] for n in names],
                "stats": stat_labels,
            }
        ),
        walk_json=view.compact_json(
            {"windows": run["walk_forward"], "equity": run["walk_forward_equity"]}
        ),
        odds=run["odds"],
        overfitting=run["overfitting"],
        pct=lambda value: "—" if value is None else f"{value * 100:.0f} %",
    )


@router.post("/optimise/{run_id}/delete")
def delete_run(request: Request, run_id: ObjectId, session: DB, user: FormUser) -> Response:
    """Delete a run that is not running."""
    silent_after = request.app.state.tradeloop.jobs.silent_after
    optimisations.delete_run(session, user.id, run_id, silent_after)
    return redirect("/optimise", "optimise.deleted")
