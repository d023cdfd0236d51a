"""Notifications raised by the user's bots."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel, Field

from tradeloop.api.schemas import EventOut, PageOut, page_out
from tradeloop.services import bots
from tradeloop.serving.deps import DB, MAX_ID, CurrentUser, Paging

router = APIRouter(prefix="/api/notifications", tags=["notifications"])


class MarkRead(BaseModel):
    """Which notifications to mark read; all when ``ids`` is omitted."""

    ids: list[Annotated[int, Field(ge=1, le=MAX_ID)]] | None = Field(default=None, max_length=1000)


@router.get("", response_model=PageOut[EventOut])
def list_notifications(
    user: CurrentUser, session: DB, paging: Paging, unread: bool = False
) -> object:
    """The user's notifications, newest first."""
    page = bots.notifications(session, user.id, unread, paging.limit, paging.offset)
    return page_out(page, EventOut)


@router.post("/read")
def mark_read(body: MarkRead, user: CurrentUser, session: DB) -> dict[str, int]:
    """Mark notifications as read."""
    return {"marked": bots.mark_notifications_read(session, user.id, body.ids)}
