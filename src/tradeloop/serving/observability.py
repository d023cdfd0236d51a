"""Request ids, access log lines, Prometheus metrics and the log format of a served app.

Every HTTP request gets an id (the caller's ``X-Request-ID`` when it is 1-64 letters, digits
and dashes, else a new one), sent back in ``X-Request-ID`` and carried by every log line
written while the request runs (a context variable: threads started for the request inherit
it). One access line per request names the method, the route's template (``/api/bots/
{bot_id}``, never the path as sent), the status and the duration: no query string, cookie or
header, and the client's address only with ``TRADELOOP_LOG_CLIENT_ADDRESS``.

Metrics (``/metrics``, see ``tradeloop.api.metrics``): requests and latency per route
template, failed sign-ins and the work queue's depth are counted in the process; jobs, bots,
bot orders and LLM tokens are counted in the database at scrape time, so every process
answers the same. With several server processes, ``PROMETHEUS_MULTIPROC_DIR`` names a
folder where each process keeps its counters and the one answering sums them all
(prometheus_client's multiprocess mode); ``tradeloop serve --workers N`` makes a private one
when it is unset.

Logged exceptions show their type, the first line of their message (a database error's own
message, without the SQL statement and its parameters) and the stack's file, line and
function names: never local variables nor the values a statement was given.
"""

from __future__ import annotations

import atexit
import hmac
import json
import logging
import os
import re
import shutil
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from contextvars import ContextVar
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import prometheus_client
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from sqlalchemy.exc import SQLAlchemyError, StatementError
from starlette.routing import Mount

from tradeloop.config import Settings
from tradeloop.services.monitoring import queue_depth, tally

Scope = dict[str, Any]
Receive = Callable[[], Any]
Send = Callable[[dict[str, Any]], Any]

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
REQUEST_ID_HEADER = b"x-request-id"
REQUEST_ID = re.compile(r"[A-Za-z0-9-]{1,64}")
UNMATCHED = "unmatched"  # the route label of a path no route matched (a 404, a redirect)
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
MESSAGE_CHARS = 300  # longest exception message logged
STACK_FRAMES = 30  # innermost frames of a logged stack
QUIET_MODULES = ("h11", "httptools")  # HTTP parsers: their errors are logged by type only

log = logging.getLogger("tradeloop")
access_log = logging.getLogger("tradeloop.access")
_request_id: ContextVar[str | None] = ContextVar("tradeloop_request_id", default=None)
_metrics: ContextVar[Metrics | None] = ContextVar("tradeloop_metrics", default=None)

prometheus_client.disable_created_metrics()  # no *_created series: half the series


def current_request_id() -> str | None:
    """The id of the request this code runs for, or None outside a request."""
    return _request_id.get()


def count_sign_in_failure() -> None:
    """Count one failed sign-in (wrong email or password) of the current request's app; does
    nothing outside a request."""
    metrics = _metrics.get()
    if metrics is not None:
        metrics.sign_in_failures.inc()


def multiprocess_dir() -> str | None:
    """The folder of prometheus_client's multiprocess mode, when it is on."""
    return os.environ.get(MULTIPROC_ENV) or None


def prepare_workers(workers: int) -> None:
    """Before ``tradeloop serve`` starts its processes: empty the multiprocess folder of an
    earlier run's files (counters start at 0 with the server) or, with several processes
    and no folder set, make a private one for this run (removed at exit)."""
    folder = multiprocess_dir()
    if folder is not None:
        for stale in Path(folder).glob("*.db"):
            stale.unlink(missing_ok=True)
    elif workers > 1:
        folder = tempfile.mkdtemp(prefix="tradeloop-metrics-")
        os.environ[MULTIPROC_ENV] = folder  # the server processes inherit it
        atexit.register(shutil.rmtree, folder, ignore_errors=True)


# --- metrics -----------------------------------------------------------------------------


