"""The Journal page: import, habit figures, equity curve, month calendar, reports, the trade
list with its filters (all kept in the address), notes and tags, and the CSV export."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from tradeloop.habits.reports import parse_month, shift_month
from tradeloop.i18n import time_text
from tradeloop.journal.formats import FORMATS
from tradeloop.services import journal
from tradeloop.services.analyses import user_analysis
from tradeloop.serving.deps import DB, ObjectId
from tradeloop.web.access import FormText, FormUser, MaybeUser, require_user
from tradeloop.web.render import redirect, render, request_language, safe_next

router = APIRouter(include_in_schema=False)
PER_PAGE = 50
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _address(base: dict[str, str], **changes: Any) -> str:
    """``/journal`` with ``base`` parameters, ``changes`` applied (None removes one)."""
    params = dict(base)
    for name, value in changes.items():
        if value is None or value == "":
            params.pop(name, None)
        else:
            params[name] = str(value)
    return "/journal" + ("?" + urlencode(params) if params else "")


def _month_text(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}"


def _page_number(text: str | None) -> int:
    try:
        return max(1, min(int(text or 1), 100_000))
    except ValueError:
        return 1


@router.get("/journal")
def journal_page(
    request: Request, session: DB, user: MaybeUser, kind: Literal["live", "tested"] = "live"
) -> Response:
    """The journal: everything the analysis found, or the import form when it is empty; with
    ``kind=tested``, the deals of Strategy Tester reports, apart from the trader's own. The
    trade filters, the page of trades and the calendar's month are read from the address."""
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
    if analysis is None:
        return render(request, "journal.html", user, **context)
    params = request.query_params
    query = journal.TradeQuery.from_params(params)
    month = parse_month(params.get("month"))
    view = {"kind": kind} if kind != "live" else {}
    if month is not None:
        view["month"] = _month_text(*month)
    base = query.params() | view
    number = _page_number(params.get("page"))
    page = journal.trades_page(
        session, user, query, PER_PAGE, (number - 1) * PER_PAGE, kind
    )  # fmt: skip
    for item in page["items"]:
        for name in ("entry_time", "exit_time"):
            moment = datetime.fromisoformat(item[name])
            item[name.replace("_time", "_local")] = time_text(moment, user.timezone)
    language = request_language(request, user)
    shown = journal.journal_reports(analysis, user.timezone, month)
    year, month_number = shown["calendar"]["year"], shown["calendar"]["number"]
    highlight = params.get("highlight", "")
    context |= {
        "summary": analysis.summary,
        "unit": analysis.unit,
        "currency": analysis.currency,
        "insights": journal.metric(analysis, user, "insights", language),
        "goals": journal.goals_of(session, user) if kind == "live" else [],
        "habit_settings": analysis.settings,
        "reports": shown,
        "weekdays": WEEKDAYS,
        "query": query,
        "trades": page,
        "page_number": number,
        "pages": max(1, -(-page["total"] // PER_PAGE)),
        "highlight": int(highlight) if highlight.isdigit() else None,
        "tags": journal.all_tags(session, user.id),
        "link": lambda **changes: _address(base, **changes),
        "export_link": "/journal/export.csv"
        + ("?" + urlencode(query.params() | ({"kind": kind} if kind != "live" else {}))),
        "current": _address(base, page=number if number > 1 else None),
        "trade_url": _address(view),  # the loss chart opens a trade in the unfiltered list
        "month_links": {
            "previous": _address(base, month=_month_text(*shift_month(year, month_number, -1))),
            "next": _address(base, month=_month_text(*shift_month(year, month_number, 1))),
        },
        "chart": {
            "losses": journal.metric(analysis, user, "losses", language),
            "clean_rate": analysis.summary["clean_trade_rate"],
            "equity": shown["equity"],
            "by_hour": shown["by_hour"],
            "r": shown["r"],
            "unit": analysis.unit,
            "currency": analysis.currency,
            "per_page": PER_PAGE,
        },
    }
    return render(request, "journal.html", user, **context)


@router.get("/journal/export.csv")
def export_trades(
    request: Request, session: DB, user: MaybeUser, kind: Literal["live", "tested"] = "live"
) -> Response:
    """The trades the page's filters select, as CSV (the same parameters as ``/journal``)."""
    user = require_user(user)
    query = journal.TradeQuery.from_params(request.query_params)
    text = journal.export_csv(session, user, query, kind)
    name = "tradeloop-trades.csv" if kind == "live" else "tradeloop-tested-deals.csv"
    return Response(
        "\ufeff" + text,  # a byte-order mark: spreadsheets read the file as UTF-8
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.post("/journal/notes/{trade_key}")
def save_note(
    trade_key: str,
    session: DB,
    user: FormUser,
    note: FormText = "",
    tags: FormText = "",
    next: FormText = "/journal",
    kind: Annotated[Literal["live", "tested"], Form()] = "live",
) -> Response:
    """Write the note and tags of one trade from the trade list's form, then go back to the
    same view."""
    journal.save_note(session, user, trade_key[:200], note, tags, kind)
    target, _, fragment = safe_next(next if next.startswith("/journal") else "/journal").partition(
        "#"
    )
    response = redirect(target, "journal.note_saved")
    if fragment:
        response.headers["location"] += "#" + fragment
    return response


@router.post("/journal/imports/{import_id}/delete")
def delete_import(import_id: ObjectId, session: DB, user: FormUser) -> Response:
    """Delete one of the user's imports; the notice offers to undo it."""
    journal.delete_import(session, user, import_id)
    return redirect("/journal", "journal.deleted", undo=f"import-{import_id}")


@router.post("/journal/imports/{import_id}/restore")
def restore_import(request: Request, import_id: ObjectId, session: DB, user: FormUser) -> Response:
    """Undo the deletion of one of the user's imports: its trades are back in the journal."""
    undo_days = request.app.state.tradeloop.settings.undo_days
    journal.restore_import(session, user, import_id, undo_days)
    return redirect("/journal", "journal.restored")
