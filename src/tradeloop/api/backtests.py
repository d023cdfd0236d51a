"""Backtests and datasets: upload or pick data, run, save, list, inspect, delete, re-run."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import PurePath
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Response, UploadFile
from pydantic import BaseModel, ConfigDict, Field

from tradeloop.api.background import ACCEPTED, in_background
from tradeloop.api.schemas import PageOut, page_out
from tradeloop.core.dates import DateOrder
from tradeloop.core.errors import InvalidInput
from tradeloop.services import backtests
from tradeloop.services.database import Session
from tradeloop.serving.deps import DB, MAX_ID, CurrentUser, ObjectId, Paging, State, Work, limited
from tradeloop.strategies.base import get_strategy

router = APIRouter(tags=["backtests"])
DATA_SUFFIXES = {".csv", ".txt", ".tsv", ".parquet"}


class DatasetOut(BaseModel):
    """A stored dataset (without its bars)."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    symbol: str
    timeframe: str
    bars: int
    start_time: datetime
    end_time: datetime
    created_at: datetime | None
    report: dict[str, Any] = Field(
        default_factory=dict,
        description="the bars' interval, gaps beyond usual market closures (count, largest "
        "with start, end and length), and the bars dropped at upload with their reason; "
        "times in UTC; empty for data stored before reports were kept",
    )


class ResultSummary(BaseModel):
    """A saved backtest's headline figures."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    timestamp: datetime | None
    strategy_name: str
    data_filename: str
    total_profit_usd: float
    total_trades: int
    win_rate_percent: float
    max_drawdown_percent: float
    wins: int
    losses: int
    parameters: dict[str, Any] | None
    dataset_id: int | None


class ResultOut(ResultSummary):
    """A saved backtest in full: statistics, curves and the trade log."""

    stats: dict[str, Any] | None
    equity_curve: dict[str, Any] | None
    trade_log: list[dict[str, Any]] | None


class Rerun(BaseModel):
    """Changes for a re-run; unset parts keep the original's values."""

    model_config = ConfigDict(extra="forbid")

    params: dict[str, Any] = Field(default_factory=dict)
    settings: dict[str, Any] = Field(default_factory=dict)


def _result(row: object, status: int = 200) -> Response:
    """A saved backtest as JSON, encoded here (in the request's thread), not on the event
    loop: a result with its curves and trade log is large."""
    body = ResultOut.model_validate(row).model_dump_json()
    return Response(body, status_code=status, media_type="application/json")


def _json_field(name: str, text: str) -> dict[str, Any]:
    try:
        value = json.loads(text or "{}")
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"{name}: not valid JSON ({exc.msg})", [{"field": name}]) from exc
    if not isinstance(value, dict):
        raise InvalidInput(f"{name}: expected a JSON object", [{"field": name}])
    return value


def _upload(file: UploadFile) -> tuple[str, bytes]:
    """The uploaded file's name and bytes; 422 when it is not a bar file."""
    name = PurePath(file.filename or "upload.csv").name
    if PurePath(name).suffix.lower() not in DATA_SUFFIXES:
        raise InvalidInput(
            f"{name!r}: upload a CSV or Parquet file (.csv, .txt, .tsv, .parquet)",
            [{"field": "file"}],
        )
    return name, file.file.read()


@router.post(
    "/api/datasets", status_code=201, response_model=DatasetOut, responses=ACCEPTED,
    dependencies=[limited("uploads")],
)  # fmt: skip
def upload_dataset(
    user: CurrentUser,
    session: DB,
    state: State,
    work: Work,
    file: Annotated[UploadFile, File(description="CSV or Parquet bars")],
    symbol: Annotated[str | None, Form(max_length=32)] = None,
    tz: Annotated[str, Form(max_length=64)] = "UTC",
    keep_dominant_interval: Annotated[bool, Form()] = False,
    date_order: Annotated[DateOrder, Form(description="auto, dmy or mdy")] = "auto",
) -> object:
    """Validate and store bars for later backtests (``background=true``: as a job)."""
    name, data = _upload(file)

    def run(db: Session) -> Any:
        return backtests.upload_dataset(
            db, user.id, name, data, symbol, tz, keep_dominant_interval, date_order
        )

    if work.background:
        return in_background(state, session, user.id, "dataset", work, run)
    return run(session)


@router.get("/api/datasets", response_model=PageOut[DatasetOut])
def list_datasets(user: CurrentUser, session: DB, paging: Paging) -> object:
    """The user's datasets."""
    return page_out(
        backtests.list_datasets(session, user.id, paging.limit, paging.offset), DatasetOut
    )


