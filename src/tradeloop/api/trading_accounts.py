"""The user's trading accounts: paper, crypto exchanges through ccxt, MetaTrader 5. Keys go
in and never come out: answers show the key's last 4 characters only."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel

from tradeloop.api.schemas import PageOut, page_of
from tradeloop.services import trading_accounts as service
from tradeloop.services.mentor import cipher_for
from tradeloop.serving.deps import DB, CurrentUser, ObjectId, Paging, State, client_address

router = APIRouter(prefix="/api/accounts", tags=["accounts"])


class AccountOut(BaseModel):
    """A trading account, without its credentials."""

    id: int
    name: str
    kind: str
    exchange: str | None
    market_type: str
    mode: str | None
    has_credentials: bool
    key_hint: str
    mt5_login: str | None
    mt5_server: str | None
    max_order_size: float | None
    max_open_positions: int | None
    max_daily_loss: float | None
    created_at: datetime
    updated_at: datetime


class ExchangeOut(BaseModel):
    """An exchange ccxt speaks."""

    id: str
    name: str
    sandbox: bool
    futures: bool
    futures_sandbox: bool
    needs_password: bool


def _out(account: object) -> AccountOut:
    return AccountOut(**service.account_record(account))  # type: ignore[arg-type]


@router.get("", response_model=PageOut[AccountOut])
def list_accounts(user: CurrentUser, session: DB, paging: Paging) -> object:
    """The user's accounts by name."""
    return page_of(service.list_accounts(session, user, paging.limit, paging.offset), _out)


@router.get("/exchanges/{exchange_id}", response_model=ExchangeOut)
def exchange(exchange_id: str, user: CurrentUser) -> object:
    """What ccxt knows of an exchange: testnet, futures, a passphrase needed."""
    return ExchangeOut(**service.exchange_facts(exchange_id).__dict__)


@router.post("", response_model=AccountOut, status_code=201)
def add_account(
    body: service.AccountSpec, request: Request, user: CurrentUser, session: DB, state: State
) -> object:
    """Add an account; keys need two-factor sign-in on and are sealed at once."""
    cipher = cipher_for(state.settings)
    return _out(service.add_account(session, user, cipher, body, client_address(request)))


@router.get("/{account_id}", response_model=AccountOut)
def get_account(account_id: ObjectId, user: CurrentUser, session: DB) -> object:
    """One of the user's accounts."""
    return _out(service.require_account(session, user.id, account_id))


@router.patch("/{account_id}", response_model=AccountOut)
def change_account(
    account_id: ObjectId, body: service.AccountChange, request: Request, user: CurrentUser,
    session: DB, state: State,
) -> object:  # fmt: skip
    """Rename the account, change its mode or its guards (testnet or live: with its keys
    and two-factor sign-in on)."""
    cipher, address = cipher_for(state.settings), client_address(request)
    return _out(service.change_account(session, user, cipher, account_id, body, address))


@router.put("/{account_id}/credentials", response_model=AccountOut)
def replace_credentials(
    account_id: ObjectId, body: service.Credentials, request: Request, user: CurrentUser,
    session: DB, state: State,
) -> object:  # fmt: skip
    """New API keys (or MT5 password) for the account; the old ones are gone."""
    cipher, address = cipher_for(state.settings), client_address(request)
    return _out(service.replace_credentials(session, user, cipher, account_id, body, address))


@router.post("/{account_id}/test", response_model=service.ConnectionReport)
def test_connection(
    account_id: ObjectId, request: Request, user: CurrentUser, session: DB, state: State
) -> object:
    """Reach the account's broker: balances, and whether its key may trade and withdraw (a
    key that may withdraw is refused)."""
    cipher, address = cipher_for(state.settings), client_address(request)
    return service.test_connection(session, user, cipher, state.settings, account_id, address)


@router.delete("/{account_id}", status_code=204)
def delete_account(
    account_id: ObjectId, request: Request, user: CurrentUser, session: DB
) -> Response:
    """Delete the account and its credentials."""
    service.delete_account(session, user, account_id, client_address(request))
    return Response(status_code=204)
