"""Notifications raised by the user's bots."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from tradeloop.api.schemas import EventOut, PageOut, page_of
from tradeloop.services import bots
from tradeloop.services.accounts import User
from tradeloop.serving.deps import DB, MAX_ID, CurrentUser, Paging

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


@router.post("/read")
def mark_read(body: MarkRead, user: CurrentUser, session: DB) -> dict[str, int]:
    """Mark notifications as read."""
    return {"marked": bots.mark_notifications_read(session, user.id, body.ids)}
