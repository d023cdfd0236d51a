"""Pure ASGI middleware: body size limits (before a large body is read) and security headers."""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import suppress
from http.cookies import CookieError, SimpleCookie
from typing import Any

from tradeloop.i18n import LANGUAGES, accepted_language, pick_language, size_text, translate

Scope = dict[str, Any]
Receive = Callable[[], Any]
Send = Callable[[dict[str, Any]], Any]


class BodyTooLarge(Exception):
    """Raised inside the app when a streamed body passes its limit."""

    def __init__(self, limit: int) -> None:
        super().__init__(limit)
        self.limit = limit


def too_large(limit: int, language: str) -> dict[str, Any]:
    """The 413 envelope for a body over ``limit`` bytes, its message in ``language`` with the
    limit in KB or MB."""
    return {
        "status": "error",
        "message": translate(language, "error.body_too_large", limit=size_text(language, limit)),
        "details": [{"limit_bytes": limit}],
    }


def header_language(headers: dict[bytes, bytes], default: str) -> str:
    """The language of a request seen before the app: the language cookie's, else
    Accept-Language's, else ``default``."""
    cookie: SimpleCookie = SimpleCookie()
    with suppress(CookieError):
        cookie.load(headers.get(b"cookie", b"").decode("latin-1"))
    chosen = cookie["tl_lang"].value if "tl_lang" in cookie else None
    accepted = accepted_language(headers.get(b"accept-language", b"").decode("latin-1"))
    return pick_language(chosen, accepted, default)


async def _reject(send: Send, limit: int, language: str) -> None:
    body = json.dumps(too_large(limit, language)).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [(b"content-type", b"application/json"), (b"connection", b"close")],
        }
    )
    await send({"type": "http.response.body", "body": body})


class BodyLimitMiddleware:
    """Answers 413 when Content-Length, or the bytes actually streamed, pass the path's limit."""

    def __init__(
        self, app: Any, limit_for: Callable[[str], int], default_language: str = LANGUAGES[0]
    ) -> None:
        self.app = app
        self.limit_for = limit_for
        self.default_language = default_language

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await _reject(send, limit, header_language(headers, self.default_language))
            return
        received = 0
        started = False

        async def limited_receive() -> Any:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        async def tracking_send(message: dict[str, Any]) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await _reject(send, limit, header_language(headers, self.default_language))


class SecurityHeadersMiddleware:
    """Adds fixed security headers to every HTTP response that does not set them itself."""

    def __init__(self, app: Any, headers: dict[str, str], skip_csp_prefix: str) -> None:
        self.app = app
        self.headers = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
        self.skip_csp_prefix = skip_csp_prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        skip_csp = scope["path"].startswith(self.skip_csp_prefix)

        async def send_with_headers(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [
                    (name, value)
                    for name, value in self.headers
                    if name not in present and not (skip_csp and name == b"content-security-policy")
                ]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, send_with_headers)
