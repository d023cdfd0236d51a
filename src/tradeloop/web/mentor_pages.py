"""The Mentor page: quick feedback, the day's report in either language, history, chat."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import Response

from tradeloop.api.deps import DB
from tradeloop.core.codes import Emotion, MarketCondition
from tradeloop.core.errors import NotFound
from tradeloop.mentor import service
from tradeloop.store import mentor as repo
from tradeloop.web.access import MaybeUser, require_user
from tradeloop.web.render import render

router = APIRouter(include_in_schema=False)


@router.get("/mentor")
def mentor_page(
    request: Request, db: DB, user: MaybeUser, day: dt.date | None = None, lang: str | None = None
) -> Response:
    """Today's (or ``day``'s) report, the feedback form, history and the chat panel."""
    user = require_user(user)
    settings = request.app.state.tradeloop.settings
    chosen = day or dt.datetime.now(dt.UTC).astimezone(ZoneInfo(user.timezone)).date()
    language = lang if lang in ("id", "en") else user.language
    try:
        report = repo.get_report(db, user.id, chosen, language)
    except NotFound:
        report = None
    sessions = repo.list_sessions(db, user.id, 60, 0).items
    history = [service.session_record(row, settings) for row in sessions]
    return render(
        request,
        "mentor.html",
        user,
        day=chosen.isoformat(),
        report_language=language,
        report=report,
        history=history,
        emotions=[e.value for e in Emotion],
        markets=[m.value for m in MarketCondition],
        chart=[
            {"date": h["date"], "pnl": h["total_profit_loss"], "score": h["risk_score"]}
            for h in history
        ],
    )
