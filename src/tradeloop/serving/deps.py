"""Request dependencies: the database session, the signed-in user, CSRF for cookie sessions."""

from __future__ import annotations

import ipaddress
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Annotated, Any, TypeVar

import anyio.to_thread
from fastapi import Depends, Path, Query, Request
from sqlalchemy.orm import Session, sessionmaker

from tradeloop.config import Settings
from tradeloop.core.errors import Forbidden, Unauthorized
from tradeloop.security import (
    ACCESS_KIND,
    DEVICE_KIND,
    SESSION_KIND,
    csrf_matches,
    issue_token,
    read_claims,
    session_csrf_token,
    session_stamp,
)
from tradeloop.services import two_factor
from tradeloop.services.accounts import User, get_user, open_session, session_active
from tradeloop.services.database import MAX_LIMIT, MAX_OFFSET, Database, pause
from tradeloop.services.jobs import JobRunner
from tradeloop.services.limits import Limits, Rule, limit_key
from tradeloop.services.mentor import cipher_for
from tradeloop.services.work import Ticket, WorkSlots

SESSION_COOKIE = "tl_session"
DEVICE_COOKIE = "tl_device"
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
    limits: Limits
    secret: str
    work: WorkSlots
    jobs: JobRunner
    proxies: tuple[Any, ...] = field(default=())  # trusted reverse proxies' networks

    def __post_init__(self) -> None:
        self.proxies = tuple(
            ipaddress.ip_network(item, strict=False) for item in self.settings.trusted_proxies
        )


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


def _parse_address(text: str) -> Any:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def client_address(request: Request) -> str:
    """The client's address: the connection's, or, when the connection comes from a trusted
    proxy (``TRADELOOP_TRUSTED_PROXIES``), the last X-Forwarded-For entry that is not one."""
    peer = request.client.host if request.client else ""
    proxies = app_state(request).proxies
    address = _parse_address(peer)
    if not proxies or address is None or not any(address in net for net in proxies):
        return peer
    forwarded = ",".join(request.headers.getlist("x-forwarded-for")).split(",")
    for entry in reversed(forwarded):
        hop = _parse_address(entry)
        if hop is None:
            break  # a malformed entry: trust nothing before it
        if not any(hop in net for net in proxies):
            return str(hop)
    return peer


def _user_from_token(
    request: Request, session: Session, state: AppState, token: str, kind: str
) -> User:
    claims = read_claims(state.secret, token, kind)
    user = get_user(session, int(claims["sub"]))
    sid = str(claims.get("sid", ""))
    if (
        user is None
        or claims.get("pwd") != user_stamp(user)
        or not sid
        or not session_active(session, user.id, sid)
    ):
        raise Unauthorized("session no longer valid: sign in again", key="error.session_invalid")
    request.state.session_id = sid
    request.state.session_kind = kind
    return user


def _noted(request: Request, user: User) -> User:
    """``user``, noted on the request so that its errors answer in the user's language."""
    request.state.language = user.language
    return user


def expected_csrf(request: Request) -> str | None:
    """The CSRF token a signed-in browser session must send (bound to the session), or None
    before sign-in (then the cookie's random token is checked)."""
    if getattr(request.state, "session_kind", None) != SESSION_KIND:
        return None
    return session_csrf_token(app_state(request).secret, request.state.session_id)


def csrf_ok(request: Request, submitted: str | None) -> bool:
    """Whether ``submitted`` matches the CSRF cookie and, once signed in, the session."""
    cookie = request.cookies.get(CSRF_COOKIE)
    bound = expected_csrf(request)
    if bound is not None and not csrf_matches(bound, cookie):
        return False
    return csrf_matches(cookie, submitted)


