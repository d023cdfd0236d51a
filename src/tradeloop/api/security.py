"""The signed-in user's account security: two-factor sign-in, sessions and tokens, audit log."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from tradeloop.api.schemas import PageOut, page_of
from tradeloop.services import account_security, two_factor
from tradeloop.services.mentor import cipher_for
from tradeloop.serving.deps import (
    DB,
    CurrentUser,
    ObjectId,
    Paging,
    State,
    client_address,
    code_change,
)

router = APIRouter(prefix="/api/me", tags=["security"])


class TwoFactorStatus(BaseModel):
    """Whether sign-in asks for a code, since when, and the recovery codes left."""

    enabled: bool
    enabled_at: datetime | None
    recovery_codes_left: int


class EnrolmentOut(BaseModel):
    """A secret to put into an authenticator app (typed, or scanned from ``uri``)."""

    secret: str = Field(description="the TOTP secret (base 32)")
    uri: str = Field(description="its otpauth:// URI, as QR codes carry it")


class CodeIn(BaseModel):
    """A 6-digit code from the authenticator app, or an unused recovery code."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=32)


class DisableIn(CodeIn):
    """The password and a code turn two-factor off."""

    password: str = Field(min_length=1, max_length=1024)


class RecoveryCodesOut(BaseModel):
    """New one-time recovery codes: shown this once, stored only as hashes."""

    recovery_codes: list[str]


class SessionOut(BaseModel):
    """A browser session or API token of the user."""

    id: int
    kind: str = Field(description="session (browser) or access (API token)")
    created: datetime
    expires: datetime
    address: str
    agent: str
    current: bool = Field(description="the session or token of this request")


class AuditEventOut(BaseModel):
    """An event of the user's audit log."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    at: datetime
    action: str
    outcome: str
    address: str
    detail: dict[str, Any]


@router.get("/two-factor", response_model=TwoFactorStatus)
def two_factor_status(user: CurrentUser, session: DB) -> object:
    """Whether two-factor sign-in is on."""
    return TwoFactorStatus(
        enabled=two_factor.is_enabled(user),
        enabled_at=user.totp_enabled_at,
        recovery_codes_left=two_factor.recovery_codes_left(session, user),
    )


@router.post("/two-factor", response_model=EnrolmentOut)
def begin_two_factor(user: CurrentUser, session: DB, state: State) -> object:
    """Start setting up two-factor sign-in: a new secret, on once confirmed with a code."""
    enrolment = two_factor.begin(session, user, cipher_for(state.settings))
    return EnrolmentOut(secret=enrolment.secret, uri=enrolment.uri)


@router.post("/two-factor/confirm", response_model=RecoveryCodesOut)
def confirm_two_factor(body: CodeIn, request: Request, user: CurrentUser, session: DB) -> object:
    """Turn two-factor on with a code from the app; answers the 10 recovery codes (once)."""
    event = account_security.TWO_FACTOR_ENABLED
    codes = code_change(request, session, user, event, two_factor.confirm, body.code)
    return RecoveryCodesOut(recovery_codes=codes)


@router.delete("/two-factor", status_code=204)
def disable_two_factor(
    body: DisableIn, request: Request, user: CurrentUser, session: DB
) -> Response:
    """Turn two-factor off (the password and a code are both needed)."""
    event = account_security.TWO_FACTOR_DISABLED
    code_change(request, session, user, event, two_factor.disable, body.password, body.code)
    return Response(status_code=204)


@router.post("/two-factor/recovery-codes", response_model=RecoveryCodesOut)
def renew_recovery_codes(body: CodeIn, request: Request, user: CurrentUser, session: DB) -> object:
    """New recovery codes after a right code; the old ones stop working."""
    event = account_security.RECOVERY_CODES_RENEWED
    codes = code_change(request, session, user, event, two_factor.new_recovery_codes, body.code)
    return RecoveryCodesOut(recovery_codes=codes)


@router.get("/sessions", response_model=PageOut[SessionOut])
def list_sessions(request: Request, user: CurrentUser, session: DB, paging: Paging) -> object:
    """The user's active browser sessions and API tokens, newest first."""
    current = getattr(request.state, "session_id", None)
    page = account_security.active_sessions(
        session, user.id, datetime.now(UTC), paging.limit, paging.offset
    )

    def render(row: Any) -> SessionOut:
        return SessionOut(id=row.id, kind=row.kind, created=row.created_at,
                          expires=row.expires_at, address=row.address, agent=row.agent,
                          current=current is not None and row.token_id == current)  # fmt: skip

    return page_of(page, render)


@router.delete("/sessions/{session_id}", status_code=204)
def revoke_session(
    session_id: ObjectId, request: Request, user: CurrentUser, session: DB
) -> Response:
    """End one session or token now (404 when it is not the user's or already ended)."""
    account_security.revoke_session(session, user.id, session_id, datetime.now(UTC))
    account_security.record(
        session,
        user.id,
        account_security.SESSION_REVOKED,
        client_address(request),
        detail={"session": session_id},
    )
    return Response(status_code=204)


@router.get("/audit", response_model=PageOut[AuditEventOut])
def audit_log(user: CurrentUser, session: DB, paging: Paging) -> object:
    """The user's audit log (sign-ins, failures, security changes …), newest first."""
    page = account_security.events(session, user.id, paging.limit, paging.offset)
    return page_of(page, AuditEventOut.model_validate)
