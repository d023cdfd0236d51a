"""Stored OHLC datasets, owned by a user and kept as Parquet."""

from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, defer

from tradeloop.core.errors import NotFound
from tradeloop.market.readers import StoredBars, read_bars
from tradeloop.store.models import Dataset
from tradeloop.store.pagination import Page, paginate


def add_dataset(
    session: Session, user_id: int, name: str, symbol: str, timeframe: str, stored: StoredBars,
    report: dict[str, Any] | None = None,
) -> Dataset:  # fmt: skip
    """Store the bars for the user with their ``report`` (interval, gaps, dropped bars); the
    same bars stored twice are one dataset (which gains the report if it had none)."""
    digest = stored.sha256
    existing = session.scalar(
        select(Dataset)
        .where(Dataset.user_id == user_id, Dataset.sha256 == digest)
        .with_for_update()  # not deleted before this transaction ends
    )
    if existing is not None:
        if report and not existing.report:  # stored before reports were kept
            existing.report = report
        return existing
    dataset = Dataset(
        user_id=user_id,
        name=name[:200],
        symbol=symbol,
        timeframe=timeframe,
        bars=stored.bars,
        start_time=stored.start_time,
        end_time=stored.end_time,
        sha256=digest,
        data=stored.data,
        report=report or {},
    )
    try:
        with session.begin_nested():  # the same bars stored at this moment by another request
            session.add(dataset)
            session.flush()
    except IntegrityError:
        existing = session.scalar(
            select(Dataset).where(Dataset.user_id == user_id, Dataset.sha256 == digest)
        )
        if existing is None:
            raise
        return existing
    return dataset


def lock_dataset(session: Session, user_id: int, dataset_id: int) -> None:
    """Keep the user's dataset until this transaction ends (a concurrent delete waits); 404
    when it was deleted meanwhile, for instance while a backtest of it ran."""
    found = session.scalar(
        select(Dataset.id)
        .where(Dataset.id == dataset_id, Dataset.user_id == user_id)
        .with_for_update()
    )
    if found is None:
        raise NotFound(
            f"dataset {dataset_id} was deleted while the backtest ran: nothing was saved",
            key="datasets.error.deleted_during_backtest",
            values={"dataset_id": dataset_id},
        )


def list_datasets(session: Session, user_id: int, limit: int, offset: int) -> Page[Dataset]:
    """The user's datasets, newest first, without their data."""
    query = (
        select(Dataset)
        .options(defer(Dataset.data))
        .where(Dataset.user_id == user_id)
        .order_by(Dataset.id.desc())
    )
    return paginate(session, query, limit, offset)


def dataset_sizes(session: Session, user_id: int, ids: list[int]) -> dict[int, int]:
    """The stored size in bytes of each of the user's datasets ``ids``."""
    if not ids:
        return {}
    rows = session.execute(
        select(Dataset.id, func.length(Dataset.data)).where(
            Dataset.user_id == user_id, Dataset.id.in_(ids)
        )
    )
    return {dataset_id: int(size or 0) for dataset_id, size in rows}


def get_dataset(session: Session, user_id: int, dataset_id: int) -> Dataset:
    """The user's dataset; NotFound when missing or someone else's."""
    dataset = session.scalar(
        select(Dataset).where(Dataset.id == dataset_id, Dataset.user_id == user_id)
    )
    if dataset is None:
        raise NotFound(
            f"dataset {dataset_id} not found",
            key="datasets.error.not_found",
            values={"dataset_id": dataset_id},
        )
    return dataset


def dataset_bars(dataset: Dataset) -> pd.DataFrame:
    """The dataset's bar frame."""
    return read_bars(dataset.data)


def delete_dataset(session: Session, user_id: int, dataset_id: int) -> None:
    """Delete the dataset; results computed from it keep their figures."""
    session.delete(get_dataset(session, user_id, dataset_id))
    session.flush()
