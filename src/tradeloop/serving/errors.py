"""Every error answers the envelope ``{"status": "error", "message", "details"}``.

Pages (GETs outside ``/api``) get friendly HTML 404/422/500 pages instead; the 422 page names
the bad address parameter. A 500 never carries a traceback or an internal path: the details
are logged, not sent.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from tradeloop.core.errors import TooManyRequests, UserError
from tradeloop.serving.limits import BodyTooLarge, too_large

log = logging.getLogger("tradeloop")


def envelope(status: int, message: str, details: list[Any] | None = None) -> JSONResponse:
    """The JSON error envelope."""
    body = {"status": "error", "message": message, "details": details or []}
    return JSONResponse(body, status_code=status)


def _is_page(request: Request) -> bool:
    return not request.url.path.startswith("/api") and request.method in ("GET", "HEAD")


def _validation_details(exc: RequestValidationError) -> list[dict[str, Any]]:
    details = []
    for error in exc.errors():
        location = [str(part) for part in error.get("loc", ()) if part not in ("body", "query")]
        details.append({"field": ".".join(location) or None, "message": error.get("msg", "")})
    return details


def validation_message(details: list[dict[str, Any]]) -> str:
    """One line naming each bad field: ``email: value is not a valid email address; …``."""
    parts = [f"{d['field']}: {d['message']}" if d["field"] else d["message"] for d in details]
    return "invalid input: " + "; ".join(parts)


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
        response = envelope(exc.status, exc.message, exc.details)
        if isinstance(exc, TooManyRequests):
            response.headers["Retry-After"] = str(exc.retry_after)
        return response

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        details = _validation_details(exc)
        message = validation_message(details)
        if _is_page(request):
            return render_page(request, 422, message)
        return envelope(422, message, details)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if (cause := _body_too_large(exc.__cause__)) is not None:  # a streamed body ran over
            return JSONResponse(too_large(cause.limit), status_code=413)
        if exc.status_code == 404 and _is_page(request):
            return render_page(request, 404)
        message = exc.detail if isinstance(exc.detail, str) else "request failed"
        if exc.status_code == 404:
            message = f"not found: {request.url.path}"
        elif exc.status_code == 405:
            message = f"method {request.method} is not allowed on {request.url.path}"
        return envelope(exc.status_code, message)

    @app.exception_handler(Exception)
    async def _bug(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        if _is_page(request):
            return render_page(request, 500)
        return envelope(500, "internal error: this is a bug, please report it")
