"""The mentor over HTTP: sessions and quick feedback, daily reports, tools, offline chat."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Response
from fastapi import Path as PathParam
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tradeloop.api.deps import DB, CurrentUser, Paging, State
from tradeloop.api.schemas import PageOut
from tradeloop.core.codes import Emotion, MarketCondition
from tradeloop.core.errors import InvalidInput, NotFound
from tradeloop.mentor import service
from tradeloop.mentor.offline import ask
from tradeloop.mentor.tools import JOURNAL_TOOLS
from tradeloop.store import journal as journal_repo
from tradeloop.store import mentor as repo

router = APIRouter(prefix="/api/mentor", tags=["mentor"])
Language = Literal["id", "en"]
Day = Annotated[dt.date, PathParam(description="YYYY-MM-DD")]


class Feedback(BaseModel):
    """How the trader feels now, with an optional note."""

    model_config = ConfigDict(extra="forbid")

    emotion: Emotion
    market: MarketCondition | None = None
    note: Annotated[str, Field(max_length=5000)] | None = None
    date: dt.date | None = None
    language: Language | None = None


class ReportRequest(BaseModel):
    """Which day and language to write the report for."""

    model_config = ConfigDict(extra="forbid")

    date: dt.date
    language: Language | None = None


class Question(BaseModel):
    """A question for the offline mentor."""

    model_config = ConfigDict(extra="forbid")

    question: Annotated[str, Field(min_length=1, max_length=1000)]
    language: Language | None = None


def _today(user: CurrentUser) -> dt.date:
    from zoneinfo import ZoneInfo

    return dt.datetime.now(dt.UTC).astimezone(ZoneInfo(user.timezone)).date()


@router.post("/feedback")
def feedback(body: Feedback, user: CurrentUser, db: DB, state: State) -> dict[str, Any]:
    """Record the day's emotion (and note): an emotional read, a tip and up to three actions."""
    return service.quick_feedback(
        db,
        user,
        state.settings,
        body.date or _today(user),
        body.emotion.value,
        body.market.value if body.market else None,
        body.note,
        body.language or user.language,
    )


@router.get("/sessions", response_model=PageOut[dict[str, Any]])
def list_sessions(user: CurrentUser, db: DB, state: State, paging: Paging) -> dict[str, Any]:
    """The user's days, newest first, with P&L, emotion and risk score."""
    page = repo.list_sessions(db, user.id, paging.limit, paging.offset)
    return {
        "items": [service.session_record(row, state.settings) for row in page.items],
        "total": page.total,
        "limit": page.limit,
        "offset": page.offset,
    }


@router.get("/sessions/{day}")
def get_session(day: Day, user: CurrentUser, db: DB, state: State) -> dict[str, Any]:
    """One day."""
    return service.session_record(repo.require_session(db, user.id, day), state.settings)


@router.delete("/sessions/{day}", status_code=204)
def delete_session(day: Day, user: CurrentUser, db: DB) -> Response:
    """Delete a day with its reports."""
    repo.delete_session(db, user.id, day)
    return Response(status_code=204)


@router.post("/reports", status_code=201)
def create_report(body: ReportRequest, user: CurrentUser, db: DB) -> dict[str, Any]:
    """Write (or rewrite) the day's report in the chosen language."""
    return service.generate_report(db, user, body.date, body.language or user.language)


@router.get("/reports/{day}")
def get_report(
    day: Day, user: CurrentUser, db: DB, language: Language | None = None
) -> dict[str, Any]:
    """A stored report."""
    stored = repo.get_report(db, user.id, day, language or user.language)
    return {name: getattr(stored, name) for name in (*repo.REPORT_FIELDS, "language")} | {
        "date": day.isoformat()
    }


@router.get("/tools")
def list_tools(user: CurrentUser) -> list[dict[str, Any]]:
    """The tools the mentor (and an LLM) may call, with their JSON schemas."""
    return [tool.schema() for tool in JOURNAL_TOOLS.values()]


@router.post("/tools/{name}")
def run_tool(name: str, arguments: dict[str, Any], user: CurrentUser, db: DB) -> Any:
    """Run a tool on the signed-in user's journal."""
    tool = JOURNAL_TOOLS.get(name)
    if tool is None:
        raise NotFound(f"unknown tool {name!r}: GET /api/mentor/tools lists them")
    try:
        args = tool.arguments.model_validate(arguments)
    except ValidationError as exc:
        details = [
            {"field": ".".join(map(str, e["loc"])), "message": e["msg"]} for e in exc.errors()
        ]
        raise InvalidInput(
            f"invalid arguments for {name}: "
            + "; ".join(f"{d['field']}: {d['message']}" for d in details),
            details,
        ) from exc
    analysis = journal_repo.user_analysis(db, user.id)
    if analysis is None:
        raise InvalidInput("the journal is empty: import a broker export first")
    return tool.run(analysis, args, user.timezone)


@router.post("/ask")
def ask_mentor(body: Question, user: CurrentUser, db: DB) -> dict[str, Any]:
    """The offline mentor's answer from the user's journal."""
    language = body.language or user.language
    analysis = journal_repo.user_analysis(db, user.id)
    if analysis is None:
        raise InvalidInput("the journal is empty: import a broker export first")
    answer = ask(analysis, body.question, language)
    return {
        "answer": answer.text,
        "intent": answer.intent,
        "tools": answer.tools,
        "language": language,
    }
