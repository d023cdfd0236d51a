"""The trading accounts page: the user's accounts (paper, crypto exchanges through ccxt,
MetaTrader 5) with their mode, key hint and guards, a form to add one, and delete. Keys are
taken only with two-factor sign-in on and are never put back into a page."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from tradeloop.core.errors import UserError
from tradeloop.services import trading_accounts, two_factor
from tradeloop.services.accounts import User
from tradeloop.services.mentor import cipher_for
from tradeloop.serving.deps import DB, ObjectId, Paging, State, client_address
from tradeloop.serving.errors import error_text, validation_messages
from tradeloop.web.access import FormUser, MaybeUser, require_user
from tradeloop.web.render import redirect, render, request_language

router = APIRouter(include_in_schema=False)
# offered in the form's exchange list; any exchange id ccxt speaks is taken
POPULAR_EXCHANGES = ("binance", "binanceusdm", "bybit", "okx", "kraken", "bitget", "kucoin",
                     "gateio", "indodax", "tokocrypto")  # fmt: skip
SECRET_FIELDS = ("api_key", "api_secret", "api_password", "mt5_password")


def _page(
    request: Request, session: Session, user: User, paging: Any = None, status: int = 200,
    errors: list[str] | None = None, form: dict[str, str] | None = None,
    tested: tuple[str, trading_accounts.ConnectionReport] | None = None,
) -> Response:  # fmt: skip
    limit, offset = (paging.limit, paging.offset) if paging is not None else (50, 0)
    page = trading_accounts.list_accounts(session, user, limit, offset)
    shown = {k: v for k, v in (form or {}).items() if k not in SECRET_FIELDS}  # never echoed
    return render(request, "accounts.html", user, status, page=page,
                  rows=[trading_accounts.account_record(a) for a in page.items],
                  two_factor_on=two_factor.is_enabled(user), exchanges=POPULAR_EXCHANGES,
                  errors=errors or [], form=shown, tested=tested)  # fmt: skip


@router.get("/accounts")
def accounts_page(request: Request, session: DB, user: MaybeUser, paging: Paging) -> Response:
    """The user's trading accounts and a form for a new one."""
    return _page(request, session, require_user(user), paging)


@router.post("/accounts")
async def add_account(request: Request, session: DB, state: State, user: FormUser) -> Response:
    """Add an account from the form (fields left empty are not given)."""
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    fields = {k: v.strip() if k not in SECRET_FIELDS else v for k, v in form.items()
              if k != "csrf_token" and v.strip() != ""}  # fmt: skip
    language = request_language(request, user)
    try:
        spec = trading_accounts.AccountSpec.model_validate(fields, strict=False)
        trading_accounts.add_account(
            session, user, cipher_for(state.settings), spec, client_address(request)
        )
    except ValidationError as exc:
        errors = validation_messages(language, exc.errors())
        return _page(request, session, user, status=422, errors=errors, form=form)
    except UserError as exc:
        session.rollback()
        errors = [error_text(language, exc)]
        return _page(request, session, user, status=exc.status, errors=errors, form=form)
    return redirect("/accounts", "accounts.added")


@router.post("/accounts/{account_id}/test")
def test_account(
    request: Request, account_id: ObjectId, session: DB, state: State, user: FormUser
) -> Response:
    """Reach the account's broker and show what was found above the list."""
    report = trading_accounts.test_connection(
        session, user, cipher_for(state.settings), state.settings, account_id,
        client_address(request),
    )  # fmt: skip
    name = trading_accounts.require_account(session, user.id, account_id).name
    return _page(request, session, user, tested=(name, report))


@router.post("/accounts/{account_id}/delete")
def delete_account(request: Request, account_id: ObjectId, session: DB, user: FormUser) -> Response:
    """Delete an account and its keys."""
    trading_accounts.delete_account(session, user, account_id, client_address(request))
    return redirect("/accounts", "accounts.deleted")
