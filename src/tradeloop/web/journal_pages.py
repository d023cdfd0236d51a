"""The Journal page: import, habit figures, charts, trades, goals and settings."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import Response

from tradeloop.habits.analysis import calendar_figures
from tradeloop.journal.formats import FORMATS
from tradeloop.services import journal
from tradeloop.services.analyses import user_analysis
from tradeloop.serving.deps import DB, ObjectId
from tradeloop.web.access import FormUser, MaybeUser, require_user
from tradeloop.web.render import redirect, render, request_language

router = APIRouter(include_in_schema=False)


@router.get("/journal")
def journal_page(
    request: Request, session: DB, user: MaybeUser, kind: Literal["live", "tested"] = "live"
) -> Response:
    """The journal: everything the analysis found, or the import form when it is empty; with
    ``kind=tested``, the deals of Strategy Tester reports, apart from the trader's own."""
    user = require_user(user)
    settings = request.app.state.tradeloop.settings
    analysis = user_analysis(session, user.id, kind=kind)
    records = journal.list_imports(session, user.id, 50, 0).items
    context: dict[str, Any] = {
        "imports": records,
        "kind": kind,
        "has_tested": any(r["kind"] == "tested" for r in records),
        "formats": FORMATS,
        "upload_mb": settings.max_journal_upload_bytes // 1_048_576,
        "analysis": analysis,
    }
    if analysis is not None:
        language = request_language(request, user)
        context |= {
            "summary": analysis.summary,
            "unit": analysis.unit,
            "currency": analysis.currency,
            "insights": journal.metric(analysis, user, "insights", language),
            "goals": journal.goals_of(session, user) if kind == "live" else [],
            "habit_settings": analysis.settings,
            "chart": {
                "losses": journal.metric(analysis, user, "losses", language),
                "calendar": calendar_figures(analysis, user.timezone)["by_day"],
                "clean_rate": analysis.summary["clean_trade_rate"],
            },
        }
    return render(request, "journal.html", user, **context)


@router.post("/journal/imports/{import_id}/delete")
def delete_import(import_id: ObjectId, session: DB, user: FormUser) -> Response:
    """Delete one of the user's imports."""
    journal.delete_import(session, user, import_id)
    return redirect("/journal", "journal.deleted")
