"""Administration (role ``admin`` only): accounts, the audit log, health. An admin never sees
another user's trading data: accounts are listed by name, email, role and dates, and health
by counts."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, ConfigDict

from tradeloop import __version__
from tradeloop.core.errors import Forbidden
from tradeloop.services import accounts, monitoring
from tradeloop.serving.deps import (
    DB,
    CurrentUser,
    ObjectId,
    Paging,
    State,
    client_address,
)

router = APIRouter(prefix="/api/admin", tags=["admin"])
Role = Literal["user", "admin"]


def admin_user(user: CurrentUser) -> accounts.User:
    """The signed-in user when an administrator; 403 otherwise."""
    if user.role != "admin":
        raise Forbidden("administrators only", key="error.admin_only")
    return user


Admin = Annotated[accounts.User, Depends(admin_user)]


class AccountOut(BaseModel):
    """An account as an administrator sees it: who, not what they trade."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    email: str
    name: str
    role: str
    language: str
    join_date: datetime | None
    two_factor: bool


class AuditOut(BaseModel):
    """One audit event."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    user_id: int | None
    at: datetime
    action: str
    outcome: str
    address: str
    detail: dict[str, Any]


class RoleChange(BaseModel):
    """A new role for an account."""

    model_config = ConfigDict(extra="forbid")

    role: Role


def _account(user: accounts.User) -> AccountOut:
    return AccountOut(
        id=user.id,
        email=user.email,
        name=user.name,
        role=user.role,
        language=user.language,
        join_date=user.join_date,
        two_factor=user.totp_enabled_at is not None,
    )


@router.get("/users")
def list_accounts(admin: Admin, session: DB, paging: Paging) -> dict[str, Any]:
    """Every account, oldest first."""
    page = accounts.list_users(session, paging.limit, paging.offset)
    return {"items": [_account(u) for u in page.items], "total": page.total}


@router.patch("/users/{user_id}", response_model=AccountOut)
def change_role(
    user_id: ObjectId, change: RoleChange, admin: Admin, session: DB, request: Request
) -> AccountOut:
    """Make an account an administrator or a user (never one's own: another admin must)."""
    user = accounts.set_role(session, admin, user_id, change.role, client_address(request))
    return _account(user)


@router.delete("/users/{user_id}", status_code=204)
def delete_account(user_id: ObjectId, admin: Admin, session: DB, request: Request) -> Response:
    """Delete an account and all of its data (not one's own: use the profile for that)."""
    accounts.remove_by_admin(session, admin, user_id, client_address(request))
    return Response(status_code=204)


@router.get("/audit")
def audit_log(
    admin: Admin,
    session: DB,
    paging: Paging,
    user_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    action: Annotated[str | None, Query(max_length=40, pattern=r"^[a-z_]+$")] = None,
    outcome: Annotated[Literal["ok", "failed"] | None, Query()] = None,
) -> dict[str, Any]:
    """Every user's audit events, newest first, by user, action or outcome."""
    page = accounts.audit_events(
        session, paging.limit, paging.offset, user_id=user_id, action=action, outcome=outcome
    )
    return {"items": [AuditOut.model_validate(e) for e in page.items], "total": page.total}


@router.get("/health")
def health(admin: Admin, state: State) -> dict[str, Any]:
    """The install at a glance: version, database, work queue, jobs and bots by state."""
    counts = monitoring.tally(state.database)
    return {
        "version": __version__,
        "database": state.database.reachable(),
        "queue_depth": monitoring.queue_depth(state.work),
        "jobs": counts.jobs,
        "bots": counts.bots,
        "bot_orders": counts.bot_orders,
        "llm_tokens": counts.llm_tokens,
    }