class DatabaseCollector:
    """The counts read from the database at each scrape, and this process's queue depth
    (outside multiprocess mode)."""

    def __init__(self, state: Any, with_queue: bool) -> None:
        self.state = state
        self.with_queue = with_queue

    def describe(self) -> list[Metric]:
        """Nothing to check at registration (a scrape reads the database)."""
        return []

    def collect(self) -> Iterator[Metric]:
        """One small query per figure; none when the database fails (the request figures
        are still served, and the failure logged)."""
        if self.with_queue:
            yield GaugeMetricFamily(
                "tradeloop_work_queue_depth",
                "CPU-heavy requests and jobs waiting for a worker.",
                value=queue_depth(self.state.work),
            )
        try:
            counts = tally(self.state.database)
        except SQLAlchemyError as exc:
            log.warning("metrics: database counts unavailable: %s", describe_exception(exc))
            return
        jobs = GaugeMetricFamily("tradeloop_jobs", "Background jobs by state.", labels=["state"])
        for state, number in counts.jobs.items():
            jobs.add_metric([state], number)
        yield jobs
        bots = GaugeMetricFamily("tradeloop_bots", "Bots by status.", labels=["status"])
        for status, number in counts.bots.items():
            bots.add_metric([status], number)
        yield bots
        yield CounterMetricFamily(
            "tradeloop_bot_orders", "Paper-bot orders filled.", value=counts.bot_orders
        )
        yield CounterMetricFamily(
            "tradeloop_llm_tokens", "LLM tokens used (prompt and completion).",
            value=counts.llm_tokens,
        )  # fmt: skip


class Metrics:
    """One app's metrics: its own registry (one app per server process; tests build many),
    or prometheus_client's multiprocess files when ``PROMETHEUS_MULTIPROC_DIR`` is set."""

    def __init__(self, state: Any) -> None:
        self.state = state
        self.multiprocess = multiprocess_dir() is not None
        own = None if self.multiprocess else CollectorRegistry()
        self.requests = Counter(
            "tradeloop_http_requests", "HTTP requests answered, by route template.",
            ["method", "route", "status"], registry=own,
        )  # fmt: skip
        self.latency = Histogram(
            "tradeloop_http_request_seconds", "Time to answer an HTTP request.",
            ["method", "route"], buckets=BUCKETS, registry=own,
        )  # fmt: skip
        self.sign_in_failures = Counter(
            "tradeloop_sign_in_failures", "Failed sign-ins (wrong email or password).",
            registry=own,
        )  # fmt: skip
        self.queue = None
        if self.multiprocess:  # set by each process after each request; live ones summed
            from prometheus_client import multiprocess

            self.queue = Gauge(
                "tradeloop_work_queue_depth",
                "CPU-heavy requests and jobs waiting for a worker.",
                multiprocess_mode="livesum", registry=None,
            )  # fmt: skip
            self.registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(self.registry)
            pid = os.getpid()
            atexit.register(multiprocess.mark_process_dead, pid)
        else:
            assert own is not None
            self.registry = own
        self.registry.register(DatabaseCollector(state, with_queue=not self.multiprocess))

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        """Count one answered request."""
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(method, route).observe(seconds)
        if self.queue is not None:
            self.queue.set(queue_depth(self.state.work))

    def exposition(self) -> bytes:
        """The text format a Prometheus server scrapes."""
        if self.queue is not None:
            self.queue.set(queue_depth(self.state.work))
        return prometheus_client.generate_latest(self.registry)


def metrics_of(app: Any) -> Metrics:
    """The metrics of ``app`` (made by ``install``)."""
    return app.state.metrics


def bearer_matches(header: str | None, token: str) -> bool:
    """Whether an Authorization header is ``Bearer <token>`` (compared in constant time)."""
    scheme, _, given = (header or "").partition(" ")
    if scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(given.strip().encode(), token.encode())


# --- requests ----------------------------------------------------------------------------


