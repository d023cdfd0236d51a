"""Notifications raised by the user's bots."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from typing import Annotated, Any

import anyio.to_thread
from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from tradeloop.api.schemas import EventOut, PageOut, page_of
from tradeloop.services import bots
from tradeloop.services.accounts import User
from tradeloop.serving.deps import DB, MAX_ID, CurrentUser, Paging, State

router = APIRouter(prefix="/api/notifications", tags=["notifications"])


class EventTextOut(EventOut):
    """An event with its details put into words in the user's language."""

    text: str = Field(
        description="the details in the user's language, times in the user's zone with their "
        "UTC offset; ``details`` keeps the stored code and values"
    )


def event_out(user: User) -> Callable[[Any], EventTextOut]:
    """Renders one stored event for ``user``."""

    def render(event: Any) -> EventTextOut:
        text = bots.event_text(user.language, user.timezone, event.details)
        return EventTextOut(**EventOut.model_validate(event).model_dump(), text=text)

    return render


class MarkRead(BaseModel):
    """Which notifications to mark read; all when ``ids`` is omitted."""

    ids: list[Annotated[int, Field(ge=1, le=MAX_ID)]] | None = Field(default=None, max_length=1000)


@router.get("", response_model=PageOut[EventTextOut])
def list_notifications(
    user: CurrentUser, session: DB, paging: Paging, unread: bool = False
) -> object:
    """The user's notifications, newest first."""
    page = bots.notifications(session, user.id, unread, paging.limit, paging.offset)
    return page_of(page, event_out(user))


STREAM_SECONDS = 300  # a stream ends after this; the browser's EventSource reconnects
POLL_SECONDS = 1.0


def _sse(kind: str, data: object, event_id: int | None = None) -> str:
    """One server-sent event; with ``event_id`` the browser resumes after it on reconnect."""
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {kind}\ndata: {json.dumps(data)}\n\n"


@router.get("/stream", response_class=StreamingResponse)
async def stream(
    request: Request,
    user: CurrentUser,
    state: State,
    after: Annotated[
        int | None, Query(ge=0, le=MAX_ID, description="send the events newer than this id")
    ] = None,
) -> StreamingResponse:
    """Server-sent events for the user's live pages: ``unread`` (the count) at once and when
    it changes, ``bot`` for each new event of their bots (from ``after``, else from now) and
    each change of a bot's status.
    Polls the database once a second; ends after five minutes (the browser reconnects)."""
    user_id, language, zone = user.id, user.language, user.timezone
    resumed = request.headers.get("last-event-id", "")
    if resumed.isdigit() and int(resumed) <= MAX_ID:  # a reconnect: after what it last had
        after = int(resumed)

    def read(after: int) -> dict[str, Any]:
        return bots.live_changes(state.database.readers, user_id, after, language, zone)

    async def events() -> AsyncIterator[str]:
        now = await anyio.to_thread.run_sync(read, -1 if after is None else after)
        last, unread, statuses = now["after"], now["unread"], now["statuses"]
        yield "retry: 2000\n" + _sse("unread", {"unread": unread})
        for _ in range(int(STREAM_SECONDS / POLL_SECONDS)):
            for event in now["events"]:
                last = event["id"]
                status = now["statuses"].get(event["bot_id"])
                yield _sse("bot", event | {"status": status}, event["id"])
            for bot_id, status in now["statuses"].items():
                if statuses.get(bot_id) != status:
                    yield _sse("bot", {"bot_id": bot_id, "status": status, "action": None})
            statuses = now["statuses"]
            if now["unread"] != unread:
                unread = now["unread"]
                yield _sse("unread", {"unread": unread})
            await asyncio.sleep(POLL_SECONDS)
            if await request.is_disconnected():
                return
            now = await anyio.to_thread.run_sync(read, last)

    headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    return StreamingResponse(events(), media_type="text/event-stream", headers=headers)


@router.post("/read")
def mark_read(body: MarkRead, user: CurrentUser, session: DB) -> dict[str, int]:
    """Mark notifications as read."""
    return {"marked": bots.mark_notifications_read(session, user.id, body.ids)}
