"""The trade journal over HTTP: imports, trades with filters, habit figures, settings, goals."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import PurePath
from typing import Annotated, Any, Literal

import numpy as np
import pandas as pd
from fastapi import APIRouter, File, Form, Query, Response, UploadFile
from pydantic import BaseModel, ConfigDict, Field, field_validator

from tradeloop.api.deps import DB, CurrentUser, ObjectId, Paging
from tradeloop.api.schemas import PageOut, page_out
from tradeloop.core.errors import InvalidInput
from tradeloop.habits.analysis import (
    Analysis,
    r_figures,
    trade_records,
)
from tradeloop.habits.goals import built_in_goals, evaluate
from tradeloop.habits.metrics import habit_metric
from tradeloop.habits.settings import HabitSettings
from tradeloop.journal.service import journal_document, load_journal
from tradeloop.mentor.service import sync_sessions
from tradeloop.store import journal as repo

router = APIRouter(prefix="/api/journal", tags=["journal"])
UPLOAD_SUFFIXES = {".csv", ".txt", ".html", ".htm", ".xlsx"}
Mistake = Literal["no_stop_loss", "excessive_risk", "outsized_loss", "revenge_trade"]


class ImportOut(BaseModel):
    """A stored import."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    file_name: str
    format: str
    timezone: str
    rows: int
    trades: int
    created_at: datetime | None


class GoalIn(BaseModel):
    """A goal: avoid ``mistakes`` for ``target`` trades or trading days in a row."""

    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[^\x00-\x1f\x7f]*$")]
    mistakes: Annotated[list[Mistake], Field(min_length=1, max_length=4)]
    target: Annotated[int, Field(ge=1, le=10_000)]
    metric: Literal["trades", "days"] = "trades"
    start_date: date | None = None

    @field_validator("mistakes")
    @classmethod
    def _unique(cls, value: list[str]) -> list[str]:
        return list(dict.fromkeys(value))


def _analysis(session: DB, user_id: int) -> Analysis:
    analysis = repo.user_analysis(session, user_id)
    if analysis is None:
        raise InvalidInput(
            "the journal is empty: import a broker export first (POST /api/journal/imports)"
        )
    return analysis


def _language(user: CurrentUser, lang: str | None) -> str:
    return lang if lang in ("id", "en") else user.language


@router.post("/imports", status_code=201)
async def create_import(
    user: CurrentUser,
    session: DB,
    file: Annotated[UploadFile, File(description="CSV, HTML or XLSX export")],
    format: Annotated[Literal["auto", "tradovate", "mt5", "generic"], Form()] = "auto",
    tz: Annotated[
        str | None, Form(max_length=64, description="the export's time zone (default: profile)")
    ] = None,
    store: Annotated[bool, Form(description="false: analyse in memory only, keep nothing")] = True,
) -> dict[str, Any]:
    """Import an export (or only analyse it with ``store=false``) and return its analysis."""
    name = PurePath(file.filename or "export.csv").name
    if PurePath(name).suffix.lower() not in UPLOAD_SUFFIXES:
        raise InvalidInput(f"{name!r}: upload a CSV, HTML or XLSX export", [{"field": "file"}])
    data = await file.read()
    zone = tz or user.timezone
    journal = load_journal(data, format, zone, repo.get_settings(session, user.id))
    document = journal_document(journal) | {"stored": store}
    if store:
        row = repo.add_import(session, user.id, name, data, journal, zone)
        sync_sessions(session, user)
        document["import"] = ImportOut.model_validate(row).model_dump(mode="json")
    return document


@router.get("/imports", response_model=PageOut[ImportOut])
def list_imports(user: CurrentUser, session: DB, paging: Paging) -> object:
    """The user's imports."""
    return page_out(repo.list_imports(session, user.id, paging.limit, paging.offset), ImportOut)


@router.delete("/imports/{import_id}", status_code=204)
def delete_import(import_id: ObjectId, user: CurrentUser, session: DB) -> Response:
    """Delete an import and everything rebuilt from it."""
    repo.delete_import(session, user.id, import_id)
    sync_sessions(session, user)
    return Response(status_code=204)


