"""The signed-in user's own account."""

from __future__ import annotations

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from tradeloop.api.schemas import UserOut
from tradeloop.services import accounts
from tradeloop.services import mentor as mentor_service
from tradeloop.serving.deps import DB, SESSION_COOKIE, CurrentUser

router = APIRouter(prefix="/api/me", tags=["profile"])


class AccountDeletion(BaseModel):
    """The password confirms the deletion."""

    password: str = Field(min_length=1, max_length=1024)


@router.get("", response_model=UserOut)
def me(user: CurrentUser) -> object:
    """The signed-in user's profile."""
    return user


@router.patch("", response_model=UserOut)
def update_me(change: accounts.ProfileUpdate, user: CurrentUser, session: DB) -> object:
    """Change name, language or time zone (sessions then follow the new local days)."""
    zone = user.timezone
    accounts.update_profile(session, user, change)
    if user.timezone != zone:
        mentor_service.sync_sessions(session, user)
    return user


@router.post("/password", status_code=204)
def change_password(change: accounts.PasswordChange, user: CurrentUser, session: DB) -> Response:
    """Change the password; earlier tokens and sessions stop working."""
    accounts.change_password(session, user, change)
    return Response(status_code=204)


@router.delete("", status_code=204)
def delete_me(confirm: AccountDeletion, user: CurrentUser, session: DB) -> Response:
    """Delete the account and all of its data."""
    accounts.delete_account(session, user, confirm.password)
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
