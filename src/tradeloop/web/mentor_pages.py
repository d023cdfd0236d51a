"""The Mentor page: quick feedback, the day's report in either language, history, chat."""

from __future__ import annotations

import datetime as dt
from typing import Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import Response

from tradeloop.core.codes import Emotion, MarketCondition
from tradeloop.core.dates import CalendarDay
from tradeloop.core.errors import NotFound
from tradeloop.mentor.tools import ToolTradeFilter, filter_trades
from tradeloop.services import chat
from tradeloop.services import mentor as service
from tradeloop.serving.deps import DB
from tradeloop.web.access import MaybeUser, require_user
from tradeloop.web.render import render

router = APIRouter(include_in_schema=False)


@router.get("/mentor")
def mentor_page(
    request: Request,
    db: DB,
    user: MaybeUser,
    day: CalendarDay | None = None,
    lang: Literal["id", "en"] | None = None,
) -> Response:
    """Today's (or ``day``'s) report, the feedback form, history and the chat panel."""
    user = require_user(user)
    settings = request.app.state.tradeloop.settings
    chosen = day or dt.datetime.now(dt.UTC).astimezone(ZoneInfo(user.timezone)).date()
    language = lang or user.language
    try:
        report = service.get_report(db, user.id, chosen, language)
    except NotFound:
        report = None
    row = service.get_session(db, user.id, chosen)
    ctx = service.tool_context(db, user)
    trades = (
        filter_trades(
            ctx.analysis, ToolTradeFilter(start=chosen, end=chosen, limit=50), user.timezone
        )
        if ctx.analysis is not None
        else {"total": 0, "trades": []}
    )
    history = service.history_of(db, user, chosen, 30)
    return render(
        request,
        "mentor.html",
        user,
        day=chosen.isoformat(),
        report_language=language,
        report=report,
        session=service.session_record(row, settings) if row else None,
        day_trades=trades,
        entered=[dt.datetime.fromisoformat(tr["entry_time"]) for tr in trades["trades"]],
        history=list(reversed(history["days"])),
        score_trend=history["score_trend"],
        unit=history["unit"],
        currency=history["currency"],
        week=service.week_of(db, user, chosen),
        llm=chat.llm_status(db, user, settings, dt.datetime.now(dt.UTC)),
        emotions=[e.value for e in Emotion],
        markets=[m.value for m in MarketCondition],
        chart=[
            {"date": h["date"], "pnl": h["pnl"], "score": h["risk_score"]} for h in history["days"]
        ],
    )
