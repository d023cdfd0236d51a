"""The mentor over HTTP: sessions and quick feedback, daily reports, tools, offline chat."""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Iterator
from dataclasses import replace
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from fastapi import Path as PathParam
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from tradeloop.api.schemas import PageOut, page_of
from tradeloop.core.codes import Emotion, MarketCondition
from tradeloop.core.dates import CalendarDay
from tradeloop.core.errors import InvalidInput, UserError
from tradeloop.mentor.offline import ask
from tradeloop.mentor.tools import TOOLS, run_tool
from tradeloop.services import chat
from tradeloop.services import mentor as service
from tradeloop.services.accounts import get_user
from tradeloop.services.chat import Provider
from tradeloop.services.database import transaction
from tradeloop.serving.deps import DB, CurrentUser, ObjectId, Paging, State, limited

router = APIRouter(prefix="/api/mentor", tags=["mentor"])
Language = Literal["id", "en"]
Day = Annotated[CalendarDay, PathParam(description="YYYY-MM-DD")]
log = logging.getLogger(__name__)


class Feedback(BaseModel):
    """How the trader feels now, with an optional note."""

    model_config = ConfigDict(extra="forbid")

    emotion: Emotion
    market: MarketCondition | None = None
    note: Annotated[str, Field(max_length=5000)] | None = None
    date: CalendarDay | None = None
    language: Language | None = None


class ReportRequest(BaseModel):
    """Which day and language to write the report for."""

    model_config = ConfigDict(extra="forbid")

    date: CalendarDay
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
    page = service.list_sessions(db, user.id, paging.limit, paging.offset)
    return page_of(page, lambda row: service.session_record(row, state.settings))


@router.get("/sessions/{day}")
def get_session(day: Day, user: CurrentUser, db: DB, state: State) -> dict[str, Any]:
    """One day."""
    return service.session_record(service.require_session(db, user.id, day), state.settings)


@router.delete("/sessions/{day}", status_code=204)
def delete_session(day: Day, user: CurrentUser, db: DB) -> Response:
    """Delete a day with its reports."""
    service.delete_session(db, user.id, day)
    return Response(status_code=204)


@router.get("/history")
def history(
    user: CurrentUser,
    db: DB,
    days: Annotated[int, Query(ge=1, le=366, description="how many days back")] = 30,
    end: Annotated[
        CalendarDay | None, Query(description="last day, YYYY-MM-DD; default today")
    ] = None,
) -> dict[str, Any]:
    """The last N days: trades, P&L, risk score and emotion per day, and the score trend."""
    return service.history_of(db, user, end or _today(user), days)


@router.get("/weekly")
def weekly(
    user: CurrentUser,
    db: DB,
    date: Annotated[
        CalendarDay | None, Query(description="any day of the week; default today")
    ] = None,
) -> dict[str, Any]:
    """The week's summary: best and worst day, most frequent mistake, score trend."""
    return service.week_of(db, user, date or _today(user))


@router.post("/reports", status_code=201, dependencies=[limited("chat")])
def create_report(body: ReportRequest, user: CurrentUser, db: DB) -> dict[str, Any]:
    """Write (or rewrite) the day's report in the chosen language."""
    return service.generate_report(db, user, body.date, body.language or user.language)


@router.get("/reports/{day}")
def get_report(
    day: Day, user: CurrentUser, db: DB, language: Language | None = None
) -> dict[str, Any]:
    """A stored report."""
    return service.report_record(
        service.get_report(db, user.id, day, language or user.language), day
    )


@router.get("/tools")
def list_tools(user: CurrentUser) -> list[dict[str, Any]]:
    """The tools the mentor (and an LLM) may call, with their JSON schemas."""
    return [tool.schema() for tool in TOOLS.values()]


@router.post("/tools/{name}")
def call_tool(name: str, arguments: dict[str, Any], user: CurrentUser, db: DB) -> Any:
    """Run a tool on the signed-in user's data."""
    return run_tool(service.tool_context(db, user), name, arguments)


@router.post("/ask", dependencies=[limited("chat")])
def ask_mentor(body: Question, user: CurrentUser, db: DB) -> dict[str, Any]:
    """The offline mentor's answer from the user's data."""
    ctx = service.tool_context(db, user)
    language = body.language or user.language
    answer = ask(replace(ctx, language=language), body.question)
    return {
        "answer": answer.text,
        "intent": answer.intent,
        "tools": answer.tools,
        "language": language,
    }


class ThreadIn(BaseModel):
    """A new conversation."""

    model_config = ConfigDict(extra="forbid")

    title: Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]*$")] = (
        "Chat"
    )


class ThreadQuestion(Question):
    """A question in a thread: which mentor answers, and whether to stream the answer."""

    provider: Provider = "auto"
    stream: bool = False


def _thread_record(thread: Any) -> dict[str, Any]:
    return {
        "id": thread.id,
        "title": thread.title,
        "created_at": thread.created_at.isoformat() if thread.created_at else None,
    }


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@router.post("/threads", status_code=201)
def create_thread(body: ThreadIn, user: CurrentUser, db: DB) -> dict[str, Any]:
    """Start a conversation."""
    return _thread_record(service.add_thread(db, user.id, body.title)) | {"messages": []}


