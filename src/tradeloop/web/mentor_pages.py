"""The Mentor page: quick feedback, the day's report in either language, history, chat."""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import replace
from typing import Any, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import Response

from tradeloop.core.codes import Emotion, MarketCondition
from tradeloop.core.dates import CalendarDay
from tradeloop.core.errors import NotFound
from tradeloop.i18n import translate
from tradeloop.mentor.daily import day_result
from tradeloop.mentor.offline import suggestions
from tradeloop.mentor.tools import TOOLS, ToolTradeFilter, filter_trades
from tradeloop.services import chat
from tradeloop.services import mentor as service
from tradeloop.serving.deps import DB
from tradeloop.web.access import MaybeUser, require_user
from tradeloop.web.render import render

EVIDENCE_SOURCES = (*TOOLS, "unknown", "offline_mentor")


def chat_words(language: str) -> dict[str, Any]:
    """The chat's words the page's script shows: what the model is doing, what an answer
    rests on, and the tools by name (``{tool}``, ``{tokens}``, ``{sources}`` filled there)."""
    word = functools.partial(translate, language)
    return {
        "asking": word("mentor.llm.working.asking"),
        "tool": word("mentor.llm.working.tool", tool="{tool}"),
        "writing": word("mentor.llm.working.writing", tokens="{tokens}"),
        "with": word("mentor.llm.answered_with", sources="{sources}"),
        "without": word("mentor.llm.answered_without"),
        "evidence": word("mentor.llm.evidence"),
        "tools": {name: word(f"mentor.tool.{name}") for name in EVIDENCE_SOURCES},
    }


router = APIRouter(include_in_schema=False)


@router.get("/mentor")
def mentor_page(
    request: Request,
    db: DB,
    user: MaybeUser,
    day: CalendarDay | None = None,
    lang: Literal["id", "en"] | None = None,
) -> Response:
    """Today's (or ``day``'s) report, the feedback form, history and the chat panel. "Today"
    is the user's, in their zone; a past day's report is titled with its date."""
    user = require_user(user)
    settings = request.app.state.tradeloop.settings
    today = dt.datetime.now(dt.UTC).astimezone(ZoneInfo(user.timezone)).date()
    chosen = day or today
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
    week = service.week_of(db, user, chosen)
    traded_days = sum(1 for h in history["days"] if h["trades"])
    unit = history["unit"] or "points"
    return render(
        request,
        "mentor.html",
        user,
        day=chosen.isoformat(),
        is_today=chosen == today,
        this_week=week["start"] <= today.isoformat() <= week["end"],
        report_language=language,
        report=report,
        session=service.session_record(row, settings) if row else None,
        result=day_result(ctx.analysis, chosen, user.timezone),
        day_trades=trades,
        entered=[dt.datetime.fromisoformat(tr["entry_time"]) for tr in trades["trades"]],
        history=list(reversed(history["days"])),
        score_trend=history["score_trend"] if traded_days >= 2 else "none",
        unit=history["unit"],
        currency=history["currency"],
        pnl_unit=history["currency"]
        if unit == "money" and history["currency"]
        else translate(
            user.language, f"unit.{'account_currency' if unit == 'money' else 'points'}"
        ),
        week=week,
        llm=chat.llm_status(db, user, settings, dt.datetime.now(dt.UTC)),
        emotions=[e.value for e in Emotion],
        markets=[m.value for m in MarketCondition],
        suggestions=suggestions(replace(ctx, language=language)),
        chat_words=chat_words(user.language),
        chart=[
            {"date": h["date"], "pnl": h["pnl"], "score": h["risk_score"]} for h in history["days"]
        ],
    )
