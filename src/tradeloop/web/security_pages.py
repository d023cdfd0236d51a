"""The security page (two-factor sign-in, active sessions, the audit log) and the sign-in's
second step: the code asked for after a right password when two-factor sign-in is on."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from tradeloop.core.errors import Unauthorized, UserError
from tradeloop.i18n import catalogue
from tradeloop.services import account_security, accounts, two_factor
from tradeloop.services.accounts import User
from tradeloop.services.database import pause
from tradeloop.services.mentor import cipher_for
from tradeloop.serving.deps import (
    DB,
    ObjectId,
    Paging,
    State,
    client_address,
    code_change,
    user_stamp,
)
from tradeloop.serving.errors import error_text
from tradeloop.web import pages
from tradeloop.web.access import CheckedForm, FormText, FormUser, MaybeUser, require_user
from tradeloop.web.render import redirect, render, request_language, safe_next, with_retry_after

router = APIRouter(include_in_schema=False)

SESSIONS_SHOWN = 100  # active sessions listed (the newest)
AUDIT_PAGE = 20  # audit events per page
# what a redirect back to the page says happened (``?done=``)
DONE = {
    "revoked": "security.session_revoked",
    "off": "security.two_factor_turned_off",
    "cancelled": "security.setup_cancelled",
}


def labeller(language: str, prefix: str) -> Callable[[str], str]:
    """The catalogue's label of a stored code (``prefix`` + code), else the code itself (an
    action recorded by a newer version, say)."""
    messages = catalogue(language)
    return lambda code: messages.get(f"{prefix}{code}", code)


def _security(
    request: Request,
    session: Session,
    user: User,
    status: int = 200,
    errors: list[str] | None = None,
    codes: list[str] | None = None,
    limit: int = AUDIT_PAGE,
    offset: int = 0,
) -> Response:
    settings = request.app.state.tradeloop.settings
    language = request_language(request, user)
    now = datetime.now(UTC)
    enrolment = two_factor.pending(user, cipher_for(settings))
    done = DONE.get(request.query_params.get("done", ""))
    values = {
        "enabled": two_factor.is_enabled(user),
        "enrolment": enrolment,
        "qr": enrolment.qr_svg() if enrolment else None,
        "codes": codes or [],
        "codes_left": two_factor.recovery_codes_left(session, user),
        "sessions": account_security.active_sessions(session, user.id, now, SESSIONS_SHOWN, 0),
        "current": getattr(request.state, "session_id", None),
        "events": account_security.events(session, user.id, limit, offset),
        "action_label": labeller(language, "security.action."),
        "outcome_label": labeller(language, "security.outcome."),
        "kind_label": labeller(language, "security.kind."),
        "errors": errors or [],
    }
    if done and not errors:
        values["notice"] = catalogue(language)[done]
    return render(request, "security.html", user, status, **values)


def _failed(request: Request, session: Session, user: User, exc: UserError) -> Response:
    errors = [error_text(request_language(request, user), exc)]
    return with_retry_after(_security(request, session, user, exc.status, errors), exc)


@router.get("/security")
def security_page(request: Request, session: DB, user: MaybeUser, paging: Paging) -> Response:
    """Two-factor sign-in, the sessions and tokens signed in, and the audit log."""
    user = require_user(user)
    limit = min(paging.limit, AUDIT_PAGE)
    return _security(request, session, user, limit=limit, offset=paging.offset)


@router.post("/security/two-factor")
def begin_two_factor(request: Request, session: DB, user: FormUser) -> Response:
    """Start setting up two-factor sign-in: the page then shows the secret and its QR code."""
    try:
        two_factor.begin(session, user, cipher_for(request.app.state.tradeloop.settings))
    except UserError as exc:
        return _failed(request, session, user, exc)
    return redirect("/security#two-factor")


@router.post("/security/two-factor/cancel")
def cancel_two_factor(session: DB, user: FormUser) -> Response:
    """Forget a set-up that was not confirmed."""
    two_factor.cancel(session, user)
    return redirect("/security?done=cancelled#two-factor")


@router.post("/security/two-factor/confirm")
def confirm_two_factor(
    request: Request, session: DB, user: FormUser, code: FormText = ""
) -> Response:
    """Turn two-factor sign-in on with a code from the app; shows the recovery codes once."""
    event = account_security.TWO_FACTOR_ENABLED
    return _code_change_page(request, session, user, event, two_factor.confirm, code)


@router.post("/security/two-factor/recovery-codes")
def renew_recovery_codes(
    request: Request, session: DB, user: FormUser, code: FormText = ""
) -> Response:
    """New recovery codes after a right code (the old ones stop working); shown once."""
    event = account_security.RECOVERY_CODES_RENEWED
    return _code_change_page(request, session, user, event, two_factor.new_recovery_codes, code)


@router.post("/security/two-factor/disable")
def disable_two_factor(
    request: Request, session: DB, user: FormUser, password: FormText = "", code: FormText = ""
) -> Response:
    """Turn two-factor sign-in off (the password and a code are both needed)."""
    event = account_security.TWO_FACTOR_DISABLED
    return _code_change_page(request, session, user, event, two_factor.disable, password, code)


def _code_change_page(
    request: Request, session: Session, user: User, event: str,
    change: Callable[..., list[str] | None], *codes: str,
) -> Response:  # fmt: skip
    """Run a change that checks a code: the page shows the recovery codes it answered (or
    that two-factor is off), else the error with nothing changed."""
    try:
        codes_shown = code_change(request, session, user, event, change, *codes)
    except UserError as exc:
        session.rollback()
        return _failed(request, session, user, exc)
    if codes_shown is None:  # turned off
        return redirect("/security?done=off#two-factor")
    return _security(request, session, user, codes=codes_shown)


@router.post("/security/sessions/{session_id}/revoke")
def revoke_session(request: Request, session_id: ObjectId, session: DB, user: FormUser) -> Response:
    """End one of the user's sessions or tokens now."""
    try:
        account_security.revoke_session(session, user.id, session_id, datetime.now(UTC))
    except UserError as exc:
        return _failed(request, session, user, exc)
    account_security.record(
        session,
        user.id,
        account_security.SESSION_REVOKED,
        client_address(request),
        detail={"session": session_id},
    )
    return redirect("/security?done=revoked#sessions")


