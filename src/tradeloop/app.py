"""The composition root: the app built from the JSON API, the web pages, static files, error
answers, security headers and the services it shares (database, worker pool)."""

from __future__ import annotations

import asyncio
import importlib.util
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio.to_thread
from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from tradeloop import __version__
from tradeloop.api import (
    admin,
    auth,
    backtests,
    bots,
    health,
    jobs,
    journal,
    mentor,
    metrics,
    notifications,
    optimisations,
    profile,
    security,
    strategies,
    trading_accounts,
)
from tradeloop.config import Settings, get_settings
from tradeloop.services import analyses, work
from tradeloop.services import journal as journal_service
from tradeloop.services.database import open_database
from tradeloop.services.jobs import JobRunner
from tradeloop.services.limits import Limits
from tradeloop.services.mentor import cipher_for
from tradeloop.services.work import WorkSlots
from tradeloop.serving import observability
from tradeloop.serving.deps import AppState
from tradeloop.serving.errors import install_error_handlers
from tradeloop.serving.limits import BodyLimitMiddleware, SecurityHeadersMiddleware
from tradeloop.web import (
    account_pages,
    backtest_pages,
    bot_pages,
    journal_pages,
    market_pages,
    mentor_pages,
    optimise_pages,
    pages,
    security_pages,
)
from tradeloop.web.access import SignInRequired
from tradeloop.web.render import error_page

STATIC_DIR = Path(__file__).resolve().parent / "web" / "static"
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; frame-ancestors 'none'; form-action 'self'"
    ),
}


def _body_limit(settings: Settings) -> Any:
    def limit_for(path: str) -> int:
        if path.startswith(("/api/backtests", "/api/datasets")) or path == "/market":
            return settings.max_backtest_upload_bytes
        if path.startswith("/api/journal"):
            return settings.max_journal_upload_bytes
        return settings.max_request_bytes

    return limit_for


def _serve_api_docs(app: FastAPI) -> None:
    """Swagger UI 5 (it reads FastAPI's OpenAPI 3.1) at /api/docs from the swagger-ui-py
    package's static files: works offline, no CDN."""
    package = importlib.util.find_spec("swagger_ui")  # its files, without importing it
    assets = Path(package.origin).parent / "static"  # type: ignore[union-attr, arg-type]
    app.mount("/api/docs-assets", StaticFiles(directory=str(assets)), name="docs-assets")

    @app.get("/api/docs", include_in_schema=False)
    def api_docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/api/openapi.json",
            title="tradeloop API",
            swagger_js_url="/api/docs-assets/swagger-ui-bundle.js",
            swagger_css_url="/api/docs-assets/swagger-ui.css",
            swagger_favicon_url="/static/favicon.svg",
        )


def _bot_supervisor(app: FastAPI, settings: Settings) -> tuple[asyncio.Event, asyncio.Task]:
    """The bot supervisor of a served app (``tradeloop serve``), running until its
    event is set; every server process runs one (unless ``serve_bots`` is off), and leases
    keep each bot in one."""
    from tradeloop.services.live_bots import LiveContext
    from tradeloop.services.paper_bots import Supervisor

    stop = asyncio.Event()
    supervisor = Supervisor(app.state.tradeloop.sessions, settings.bot_lease_seconds,
                            live=LiveContext.of(settings))  # fmt: skip
    return stop, asyncio.create_task(supervisor.run(stop))


def _lifespan(settings: Settings, owns_workers: bool) -> Any:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # requests waiting for a worker hold a thread: keep enough for everything else
        limiter = anyio.to_thread.current_default_thread_limiter()
        limiter.total_tokens = max(
            limiter.total_tokens, 40 + settings.workers + settings.work_queue
        )
        work.start()
        runner = app.state.tradeloop.jobs
        await anyio.to_thread.run_sync(runner.start)
        served = owns_workers and settings.serve_bots  # a served app's, unless bots run apart
        bots = _bot_supervisor(app, settings) if served else None
        try:
            yield
        finally:  # running jobs finish within the grace time or are marked interrupted
            if bots is not None:  # the bots stop at once; their next holder resumes them
                stop, task = bots
                stop.set()
                await task
            await anyio.to_thread.run_sync(runner.shutdown)
            if owns_workers:  # the worker processes end with the server, cleanly
                await anyio.to_thread.run_sync(work.shutdown)

    return lifespan


def served_app() -> FastAPI:
    """The app ``tradeloop serve`` runs: settings from the environment, and its worker
    processes stopped when it stops (apps built by tests share theirs)."""
    return create_app(owns_workers=True)


def create_app(settings: Settings | None = None, owns_workers: bool = False) -> FastAPI:
    """Build the app for ``settings`` (read from the environment when omitted); with
    ``owns_workers`` its shutdown also stops the worker processes."""
    settings = settings or get_settings()
    logging.getLogger("tradeloop").setLevel(logging.DEBUG if settings.debug else logging.INFO)
    app = FastAPI(
        title="tradeloop",
        version=__version__,
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/openapi.json",
        lifespan=_lifespan(settings, owns_workers),
    )
    database = open_database(settings)
    app.state.engine = database.engine
    app.state.tradeloop = AppState(
        settings=settings,
        database=database,
        sessions=database.sessions,
        limits=Limits(database.sessions),
        secret=settings.effective_secret_key,
        work=WorkSlots(settings.workers, settings.user_jobs, settings.work_queue),
        jobs=JobRunner(database, settings.job_heartbeat_seconds, settings.job_grace_seconds),
    )
    work.configure(settings.workers, settings.cpu_processes)
    analyses.cache.size = settings.analysis_cache
    journal_service.configure_notes(cipher_for(settings))  # trade notes sealed at rest

    for router in (
        health.router,
        auth.router,
        admin.router,
        profile.router,
        security.router,
        bots.router,
        notifications.router,
        strategies.router,
        backtests.router,
        optimisations.router,
        jobs.router,
        journal.router,
        mentor.router,
        metrics.router,
        trading_accounts.router,
    ):
        app.include_router(router)
    app.include_router(backtest_pages.router)
    app.include_router(optimise_pages.router)
    app.include_router(market_pages.router)
    app.include_router(journal_pages.router)
    app.include_router(mentor_pages.router)
    app.include_router(bot_pages.router)
    app.include_router(account_pages.router)
    app.include_router(security_pages.router)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    _serve_api_docs(app)
    install_error_handlers(app, error_page)

    @app.exception_handler(SignInRequired)
    async def _to_login(request: Request, exc: SignInRequired) -> Response:
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)

    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_credentials=True,
            allow_methods=["GET", "POST", "PATCH", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "X-CSRF-Token"],
        )
    app.add_middleware(
        BodyLimitMiddleware,
        limit_for=_body_limit(settings),
        default_language=settings.default_language,
    )
    # outside the body limit: its 413 carries the headers too. Swagger UI at /api/docs runs
    # an inline script, so it goes without the CSP. HSTS whenever cookies are Secure.
    app.add_middleware(
        SecurityHeadersMiddleware,
        headers=SECURITY_HEADERS,
        skip_csp_prefix="/api/docs",
        hsts=f"max-age={settings.hsts_seconds}; includeSubDomains" if settings.hsts_seconds else "",
        hsts_always=bool(settings.secure_cookies),
        hsts_never=settings.secure_cookies is False,
        proxies=app.state.tradeloop.proxies,
    )
    observability.install(app, settings)  # outermost: ids and times every answer
    return app
