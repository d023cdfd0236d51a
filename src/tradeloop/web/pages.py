"""HTML pages. Forms post with a CSRF token; failures re-render the form with the message."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from tradeloop.core.errors import InvalidInput, Unauthorized, UserError
from tradeloop.i18n import LANGUAGES, pick_language
from tradeloop.security import new_token_id
from tradeloop.services import accounts, bot_view, bots, two_factor
from tradeloop.services.accounts import User
from tradeloop.services.chat import check_message, llm_status, model_check
from tradeloop.services.mentor import list_llm_calls, mentor_card, set_llm_consent, sync_sessions
from tradeloop.serving import observability
from tradeloop.serving.deps import (
    CSRF_COOKIE,
    DB,
    DEVICE_COOKIE,
    LANG_COOKIE,
    SESSION_COOKIE,
    Paging,
    State,
    client_address,
    device_of,
    device_token,
    enforce_limit,
    expected_csrf,
    session_token,
    user_stamp,
)
from tradeloop.serving.errors import error_text, validation_messages
from tradeloop.web.access import CheckedForm, FormText, FormUser, MaybeUser, require_user
from tradeloop.web.render import (
    redirect,
    render,
    request_language,
    safe_next,
    secure_cookies,
    set_cookie,
    with_retry_after,
)

router = APIRouter(include_in_schema=False)


def _messages(request: Request, user: User | None, exc: ValidationError) -> list[str]:
    """A refused form's errors in the page's language, each field by its label."""
    return validation_messages(request_language(request, user), exc.errors())


def _error(request: Request, user: User | None, exc: UserError) -> list[str]:
    """A user error as the form shows it, in the page's language."""
    return [error_text(request_language(request, user), exc)]


def start_session(
    request: Request, session: Session, state: State, user: User, target: str
) -> Response:
    """Sign ``user`` in on this browser and go to ``target``: a new session (recorded, with
    its own CSRF token) and the device cookie that keeps the owner's sign-ins apart from
    strangers' failures."""
    response = redirect(target)
    token = session_token(request, session, state, user)
    set_cookie(request, response, SESSION_COOKIE, token, state.settings.session_hours * 3600)
    set_cookie(request, response, CSRF_COOKIE, expected_csrf(request) or "")
    device_user, device_id = device_of(request)
    if device_user != user.id or not device_id:
        device_id = new_token_id()
    days = state.settings.device_days
    set_cookie(request, response, DEVICE_COOKIE, device_token(state, user, device_id), days * 86400)
    set_cookie(request, response, LANG_COOKIE, user.language, 365 * 24 * 3600)
    return response


PENDING_COOKIE = "tl_pending"
PENDING_MINUTES = 5


def two_factor_step(request: Request, state: State, user: User, target: str) -> Response:
    """After a right password on an account with two-factor sign-in: to the code form, with
    a five-minute token of the half-done sign-in in a cookie only that form receives."""
    pending = two_factor.pending_token(state.secret, user.id, user_stamp(user))
    response = redirect(f"/login/two-factor?next={quote(target, safe='/')}")
    response.set_cookie(
        PENDING_COOKIE,
        pending,
        max_age=PENDING_MINUTES * 60,
        httponly=True,
        samesite="strict",
        secure=secure_cookies(request),
        path="/login",
    )
    return response


def sign_in_attempt(request: Request, email: str, password: str) -> accounts.SignIn:
    """The sign-in attempt of this request: credentials, address and device cookie."""
    device_user, device_id = device_of(request)
    return accounts.SignIn(email, password, client_address(request), device_user, device_id)


@router.get("/login")
def login_page(request: Request, user: MaybeUser, next: str = "/") -> Response:
    """The sign-in form."""
    if user is not None:
        return redirect(safe_next(next))
    return render(request, "login.html", None, next=safe_next(next), errors=[], email="")


