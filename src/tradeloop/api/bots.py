"""Bots: configuration CRUD and history, scoped to the signed-in user."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field

from tradeloop.api.notifications import EventTextOut, event_out
from tradeloop.api.schemas import BotOut, PageOut, page_of, page_out
from tradeloop.bots.analysis import analysis_json, analysis_text
from tradeloop.bots.config import BotSettings, BotUpdate
from tradeloop.services import bot_view, bots, paper_bots
from tradeloop.serving.deps import DB, CurrentUser, ObjectId, Paging, State

router = APIRouter(prefix="/api/bots", tags=["bots"])


@router.get("", response_model=PageOut[BotOut])
def list_bots(user: CurrentUser, session: DB, paging: Paging) -> object:
    """The user's bots."""
    return page_out(bots.list_bots(session, user.id, paging.limit, paging.offset), BotOut)


@router.post("/start-all")
def start_all(user: CurrentUser, session: DB) -> dict[str, Any]:
    """Start again every stopped bot that ran before, each on the replay it last ran;
    ``skipped``: bots that never ran (start them one by one with a dataset); ``failed``:
    bots refused, with the reason."""
    return paper_bots.start_all(session, user.id)


@router.post("/stop-all")
def stop_all(user: CurrentUser, session: DB) -> dict[str, Any]:
    """Stop every running bot of the user (positions stay open)."""
    return paper_bots.stop_all(session, user.id)


@router.post("/kill-switch")
def kill_switch(user: CurrentUser, session: DB) -> dict[str, Any]:
    """Stop every bot of the user and close every open position, at once; ``failed``: bots
    stopped whose position could not be closed, with the reason."""
    return paper_bots.stop_all(session, user.id, close=True)


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
    """Delete a bot (stopped at once if it runs): it leaves every list, its trades the
    journal; undo with ``POST /api/bots/{bot_id}/restore`` within TRADELOOP_UNDO_DAYS."""
    bots.delete_bot(session, user.id, bot_id)
    return Response(status_code=204)


@router.post("/{bot_id}/restore", response_model=BotOut)
def restore_bot(bot_id: ObjectId, user: CurrentUser, session: DB, state: State) -> object:
    """Undo the deletion of a bot (within TRADELOOP_UNDO_DAYS): it comes back paused, with its
    history and its trades in the journal; 404 when there is no such deleted bot of yours."""
    return bots.restore_bot(session, user.id, bot_id, state.settings.undo_days)


class StartIn(BaseModel):
    """What a bot trades on: a replay of one of the user's datasets (``dataset_id``, on a
    paper account), or one of the user's exchange accounts (``account_id``); one of the two."""

    model_config = ConfigDict(extra="forbid")

    dataset_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    seconds_per_bar: float = Field(default=1.0, ge=0, le=3600)
    account_id: int | None = Field(default=None, ge=1, le=2**31 - 1)


@router.post("/{bot_id}/start", response_model=BotOut)
def start_bot(bot_id: ObjectId, body: StartIn, user: CurrentUser, session: DB) -> object:
    """Run the bot on a paper account over a replay of a dataset, or on an exchange account
    on its live bars (a supervisor picks it up)."""
    return paper_bots.start_bot(session, user.id, bot_id, body.dataset_id, body.seconds_per_bar,
                                body.account_id)  # fmt: skip


class StopIn(BaseModel):
    """How to stop: with ``close_position``, the open position is closed too."""

    model_config = ConfigDict(extra="forbid")

    close_position: bool = False


@router.post("/{bot_id}/stop", response_model=BotOut)
def stop_bot(
    bot_id: ObjectId, user: CurrentUser, session: DB, body: StopIn | None = None
) -> object:
    """Stop the bot at once (stopping → paused); its position stays open unless asked."""
    close = body is not None and body.close_position
    return paper_bots.stop_bot(session, user.id, bot_id, close)


@router.post("/{bot_id}/close", response_model=BotOut)
def close_position(bot_id: ObjectId, user: CurrentUser, session: DB) -> object:
    """Close the bot's open position by hand at the last bar's close; the bot goes on."""
    return paper_bots.close_position(session, user.id, bot_id)


@router.get("/{bot_id}/account")
def bot_account(bot_id: ObjectId, user: CurrentUser, session: DB) -> dict[str, Any]:
    """The bot's paper account (balance, equity, currency) and open position, as of its
    last bar; nulls before its first bar."""
    return bot_view.bot_account(session, user.id, bot_id)


@router.get("/{bot_id}/analysis")
def bot_analysis(bot_id: ObjectId, user: CurrentUser, session: DB) -> dict[str, Any]:
    """The bot's latest analysis: on its last bar, the signal and why, in the user's words."""
    analysis = paper_bots.latest_analysis(session, user.id, bot_id)
    if analysis is None:
        return {"analysis": None, "text": ""}
    text = analysis_text(user.language, user.timezone, analysis)
    return {"analysis": analysis_json(analysis), "text": text}


@router.get("/{bot_id}/fills")
def bot_fills(bot_id: ObjectId, user: CurrentUser, session: DB) -> list[dict[str, object]]:
    """The paper bot's fills, oldest first."""
    bots.get_bot(session, user.id, bot_id)
    names = ("client_order_id", "position", "reason", "side", "quantity", "price", "commission")
    return [
        {n: getattr(f, n) for n in names} | {"stop": f.stop, "time": f.time.isoformat()}
        for f in paper_bots.fills_of(session, user.id, bot_id)
    ]


@router.get("/{bot_id}/history", response_model=PageOut[EventTextOut])
def bot_history(bot_id: ObjectId, user: CurrentUser, session: DB, paging: Paging) -> object:
    """A bot's events, newest first."""
    page = bots.bot_history(session, user.id, bot_id, paging.limit, paging.offset)
    return page_of(page, event_out(user))
