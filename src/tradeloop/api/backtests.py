"""Backtests and datasets: upload or pick data, run, save, list, inspect, delete, re-run."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import PurePath
from typing import Annotated, Any

import pandas as pd
from fastapi import APIRouter, File, Form, Response, UploadFile
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tradeloop.api.schemas import PageOut, page_out
from tradeloop.core.errors import Conflict, InvalidInput
from tradeloop.execution.settings import ExecutionSettings
from tradeloop.market.times import DateOrder
from tradeloop.services.backtests import InstrumentChoice, backtest, load_bars, symbol_from_filename
from tradeloop.services.work import run_cpu
from tradeloop.serving.deps import DB, MAX_ID, CurrentUser, ObjectId, Paging, Work
from tradeloop.store import backtests as results_repo
from tradeloop.store import datasets as datasets_repo
from tradeloop.store.db import pause
from tradeloop.store.models import BacktestResult
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


def _json_field(name: str, text: str) -> dict[str, Any]:
    try:
        value = json.loads(text or "{}")
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"{name}: not valid JSON ({exc.msg})", [{"field": name}]) from exc
    if not isinstance(value, dict):
        raise InvalidInput(f"{name}: expected a JSON object", [{"field": name}])
    return value


def execution_settings(values: dict[str, Any]) -> ExecutionSettings:
    """Validated execution settings; 422 naming the setting otherwise."""
    try:
        return ExecutionSettings.model_validate(values)
    except ValidationError as exc:
        details = [
            {"field": ".".join(map(str, e["loc"])) or "settings", "message": e["msg"]}
            for e in exc.errors()
        ]
        text = "; ".join(
            f"settings.{d['field']}: {d['message']}" if d["field"] != "settings" else d["message"]
            for d in details
        )
        raise InvalidInput(f"invalid settings: {text}", details) from exc


def _uploaded_bars(
    session: DB, file: UploadFile, tz: str, keep: bool, date_order: DateOrder = "auto"
) -> tuple[pd.DataFrame, str, str]:
    name = PurePath(file.filename or "upload.csv").name
    if PurePath(name).suffix.lower() not in DATA_SUFFIXES:
        raise InvalidInput(
            f"{name!r}: upload a CSV or Parquet file (.csv, .txt, .tsv, .parquet)",
            [{"field": "file"}],
        )
    data = file.file.read()
    pause(session)  # no transaction is held while the file is read
    bars, timeframe = run_cpu(load_bars, data, tz, keep, date_order)
    return bars, timeframe, name


@router.post("/api/datasets", status_code=201, response_model=DatasetOut)
def upload_dataset(
    user: CurrentUser,
    session: DB,
    _slot: Work,
    file: Annotated[UploadFile, File(description="CSV or Parquet bars")],
    symbol: Annotated[str | None, Form(max_length=32)] = None,
    tz: Annotated[str, Form(max_length=64)] = "UTC",
    keep_dominant_interval: Annotated[bool, Form()] = False,
    date_order: Annotated[DateOrder, Form(description="auto, dmy or mdy")] = "auto",
) -> object:
    """Validate and store bars for later backtests."""
    bars, timeframe, name = _uploaded_bars(session, file, tz, keep_dominant_interval, date_order)
    instrument = InstrumentChoice(symbol or symbol_from_filename(name)).resolve()
    return datasets_repo.add_dataset(session, user.id, name, instrument.symbol, timeframe, bars)


@router.get("/api/datasets", response_model=PageOut[DatasetOut])
def list_datasets(user: CurrentUser, session: DB, paging: Paging) -> object:
    """The user's datasets."""
    return page_out(
        datasets_repo.list_datasets(session, user.id, paging.limit, paging.offset), DatasetOut
    )


@router.get("/api/datasets/{dataset_id}", response_model=DatasetOut)
def get_dataset(dataset_id: ObjectId, user: CurrentUser, session: DB) -> object:
    """One dataset's facts."""
    return datasets_repo.get_dataset(session, user.id, dataset_id)


