"""Stored optimisation runs and their finished combinations, always per user."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, defer

from tradeloop.store.jobs import now
from tradeloop.store.models import OptimisationRow, OptimisationRun
from tradeloop.store.owned import owned_row
from tradeloop.store.pagination import Page, paginate


def add_run(
    session: Session, user_id: int, dataset_id: int, strategy: str, request: dict[str, Any],
    total: int | None,
) -> OptimisationRun:  # fmt: skip
    """A new queued run of the user's."""
    run = OptimisationRun(
        user_id=user_id, dataset_id=dataset_id, strategy=strategy, request=request,
        status="queued", total=total, created_at=now(),
    )  # fmt: skip
    session.add(run)
    session.flush()
    return run


def get_run(session: Session, user_id: int, run_id: int) -> OptimisationRun:
    """The user's run; NotFound when missing or someone else's."""
    return owned_row(session, OptimisationRun, user_id, run_id, "optimisation")


def list_runs(session: Session, user_id: int, limit: int, offset: int) -> Page[OptimisationRun]:
    """The user's runs, newest first."""
    query = (
        select(OptimisationRun)
        .where(OptimisationRun.user_id == user_id)
        .order_by(OptimisationRun.id.desc())
    )
    return paginate(session, query, limit, offset)


def row_counts(session: Session, user_id: int, run_ids: list[int]) -> dict[int, int]:
    """How many combinations of each of the user's runs ``run_ids`` finished."""
    if not run_ids:
        return {}
    found = session.execute(
        select(OptimisationRow.run_id, func.count())
        .where(OptimisationRow.user_id == user_id, OptimisationRow.run_id.in_(run_ids))
        .group_by(OptimisationRow.run_id)
    )
    return {run_id: int(count) for run_id, count in found}


def _rows(user_id: int, run_id: int, with_daily: bool) -> Any:
    query = select(OptimisationRow).where(
        OptimisationRow.user_id == user_id, OptimisationRow.run_id == run_id
    )
    return query if with_daily else query.options(defer(OptimisationRow.daily))


def list_rows(
    session: Session, user_id: int, run_id: int, with_daily: bool = False
) -> list[OptimisationRow]:
    """The finished combinations of the user's run, by index; their daily returns (large:
    only a resumed run needs them) read with ``with_daily``."""
    query = _rows(user_id, run_id, with_daily).order_by(OptimisationRow.combo_index)
    return list(session.scalars(query))


def get_row(session: Session, user_id: int, run_id: int, index: int) -> OptimisationRow | None:
    """The finished combination ``index`` of the user's run, or None."""
    query = _rows(user_id, run_id, False).where(OptimisationRow.combo_index == index)
    return session.scalar(query)


def stored_indexes(session: Session, user_id: int, run_id: int) -> set[int]:
    """The indexes of the run's combinations already stored."""
    return set(
        session.scalars(
            select(OptimisationRow.combo_index).where(
                OptimisationRow.user_id == user_id, OptimisationRow.run_id == run_id
            )
        )
    )


def add_rows(session: Session, user_id: int, run_id: int, rows: list[dict[str, Any]]) -> None:
    """Store finished combinations (``combo_index``, ``params``, ``settings``, ``stats``,
    ``skipped``, ``daily``) of the user's run."""
    session.add_all(OptimisationRow(user_id=user_id, run_id=run_id, **row) for row in rows)
    session.flush()


def name_rows(
    session: Session, user_id: int, run_id: int, named: dict[int, tuple[dict, dict]]
) -> None:
    """Fill in the parameters and settings of stored rows that were stored without them."""
    for row in list_rows(session, user_id, run_id):
        if row.params is None and row.combo_index in named:
            row.params, row.settings = named[row.combo_index]


def delete_run(session: Session, user_id: int, run_id: int) -> None:
    """Delete the user's run and its rows."""
    run = get_run(session, user_id, run_id)
    session.execute(
        delete(OptimisationRow).where(
            OptimisationRow.user_id == user_id, OptimisationRow.run_id == run.id
        )
    )
    session.delete(run)
