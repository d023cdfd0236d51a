"""The trade journal over HTTP: imports, trades with filters, habit figures, settings, goals."""

from __future__ import annotations

from pathlib import PurePath
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, Path, Query, Response, UploadFile
from pydantic import BaseModel, ConfigDict, Field, field_validator

from tradeloop.api.background import ACCEPTED, in_background
from tradeloop.core.dates import CalendarDay, DateOrder
from tradeloop.core.errors import InvalidInput
from tradeloop.habits.filters import Mistake, Sort
from tradeloop.habits.settings import HabitSettings
from tradeloop.journal.formats import Format
from tradeloop.services import journal
from tradeloop.serving.deps import DB, CurrentUser, ObjectId, Paging, State, Work, limited

router = APIRouter(prefix="/api/journal", tags=["journal"])
UPLOAD_SUFFIXES = {".csv", ".txt", ".html", ".htm", ".xlsx"}


class GoalIn(BaseModel):
    """A goal: avoid ``mistakes`` for ``target`` trades or trading days in a row."""

    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[^\x00-\x1f\x7f]*$")]
    mistakes: Annotated[list[Mistake], Field(min_length=1, max_length=4)]
    target: Annotated[int, Field(ge=1, le=10_000)]
    metric: Literal["trades", "days"] = "trades"
    start_date: CalendarDay | None = None

    @field_validator("mistakes")
    @classmethod
    def _unique(cls, value: list[str]) -> list[str]:
        return list(dict.fromkeys(value))


Kind = Annotated[
    Literal["live", "tested"],
    Query(description="live: your trades; tested: the deals of Strategy Tester reports"),
]


def _language(user: CurrentUser, lang: str | None) -> str:
    return lang if lang in ("id", "en") else user.language


@router.post("/imports", status_code=201, responses=ACCEPTED, dependencies=[limited("uploads")])
def create_import(
    user: CurrentUser,
    session: DB,
    state: State,
    work: Work,
    file: Annotated[UploadFile, File(description="CSV, HTML or XLSX export")],
    format: Annotated[
        Format, Form(description="the export's layout (auto: from its content)")
    ] = "auto",
    tz: Annotated[
        str | None,
        Form(
            max_length=64,
            description="zone of the file's times (default: the account's remembered zone for "
            "MT5/MT4 reports, else the profile's)",
        ),
    ] = None,
    date_order: Annotated[
        DateOrder, Form(description="auto, dmy or mdy: settles 03/04/2024 when the file cannot")
    ] = "auto",
    currency: Annotated[
        str,
        Form(
            pattern=r"^([A-Za-z]{3})?$", description="the account's currency if the file omits it"
        ),
    ] = "",
    store: Annotated[bool, Form(description="false: analyse in memory only, keep nothing")] = True,
) -> dict[str, Any]:
    """Import an export (or only analyse it with ``store=false``) and return what it is and
    its analysis."""
    name = PurePath(file.filename or "export.csv").name
    if PurePath(name).suffix.lower() not in UPLOAD_SUFFIXES:
        raise InvalidInput(
            f"{name!r}: upload a CSV, HTML or XLSX export",
            [{"field": "file"}],
            key="journal.error.upload_type",
            values={"name": repr(name)},
        )
    data = file.file.read()
    if work.background:
        if not store:
            raise InvalidInput(
                "background=true stores the import: an analysis that keeps nothing "
                "(store=false) is answered directly",
                [{"field": "store"}],
                key="journal.error.background_needs_store",
            )
        return in_background(
            state, session, user.id, "import", work,
            lambda db: journal.import_export(
                db, user, name, data, format, tz or None, date_order, currency
            )[1],
        )  # fmt: skip
    document, row = journal.import_export(
        session, user, name, data, format, tz or None, date_order, currency, store
    )
    if row is not None:
        document["import"] = journal.import_record(row)
    return document


@router.get("/imports")
def list_imports(user: CurrentUser, session: DB, paging: Paging) -> dict[str, Any]:
    """The user's imports: file, format, kind, accounts, currency, zone, counts, warnings."""
    page = journal.list_imports(session, user.id, paging.limit, paging.offset)
    return {"items": page.items, "total": page.total, "limit": page.limit, "offset": page.offset}


@router.get("/imports/{import_id}")
def get_import(import_id: ObjectId, user: CurrentUser, session: DB) -> dict[str, Any]:
    """One import: file, format, kind, accounts, currency, zone, counts, warnings."""
    return journal.get_import(session, user.id, import_id)


@router.delete("/imports/{import_id}", status_code=204)
def delete_import(import_id: ObjectId, user: CurrentUser, session: DB) -> Response:
    """Delete an import: its trades leave the journal and everything rebuilt from it; undo
    with ``POST /api/journal/imports/{import_id}/restore`` within TRADELOOP_UNDO_DAYS."""
    journal.delete_import(session, user, import_id)
    return Response(status_code=204)


@router.post("/imports/{import_id}/restore")
def restore_import(
    import_id: ObjectId, user: CurrentUser, session: DB, state: State
) -> dict[str, Any]:
    """Undo the deletion of an import (within TRADELOOP_UNDO_DAYS): its trades are back in the
    journal; 404 when there is no such deleted import of yours."""
    return journal.restore_import(session, user, import_id, state.settings.undo_days)


