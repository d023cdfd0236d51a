"""Backtests and datasets as units of work: bars read in a worker process with no transaction
held, the run computed there, then the dataset and the result stored together."""

from __future__ import annotations

from typing import Any

import pandas as pd
from pydantic import ValidationError
from sqlalchemy.orm import Session

from tradeloop.core.dates import DateOrder
from tradeloop.core.errors import Conflict, InvalidInput, NotFound
from tradeloop.execution.settings import ExecutionSettings
from tradeloop.services.runs import (
    InstrumentChoice,
    read_upload,
    run_stored,
    run_upload,
    symbol_from_filename,
)
from tradeloop.services.work import run_cpu
from tradeloop.store.backtests import delete_result, get_result, list_results, save_run
from tradeloop.store.datasets import (
    add_dataset,
    dataset_bars,
    delete_dataset,
    get_dataset,
    list_datasets,
    lock_dataset,
)
from tradeloop.store.db import pause
from tradeloop.store.models import BacktestResult, Dataset
from tradeloop.strategies.base import Strategy, get_strategy

__all__ = [
    "delete_dataset", "delete_result", "execution_settings", "get_dataset", "get_result",
    "get_results", "list_datasets", "list_results", "rerun", "result_bars", "result_strategy",
    "run_and_save", "upload_dataset",
]  # fmt: skip
MAX_COMPARED = 8


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


def upload_dataset(
    session: Session, user_id: int, name: str, data: bytes, symbol: str | None = None,
    tz: str = "UTC", keep: bool = False, date_order: DateOrder = "auto",
) -> Dataset:  # fmt: skip
    """Validate and store bars for later backtests (the symbol from the file name if unset)."""
    pause(session)  # no transaction is held while the file is read
    stored, timeframe, report = run_cpu(read_upload, data, tz, keep, date_order)
    instrument = InstrumentChoice(symbol or symbol_from_filename(name)).resolve()
    return add_dataset(session, user_id, name, instrument.symbol, timeframe, stored, report)


def run_and_save(
    session: Session,
    user_id: int,
    strategy: Strategy,
    execution: ExecutionSettings,
    upload: tuple[str, bytes] | None = None,
    dataset_id: int | None = None,
    symbol: str | None = None,
    tz: str = "UTC",
    keep: bool = False,
    date_order: DateOrder = "auto",
    custom: tuple[float | None, float | None, str | None] = (None, None, None),
) -> BacktestResult:
    """Run ``strategy`` on an uploaded file (``upload``: name and bytes, stored as a dataset
    too) or on a stored dataset, and save the result. ``custom`` describes an instrument the
    registry does not know: contract size, pip size, quote currency. Reading, running and
    preparing what is stored happen in a worker process, with no transaction held."""
    if upload is not None:
        name = upload[0]
        choice = InstrumentChoice(symbol or symbol_from_filename(name), *custom)
        pause(session)
        made = run_cpu(run_upload, upload[1], choice, strategy, execution, tz, keep, date_order)
        dataset_id = add_dataset(
            session,
            user_id,
            name,
            made.symbol,
            made.timeframe,
            made.bars,  # type: ignore[arg-type]
            made.report,
        ).id
    else:
        dataset = get_dataset(session, user_id, dataset_id)  # type: ignore[arg-type]
        name = dataset.name
        choice = InstrumentChoice(symbol or dataset.symbol, *custom)
        pause(session)
        made = run_cpu(run_stored, dataset.data, dataset.timeframe, choice, strategy, execution)
        lock_dataset(session, user_id, dataset.id)
    return save_run(session, user_id, made.columns, name, dataset_id)


def rerun(
    session: Session, user_id: int, result_id: int, params: dict[str, Any],
    settings: dict[str, Any],
) -> BacktestResult:  # fmt: skip
    """Run a saved backtest again on the same data with changed parameters or settings."""
    original = get_result(session, user_id, result_id)
    if original.dataset_id is None:
        raise Conflict("the data of this backtest was deleted: upload it again to re-run")
    dataset = get_dataset(session, user_id, original.dataset_id)
    stored = original.parameters or {}
    chosen = get_strategy(original.strategy_name, {**stored.get("strategy", {}), **params})
    execution = execution_settings({**stored.get("execution", {}), **settings})
    symbol = stored.get("symbol", dataset.symbol)
    choice = InstrumentChoice(symbol, **stored.get("instrument", {}))
    pause(session)
    made = run_cpu(run_stored, dataset.data, dataset.timeframe, choice, chosen, execution)
    lock_dataset(session, user_id, dataset.id)
    return save_run(session, user_id, made.columns, dataset.name, dataset.id)


def result_bars(session: Session, user_id: int, result: BacktestResult) -> pd.DataFrame | None:
    """The bars ``result`` was computed on; None when its dataset was deleted."""
    if result.dataset_id is None:
        return None
    try:
        return dataset_bars(get_dataset(session, user_id, result.dataset_id))
    except NotFound:
        return None


def result_strategy(result: BacktestResult) -> Strategy | None:
    """The strategy of ``result`` with its parameters; None when the library no longer
    accepts them."""
    try:
        return get_strategy(result.strategy_name, (result.parameters or {}).get("strategy", {}))
    except InvalidInput:
        return None


def get_results(session: Session, user_id: int, ids: list[int]) -> list[BacktestResult]:
    """The user's results ``ids`` in that order (each once); NotFound when one is missing or
    someone else's, InvalidInput unless 2 to ``MAX_COMPARED`` runs are named."""
    unique = list(dict.fromkeys(ids))
    if not 2 <= len(unique) <= MAX_COMPARED:
        raise InvalidInput(f"choose 2 to {MAX_COMPARED} backtests to compare", [{"field": "ids"}])
    return [get_result(session, user_id, result_id) for result_id in unique]
