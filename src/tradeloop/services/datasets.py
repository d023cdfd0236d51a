"""Datasets as the market data page shows them: the list with stored sizes, one dataset's
report (interval, gaps beyond usual closures, bars dropped at upload) and a candlestick
preview of at most ``CANDLE_LIMIT`` candles. Uploads and deletions are the backtest
service's (one way to store bars)."""

from __future__ import annotations

from pathlib import PurePath
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy.orm import Session

from tradeloop.backtest.chart import CANDLE_LIMIT, candles
from tradeloop.core.errors import InvalidInput
from tradeloop.market.report import REPORT_VERSION, bars_report
from tradeloop.services.backtests import delete_dataset, get_dataset, upload_dataset
from tradeloop.store.datasets import dataset_bars, dataset_sizes, list_datasets
from tradeloop.store.models import Dataset
from tradeloop.store.pagination import Page

__all__ = [
    "CANDLE_LIMIT", "DATA_SUFFIXES", "dataset_page", "delete_dataset", "get_dataset",
    "list_with_sizes", "preview", "report_of", "upload_dataset", "upload_name",
]  # fmt: skip

DATA_SUFFIXES = (".csv", ".txt", ".tsv", ".parquet")


def upload_name(filename: str | None) -> str:
    """The uploaded file's name (no folders); 422 unless it is a bar file's."""
    name = PurePath(filename or "upload.csv").name
    if PurePath(name).suffix.lower() not in DATA_SUFFIXES:
        raise InvalidInput(
            f"{name!r}: upload a CSV or Parquet file (.csv, .txt, .tsv, .parquet)",
            [{"field": "file"}],
        )
    return name


def list_with_sizes(
    session: Session, user_id: int, limit: int, offset: int
) -> tuple[Page[Dataset], dict[int, int]]:
    """A page of the user's datasets (newest first) and each one's stored size in bytes."""
    page = list_datasets(session, user_id, limit, offset)
    return page, dataset_sizes(session, user_id, [d.id for d in page.items])


def report_of(dataset: Dataset, bars: pd.DataFrame | None = None) -> dict[str, Any]:
    """The dataset's stored report; for data stored before reports were kept, one computed
    from its bars now, whose dropped bars are unknown (``None``)."""
    if dataset.report and dataset.report.get("version") == REPORT_VERSION:
        return dataset.report
    bars = dataset_bars(dataset) if bars is None else bars
    return bars_report(bars, dataset.timeframe, None)


def preview(bars: pd.DataFrame, zone: str, limit: int = CANDLE_LIMIT) -> dict[str, Any]:
    """Candles for the chart, at most ``limit`` (coarser candles for long series): times as
    wall-clock text in ``zone``, prices, the interval shown and the bars' own."""
    made = candles(bars, limit)
    starts = pd.to_datetime(np.asarray(made["start"], dtype=np.int64), unit="s", utc=True)
    return {
        "time": list(starts.tz_convert(zone).strftime("%Y-%m-%d %H:%M")),
        "open": made["open"].tolist(),
        "high": made["high"].tolist(),
        "low": made["low"].tolist(),
        "close": made["close"].tolist(),
        "interval": made["interval"],
        "bars_interval": made["bars_interval"],
        "resampled": bool(made["resampled"]),
        "candles": len(starts),
    }


def dataset_page(
    session: Session, user_id: int, dataset_id: int, zone: str
) -> tuple[Dataset, int, dict[str, Any], dict[str, Any]]:
    """What the dataset's page shows: the dataset, its stored size, its report and the
    preview candles in ``zone``; 404 when it is missing or someone else's."""
    dataset = get_dataset(session, user_id, dataset_id)
    bars = dataset_bars(dataset)
    return dataset, len(dataset.data), report_of(dataset, bars), preview(bars, zone)