def _plain_routes(routes: Iterable[Any]) -> Iterator[tuple[Any, str]]:
    """(endpoint, template) of the routes that do not name themselves in the scope."""
    for route in routes:
        inner = getattr(route, "routes", None) or getattr(
            getattr(route, "original_router", None), "routes", None
        )
        if inner and not isinstance(route, Mount):
            yield from _plain_routes(inner)
        elif getattr(route, "endpoint", None) is not None and hasattr(route, "path_format"):
            yield route.endpoint, route.path_format


def route_of(scope: Scope) -> str:
    """The template of the route that answered (``/api/bots/{bot_id}``; a mounted folder's
    ``/static/{path}``), or ``unmatched``."""
    route = scope.get("route")
    if route is not None:  # FastAPI's own routes
        if isinstance(route, Mount):
            return f"{route.path}/{{path}}"
        return getattr(route, "path_format", None) or getattr(route, "path", UNMATCHED)
    if "app_root_path" in scope:  # a mounted app (static files) under its prefix
        return f"{scope.get('root_path', '')[len(scope['app_root_path']) :]}/{{path}}"
    endpoint = scope.get("endpoint")
    app = scope.get("app")
    if endpoint is None or app is None:
        return UNMATCHED
    paths = getattr(app.state, "_route_paths", None)
    if paths is None:  # a plain Starlette route (the OpenAPI document): found once
        paths = app.state._route_paths = dict(_plain_routes(app.routes))
    return paths.get(endpoint, UNMATCHED)


def _incoming_id(headers: Iterable[tuple[bytes, bytes]]) -> str | None:
    for name, value in headers:
        if name == REQUEST_ID_HEADER:
            text = value.decode("latin-1")
            return text if REQUEST_ID.fullmatch(text) else None
    return None


class ObservabilityMiddleware:
    """The request id, one access line and the request metrics for every HTTP request."""

    def __init__(self, app: Any, metrics: Metrics, client_address: bool = False) -> None:
        self.app = app
        self.metrics = metrics
        self.client_address = client_address

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        request_id = _incoming_id(scope["headers"]) or os.urandom(16).hex()
        id_token = _request_id.set(request_id)
        metrics_token = _metrics.set(self.metrics)
        header = (REQUEST_ID_HEADER, request_id.encode())
        status = 0

        async def send_with_id(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message = {**message, "headers": [*message.get("headers", ()), header]}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:  # the server answers 500; its error line keeps the request id
            self._done(scope, status or 500, start)
            raise
        except BaseException:  # cancelled: the client went away (nginx's 499)
            self._done(scope, status or 499, start)
            raise
        self._done(scope, status, start)
        _metrics.reset(metrics_token)
        _request_id.reset(id_token)

    def _done(self, scope: Scope, status: int, start: float) -> None:
        seconds = time.perf_counter() - start
        method = scope["method"] if scope["method"] in METHODS else "other"
        route = route_of(scope)
        self.metrics.observe(method, route, status, seconds)
        if access_log.isEnabledFor(logging.INFO) and access_log.hasHandlers():  # else unread
            extra: dict[str, Any] = {
                "method": method, "route": route, "status": status,
                "duration_ms": round(seconds * 1000, 1),
            }  # fmt: skip
            if self.client_address and scope.get("client"):
                extra["client"] = scope["client"][0]
            access_log.info(
                "%s %s %s %.1fms", method, route, status, extra["duration_ms"], extra=extra
            )


def install(app: Any, settings: Settings) -> None:
    """Add the middleware (outermost of the app's own: it times and ids everything, 413s
    included) and the app's metrics; call after the app's other middleware."""
    app.state.metrics = Metrics(app.state.tradeloop)
    app.add_middleware(
        ObservabilityMiddleware,
        metrics=app.state.metrics,
        client_address=settings.log_client_address,
    )


# --- log format --------------------------------------------------------------------------


def _first_line(text: str) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= MESSAGE_CHARS else line[: MESSAGE_CHARS - 1] + "…"


def describe_exception(exc: BaseException) -> str:
    """``Type: message`` safe to log: a database error's own message (its first line, without
    the statement, its parameters or PostgreSQL's DETAIL with the row's values); an HTTP
    parser's error by its type alone."""
    name = type(exc).__name__
    if type(exc).__module__.startswith(QUIET_MODULES):  # may quote a header (a cookie)
        return name
    if isinstance(exc, StatementError):  # the driver's message: its error's name when other
        cause, text = exc.orig, ""
        if cause is not None:
            kind = type(cause).__name__
            text = str(cause) if kind == name else f"{kind}: {cause}"
    else:
        text = str(exc)
    message = _first_line(text)
    return f"{name}: {message}" if message else name


def _stack(exc: BaseException) -> list[str]:
    frames = traceback.extract_tb(exc.__traceback__)[-STACK_FRAMES:]
    return [f"{frame.filename}:{frame.lineno} in {frame.name}" for frame in frames]


def exception_fields(exc: BaseException) -> dict[str, Any]:
    """An exception as log fields: its description, its stack (file, line, function) and
    the description of each exception it was raised from."""
    fields: dict[str, Any] = {"error": describe_exception(exc), "stack": _stack(exc)}
    causes = []
    seen = {id(exc)}
    cause = exc.__cause__ or exc.__context__
    while cause is not None and id(cause) not in seen and len(causes) < 5:
        seen.add(id(cause))
        causes.append(describe_exception(cause))
        cause = cause.__cause__ or cause.__context__
    if causes:
        fields["causes"] = causes
    return fields


_STANDARD = frozenset(
    logging.LogRecord("", 0, "", 0, "", None, None).__dict__.keys()
    | {"message", "asctime", "request_id", "color_message", "taskName"}
)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC), level, logger, message, the request id when the
    line was written for a request, the record's extra fields, and a logged exception's safe
    fields (``describe_exception``)."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as one line of JSON."""
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None) or _request_id.get()
        if request_id:
            line["request_id"] = request_id
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                line[key] = value
        if record.exc_info and record.exc_info[1] is not None:
            line.update(exception_fields(record.exc_info[1]))
        try:
            return orjson.dumps(line, default=str).decode()
        except (TypeError, orjson.JSONEncodeError):  # a lone surrogate, a huge integer
            return json.dumps(line, default=str)