def optional_user(request: Request, session: DB, state: State) -> User | None:
    """The user of a valid session cookie, or None (pages use this)."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    try:
        return _noted(request, _user_from_token(request, session, state, token, SESSION_KIND))
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
        return _noted(
            request, _user_from_token(request, session, state, token.strip(), ACCESS_KIND)
        )
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        raise Unauthorized(
            "not signed in: send a bearer token from POST /api/auth/token",
            key="error.not_signed_in",
        )
    user = _noted(request, _user_from_token(request, session, state, cookie, SESSION_KIND))
    submitted = request.headers.get(CSRF_HEADER)
    if request.method not in SAFE_METHODS and not csrf_ok(request, submitted):
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


def _agent(request: Request) -> str:
    return request.headers.get("user-agent", "")


def session_token(request: Request, session: Session, state: AppState, user: User) -> str:
    """A session-cookie token for ``user``, recorded as one of their sessions; noted on the
    request (its CSRF token is bound to it)."""
    lifetime = timedelta(hours=state.settings.session_hours)
    sid = open_session(session, user, "browser", lifetime, client_address(request), _agent(request))
    request.state.session_id, request.state.session_kind = sid, SESSION_KIND
    return issue_token(state.secret, user.id, user_stamp(user), SESSION_KIND, lifetime, sid)


def access_token(request: Request, session: Session, state: AppState, user: User) -> str:
    """A short-lived API bearer token for ``user``, recorded as one of their tokens."""
    lifetime = timedelta(minutes=state.settings.access_token_minutes)
    sid = open_session(session, user, "token", lifetime, client_address(request), _agent(request))
    return issue_token(state.secret, user.id, user_stamp(user), ACCESS_KIND, lifetime, sid)


def device_token(state: AppState, user: User, device_id: str) -> str:
    """The long-lived device cookie of a browser that signed in as ``user``."""
    lifetime = timedelta(days=state.settings.device_days)
    return issue_token(state.secret, user.id, "", DEVICE_KIND, lifetime, device_id)


def device_of(request: Request) -> tuple[int | None, str]:
    """The account and id the request's device cookie names, or ``(None, "")``."""
    token = request.cookies.get(DEVICE_COOKIE)
    if not token:
        return None, ""
    try:
        claims = read_claims(app_state(request).secret, token, DEVICE_KIND)
    except Unauthorized:
        return None, ""
    return int(claims["sub"]), str(claims.get("sid", ""))


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


LIMIT_MESSAGE = "too many {action} from here: try again in {seconds} s"


def enforce_limit(
    request: Request, action: str, user_id: int | None = None, session: Session | None = None
) -> None:
    """Count one ``action`` (``registrations``, ``uploads``, ``backtests``, ``chat``) for the
    client's address and, when given, the user: 429 with Retry-After past either hourly limit
    (``TRADELOOP_LIMIT_<ACTION>_PER_HOUR``; an address may do ``LIMIT_ADDRESS_FACTOR`` times
    a user's, except registrations, counted per address only)."""
    if session is not None:  # the request's transaction ends first (SQLite: one writer)
        pause(session)
    state = app_state(request)
    per_hour = getattr(state.settings, f"limit_{action}_per_hour")
    factor = 1 if user_id is None else state.settings.limit_address_factor
    checks = [(Rule(action, per_hour * factor, 3600.0), "address", client_address(request))]
    if user_id is not None:
        checks.append((Rule(action, per_hour, 3600.0), "user", str(user_id)))
    for rule, who, value in checks:
        message = LIMIT_MESSAGE.replace("{action}", action)
        state.limits.check(limit_key(rule, who, value), rule, message, f"error.limit_{action}")


def limited(action: str) -> Any:
    """A route dependency counting ``action`` for the signed-in user and their address."""

    def dependency(request: Request, user: CurrentUser) -> None:
        enforce_limit(request, action, user.id)

    return Depends(dependency)


T = TypeVar("T")


def code_change(
    request: Request, session: Session, user: User, event: str,
    change: Callable[..., T], *codes: str,
) -> T:  # fmt: skip
    """A two-factor change that checks a code (``two_factor.confirm``, ``disable``,
    ``new_recovery_codes``), counted against the user's code attempts and audited as
    ``event`` from the client's address."""
    state = app_state(request)
    return two_factor.limited_change(
        session, state.limits, cipher_for(state.settings), user, change, *codes,
        event=event, address=client_address(request),
    )  # fmt: skip
