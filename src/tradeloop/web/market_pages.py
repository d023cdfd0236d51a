"""The market data pages: upload bars (with progress, as a job), the list of datasets, one
dataset's candlestick preview with its interval and gaps report, and deletion.

The upload form posts here, not to the JSON API, so that its messages are the form's: a file
that mixes bar intervals is answered naming the form's checkbox by its label, in the user's
language (the API and the CLI name their own option). With ``?background=true`` (what the
page's script sends) the answer is 202 with the job to follow at ``/api/jobs/{id}``; without
script the form is answered by the dataset's page, or by this page with the message."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, File, Query, Request, UploadFile
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse, Response
from sqlalchemy.orm import Session

from tradeloop.core.dates import DateOrder
from tradeloop.core.errors import NotFound, UserError
from tradeloop.i18n import number_text, size_text, time_text, translate
from tradeloop.market.errors import MixedIntervals
from tradeloop.services import datasets
from tradeloop.services.accounts import User, time_zones
from tradeloop.services.jobs import job_record
from tradeloop.serving.deps import DB, ObjectId, Paging, State, enforce_limit
from tradeloop.web.access import FormText, FormUser, MaybeUser, require_user
from tradeloop.web.render import error_page, redirect, render, request_language

router = APIRouter(include_in_schema=False)
DATE_ORDERS: tuple[DateOrder, ...] = ("auto", "dmy", "mdy")
NOTICES = ("datasets.stored", "datasets.deleted")


def mixed_intervals_text(language: str, exc: MixedIntervals) -> str:
    """The mixed-interval refusal as the form says it: which rows are at which interval, and
    the form's checkbox (by its label) that keeps only the dominant interval."""
    parts = "; ".join(
        translate(
            language,
            "datasets.mixed_part",
            first=segment["rows"][0],
            last=segment["rows"][1],
            bars=number_text(language, segment["bars"], 0),
            start=segment["start"][:10],
            end=segment["end"][:10],
            timeframe=segment["timeframe"],
        )
        for segment in exc.segments
    )
    return translate(
        language,
        "datasets.mixed_intervals",
        parts=parts,
        kept=number_text(language, exc.kept, 0),
        timeframe=exc.timeframe,
        checkbox=translate(language, "datasets.keep_dominant"),
    )


