"""Every error answers the envelope ``{"status": "error", "message", "details"}``, its message in
the user's language (the signed-in user's, else the language cookie's, else Accept-Language's,
else the configured default).

Pages (GETs outside ``/api``) get friendly HTML 404/422/500 pages instead; the 422 page names
the bad address parameter. A 500 never carries a traceback or an internal path: the details
are logged, not sent.

Validation errors are put into words here, in one place for the API and the web forms: each
Pydantic error type maps to a ``validation.<type>`` catalogue key filled with the error's
parameters (``{min_length}``, ``{le}``, ``{expected}``…), the field named by its label. A
validator's own error is a ``PydanticCustomError`` whose type has a key (``unknown_timezone`` →
``validation.unknown_timezone``), or a ``ValueError`` carrying ``key`` and ``values``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from tradeloop.core.errors import TooManyRequests, UserError
from tradeloop.i18n import accepted_language, catalogue, pick_language, translate
from tradeloop.serving import observability
from tradeloop.serving.deps import LANG_COOKIE
from tradeloop.serving.limits import BodyTooLarge, too_large

log = logging.getLogger("tradeloop")

# Fields named by their label on the forms (other fields keep their name: API parameters)
FIELD_LABELS = {
    "name": "auth.name",
    "email": "auth.email",
    "password": "auth.password",
    "current_password": "profile.current_password",
    "new_password": "profile.new_password",
    "language": "profile.language",
    "timezone": "profile.timezone",
    "market": "bots.market",
    "timeframe": "bots.timeframe",
    "strategy": "bots.strategy",
    "strategy_params": "bots.parameters",
    "lot_size": "bots.lot_size",
    "risk_percent": "bots.risk",
    "stop_mode": "bots.stop_mode",
    "sl_pips": "bots.sl_pips",
    "tp_pips": "bots.tp_pips",
    "sl_atr_multiplier": "bots.sl_atr",
    "tp_atr_multiplier": "bots.tp_atr",
    "check_interval_seconds": "bots.check_interval",
    "enable_strategy_switching": "bots.strategy_switching",
    **{field: f"accounts.{field}" for field in (
        "exchange", "market_type", "api_key", "api_secret", "api_password",
        "mt5_login", "mt5_server", "mt5_password", "max_order_size", "max_open_positions",
        "max_daily_loss",
    )},
}  # fmt: skip
# Pydantic error types that share a message with another type
TYPE_ALIASES = {
    "float_type": "float_parsing",
    "decimal_parsing": "float_parsing",
    "decimal_type": "float_parsing",
    "int_type": "int_parsing",
    "int_from_float": "int_parsing",
    "bool_type": "bool_parsing",
    "date_type": "date_parsing",
    "date_from_datetime_parsing": "date_parsing",
    "date_from_datetime_inexact": "date_parsing",
    "datetime_type": "datetime_parsing",
    "datetime_from_date_parsing": "datetime_parsing",
    "time_type": "time_parsing",
    "enum": "literal_error",
    "json_type": "json_invalid",
    "model_type": "dict_type",
    "model_attributes_type": "dict_type",
    "url_type": "url_parsing",
    "assertion_error": "value_error",
}
_STRIPPED_LOCATIONS = ("body", "query")


def _default_language(request: Request) -> str | None:
    state = getattr(request.app.state, "tradeloop", None)
    return state.settings.default_language if state is not None else None


def request_language(request: Request) -> str:
    """The language of an API answer: the signed-in user's (noted by the dependency that found
    them), else the language cookie's, else Accept-Language's, else the configured default."""
    return pick_language(
        getattr(request.state, "language", None),
        request.cookies.get(LANG_COOKIE),
        accepted_language(request.headers.get("accept-language")),
        _default_language(request),
    )


def page_language(request: Request) -> str:
    """The language of a page: the signed-in user's, else the cookie's, else the default (the
    pages' own choice, which the language buttons change)."""
    return pick_language(
        getattr(request.state, "language", None),
        request.cookies.get(LANG_COOKIE),
        _default_language(request),
    )


def _filled(language: str, key: str, values: dict[str, Any]) -> str | None:
    """The catalogue text of ``key`` filled with ``values``; None when the key is unknown or
    needs a value that is missing."""
    text = catalogue(language).get(key)
    if text is None:
        return None
    try:
        return text.format(**values)
    except (KeyError, IndexError, TypeError, ValueError):
        return None


def error_text(language: str, exc: UserError) -> str:
    """A user error's message in ``language`` when it carries a catalogue key, else its
    English message."""
    if exc.key:
        text = _filled(language, exc.key, exc.values)
        if text is not None:
            return text
    return exc.message


def _shown(language: str, value: Any) -> Any:
    """A bound or choice list as shown: ``10`` not ``10.0``; "or" in the language."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and language != "en":
        head, sep, tail = value.rpartition(" or ")
        if sep:
            return f"{head} {translate(language, 'validation.or')} {tail}"
    return value


def field_label(language: str, location: Iterable[Any]) -> str | None:
    """The field of an error location as its label (``Kata sandi``) when it has one, else the
    dotted path (``strategy_params.fast_period``); None for the whole input."""
    parts = [str(part) for part in location if part not in _STRIPPED_LOCATIONS]
    if not parts:
        return None
    key = FIELD_LABELS.get(parts[-1])
    if key and key in catalogue(language):
        return translate(language, key)
    return ".".join(parts)


def validation_text(language: str, error: dict[str, Any]) -> str:
    """One Pydantic error in ``language``, without the field: ``minimal 10 karakter``."""
    kind = str(error.get("type", ""))
    context = dict(error.get("ctx") or {})
    cause = context.get("error")
    if kind == "value_error" and getattr(cause, "key", None):  # a ValueError carrying a key
        text = _filled(language, cause.key, getattr(cause, "values", {}) or {})
        if text is not None:
            return text
    if kind == "value_error" and "reason" in context and "error" not in context:
        kind = "email"  # pydantic's EmailStr
    elif kind in ("value_error", "assertion_error") and language == "en":
        return str(error.get("msg", "")).removeprefix("Value error, ")  # the validator's own
    values = {name: _shown(language, value) for name, value in context.items()}
    text = _filled(language, f"validation.{TYPE_ALIASES.get(kind, kind)}", values)
    if text is not None:
        return text
    if language == "en":  # a type without a key: Pydantic's own English
        return str(error.get("msg", "")).removeprefix("Value error, ")
    return translate(language, "validation.value_error")


def validation_details(language: str, errors: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The envelope's details: each bad field (its path), its label and the message."""
    details = []
    for error in errors:
        location = error.get("loc", ())
        if error.get("type") == "json_invalid":  # a place in the text, not a field
            location = ()
        path = [str(part) for part in location if part not in _STRIPPED_LOCATIONS]
        details.append(
            {
                "field": ".".join(path) or None,
                "label": field_label(language, location),
                "message": validation_text(language, error),
                "type": error.get("type"),
            }
        )
    return details


def validation_messages(language: str, errors: Iterable[dict[str, Any]]) -> list[str]:
    """One line per error for a form: ``Kata sandi: minimal 10 karakter``."""
    return [
        f"{d['label']}: {d['message']}" if d["label"] else d["message"]
        for d in validation_details(language, errors)
    ]


def validation_message(language: str, details: list[dict[str, Any]]) -> str:
    """One line naming each bad field: ``isian tidak valid: Email: bukan alamat email …``."""
    parts = [f"{d['label']}: {d['message']}" if d["label"] else d["message"] for d in details]
    return f"{translate(language, 'validation.invalid_input')}: " + "; ".join(parts)


def envelope(status: int, message: str, details: list[Any] | None = None) -> JSONResponse:
    """The JSON error envelope."""
    body = {"status": "error", "message": message, "details": details or []}
    return JSONResponse(body, status_code=status)


def _is_page(request: Request) -> bool:
    return not request.url.path.startswith("/api") and request.method in ("GET", "HEAD")


def _body_too_large(exc: BaseException | None) -> BodyTooLarge | None:
    """The BodyTooLarge behind ``exc``, also when wrapped in an exception group."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return exc if isinstance(exc, BodyTooLarge) else None


def install_error_handlers(app: FastAPI, render_page: Any) -> None:
    """Register the handlers; ``render_page(request, status, message=None)`` draws the HTML
    error pages."""

    @app.exception_handler(UserError)
    async def _user_error(request: Request, exc: UserError) -> Response:
        response = envelope(exc.status, error_text(request_language(request), exc), exc.details)
        if isinstance(exc, TooManyRequests):
            response.headers["Retry-After"] = str(exc.retry_after)
        return response

    def _invalid_input(request: Request, errors: list[dict[str, Any]]) -> Response:
        if _is_page(request):
            language = page_language(request)
            return render_page(request, 422, "; ".join(validation_messages(language, errors)))
        language = request_language(request)
        details = validation_details(language, errors)
        return envelope(422, validation_message(language, details), details)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        return _invalid_input(request, list(exc.errors()))

    @app.exception_handler(ValidationError)
    async def _invalid_model(request: Request, exc: ValidationError) -> Response:
        return _invalid_input(request, exc.errors())

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        language = request_language(request)
        if (cause := _body_too_large(exc.__cause__)) is not None:  # a streamed body ran over
            return JSONResponse(too_large(cause.limit, language), status_code=413)
        if exc.status_code == 404 and _is_page(request):
            return render_page(request, 404)
        path = request.url.path
        if exc.status_code == 404:
            message = translate(language, "error.path_not_found", path=path)
        elif exc.status_code == 405:
            message = translate(
                language, "error.method_not_allowed", method=request.method, path=path
            )
        elif isinstance(exc.detail, str):
            message = exc.detail
        else:
            message = translate(language, "error.request_failed")
        return envelope(exc.status_code, message)

    @app.exception_handler(Exception)
    async def _bug(request: Request, exc: Exception) -> Response:
        # the type and message only: a database error without its statement and values (the
        # server's own error line adds the stack, through the same safe formatter)
        route = observability.route_of(request.scope)
        error = observability.describe_exception(exc)
        log.error("unhandled error on %s %s: %s", request.method, route, error)
        if _is_page(request):
            response = render_page(request, 500)
        else:
            response = envelope(500, translate(request_language(request), "error.internal"))
        if (request_id := observability.current_request_id()) is not None:
            response.headers["X-Request-ID"] = request_id  # sent outside the middleware
        return response