@router.delete("/api/datasets/{dataset_id}", status_code=204)
def delete_dataset(dataset_id: ObjectId, user: CurrentUser, session: DB) -> Response:
    """Delete a dataset (results keep their figures)."""
    datasets_repo.delete_dataset(session, user.id, dataset_id)
    return Response(status_code=204)


@router.post("/api/backtests", status_code=201, response_model=ResultOut)
def create_backtest(
    user: CurrentUser,
    session: DB,
    _slot: Work,
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
    """Run a backtest on an uploaded file (stored as a dataset) or a stored dataset, and save it."""
    chosen = get_strategy(strategy, _json_field("params", params))
    execution = execution_settings(_json_field("settings", settings))
    if (file is None) == (dataset_id is None):
        raise InvalidInput(
            "send either a data file or a dataset_id", [{"field": "file"}, {"field": "dataset_id"}]
        )
    if file is not None:
        bars, timeframe, name = _uploaded_bars(
            session, file, tz, keep_dominant_interval, date_order
        )
        symbol = symbol or symbol_from_filename(name)
    else:
        dataset = datasets_repo.get_dataset(session, user.id, dataset_id)
        bars, timeframe, name = datasets_repo.dataset_bars(dataset), dataset.timeframe, dataset.name
        symbol = symbol or dataset.symbol
    instrument = InstrumentChoice(symbol, contract_size, pip_size, quote_currency).resolve()
    pause(session)
    run = run_cpu(backtest, bars, chosen, instrument, execution)
    if file is not None:
        dataset_id = datasets_repo.add_dataset(
            session, user.id, name, instrument.symbol, timeframe, bars
        ).id
    return results_repo.save_run(session, user.id, run, bars, name, timeframe, dataset_id)


@router.get("/api/backtests", response_model=PageOut[ResultSummary])
def list_backtests(user: CurrentUser, session: DB, paging: Paging) -> object:
    """The user's saved backtests, newest first."""
    return page_out(
        results_repo.list_results(session, user.id, paging.limit, paging.offset), ResultSummary
    )


@router.get("/api/backtests/{result_id}", response_model=ResultOut)
def get_backtest(result_id: ObjectId, user: CurrentUser, session: DB) -> object:
    """A saved backtest in full."""
    return results_repo.get_result(session, user.id, result_id)


@router.delete("/api/backtests/{result_id}", status_code=204)
def delete_backtest(result_id: ObjectId, user: CurrentUser, session: DB) -> Response:
    """Delete a saved backtest."""
    results_repo.delete_result(session, user.id, result_id)
    return Response(status_code=204)


@router.post("/api/backtests/{result_id}/rerun", status_code=201, response_model=ResultOut)
def rerun_backtest(
    result_id: ObjectId, change: Rerun, user: CurrentUser, session: DB, _slot: Work
) -> object:
    """Run a saved backtest again on the same data with changed parameters or settings."""
    original: BacktestResult = results_repo.get_result(session, user.id, result_id)
    if original.dataset_id is None:
        raise Conflict("the data of this backtest was deleted: upload it again to re-run")
    dataset = datasets_repo.get_dataset(session, user.id, original.dataset_id)
    stored = original.parameters or {}
    chosen = get_strategy(original.strategy_name, {**stored.get("strategy", {}), **change.params})
    execution = execution_settings({**stored.get("execution", {}), **change.settings})
    symbol = stored.get("symbol", dataset.symbol)
    instrument = InstrumentChoice(symbol, **stored.get("instrument", {})).resolve()
    bars = datasets_repo.dataset_bars(dataset)
    pause(session)
    run = run_cpu(backtest, bars, chosen, instrument, execution)
    return results_repo.save_run(
        session, user.id, run, bars, dataset.name, dataset.timeframe, dataset.id
    )