@router.get("/threads", response_model=PageOut[dict[str, Any]])
def list_threads(user: CurrentUser, db: DB, paging: Paging) -> dict[str, Any]:
    """The user's conversations, newest first."""
    return page_of(service.list_threads(db, user.id, paging.limit, paging.offset), _thread_record)


@router.get("/threads/{thread_id}")
def get_thread(thread_id: ObjectId, user: CurrentUser, db: DB, state: State) -> dict[str, Any]:
    """A conversation with its messages."""
    thread = service.get_thread(db, user.id, thread_id)
    return _thread_record(thread) | {"messages": chat.thread_history(db, state.settings, thread)}


def _sse(event: dict[str, Any]) -> str:
    return f"data: {json.dumps(event, ensure_ascii=False)}\n\n"


@router.post(
    "/threads/{thread_id}/messages", status_code=201, response_model=None,
    dependencies=[limited("chat")],
)  # fmt: skip
def post_message(
    thread_id: ObjectId, body: ThreadQuestion, user: CurrentUser, db: DB, state: State
) -> dict[str, Any] | StreamingResponse:
    """Ask in a conversation; the question and the answer are kept in the thread. The LLM
    answers only with a configured endpoint and the user's consent ("auto" falls back to the
    offline mentor); with ``stream`` the answer comes as server-sent events."""
    settings, now = state.settings, _now()
    thread = service.get_thread(db, user.id, thread_id)
    provider, stopped = chat.choose_provider(db, user, settings, body.provider, now)
    language = body.language or user.language
    if not body.stream:
        events = chat.ask_in_thread(
            db, user, settings, thread, body.question, language, provider, now, stopped
        )
        return list(events)[-1]
    user_id = user.id
    db.commit()  # release the request's transaction: the stream writes in its own

    def stream() -> Iterator[str]:
        try:
            with transaction(state.sessions) as own:
                owner = get_user(own, user_id)
                mine = service.get_thread(own, user_id, thread_id)
                for event in chat.ask_in_thread(
                    own, owner, settings, mine, body.question, language, provider, now, stopped
                ):
                    yield _sse(event)
        except UserError as exc:  # found after the answer began: say so in the stream
            yield _sse({"type": "error", "status": exc.status, "message": exc.message})
        except Exception:
            log.exception("mentor answer failed")
            message = "the answer failed; nothing was stored"
            yield _sse({"type": "error", "status": 500, "message": message})

    return StreamingResponse(stream(), media_type="text/event-stream", status_code=201)


@router.delete("/threads/{thread_id}", status_code=204)
def delete_thread(thread_id: ObjectId, user: CurrentUser, db: DB) -> Response:
    """Delete a conversation and its messages."""
    service.delete_threads(db, user.id, thread_id)
    return Response(status_code=204)


@router.delete("/threads/{thread_id}/messages/{message_id}", status_code=204)
def delete_message(
    thread_id: ObjectId, message_id: ObjectId, user: CurrentUser, db: DB
) -> Response:
    """Delete one message of a conversation."""
    service.delete_message(db, user.id, thread_id, message_id)
    return Response(status_code=204)


@router.delete("/threads")
def delete_all_threads(user: CurrentUser, db: DB) -> dict[str, int]:
    """Delete every conversation."""
    return {"deleted": service.delete_threads(db, user.id)}


class Consent(BaseModel):
    """Whether the user allows questions and journal figures to go to the language model."""

    model_config = ConfigDict(extra="forbid")

    llm: bool


@router.get("/llm")
def llm_status(user: CurrentUser, db: DB, state: State) -> dict[str, Any]:
    """Whether a language model is configured, the user's consent, and today's usage."""
    return chat.llm_status(db, user, state.settings, _now())


@router.put("/llm")
def set_consent(body: Consent, user: CurrentUser, db: DB, state: State) -> dict[str, Any]:
    """Give or withdraw consent to use the language model."""
    service.set_llm_consent(db, user.id, body.llm, _now())
    return chat.llm_status(db, user, state.settings, _now())


@router.post("/llm/check", dependencies=[limited("chat")])
def check_model(user: CurrentUser, state: State) -> dict[str, Any]:
    """Check the configured model now (at most every 30 s; no user data is sent): the server
    lists it and it answers a tool call, or ``message`` says what is wrong."""
    settings = state.settings
    found = chat.model_check(settings, run=True)
    if found is None:
        raise InvalidInput(
            "no language model is configured: set TRADELOOP_LLM_BASE_URL and TRADELOOP_LLM_MODEL",
            key="mentor.error.no_llm",
        )
    return found | {"message": chat.check_message(user.language, settings, found)}


@router.get("/llm/calls", response_model=PageOut[dict[str, Any]])
def llm_calls(user: CurrentUser, db: DB, paging: Paging) -> dict[str, Any]:
    """The user's audit log of language-model calls (figures only, never content)."""
    fields = ("id", "model", "tools", "rounds", "prompt_tokens", "completion_tokens", "reason")
    return page_of(
        service.list_llm_calls(db, user.id, paging.limit, paging.offset),
        lambda row: (
            {name: getattr(row, name) for name in fields}
            | {
                "created_at": row.created_at.isoformat(),
                "duration_ms": row.duration_ms,
                "outcome": row.outcome,
            }
        ),
    )
