"""Registration, bearer tokens and sign-out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Response

from tradeloop.api.schemas import TokenOut, UserOut
from tradeloop.services import accounts
from tradeloop.serving.deps import DB, SESSION_COOKIE, CurrentUser, State, access_token

router = APIRouter(prefix="/api/auth", tags=["auth"])


@router.post("/register", status_code=201, response_model=UserOut)
def register(data: accounts.Registration, session: DB, state: State) -> object:
    """Create an account (name, email, password of at least 10 characters)."""
    return accounts.register(session, data, state.settings.default_language)


@router.post("/token", response_model=TokenOut)
def token(
    username: Annotated[str, Form(description="the account's email", max_length=320)],
    password: Annotated[str, Form(max_length=1024)],
    session: DB,
    state: State,
) -> TokenOut:
    """OAuth2 password flow: a short-lived bearer token for ``username`` (the email)."""
    user = accounts.authenticate(session, state.limiter, username, password)
    return TokenOut(
        access_token=access_token(state, user),
        expires_in=state.settings.access_token_minutes * 60,
    )


@router.post("/logout", status_code=204)
def logout(user: CurrentUser, session: DB) -> Response:
    """Sign out everywhere: every browser session and bearer token of the user ends."""
    accounts.sign_out_everywhere(session, user)
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
