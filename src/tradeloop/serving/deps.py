"""Request dependencies: the database session, the signed-in user, CSRF for cookie sessions."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated

import anyio.to_thread
from fastapi import Depends, Path, Query, Request
from sqlalchemy.orm import Session, sessionmaker

from tradeloop.config import Settings
from tradeloop.core.errors import Forbidden, Unauthorized
from tradeloop.security import (
    ACCESS_KIND,
    SESSION_KIND,
    LoginLimiter,
    csrf_matches,
    issue_token,
    read_token,
    session_stamp,
)
from tradeloop.services.accounts import User, get_user
from tradeloop.services.database import MAX_LIMIT, MAX_OFFSET, Database, pause
from tradeloop.services.jobs import JobRunner
from tradeloop.services.work import Ticket, WorkSlots

SESSION_COOKIE = "tl_session"
CSRF_COOKIE = "tl_csrf"
CSRF_HEADER = "x-csrf-token"
LANG_COOKIE = "tl_lang"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
MAX_ID = 2**31 - 1  # the largest id either database stores
ObjectId = Annotated[int, Path(ge=1, le=MAX_ID, description="the object's id")]


@dataclass
class AppState:
    """What the app keeps for its lifetime."""

    settings: Settings
    database: Database
    sessions: sessionmaker[Session]
    limiter: LoginLimiter
    secret: str
    work: WorkSlots
    jobs: JobRunner


def app_state(request: Request) -> AppState:
    """The app's shared state."""
    return request.app.state.tradeloop


async def db_session(request: Request) -> AsyncIterator[Session]:
    """A session per request: committed when the handler returns, before the answer is sent
    (an acknowledged write is stored), rolled back otherwise. GET requests read without
    taking SQLite's write lock; their quick end runs on the event loop, a write's commit in
    a worker thread."""
    database = app_state(request).database
    reads = request.method in SAFE_METHODS
    session = (database.readers if reads else database.sessions)()
    try:
        yield session
        if reads:
            session.commit()
        else:
            await anyio.to_thread.run_sync(session.commit)
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


DB = Annotated[Session, Depends(db_session, scope="function")]


async def _state(request: Request) -> AppState:
    return app_state(request)  # async: no thread hop for a lookup


State = Annotated[AppState, Depends(_state)]


def user_stamp(user: User) -> str:
    """The stamp a token must carry to stay valid for ``user``."""
    return session_stamp(user.password_hash, user.session_version)


def _user_from_token(session: Session, state: AppState, token: str, kind: str) -> User:
    user_id, stamp = read_token(state.secret, token, kind)
    user = get_user(session, user_id)
    if user is None or stamp != user_stamp(user):
        raise Unauthorized("session no longer valid: sign in again", key="error.session_invalid")
    return user


def _noted(request: Request, user: User) -> User:
    """``user``, noted on the request so that its errors answer in the user's language."""
    request.state.language = user.language
    return user


def optional_user(request: Request, session: DB, state: State) -> User | None:
    """The user of a valid session cookie, or None (pages use this)."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    try:
        return _noted(request, _user_from_token(session, state, token, SESSION_KIND))
    except Unauthorized:
        return None


def _authenticated(request: Request, session: Session, state: AppState) -> User:
    header = request.headers.get("authorization", "")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized(
                "malformed Authorization header: use 'Bearer <token>'", key="error.bad_auth_header"
            )
        return _noted(request, _user_from_token(session, state, token.strip(), ACCESS_KIND))
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        raise Unauthorized(
            "not signed in: send a bearer token from POST /api/auth/token",
            key="error.not_signed_in",
        )
    user = _noted(request, _user_from_token(session, state, cookie, SESSION_KIND))
    if request.method not in SAFE_METHODS and not csrf_matches(
        request.cookies.get(CSRF_COOKIE), request.headers.get(CSRF_HEADER)
    ):
        raise Forbidden(
            "missing or wrong CSRF token: send the X-CSRF-Token header", key="error.csrf_header"
        )
    return user


def current_user(request: Request, session: DB, state: State) -> User:
    """The signed-in user from a bearer token or the session cookie; 401 otherwise.

    A cookie-authenticated request that changes state must carry the CSRF token in the
    ``X-CSRF-Token`` header; bearer tokens are not sent by browsers on their own and need none.
    For a request that writes, the transaction that found the user ends here: no lock is held
    while the request waits (for a worker, say) before it writes.
    """
    user = _authenticated(request, session, state)
    if request.method not in SAFE_METHODS:
        pause(session)
    return user


CurrentUser = Annotated[User, Depends(current_user)]


def session_token(state: AppState, user: User) -> str:
    """A session-cookie token for ``user``."""
    lifetime = timedelta(hours=state.settings.session_hours)
    return issue_token(state.secret, user.id, user_stamp(user), SESSION_KIND, lifetime)


def access_token(state: AppState, user: User) -> str:
    """A short-lived API bearer token for ``user``."""
    lifetime = timedelta(minutes=state.settings.access_token_minutes)
    return issue_token(state.secret, user.id, user_stamp(user), ACCESS_KIND, lifetime)


@dataclass(frozen=True)
class PageParams:
    """``limit`` and ``offset`` of a list request."""

    limit: int
    offset: int


async def page_params(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="rows per page")] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="rows to skip")] = 0,
) -> PageParams:
    """Validated pagination parameters."""
    return PageParams(limit=limit, offset=offset)


Paging = Annotated[PageParams, Depends(page_params)]


@dataclass(frozen=True)
class WorkRequest:
    """Admitted CPU-heavy work: now (holding a worker while the request runs) or, with
    ``background``, as a job that takes the ticket."""

    ticket: Ticket
    background: bool


def work_request(
    user: CurrentUser,
    state: State,
    background: Annotated[
        bool,
        Query(description="true: answer 202 at once with a job to follow at GET /api/jobs/{id}"),
    ] = False,
) -> Iterator[WorkRequest]:
    """Admission for CPU-heavy work (429 with Retry-After when the user or the server is
    full); without ``background``, one of the bounded workers is held until the answer."""
    ticket = state.work.admit(user.id)
    try:
        if background:
            yield WorkRequest(ticket, True)
        else:
            with ticket.running():
                yield WorkRequest(ticket, False)
    finally:
        if not ticket.kept:
            ticket.close()


Work = Annotated[WorkRequest, Depends(work_request, scope="function")]