def _pending_user(request: Request, session: Session, state: State) -> User | None:
    """The account whose password was right in this browser (the pending cookie), if the
    cookie is valid, the password unchanged since and two-factor still on."""
    token = request.cookies.get(pages.PENDING_COOKIE)
    if not token:
        return None
    try:
        user_id, stamp = two_factor.read_pending(state.secret, token)
    except Unauthorized:
        return None
    user = accounts.get_user(session, user_id)
    if user is None or stamp != user_stamp(user) or not two_factor.is_enabled(user):
        return None
    return user


def _code_form(
    request: Request, next: str, status: int = 200, errors: list[str] | None = None
) -> Response:
    return render(
        request, "login_two_factor.html", None, status, next=safe_next(next), errors=errors or []
    )


@router.get("/login/two-factor")
def two_factor_page(
    request: Request, session: DB, state: State, user: MaybeUser, next: str = "/"
) -> Response:
    """The sign-in's second step: the code from the authenticator app."""
    if user is not None:
        return redirect(safe_next(next))
    if _pending_user(request, session, state) is None:
        return redirect(f"/login?next={safe_next(next)}")
    return _code_form(request, next)


@router.post("/login/two-factor")
def two_factor_sign_in(
    request: Request,
    session: DB,
    state: State,
    _csrf: None = CheckedForm,
    code: FormText = "",
    next: FormText = "/",
) -> Response:
    """Check the code; right, the browser is signed in. Attempts per account are limited
    (a doubling wait after 5 wrong codes)."""
    token = request.cookies.get(pages.PENDING_COOKIE, "")
    try:
        user_id, _ = two_factor.read_pending(state.secret, token)
        two_factor.count_attempt(state.limits, user_id)  # before this request's transaction
    except Unauthorized:
        return redirect(f"/login?next={safe_next(next)}")
    except UserError as exc:
        errors = [error_text(request_language(request, None), exc)]
        return with_retry_after(_code_form(request, next, exc.status, errors), exc)
    user = _pending_user(request, session, state)
    if user is None:
        return redirect(f"/login?next={safe_next(next)}")
    if not two_factor.check(session, user, cipher_for(state.settings), code):
        account_security.record(
            session,
            user.id,
            account_security.TWO_FACTOR_FAILED,
            client_address(request),
            outcome="failed",
        )
        errors = [error_text(request_language(request, None), two_factor.wrong_code())]
        return _code_form(request, next, 401, errors)
    pause(session)
    two_factor.attempt_passed(state.limits, user.id)
    response = pages.start_session(request, session, state, user, safe_next(next))
    response.delete_cookie(pages.PENDING_COOKIE, path="/login")
    return response