@router.post("/login")
def login(
    request: Request,
    session: DB,
    state: State,
    _csrf: None = CheckedForm,
    email: FormText = "",
    password: FormText = "",
    next: FormText = "/",
) -> Response:
    """Check the credentials and start a browser session."""
    try:
        attempt = sign_in_attempt(request, email, password)
        user = accounts.authenticate(session, state.limits, state.settings, attempt)
    except UserError as exc:
        if isinstance(exc, Unauthorized):
            observability.count_sign_in_failure()
        response = render(
            request,
            "login.html",
            None,
            exc.status,
            next=safe_next(next),
            errors=_error(request, None, exc),
            email=email,
        )
        return with_retry_after(response, exc)
    if user.totp_enabled_at is not None:  # the password was right: the code comes next
        return two_factor_step(request, state, user, safe_next(next))
    return start_session(request, session, state, user, safe_next(next))


@router.get("/register")
def register_page(request: Request, user: MaybeUser) -> Response:
    """The registration form."""
    if user is not None:
        return redirect("/")
    return render(request, "register.html", None, errors=[], name="", email="")


@router.post("/register")
def register(
    request: Request,
    session: DB,
    state: State,
    _csrf: None = CheckedForm,
    name: FormText = "",
    email: FormText = "",
    password: FormText = "",
) -> Response:
    """Create the account and sign in."""
    language = pick_language(request.cookies.get(LANG_COOKIE), state.settings.default_language)
    try:
        data = accounts.Registration(name=name, email=email, password=password, language=language)
        enforce_limit(request, "registrations")
        address = client_address(request)
        user = accounts.register(session, data, state.settings.default_language, address)
    except ValidationError as exc:
        errors = _messages(request, None, exc)
        return render(request, "register.html", None, 422, errors=errors, name=name, email=email)
    except UserError as exc:
        errors = _error(request, None, exc)
        response = render(
            request, "register.html", None, exc.status, errors=errors, name=name, email=email
        )
        return with_retry_after(response, exc)
    return start_session(request, session, state, user, "/?notice=auth.registered")


@router.post("/logout")
def logout(request: Request, session: DB, user: MaybeUser, _csrf: None = CheckedForm) -> Response:
    """End every session of the user (this browser's and any other)."""
    if user is not None:
        accounts.sign_out_everywhere(session, user, client_address(request))
    response = redirect("/login", "auth.signed_out")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.post("/language")
def switch_language(
    request: Request,
    session: DB,
    user: MaybeUser,
    _csrf: None = CheckedForm,
    lang: FormText = "",
    next: FormText = "/",
) -> Response:
    """Switch the interface language (stored on the profile when signed in)."""
    if lang not in LANGUAGES:
        raise InvalidInput(
            f"unsupported language {lang!r}: choose id or en",
            key="validation.unsupported_language",
            values={"code": lang[:20]},
        )
    if user is not None:
        user.language = lang
    response = redirect(safe_next(next))
    set_cookie(request, response, LANG_COOKIE, lang, 365 * 24 * 3600)
    return response


@router.get("/")
def dashboard(request: Request, session: DB, user: MaybeUser) -> Response:
    """Overview of the user's bots, notifications, backtests and journal days."""
    user = require_user(user)
    counts = bots.dashboard_counts(session, user.id)
    today = datetime.now(UTC).astimezone(ZoneInfo(user.timezone)).date()
    mentor = mentor_card(session, user, today)
    new = request.query_params.get("notice") == "auth.registered"  # just registered
    figures = bot_view.dashboard_figures(
        session, user.id, request_language(request, user), user.timezone
    )
    return render(request, "dashboard.html", user, counts=counts, mentor=mentor, new=new,
                  figures=figures, last_event=bots.last_event_id(session, user.id))  # fmt: skip


@router.get("/notifications")
def notifications_page(request: Request, session: DB, user: MaybeUser, paging: Paging) -> Response:
    """The user's notifications."""
    user = require_user(user)
    page = bots.notifications(session, user.id, False, paging.limit, paging.offset)
    language = request_language(request, user)
    details = {e.id: bots.event_text(language, user.timezone, e.details) for e in page.items}
    return render(request, "notifications.html", user, page=page, details=details)


