"""The signed-in user's own account."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from tradeloop.api.schemas import UserOut
from tradeloop.services import accounts, data_export
from tradeloop.services import mentor as mentor_service
from tradeloop.services.database import pause, transaction
from tradeloop.serving.deps import DB, SESSION_COOKIE, CurrentUser, State, client_address

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


@router.get(
    "/export",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/zip": {}}, "description": "the zip file"}},
)
def export_data(request: Request, user: CurrentUser, session: DB, state: State) -> Response:
    """All of the user's data as a zip: one JSON file per kind, trades as CSV, a README.txt
    (notes decrypted, no password hash); noted in the audit log."""
    made = data_export.build_export(session, user, state.settings)
    pause(session)  # read: nothing held while the event is written
    address = client_address(request)
    try:
        with transaction(state.database.sessions) as writer:
            data_export.record_export(writer, user.id, address, "api")
    except BaseException:
        made.file.close()
        raise
    name = data_export.file_name(user)
    return StreamingResponse(
        data_export.chunks(made.file),
        media_type="application/zip",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Content-Length": str(made.size),
            "Cache-Control": "no-store",
        },
    )


@router.post("/password", status_code=204)
def change_password(
    request: Request, change: accounts.PasswordChange, user: CurrentUser, session: DB
) -> Response:
    """Change the password; earlier tokens and sessions stop working."""
    accounts.change_password(session, user, change, client_address(request))
    return Response(status_code=204)


@router.delete("", status_code=204)
def delete_me(
    request: Request, confirm: AccountDeletion, user: CurrentUser, session: DB
) -> Response:
    """Delete the account and all of its data."""
    accounts.delete_account(session, user, confirm.password, client_address(request))
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
