"""Rendering pages: language, CSRF cookie, the signed-in user and message lookup in templates."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from tradeloop import __version__
from tradeloop.core.errors import Forbidden, TooManyRequests
from tradeloop.i18n import (
    LANGUAGE_NAMES,
    amount,
    catalogue,
    number_text,
    pick_language,
    size_text,
    time_text,
    translate,
)
from tradeloop.security import new_csrf_token
from tradeloop.services.accounts import User
from tradeloop.serving.deps import CSRF_COOKIE, LANG_COOKIE, app_state, csrf_ok, expected_csrf
from tradeloop.serving.errors import page_language
from tradeloop.serving.limits import request_scheme

templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
NOTICE_PREFIXES = (
    "auth.", "bots.", "profile.", "notifications.", "backtests.", "journal.", "accounts.",
    "optimise.",
)  # fmt: skip


def request_language(request: Request, user: User | None) -> str:
    """The user's language, else the language cookie, else the configured default."""
    default = app_state(request).settings.default_language
    return pick_language(user.language if user else None, request.cookies.get(LANG_COOKIE), default)


def _notice(request: Request, language: str) -> str | None:
    key = request.query_params.get("notice", "")
    if key.startswith(NOTICE_PREFIXES) and key in catalogue(language):
        return translate(language, key)
    return None


UNDO_ROUTES = {"bot": "/bots/{}/restore", "import": "/journal/imports/{}/restore"}


def _undo(request: Request) -> str | None:
    """Where the notice's Undo button posts (``undo=bot-5``: ``/bots/5/restore``), if any."""
    kind, _, number = request.query_params.get("undo", "").partition("-")
    if kind in UNDO_ROUTES and number.isascii() and number.isdigit() and len(number) <= 10:
        return UNDO_ROUTES[kind].format(int(number))
    return None


def _context(request: Request, language: str, user: User | None, csrf_token: str) -> dict[str, Any]:
    zone = user.timezone if user else "UTC"
    return {
        "user": user,
        "lang": language,
        "languages": LANGUAGE_NAMES,
        "csrf_token": csrf_token,
        "t": lambda key, **values: translate(language, key, **values),
        "zone": zone,
        "local_time": lambda value, with_date=True: time_text(value, zone, with_date),
        "amount": lambda value, unit="money", currency=None: amount(
            language, value, unit, currency
        ),
        "size": lambda value: size_text(language, value),
        "number": lambda value, digits=2: number_text(language, value, digits),
        "notice": _notice(request, language),
        "undo": _undo(request),
        "version": __version__,
        "path": request.url.path,
    }


def render(
    request: Request,
    template: str,
    user: User | None,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    """Render ``template`` in the request's language with a CSRF token ready for its forms."""
    token = expected_csrf(request) or request.cookies.get(CSRF_COOKIE) or new_csrf_token()
    values = _context(request, request_language(request, user), user, token) | context
    response = templates.TemplateResponse(request, template, values, status_code=status_code)
    if request.cookies.get(CSRF_COOKIE) != token:
        set_cookie(request, response, CSRF_COOKIE, token)
    return response


def set_cookie(
    request: Request, response: Any, name: str, value: str, max_age: int | None = None
) -> None:
    """Set an HttpOnly, SameSite=Lax cookie (Secure when configured)."""
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        httponly=True,
        samesite="lax",
        secure=secure_cookies(request),
        path="/",
    )


def with_retry_after(response: Response, exc: Exception) -> Response:
    """``response`` with Retry-After when ``exc`` is a rate limit (a form shown again)."""
    if isinstance(exc, TooManyRequests):
        response.headers["Retry-After"] = str(exc.retry_after)
    return response


def secure_cookies(request: Request) -> bool:
    """Whether cookies are Secure: as configured, or, unset, when the request came over
    HTTPS."""
    state = app_state(request)
    configured = state.settings.secure_cookies
    if configured is None:
        return request_scheme(request.scope, state.proxies) == "https"
    return configured


def check_csrf(request: Request, submitted: str) -> None:
    """Forbidden unless the form's token matches the CSRF cookie (and, signed in, the
    session)."""
    if not csrf_ok(request, submitted):
        raise Forbidden(
            "missing or wrong CSRF token: reload the page and try again", key="error.csrf"
        )


def safe_next(target: str | None) -> str:
    """A local path to go to after a form, never another site."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


def redirect(target: str, notice: str | None = None, undo: str | None = None) -> RedirectResponse:
    """A 303 redirect, optionally carrying a notice key shown on the next page, and with it an
    Undo button (``undo``: ``bot-5`` or ``import-5``, see ``UNDO_ROUTES``)."""
    if notice:
        target += ("&" if "?" in target else "?") + f"notice={notice}"
        if undo:
            target += f"&undo={undo}"
    return RedirectResponse(target, status_code=303)


ERROR_KINDS = {404: "not_found", 422: "bad_request"}


def error_page(request: Request, status: int, message: str | None = None) -> HTMLResponse:
    """The friendly 404, 422 (with ``message`` naming the bad parameter, in the page's
    language) or 500 page; no database access, so it works when the DB is down."""
    language = page_language(request)
    values = _context(request, language, None, "") | {
        "kind": ERROR_KINDS.get(status, "server"),
        "status": status,
        "message": message,
    }
    return templates.TemplateResponse(request, "error.html", values, status_code=status)
