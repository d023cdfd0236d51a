"""Bots: configuration CRUD and history, scoped to the signed-in user."""

from __future__ import annotations

from fastapi import APIRouter, Response

from tradeloop.api.notifications import EventTextOut, event_out
from tradeloop.api.schemas import BotOut, PageOut, page_of, page_out
from tradeloop.bots.config import BotSettings, BotUpdate
from tradeloop.services import bots
from tradeloop.serving.deps import DB, CurrentUser, ObjectId, Paging

router = APIRouter(prefix="/api/bots", tags=["bots"])


@router.get("", response_model=PageOut[BotOut])
def list_bots(user: CurrentUser, session: DB, paging: Paging) -> object:
    """The user's bots."""
    return page_out(bots.list_bots(session, user.id, paging.limit, paging.offset), BotOut)


@router.post("", status_code=201, response_model=BotOut)
def create_bot(settings: BotSettings, user: CurrentUser, session: DB) -> object:
    """Save a new bot (paused)."""
    return bots.add_bot(session, user.id, settings.model_dump())


@router.get("/{bot_id}", response_model=BotOut)
def get_bot(bot_id: ObjectId, user: CurrentUser, session: DB) -> object:
    """One of the user's bots."""
    return bots.get_bot(session, user.id, bot_id)


@router.patch("/{bot_id}", response_model=BotOut)
def update_bot(bot_id: ObjectId, change: BotUpdate, user: CurrentUser, session: DB) -> object:
    """Change some of a bot's settings."""
    return bots.update_bot(session, user.id, bot_id, change.model_dump(exclude_unset=True))


@router.delete("/{bot_id}", status_code=204)
def delete_bot(bot_id: ObjectId, user: CurrentUser, session: DB) -> Response:
    """Delete a bot and its history."""
    bots.delete_bot(session, user.id, bot_id)
    return Response(status_code=204)


@router.get("/{bot_id}/history", response_model=PageOut[EventTextOut])
def bot_history(bot_id: ObjectId, user: CurrentUser, session: DB, paging: Paging) -> object:
    """A bot's events, newest first."""
    page = bots.bot_history(session, user.id, bot_id, paging.limit, paging.offset)
    return page_of(page, event_out(user))