@router.post("/notifications/read")
def notifications_read(session: DB, user: FormUser) -> Response:
    """Mark every notification as read."""
    bots.mark_notifications_read(session, user.id, None)
    return redirect("/notifications")


LLM_CALLS_SHOWN = 10  # the newest language-model calls on the profile page


def _profile(
    request: Request,
    session: Session,
    user: User,
    status: int = 200,
    errors: list[str] | None = None,
    form: dict[str, str] | None = None,
) -> Response:
    settings = request.app.state.tradeloop.settings
    llm = llm_status(session, user, settings, datetime.now(UTC))
    if llm["check"] is not None:
        llm["check_message"] = check_message(user.language, settings, llm["check"])
        llm["checked_at"] = datetime.fromisoformat(llm["check"]["checked_at"])
    calls = list_llm_calls(session, user.id, LLM_CALLS_SHOWN, 0).items if llm["configured"] else []
    shown = {"name": user.name, "language": user.language, "timezone": user.timezone}
    return render(request, "profile.html", user, status, errors=errors or [], llm=llm,
                  calls=calls, form=shown | (form or {}), zones=accounts.time_zones())  # fmt: skip


@router.get("/profile")
def profile_page(request: Request, session: DB, user: MaybeUser) -> Response:
    """Profile, mentor privacy (LLM consent), password and account deletion forms."""
    return _profile(request, session, require_user(user))


@router.post("/profile/mentor")
def save_llm_consent(session: DB, user: FormUser, llm_consent: FormText = "") -> Response:
    """Give or withdraw consent to send chat questions and journal figures to the LLM."""
    set_llm_consent(session, user.id, llm_consent == "on", datetime.now(UTC))
    return redirect("/profile", "profile.llm_saved")


@router.post("/profile/mentor/check")
def check_llm(request: Request, user: FormUser) -> Response:
    """Check the configured language model now; the profile page shows what was found."""
    model_check(request.app.state.tradeloop.settings, run=True)
    return redirect("/profile#mentor-privacy")


@router.post("/profile")
def update_profile(
    request: Request,
    session: DB,
    user: FormUser,
    name: FormText = "",
    language: FormText = "",
    timezone: FormText = "",
) -> Response:
    """Save name, language and time zone."""
    try:
        change = accounts.ProfileUpdate(
            name=name, language=language or None, timezone=timezone or None
        )
    except ValidationError as exc:  # the form keeps what was typed
        typed = {"name": name, "language": language, "timezone": timezone}
        return _profile(request, session, user, 422, _messages(request, user, exc), typed)
    zone = user.timezone
    accounts.update_profile(session, user, change)
    if user.timezone != zone:  # sessions follow the new local days
        sync_sessions(session, user)
    response = redirect("/profile", "profile.saved")
    set_cookie(request, response, LANG_COOKIE, user.language, 365 * 24 * 3600)
    return response


@router.post("/profile/password")
def change_password(
    request: Request,
    session: DB,
    state: State,
    user: FormUser,
    current_password: FormText = "",
    new_password: FormText = "",
) -> Response:
    """Change the password and renew this browser's session."""
    try:
        change = accounts.PasswordChange(
            current_password=current_password, new_password=new_password
        )
        accounts.change_password(session, user, change, client_address(request))
    except ValidationError as exc:
        return _profile(request, session, user, 422, _messages(request, user, exc))
    except UserError as exc:
        return _profile(request, session, user, exc.status, _error(request, user, exc))
    return start_session(request, session, state, user, "/profile?notice=profile.password_changed")


@router.post("/profile/delete")
def delete_account(
    request: Request,
    session: DB,
    user: FormUser,
    password: FormText = "",
) -> Response:
    """Delete the account and everything in it."""
    try:
        accounts.delete_account(session, user, password, client_address(request))
    except UserError as exc:
        return _profile(request, session, user, exc.status, _error(request, user, exc))
    response = redirect("/login")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
