"""Registration, bearer tokens and sign-out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response

from tradeloop.api.schemas import TokenOut, UserOut
from tradeloop.core.errors import Unauthorized
from tradeloop.services import accounts, two_factor
from tradeloop.services.database import pause
from tradeloop.services.mentor import cipher_for
from tradeloop.serving import observability
from tradeloop.serving.deps import (
    DB,
    SESSION_COOKIE,
    CurrentUser,
    State,
    access_token,
    client_address,
    device_of,
    enforce_limit,
)

router = APIRouter(prefix="/api/auth", tags=["auth"])


@router.post("/register", status_code=201, response_model=UserOut)
def register(request: Request, data: accounts.Registration, session: DB, state: State) -> object:
    """Create an account (name, email, password of at least 10 characters); a client address
    may create ``TRADELOOP_LIMIT_REGISTRATIONS_PER_HOUR`` an hour (429 after)."""
    enforce_limit(request, "registrations")
    address = client_address(request)
    return accounts.register(session, data, state.settings.default_language, address)


@router.post("/token", response_model=TokenOut)
def token(
    request: Request,
    username: Annotated[str, Form(description="the account's email", max_length=320)],
    password: Annotated[str, Form(max_length=1024)],
    session: DB,
    state: State,
    otp: Annotated[
        str,
        Form(
            max_length=32,
            description="the authenticator's 6-digit code or a recovery code, when two-factor "
            "sign-in is on",
        ),
    ] = "",
) -> TokenOut:
    """OAuth2 password flow: a short-lived bearer token for ``username`` (the email).
    Failures slow down progressively per account and per address (429 with Retry-After); a
    client that sends the device cookie of an earlier browser sign-in is counted apart."""
    device_user, device_id = device_of(request)
    address = client_address(request)
    attempt = accounts.SignIn(username, password, address, device_user, device_id)
    try:
        user = accounts.authenticate(session, state.limits, state.settings, attempt)
    except Unauthorized:
        observability.count_sign_in_failure()
        raise
    if two_factor.is_enabled(user):
        pause(session)  # the code's limit counts in a transaction of its own
        two_factor.count_attempt(state.limits, user.id)
        if not two_factor.check(session, user, cipher_for(state.settings), otp):
            pause(session)
            if otp:
                accounts.record_apart(state.limits, user.id, "two_factor_failed", "failed", address)
            raise Unauthorized(
                "two-factor sign-in is on: send the authenticator's code as 'otp'",
                key="error.two_factor_needed",
            )
        pause(session)
        two_factor.attempt_passed(state.limits, user.id)
    return TokenOut(
        access_token=access_token(request, session, state, user),
        expires_in=state.settings.access_token_minutes * 60,
    )


@router.post("/logout", status_code=204)
def logout(request: Request, user: CurrentUser, session: DB) -> Response:
    """Sign out everywhere: every browser session and bearer token of the user ends."""
    accounts.sign_out_everywhere(session, user, client_address(request))
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
