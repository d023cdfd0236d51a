"""The bot pages: the list with each bot's state, P&L, open position and last action, the form
generated from the strategy schema, a bot's own page, and the controls (start on a replay,
stop, close by hand, start/stop all, the kill switch)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from tradeloop.bots.analysis import analysis_text
from tradeloop.bots.config import BotSettings
from tradeloop.core.errors import InvalidInput, UserError
from tradeloop.services import bot_view, bots, paper_bots, trading_accounts
from tradeloop.services.accounts import User
from tradeloop.services.datasets import list_datasets
from tradeloop.serving.deps import DB, ObjectId, Paging
from tradeloop.serving.errors import error_text, validation_messages
from tradeloop.web.access import FormUser, MaybeUser, require_user
from tradeloop.web.backtest_pages import form_strategies
from tradeloop.web.backtest_view import strategy_class
from tradeloop.web.render import redirect, render, request_language

router = APIRouter(include_in_schema=False)
ACTIVITY_SHOWN = 30  # events on a bot's page
DATASETS_SHOWN = 100  # datasets offered to replay


def _list(
    request: Request, session: Session, user: User, paging: Any = None, status: int = 200,
    errors: list[str] | None = None, form: dict[str, Any] | None = None,
) -> Response:  # fmt: skip
    language = request_language(request, user)
    limit, offset = (paging.limit, paging.offset) if paging is not None else (50, 0)
    page = bots.list_bots(session, user.id, limit, offset)
    strategies = bots.strategy_choices(language)
    rows = []
    for bot in page.items:
        row = bots.bot_row(language, strategies, bot)
        row["account"] = bot_view.account_of(session, bot)
        last = bot_view.activity(session, [bot.id], language, user.timezone, 1)
        row["last"] = last[0] if last else None
        rows.append(row)
    form = form or {}
    values = {k.removeprefix("param:"): v for k, v in form.items() if k.startswith("param:")}
    return render(request, "bots.html", user, status, page=page, rows=rows,
                  last_event=bots.last_event_id(session, user.id),
                  strategies=form_strategies(language), errors=errors or [], form=form,
                  form_params=values)  # fmt: skip


@router.get("/bots")
def bots_page(request: Request, session: DB, user: MaybeUser, paging: Paging) -> Response:
    """The user's bots and a form for a new one."""
    return _list(request, session, require_user(user), paging)


def form_params(strategy: str, form: dict[str, str]) -> dict[str, Any]:
    """The chosen strategy's parameters from the form's ``param:<name>`` fields, each read as
    its kind (a field left empty keeps the default); InvalidInput naming a field that is not
    a number."""
    chosen = strategy_class(strategy)
    values: dict[str, Any] = {}
    for p in chosen.params if chosen is not None else ():
        raw = form.get(f"param:{p.name}", "").strip()
        if p.kind is bool:
            values[p.name] = raw in ("on", "true", "1")
        elif raw:
            try:
                values[p.name] = p.kind(raw) if p.kind is float else int(raw)
            except ValueError as exc:
                raise InvalidInput(
                    f"{p.name}: {raw!r} is not a number", [{"field": p.name}],
                    key="validation.not_a_number", values={"field": p.label_en, "value": raw},
                ) from exc  # fmt: skip
    return values


PROTECTION_FIELDS = (
    "losing_streak",
    "streak_pause_hours",
    "daily_loss_limit",
    "stop_cooldown_hours",
)


@router.post("/bots")
async def create_bot(request: Request, session: DB, user: FormUser) -> Response:
    """Save a bot from the form."""
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    language = request_language(request, user)
    skip = {"csrf_token", *PROTECTION_FIELDS}
    fields: dict[str, Any] = {
        k: v for k, v in form.items() if v != "" and k not in skip and not k.startswith("param:")
    }
    protections = {k: form[k] for k in PROTECTION_FIELDS if form.get(k, "") != ""}
    if any(k != "streak_pause_hours" for k in protections):
        fields["protections"] = protections
    try:
        fields["strategy_params"] = form_params(fields.get("strategy", ""), form)
        settings = BotSettings.model_validate(fields, strict=False)  # a form sends text
        bots.add_bot(session, user.id, settings.model_dump())
    except ValidationError as exc:
        errors = validation_messages(language, exc.errors())
        return _list(request, session, user, status=422, errors=errors, form=form)
    except UserError as exc:  # an unknown strategy or parameters it does not take
        errors = [error_text(language, exc)]
        return _list(request, session, user, status=exc.status, errors=errors, form=form)
    return redirect("/bots", "bots.created")


@router.get("/bots/{bot_id}")
def bot_page(request: Request, bot_id: ObjectId, session: DB, user: MaybeUser) -> Response:
    """One bot: its settings, latest analysis, account, trades, equity and activity."""
    user = require_user(user)
    return _bot(request, session, user, bot_id)