@router.get("/trades")
def list_trades(
    user: CurrentUser,
    session: DB,
    paging: Paging,
    start: CalendarDay | None = None,
    end: CalendarDay | None = None,
    symbol: Annotated[str | None, Query(max_length=32)] = None,
    side: Literal["buy", "sell"] | None = None,
    result: Literal["win", "loss", "flat"] | None = None,
    mistake: Mistake | Literal["any", "none"] | None = None,
    hour_from: Annotated[int | None, Query(ge=0, le=23)] = None,
    hour_to: Annotated[int | None, Query(ge=0, le=23)] = None,
    q: Annotated[
        str | None, Query(max_length=100, description="text in the note, a tag or the symbol")
    ] = None,
    tag: Annotated[str | None, Query(max_length=32, description="trades with this tag")] = None,
    source: Annotated[int | None, Query(ge=1, description="trades from this import")] = None,
    sort: Sort = "exit_time",
    kind: Kind = "live",
) -> dict[str, Any]:
    """Trades with their mistakes, key, note and tags, filtered (the mentor's filter: local
    exit day, local entry hour wrapping midnight; and the trader's notes, tags and imports),
    sorted and paginated; ``pnl`` is in the journal's unit."""
    query = journal.TradeQuery(
        start=start, end=end, symbol=symbol, side=side, result=result, mistake=mistake,
        hour_from=hour_from, hour_to=hour_to, q=q, tag=tag, source=source, sort=sort,
    )  # fmt: skip
    return journal.trades_page(session, user, query, paging.limit, paging.offset, kind)


class NoteIn(BaseModel):
    """A trade's note and tags (both empty: the note is deleted)."""

    model_config = ConfigDict(extra="forbid")

    note: Annotated[str, Field(max_length=4000)] = ""
    tags: Annotated[list[Annotated[str, Field(max_length=32)]], Field(max_length=20)] = []


TradeKey = Annotated[
    str, Path(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9_-]+$", description="trade_key")
]


@router.get("/notes/{trade_key}")
def get_note(trade_key: TradeKey, user: CurrentUser, session: DB, kind: Kind = "live") -> Any:
    """The note and tags of one of your trades (``trade_key`` from the trade list)."""
    return journal.get_note(session, user, trade_key, kind)


@router.put("/notes/{trade_key}")
def put_note(
    trade_key: TradeKey, body: NoteIn, user: CurrentUser, session: DB, kind: Kind = "live"
) -> Any:
    """Write the note and tags of one of your trades; they stay with the trade when the
    journal is rebuilt (imports added or deleted, settings changed)."""
    return journal.save_note(session, user, trade_key, body.note, body.tags, kind)


@router.get("/summary")
def summary(user: CurrentUser, session: DB, kind: Kind = "live") -> dict[str, Any]:
    """Counts, win rate, averages, payoff, expectancy, breakeven (in account money where it is
    known, else points per underlying), clean-trade rate, streaks."""
    return journal.summary_of(session, user.id, kind)


METRICS = (
    "losses",
    "excessive-risk",
    "risk-sizing",
    "revenge",
    "stop-loss",
    "breakeven",
    "calendar",
    "insights",
)


def _metric_route(name: str) -> None:
    def route(
        user: CurrentUser,
        session: DB,
        lang: Literal["id", "en"] | None = None,
        kind: Kind = "live",
    ) -> Any:
        return journal.metric_of(session, user, name, _language(user, lang), kind)

    route.__doc__ = f"The journal's {name} figures."
    router.add_api_route(f"/{name}", route, methods=["GET"], name=f"journal_{name}")


@router.get("/settings", response_model=HabitSettings)
def get_settings(user: CurrentUser, session: DB) -> object:
    """The detector settings."""
    return journal.get_settings(session, user.id)


@router.put("/settings", response_model=HabitSettings)
def put_settings(settings: HabitSettings, user: CurrentUser, session: DB) -> object:
    """Change the detector settings; every figure, and every stored day's risk score, is
    re-analysed with them."""
    return journal.save_settings(session, user, settings)


@router.get("/goals")
def list_goals(user: CurrentUser, session: DB) -> dict[str, Any]:
    """Built-in and own goals with their streaks and progress."""
    items = journal.goals_of(session, user)
    return {"items": items, "total": len(items), "limit": len(items), "offset": 0}


@router.post("/goals", status_code=201)
def create_goal(goal: GoalIn, user: CurrentUser, session: DB) -> dict[str, Any]:
    """Add an own goal."""
    goal_id = journal.save_goal(session, user.id, goal.model_dump())
    return {"id": goal_id, **goal.model_dump(mode="json")}


@router.put("/goals/{goal_id}")
def update_goal(goal_id: ObjectId, goal: GoalIn, user: CurrentUser, session: DB) -> dict[str, Any]:
    """Change an own goal."""
    journal.save_goal(session, user.id, goal.model_dump(), goal_id)
    return {"id": goal_id, **goal.model_dump(mode="json")}


@router.delete("/goals/{goal_id}", status_code=204)
def delete_goal(goal_id: ObjectId, user: CurrentUser, session: DB) -> Response:
    """Delete an own goal."""
    journal.delete_goal(session, user.id, goal_id)
    return Response(status_code=204)


for _name in METRICS:
    _metric_route(_name)
