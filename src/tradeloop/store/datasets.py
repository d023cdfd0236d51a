"""Stored OHLC datasets, owned by a user and kept as Parquet."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, defer

from tradeloop.core.errors import NotFound
from tradeloop.market.readers import StoredBars, read_bars
from tradeloop.store.models import Dataset
from tradeloop.store.pagination import Page, paginate


def add_dataset(
    session: Session, user_id: int, name: str, symbol: str, timeframe: str, stored: StoredBars
) -> Dataset:
    """Store the bars for the user; the same bars stored twice are one dataset."""
    digest = stored.sha256
    existing = session.scalar(
        select(Dataset)
        .where(Dataset.user_id == user_id, Dataset.sha256 == digest)
        .with_for_update()  # not deleted before this transaction ends
    )
    if existing is not None:
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
            f"dataset {dataset_id} was deleted while the backtest ran: nothing was saved"
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


def get_dataset(session: Session, user_id: int, dataset_id: int) -> Dataset:
    """The user's dataset; NotFound when missing or someone else's."""
    dataset = session.scalar(
        select(Dataset).where(Dataset.id == dataset_id, Dataset.user_id == user_id)
    )
    if dataset is None:
        raise NotFound(f"dataset {dataset_id} not found")
    return dataset


def dataset_bars(dataset: Dataset) -> pd.DataFrame:
    """The dataset's bar frame."""
    return read_bars(dataset.data)


def delete_dataset(session: Session, user_id: int, dataset_id: int) -> None:
    """Delete the dataset; results computed from it keep their figures."""
    session.delete(get_dataset(session, user_id, dataset_id))
    session.flush()