@router.get("/api/datasets/{dataset_id}", response_model=DatasetOut)
def get_dataset(dataset_id: ObjectId, user: CurrentUser, session: DB) -> object:
    """One dataset's facts."""
    return backtests.get_dataset(session, user.id, dataset_id)


@router.delete("/api/datasets/{dataset_id}", status_code=204)
def delete_dataset(dataset_id: ObjectId, user: CurrentUser, session: DB) -> Response:
    """Delete a dataset (results keep their figures)."""
    backtests.delete_dataset(session, user.id, dataset_id)
    return Response(status_code=204)


@router.post(
    "/api/backtests", status_code=201, response_model=ResultOut, responses=ACCEPTED,
    dependencies=[limited("backtests")],
)  # fmt: skip
def create_backtest(
    user: CurrentUser,
    session: DB,
    state: State,
    work: Work,
    strategy: Annotated[str, Form(max_length=40, description="strategy key")],
    file: Annotated[UploadFile | None, File(description="CSV or Parquet bars")] = None,
    dataset_id: Annotated[int | None, Form(ge=1, le=MAX_ID)] = None,
    params: Annotated[str, Form(max_length=10_000, description="JSON object")] = "{}",
    settings: Annotated[str, Form(max_length=10_000, description="JSON object")] = "{}",
    symbol: Annotated[str | None, Form(max_length=32)] = None,
    tz: Annotated[str, Form(max_length=64)] = "UTC",
    keep_dominant_interval: Annotated[bool, Form()] = False,
    date_order: Annotated[DateOrder, Form(description="auto, dmy or mdy")] = "auto",
    contract_size: Annotated[float | None, Form(gt=0, le=1e9)] = None,
    pip_size: Annotated[float | None, Form(gt=0, le=1e6)] = None,
    quote_currency: Annotated[str | None, Form(max_length=3)] = None,
) -> object:
    """Run a backtest on an uploaded file (stored as a dataset) or a stored dataset, and save it
    (``background=true``: as a job)."""
    chosen = get_strategy(strategy, _json_field("params", params))
    execution = backtests.execution_settings(_json_field("settings", settings))
    if (file is None) == (dataset_id is None):
        raise InvalidInput(
            "send either a data file or a dataset_id", [{"field": "file"}, {"field": "dataset_id"}]
        )
    upload = _upload(file) if file is not None else None

    def run(db: Session) -> Any:
        return backtests.run_and_save(
            db, user.id, chosen, execution, upload, dataset_id, symbol, tz,
            keep_dominant_interval, date_order, (contract_size, pip_size, quote_currency),
        )  # fmt: skip

    if work.background:
        return in_background(state, session, user.id, "backtest", work, run)
    return _result(run(session), 201)


@router.get("/api/backtests", response_model=PageOut[ResultSummary])
def list_backtests(user: CurrentUser, session: DB, paging: Paging) -> object:
    """The user's saved backtests, newest first."""
    return page_out(
        backtests.list_results(session, user.id, paging.limit, paging.offset), ResultSummary
    )


@router.get("/api/backtests/{result_id}", response_model=ResultOut)
def get_backtest(result_id: ObjectId, user: CurrentUser, session: DB) -> object:
    """A saved backtest in full."""
    return _result(backtests.get_result(session, user.id, result_id))


@router.delete("/api/backtests/{result_id}", status_code=204)
def delete_backtest(result_id: ObjectId, user: CurrentUser, session: DB) -> Response:
    """Delete a saved backtest."""
    backtests.delete_result(session, user.id, result_id)
    return Response(status_code=204)


@router.post(
    "/api/backtests/{result_id}/rerun", status_code=201, response_model=ResultOut,
    responses=ACCEPTED, dependencies=[limited("backtests")],
)  # fmt: skip
def rerun_backtest(
    result_id: ObjectId, change: Rerun, user: CurrentUser, session: DB, state: State, work: Work
) -> object:
    """Run a saved backtest again on the same data with changed parameters or settings
    (``background=true``: as a job)."""

    def run(db: Session) -> Any:
        return backtests.rerun(db, user.id, result_id, change.params, change.settings)

    if work.background:
        backtests.get_result(session, user.id, result_id)  # 404 now, not in the job
        return in_background(state, session, user.id, "backtest", work, run)
    return _result(run(session), 201)