@router.get("/trades")
def list_trades(
    user: CurrentUser,
    session: DB,
    paging: Paging,
    start: date | None = None,
    end: date | None = None,
    symbol: Annotated[str | None, Query(max_length=32)] = None,
    side: Literal["buy", "sell"] | None = None,
    result: Literal["win", "loss", "flat"] | None = None,
    mistake: Mistake | Literal["any", "none"] | None = None,
    hour_from: Annotated[int | None, Query(ge=0, le=23)] = None,
    hour_to: Annotated[int | None, Query(ge=0, le=23)] = None,
    sort: Literal[
        "exit_time", "-exit_time", "pnl_points", "-pnl_points", "risk_points", "-risk_points"
    ] = "exit_time",
) -> dict[str, Any]:
    """Trades with their mistakes, filtered, sorted and paginated."""
    analysis = _analysis(session, user.id)
    t = analysis.trades
    local = t["entry_time"].dt.tz_convert(user.timezone)
    keep = pd.Series(True, index=t.index)
    if start is not None:
        keep &= local.dt.date >= start
    if end is not None:
        keep &= local.dt.date <= end
    if symbol:
        keep &= (t["symbol"] == symbol.upper()) | (t["underlying"] == symbol.upper())
    if side:
        keep &= t["side"] == side
    if result:
        keep &= {
            "win": t["pnl_points"] > 0,
            "loss": t["pnl_points"] < 0,
            "flat": t["pnl_points"] == 0,
        }[result]
    if mistake == "any":
        keep &= t["mistakes"].map(bool)
    elif mistake == "none":
        keep &= ~t["mistakes"].map(bool)
    elif mistake:
        keep &= t["mistakes"].map(lambda found: mistake in found)
    if hour_from is not None:
        keep &= local.dt.hour >= hour_from
    if hour_to is not None:
        keep &= local.dt.hour <= hour_to
    records = np.array(trade_records(analysis), dtype=object)
    for index, record in enumerate(records):
        record["index"] = index
    column = sort.lstrip("-")
    order = (
        t[keep]
        .sort_values(column, ascending=not sort.startswith("-"), kind="stable", na_position="last")
        .index
    )
    chosen = records[order.to_numpy()]
    return {
        "items": list(chosen[paging.offset : paging.offset + paging.limit]),
        "total": len(chosen),
        "limit": paging.limit,
        "offset": paging.offset,
    }


@router.get("/summary")
def summary(user: CurrentUser, session: DB) -> dict[str, Any]:
    """Counts, win rate, averages, payoff, expectancy, breakeven, clean-trade rate, streaks."""
    analysis = _analysis(session, user.id)
    return {
        **analysis.summary,
        **r_figures(analysis),
        "thresholds": analysis.thresholds,
        "settings": analysis.settings.model_dump(),
    }


METRICS = (
    "losses",
    "excessive-risk",
    "risk-sizing",
    "revenge",
    "stop-loss",
    "breakeven",
    "calendar",
    "insights",
)


def _metric_route(name: str) -> None:
    def route(user: CurrentUser, session: DB, lang: Literal["id", "en"] | None = None) -> Any:
        return habit_metric(name, _analysis(session, user.id), user.timezone, _language(user, lang))

    route.__doc__ = f"The journal's {name} figures."
    router.add_api_route(f"/{name}", route, methods=["GET"], name=f"journal_{name}")


@router.get("/settings", response_model=HabitSettings)
def get_settings(user: CurrentUser, session: DB) -> object:
    """The detector settings."""
    return repo.get_settings(session, user.id)


@router.put("/settings", response_model=HabitSettings)
def put_settings(settings: HabitSettings, user: CurrentUser, session: DB) -> object:
    """Change the detector settings; every figure is re-analysed with them."""
    return repo.save_settings(session, user.id, settings)


@router.get("/goals")
def list_goals(user: CurrentUser, session: DB) -> dict[str, Any]:
    """Built-in and own goals with their streaks and progress."""
    analysis = repo.user_analysis(session, user.id)
    goals = built_in_goals() + [repo.as_goal(row) for row in repo.list_goals(session, user.id)]
    if analysis is None:
        items = [
            {
                "key": g.key,
                "title": g.title,
                "mistakes": list(g.mistakes),
                "target": g.target,
                "metric": g.metric,
                "current": 0,
                "best": 0,
                "progress": 0.0,
                "achieved": False,
                **g.extra,
            }
            for g in goals
        ]
    else:
        items = [evaluate(goal, analysis.trades, user.timezone) for goal in goals]
    return {"items": items, "total": len(items), "limit": len(items), "offset": 0}


@router.post("/goals", status_code=201)
def create_goal(goal: GoalIn, user: CurrentUser, session: DB) -> dict[str, Any]:
    """Add an own goal."""
    row = repo.save_goal(session, user.id, goal.model_dump())
    return {"id": row.id, **goal.model_dump(mode="json")}


@router.put("/goals/{goal_id}")
def update_goal(goal_id: ObjectId, goal: GoalIn, user: CurrentUser, session: DB) -> dict[str, Any]:
    """Change an own goal."""
    row = repo.save_goal(session, user.id, goal.model_dump(), goal_id)
    return {"id": row.id, **goal.model_dump(mode="json")}


@router.delete("/goals/{goal_id}", status_code=204)
def delete_goal(goal_id: ObjectId, user: CurrentUser, session: DB) -> Response:
    """Delete an own goal."""
    repo.delete_goal(session, user.id, goal_id)
    return Response(status_code=204)


for _name in METRICS:
    _metric_route(_name)
