"""A user's trading accounts (paper, ccxt exchanges, MetaTrader 5); every function takes the
user, so another user's account is never found."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from tradeloop.store.models import TradingAccount
from tradeloop.store.pagination import Page, paginate


def list_accounts(session: Session, user_id: int, limit: int, offset: int) -> Page[TradingAccount]:
    """The user's accounts by name."""
    query = (
        select(TradingAccount)
        .where(TradingAccount.user_id == user_id)
        .order_by(TradingAccount.name, TradingAccount.id)
    )
    return paginate(session, query, limit, offset)


def all_of(session: Session, user_id: int) -> list[TradingAccount]:
    """Every account of the user, by name."""
    return list(session.scalars(
        select(TradingAccount).where(TradingAccount.user_id == user_id)
        .order_by(TradingAccount.name)))  # fmt: skip


def get(session: Session, user_id: int, account_id: int) -> TradingAccount | None:
    """The user's account ``account_id``, if it is theirs."""
    return session.scalar(
        select(TradingAccount).where(
            TradingAccount.user_id == user_id, TradingAccount.id == account_id
        )
    )


def named(session: Session, user_id: int, name: str) -> TradingAccount | None:
    """The user's account called ``name`` (names are unique per user, case kept)."""
    return session.scalar(
        select(TradingAccount).where(TradingAccount.user_id == user_id, TradingAccount.name == name)
    )


def add(session: Session, account: TradingAccount) -> TradingAccount:
    """Store a new account and return it with its id."""
    session.add(account)
    session.flush()
    return account


def remove(session: Session, account: TradingAccount) -> None:
    """Delete the account (its sealed credentials with it)."""
    session.delete(account)
    session.flush()