class TextFormatter(logging.Formatter):
    """``time level logger [request id] message``, a logged exception as its safe fields."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        """The record as text (the exception's lines indented below it)."""
        request_id = getattr(record, "request_id", None) or _request_id.get()
        exc_info, record.exc_info, record.exc_text = record.exc_info, None, None
        try:
            text = super().format(record)
        finally:
            record.exc_info = exc_info
        if request_id:
            text = f"{text} [request {request_id}]"
        if exc_info and exc_info[1] is not None:
            fields = exception_fields(exc_info[1])
            lines = [fields["error"], *fields["stack"], *fields.get("causes", ())]
            text += "".join(f"\n    {line}" for line in lines)
        return text


def stderr_handler(log_format: str = "json") -> logging.Handler:
    """The handler of a served app's logs: stderr in ``log_format``; Python's warnings are
    logged through it too (as ``py.warnings``), so stderr holds only formatted lines."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    logging.captureWarnings(True)
    return handler


def log_config(settings: Settings) -> dict[str, Any]:
    """The logging configuration ``tradeloop serve`` hands uvicorn (each server process
    applies it): tradeloop's, uvicorn's and the warnings' lines through one formatter on
    stderr. uvicorn's own access lines stay off (they carry the query string and the
    client's address): the middleware writes the access line."""
    handler = {"()": f"{__name__}.stderr_handler", "log_format": settings.log_format}
    one = {"handlers": ["stderr"], "propagate": False}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "handlers": {"stderr": handler},
        "loggers": {
            "tradeloop": {**one, "level": "DEBUG" if settings.debug else "INFO"},
            "uvicorn": {**one, "level": "INFO"},
            "uvicorn.error": {"level": "INFO"},
            "uvicorn.access": {"handlers": [], "propagate": False},
            "py.warnings": one,
        },
        "root": {"handlers": ["stderr"], "level": "WARNING"},
    }