def _bot(
    request: Request, session: Session, user: User, bot_id: int, status: int = 200,
    errors: list[str] | None = None,
) -> Response:  # fmt: skip
    language = request_language(request, user)
    bot = bots.get_bot(session, user.id, bot_id)
    row = bots.bot_row(language, bots.strategy_choices(language), bot)
    analysis = paper_bots.latest_analysis(session, user.id, bot.id)
    trades = bot_view.bot_trades(session, bot)
    equity = {
        "x": [t["exit_time"].isoformat() for t in trades], "y": [t["equity"] for t in trades],
        "start": bot_view.INITIAL_CASH,
        "start_time": trades[0]["entry_time"].isoformat() if trades else None,
    }  # fmt: skip
    return render(
        request, "bot.html", user, status, bot=bot, row=row, errors=errors or [],
        last_event=bots.last_event_id(session, user.id),
        account=bot_view.account_of(session, bot),
        analysis=None if analysis is None else analysis_text(language, user.timezone, analysis),
        trades=list(reversed(trades)), equity=equity, feed=bot_view.feed_view(session, bot),
        protections=bots.protections_text(language, bot.protections),
        activity=bot_view.activity(session, [bot.id], language, user.timezone, ACTIVITY_SHOWN),
        datasets=list_datasets(session, user.id, DATASETS_SHOWN, 0).items,
        accounts=trading_accounts.runnable_accounts(session, user.id),
    )  # fmt: skip


def _act(request: Request, session: Session, user: User, bot_id: int, act: Any) -> Response:
    """Do ``act`` on the bot, back to its page; a refusal shown there with its reason."""
    try:
        act()
    except UserError as exc:
        if exc.status == 404:
            raise
        session.rollback()
        errors = [error_text(request_language(request, user), exc)]
        return _bot(request, session, user, bot_id, exc.status, errors)
    return redirect(f"/bots/{bot_id}")


@router.post("/bots/{bot_id}/start")
async def start_bot(request: Request, bot_id: ObjectId, session: DB, user: FormUser) -> Response:
    """Start the bot on a replay of one of the user's datasets, or on one of their exchange
    accounts."""
    form = await request.form()

    def start() -> None:
        if form.get("account_id") is not None:
            try:
                account = int(str(form.get("account_id", "")))
            except ValueError as exc:
                raise InvalidInput("choose an account", [{"field": "account_id"}],
                                   key="bots.error.start_account") from exc  # fmt: skip
            paper_bots.start_bot(session, user.id, bot_id, None, account_id=account)
            return
        try:
            dataset = int(str(form.get("dataset_id", "")))
            pace = float(str(form.get("seconds_per_bar", "1") or "1"))
        except ValueError as exc:
            raise InvalidInput("choose a dataset and a pace in seconds per bar",
                               key="bots.error.start_form") from exc  # fmt: skip
        paper_bots.start_bot(session, user.id, bot_id, dataset, pace)

    return _act(request, session, user, bot_id, start)


@router.post("/bots/{bot_id}/stop")
def stop_bot(request: Request, bot_id: ObjectId, session: DB, user: FormUser) -> Response:
    """Stop the bot (its position stays open)."""
    return _act(request, session, user, bot_id,
                lambda: paper_bots.stop_bot(session, user.id, bot_id))  # fmt: skip


@router.post("/bots/{bot_id}/close")
def close_position(request: Request, bot_id: ObjectId, session: DB, user: FormUser) -> Response:
    """Close the bot's open position by hand."""
    return _act(request, session, user, bot_id,
                lambda: paper_bots.close_position(session, user.id, bot_id))  # fmt: skip


@router.post("/bots/{bot_id}/delete")
def delete_bot(bot_id: ObjectId, session: DB, user: FormUser) -> Response:
    """Delete one of the user's bots; the notice offers to undo it."""
    bots.delete_bot(session, user.id, bot_id)
    return redirect("/bots", "bots.deleted", undo=f"bot-{bot_id}")


@router.post("/bots/{bot_id}/restore")
def restore_bot(request: Request, bot_id: ObjectId, session: DB, user: FormUser) -> Response:
    """Undo the deletion of one of the user's bots: back, paused, on its own page."""
    undo_days = request.app.state.tradeloop.settings.undo_days
    bots.restore_bot(session, user.id, bot_id, undo_days)
    return redirect(f"/bots/{bot_id}", "bots.restored")


@router.post("/bots/start-all")
def start_all(session: DB, user: FormUser) -> Response:
    """Start again every stopped bot that ran before."""
    paper_bots.start_all(session, user.id)
    return redirect("/bots", "bots.started_all")


@router.post("/bots/stop-all")
def stop_all(session: DB, user: FormUser) -> Response:
    """Stop every running bot."""
    paper_bots.stop_all(session, user.id)
    return redirect("/bots", "bots.stopped_all")


@router.post("/bots/kill-switch")
def kill_switch(session: DB, user: FormUser) -> Response:
    """Stop every bot and close every position."""
    paper_bots.stop_all(session, user.id, close=True)
    return redirect("/bots", "bots.killed")