def length_text(language: str, seconds: int) -> str:
    """A gap's length: ``3 d 4 h`` or ``2 h 30 min`` (``3 hari 4 jam``)."""
    days, rest = divmod(int(seconds), 86_400)
    if days:
        return translate(language, "datasets.length_days", days=days, hours=rest // 3600)
    return translate(
        language, "datasets.length_hours", hours=rest // 3600, minutes=rest % 3600 // 60
    )


def closures_text(language: str, closures: dict[str, Any], zone: str, on: datetime) -> str:
    """The usual closures in words, daily ones at their clock time in ``zone`` (as on the
    day ``on``): ``weekends; every day from 04:00 UTC+07:00 for 2 h 0 min``."""
    parts = [translate(language, "datasets.closure_weekends")] if closures["weekends"] else []
    day = on.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    for start, end in closures["daily"]:
        begins = day + timedelta(hours=int(start[:2]), minutes=int(start[3:]))
        ends = day + timedelta(hours=int(end[:2]), minutes=int(end[3:]))
        seconds = int((ends - begins).total_seconds()) % 86_400 or 86_400
        parts.append(translate(language, "datasets.closure_daily",
                               start=time_text(begins, zone, with_date=False),
                               length=length_text(language, seconds)))  # fmt: skip
    return "; ".join(parts) or translate(language, "datasets.closure_none")


def _list_page(
    request: Request, session: Session, user: User, paging: Any, status: int = 200,
    errors: list[str] | None = None, form: dict[str, str] | None = None,
) -> Response:  # fmt: skip
    settings = request.app.state.tradeloop.settings
    language = request_language(request, user)
    page, sizes = datasets.list_with_sizes(session, user.id, paging.limit, paging.offset)
    notice = request.query_params.get("notice", "")
    stored = request.query_params.get("stored", "")
    return render(
        request, "market.html", user, status, page=page,
        sizes={key: size_text(language, value) for key, value in sizes.items()},
        count=lambda value: number_text(language, value, 0),
        upload_mb=settings.max_backtest_upload_bytes // 1_048_576,
        zones=time_zones(), date_orders=DATE_ORDERS, errors=errors or [],
        form={"tz": "UTC", "date_order": "auto", "symbol": ""} | (form or {}),
        stored=int(stored) if stored.isdigit() else None,
        **({"notice": translate(language, notice)} if notice in NOTICES else {}),
    )  # fmt: skip


@router.get("/market")
def market_page(request: Request, session: DB, user: MaybeUser, paging: Paging) -> Response:
    """The upload form and the user's datasets."""
    return _list_page(request, session, require_user(user), paging)


@router.post("/market")
def upload(
    request: Request,
    session: DB,
    state: State,
    user: FormUser,
    paging: Paging,
    file: Annotated[UploadFile, File()],
    symbol: FormText = "",
    tz: FormText = "UTC",
    date_order: FormText = "auto",
    keep_dominant_interval: FormText = "",
    background: Annotated[bool, Query()] = False,
) -> Response:
    """Store an uploaded bar file as a dataset with its report; ``background``: answer 202
    with the job at once (the page's script), else the dataset's page (or this page with
    the message)."""
    enforce_limit(request, "uploads", user.id, session)
    language = request_language(request, user)
    form = {"symbol": symbol, "tz": tz or "UTC", "date_order": date_order}
    order: DateOrder = date_order if date_order in DATE_ORDERS else "auto"  # type: ignore[assignment]
    keep = keep_dominant_interval.lower() in ("true", "on", "1")
    try:
        name = datasets.upload_name(file.filename)
        data = file.file.read()
    except UserError as exc:
        if background:
            raise
        return _list_page(request, session, user, paging, exc.status, [exc.message], form)

    def run(db: Session) -> Any:
        try:
            return datasets.upload_dataset(
                db, user.id, name, data, symbol.strip() or None, tz.strip() or "UTC", keep, order
            )
        except MixedIntervals as exc:  # the form's words: its checkbox, the user's language
            raise MixedIntervals(
                mixed_intervals_text(language, exc), exc.segments, exc.timeframe, exc.kept
            ) from None

    ticket = state.work.admit(user.id)
    try:
        if background:
            job = state.jobs.submit(session, user.id, "dataset", ticket, lambda db: run(db).id)
            record = job_record(job, state.jobs.silent_after)
            return JSONResponse(
                jsonable_encoder(record), status_code=202,
                headers={"Location": f"/api/jobs/{job.id}"},
            )  # fmt: skip
        try:
            with ticket.running():
                dataset = run(session)
        except UserError as exc:
            session.rollback()
            return _list_page(request, session, user, paging, exc.status, [exc.message], form)
        return redirect(f"/market?stored={dataset.id}", "datasets.stored")
    finally:
        if not ticket.kept:
            ticket.close()


@router.get("/market/{dataset_id}")
def dataset_page(request: Request, dataset_id: ObjectId, session: DB, user: MaybeUser) -> Response:
    """One dataset: candlestick preview, interval, gaps beyond usual closures, dropped bars."""
    user = require_user(user)
    try:
        dataset, size, report, preview = datasets.dataset_page(
            session, user.id, dataset_id, user.timezone
        )
    except NotFound:
        return error_page(request, 404)
    language = request_language(request, user)
    return render(
        request, "market_dataset.html", user, dataset=dataset, size=size_text(language, size),
        report=report, preview=preview,
        count=lambda value: number_text(language, value, 0),
        length=lambda seconds: length_text(language, seconds),
        when=lambda iso: time_text(datetime.fromisoformat(iso), user.timezone),
        closures=closures_text(language, report["closures"], user.timezone, dataset.end_time),
    )  # fmt: skip


@router.post("/market/{dataset_id}/delete")
def delete_dataset(dataset_id: ObjectId, session: DB, user: FormUser) -> Response:
    """Delete one of the user's datasets (backtests made from it keep their figures)."""
    datasets.delete_dataset(session, user.id, dataset_id)
    return redirect("/market", "datasets.deleted")
