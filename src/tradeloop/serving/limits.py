"""Pure ASGI middleware: body size limits (before a large body is read) and security headers."""

from __future__ import annotations

import ipaddress
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


def trusted_peer(scope: Scope, proxies: tuple[Any, ...]) -> bool:
    """Whether the connection comes from one of the trusted reverse proxies' networks."""
    client = scope.get("client")
    if not proxies or not client:
        return False
    try:
        address = ipaddress.ip_address(client[0])
    except ValueError:
        return False
    return any(address in network for network in proxies)


def request_scheme(scope: Scope, proxies: tuple[Any, ...]) -> str:
    """``http`` or ``https``: the connection's, or a trusted proxy's X-Forwarded-Proto."""
    if trusted_peer(scope, proxies):
        for name, value in scope.get("headers") or []:
            if name == b"x-forwarded-proto":
                forwarded = value.decode("latin-1").split(",")[-1].strip().lower()
                if forwarded in ("http", "https"):
                    return forwarded
    return str(scope.get("scheme", "http"))


class SecurityHeadersMiddleware:
    """Adds fixed security headers to every HTTP response that does not set them itself, and
    HSTS (``hsts``) when cookies are Secure: always with ``hsts_always``, never with
    ``hsts_never``, otherwise on requests that came over HTTPS."""

    def __init__(
        self,
        app: Any,
        headers: dict[str, str],
        skip_csp_prefix: str,
        hsts: str = "",
        hsts_always: bool = False,
        hsts_never: bool = False,
        proxies: tuple[Any, ...] = (),
    ) -> None:
        self.app = app
        self.headers = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
        self.skip_csp_prefix = skip_csp_prefix
        self.hsts = (b"strict-transport-security", hsts.encode()) if hsts else None
        self.hsts_always = hsts_always
        self.hsts_never = hsts_never
        self.proxies = proxies

    def _extra(self, scope: Scope) -> list[tuple[bytes, bytes]]:
        skip_csp = scope["path"].startswith(self.skip_csp_prefix)
        extra = [
            (name, value)
            for name, value in self.headers
            if not (skip_csp and name == b"content-security-policy")
        ]
        https = request_scheme(scope, self.proxies) == "https"
        secure = self.hsts_always or (not self.hsts_never and https)
        if self.hsts is not None and secure:
            extra.append(self.hsts)
        return extra

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = self._extra(scope)

        async def send_with_headers(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                added = [(name, value) for name, value in extra if name not in present]
                message = {**message, "headers": [*message.get("headers", []), *added]}
            await send(message)

        await self.app(scope, receive, send_with_headers)
