"""Schemathesis against the served app's OpenAPI spec with two users.

A real ``tradeloop serve`` on a fresh database (SQLite; PostgreSQL too with ``--pg``); users A
and B each make real data through the API first, every name holding their marker. Then every
operation of ``/api/openapi.json`` is sent generated requests with A's bearer token, in four
kinds: valid data (schemathesis' positive mode), invalid data (negative mode), and, where a
path names an object, A's own objects and B's objects (ids in body and query fields too). It
goes on, round after round with other seeds, until the requests sent reach the goal.

Counted: 5xx answers; leaks (an answer to A holding one of B's markers or trade keys, or
B's object ids in a successful answer: ``audits.leaks``); B's data changed after the run (a
cross-user write); requests the server dropped or did not answer.
"""

from __future__ import annotations

import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import httpx
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, Verbosity, given, seed, settings
from schemathesis import GenerationMode

from audits.leaks import LeakDetector
from audits.report import Section
from audits.seed import SeededUser, seed_user, sign_in, snapshot
from audits.serve import HIGH_LIMITS, database, server

GOAL_REQUESTS = 10_000
EXAMPLES = 40  # per operation, kind and round (hypothesis may find fewer distinct ones)
ID_EXAMPLES = 15  # with A's or B's object ids in the path
STREAM_EXAMPLES = 3  # server-sent event streams: each read for STREAM_SECONDS
STREAM_SECONDS = 1.5
TIMEOUT = 120.0  # seconds: a loaded machine answers a backtest slowly
SENDERS = 3  # requests in flight while the next ones are generated
MAX_ROUNDS = 8
# path parameters naming an object: the kind of object
PATH_KINDS = {
    "bot_id": "bot",
    "dataset_id": "dataset",
    "result_id": "backtest",
    "import_id": "import",
    "thread_id": "thread",
    "message_id": "message",
    "goal_id": "goal",
    "job_id": "job",
    "session_id": "session",
    "user_id": "user",
    "day": "day",
    "trade_key": "trade",
}
# body and query fields naming an object: pointed at the user's own objects or the other's
FIELD_KINDS = {"bot_id": "bot", "dataset_id": "dataset", "result_id": "backtest"}
# operations that end A's token when they succeed: A signs in again after them
SESSION_ENDING = {
    ("POST", "/api/auth/logout"),
    ("DELETE", "/api/me/sessions/{session_id}"),
    ("POST", "/api/me/password"),
    ("DELETE", "/api/me"),
}


@dataclass
class Finding:
    """A request worth a look: what was sent and what came back."""

    kind: str  # "5xx", "leak", "dropped"
    operation: str
    method: str
    url: str
    body: str
    status: int | str
    answer: str
    detail: str = ""
    request_id: str = ""

    def line(self) -> str:
        """One line to reproduce it."""
        extra = f" [{self.detail}]" if self.detail else ""
        return (
            f"{self.kind}: {self.method} {self.url} body={self.body} → {self.status} "
            f"{self.answer}{extra}"
        )


@dataclass
class Tally:
    """Counts shared by the sending threads."""

    sent: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    operations: set[str] = field(default_factory=set)
    findings: list[Finding] = field(default_factory=list)
    unsendable: Counter[str] = field(default_factory=Counter)
    refused: Counter[str] = field(default_factory=Counter)  # 429 answers per operation
    unsatisfiable: int = 0
    sign_ins: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


def _shown(value: Any, limit: int = 300) -> str:
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}…({len(text)} chars)"


class Prober:
    """Sends generated cases with A's token and judges each answer."""

    def __init__(self, base: str, a: SeededUser, b: SeededUser) -> None:
        self.base = base
        self.a = a
        self.b = b
        self.auth = dict(a.headers)
        self.detector = LeakDetector([*b.markers, *map(str, b.ids.get("trade", ()))], b.ids)
        self.tally = Tally()
        self.local = threading.local()
        self.auth_lock = threading.Lock()

    def _session(self) -> requests.Session:
        if not hasattr(self.local, "session"):
            self.local.session = requests.Session()
        return self.local.session

    def reauthorize(self) -> None:
        """Sign A in again (a generated request ended their token)."""
        with self.auth_lock, httpx.Client(base_url=self.base, timeout=TIMEOUT) as http:
            if http.get("/api/me", headers=self.auth).status_code == 200:
                return
            self.auth = sign_in(http, self.a.email, self.a.password)
            self.tally.sign_ins += 1

    def send(self, case: Any, stream: bool) -> None:
        """Send one case and record what its answer shows."""
        operation = f"{case.operation.method.upper()} {case.operation.path}"
        timeout = (10, STREAM_SECONDS) if stream else (10, TIMEOUT)
        try:
            response = case.call(
                base_url=self.base, session=self._session(), headers=self.auth, timeout=timeout
            )
        except requests.RequestException as exc:  # the server dropped or never answered it
            with self.tally.lock:
                self.tally.sent += 1
                self.tally.operations.add(operation)
                self.tally.findings.append(
                    Finding("dropped", operation, case.method.upper(), case.formatted_path,
                            _shown(case.body), type(exc).__name__, str(exc)[:200])
                )  # fmt: skip
            return
        except Exception as exc:  # schemathesis could not serialize it: never sent
            with self.tally.lock:
                self.tally.unsendable[type(exc).__name__] += 1
            return
        request = response.request
        url = request.url.removeprefix(self.base) if request.url else case.formatted_path
        headers = {
            name: ", ".join(value) if isinstance(value, list) else str(value)
            for name, value in response.headers.items()
        }
        status = response.status_code
        leaks = self.detector.scan(case.formatted_path, status, response.content, headers)
        with self.tally.lock:
            self.tally.sent += 1
            self.tally.statuses[response.status_code] += 1
            self.tally.operations.add(operation)
            if response.status_code == 429:
                self.tally.refused[operation] += 1
            if response.status_code >= 500 or leaks:
                finding = Finding(
                    "5xx" if response.status_code >= 500 else "leak",
                    operation, request.method or "", url, _shown(request.body),
                    response.status_code, _shown(response.content[:500]), "; ".join(leaks[:5]),
                    headers.get("x-request-id", headers.get("X-Request-ID", "")),
                )  # fmt: skip
                self.tally.findings.append(finding)
                if response.status_code >= 500 and leaks:
                    self.tally.findings.append(replace(finding, kind="leak"))
        ending = (case.operation.method.upper(), case.operation.path) in SESSION_ENDING
        if (ending and response.status_code < 300) or response.status_code == 401:
            self.reauthorize()


def _ids_for(user: SeededUser, parameters: list[str]) -> dict[str, Any] | None:
    """The user's object for each path parameter (the lowest id of its kind), or None when a
    parameter names no object the user has."""
    chosen = {}
    for name in parameters:
        kind = PATH_KINDS.get(name)
        values = sorted(user.ids.get(kind, ()), key=str) if kind else []
        if not values:
            return None
        chosen[name] = values[0]
    return chosen


def _point_at(case: Any, user: SeededUser) -> None:
    """Body and query fields that name an object (``dataset_id``…) set to ``user``'s."""
    for container in (case.body if isinstance(case.body, dict) else None, case.query):
        if not container:
            continue
        for name, kind in FIELD_KINDS.items():
            if name in container and user.ids.get(kind):
                container[name] = min(user.ids[kind])


def _body_fields(operation: Any) -> set[str]:
    """The top-level fields of an operation's request bodies."""
    names: set[str] = set()
    for body in operation.body:
        schema = getattr(body, "definition", {}).get("schema", {}) or {}
        names |= set(_resolved(operation, schema).get("properties", {}))
    return names


def _resolved(operation: Any, schema: dict[str, Any]) -> dict[str, Any]:
    reference = schema.get("$ref")
    if not reference:
        return schema
    found: Any = operation.schema.raw_schema
    for part in reference.lstrip("#/").split("/"):
        found = found.get(part, {})
    return found


def _variants(operation: Any, a: SeededUser, b: SeededUser) -> list[tuple[str, Any, Any]]:
    """(kind, generation mode, path parameters, whose ids go in fields) for one operation."""
    parameters = [p.name for p in operation.path_parameters]
    variants: list[tuple[str, Any, Any]] = [
        ("positive", GenerationMode.POSITIVE, (None, None)),
        ("negative", GenerationMode.NEGATIVE, (None, None)),
    ]
    for label, user in (("A's ids", a), ("B's ids", b)):
        fixed = _ids_for(user, parameters) if parameters else {}
        has_fields = any(p.name in FIELD_KINDS for p in operation.query) or any(
            name in FIELD_KINDS for name in _body_fields(operation)
        )
        if fixed or (fixed == {} and has_fields):
            variants.append((label, GenerationMode.POSITIVE, (fixed or None, user)))
    return variants


def _order(operations: list[Any]) -> list[Any]:
    """Reads first, then writes, then deletions and sign-outs (A keeps objects longest)."""

    def rank(operation: Any) -> int:
        method = operation.method.upper()
        if (method, operation.path) in SESSION_ENDING:
            return 3
        return {"GET": 0, "DELETE": 2}.get(method, 1)

    return sorted(operations, key=lambda op: (rank(op), op.path, op.method))


def _batch(
    prober: Prober, pool: ThreadPoolExecutor, strategy: Any, count: int, seed_value: int,
    whose: SeededUser | None, stream: bool,
) -> None:  # fmt: skip
    """Generate up to ``count`` cases from ``strategy`` and send them (in ``pool``)."""
    pending = []

    @seed(seed_value)
    @settings(
        max_examples=count, deadline=None, database=None, suppress_health_check=list(HealthCheck),
        verbosity=Verbosity.quiet, phases=[Phase.explicit, Phase.generate],
    )  # fmt: skip
    @given(strategy)
    def generate(case: Any) -> None:
        if whose is not None:
            _point_at(case, whose)
        pending.append(pool.submit(prober.send, case, stream))

    try:
        generate()
    except Exception:  # no input of this kind exists (e.g. negative, without parameters)
        prober.tally.unsatisfiable += 1
    for future in pending:
        future.result()


def fuzz(prober: Prober, operations: list[Any], goal: int, examples: int) -> int:
    """Rounds over every operation until ``goal`` requests were sent; the rounds run."""
    rounds = 0
    with ThreadPoolExecutor(SENDERS) as pool:
        while prober.tally.sent < goal and rounds < MAX_ROUNDS:
            rounds += 1
            for operation in _order(operations):
                stream = operation.path.endswith(("/stream", "/events"))
                for kind, mode, (fixed, whose) in _variants(operation, prober.a, prober.b):
                    count = STREAM_EXAMPLES if stream else examples
                    if kind != "positive" and kind != "negative":
                        count = min(count, ID_EXAMPLES)
                    strategy = operation.as_strategy(generation_mode=mode, path_parameters=fixed)
                    seed_value = rounds * 1000 + len(kind)
                    _batch(prober, pool, strategy, count, seed_value, whose, stream)
            prober.reauthorize()
    return rounds


def run(backends: tuple[str, ...] = ("sqlite",), goal: int = GOAL_REQUESTS) -> list[Section]:
    """The figures for each database backend."""
    return [_run_one(backend, goal) for backend in backends]


def _run_one(backend: str, goal: int) -> Section:
    section = Section(f"api: schemathesis, two users ({backend})")
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="audit-api-") as folder:
        data = Path(folder) / "data"
        data.mkdir()
        with database(backend, data) as url, server(data, url, **HIGH_LIMITS) as served:
            with httpx.Client(base_url=served.base, timeout=TIMEOUT) as http:
                a = seed_user(http, "a")
                b = seed_user(http, "b")
                before = snapshot(http, b)
            schema = schemathesis.openapi.from_url(f"{served.base}/api/openapi.json")
            operations = [result.ok() for result in schema.get_all_operations()]
            prober = Prober(served.base, a, b)
            fuzz_started = time.monotonic()
            rounds = fuzz(prober, operations, goal, EXAMPLES)
            fuzz_seconds = time.monotonic() - fuzz_started
            with httpx.Client(base_url=served.base, timeout=TIMEOUT) as http:
                after = snapshot(http, b)
            alive = served.process.poll() is None
        logged = served.stderr.read_text(errors="replace").splitlines()
    tally = prober.tally
    for finding in tally.findings:  # the server's own account of each 5xx
        if finding.kind == "5xx" and finding.request_id:
            lines = [line for line in logged if finding.request_id in line and "unhandled" in line]
            finding.detail = lines[0][:400] if lines else finding.detail
    errors = [f for f in tally.findings if f.kind == "5xx"]
    leaks = [f for f in tally.findings if f.kind == "leak"]
    dropped = [f for f in tally.findings if f.kind == "dropped"]
    changed = [kind for kind in before if before[kind] != after.get(kind)]
    section.at_least("requests sent", tally.sent, goal)
    section.at_most("server errors (5xx)", len(errors))
    section.at_most("leaks: answers to A with B's data", len(leaks))
    section.at_most("B's data changed by A's requests", len(changed))
    section.at_most("requests dropped or unanswered", len(dropped))
    section.add("operations covered", f"{len(tally.operations)} of {len(operations)}")
    section.add(
        "answers by status",
        ", ".join(f"{status}: {n:,}" for status, n in sorted(tally.statuses.items())),
    )
    section.add("rounds (seeds)", rounds)
    section.add("A signed in again (a request ended the token)", tally.sign_ins)
    section.add("server still running at the end", "yes" if alive else "NO", "yes", alive)
    seconds = time.monotonic() - started
    section.add("seconds (fuzzing / in all)", f"{fuzz_seconds:,.0f} / {seconds:,.0f}")
    section.notes.append(
        f"server: tradeloop serve, 1 process, {backend}; limits raised for the flood: "
        + ", ".join(f"{k}={v}" for k, v in HIGH_LIMITS.items())
        + " (the highest values the settings accept)"
    )
    section.notes.append(
        f"schemathesis {schemathesis.__version__}: per operation and round up to {EXAMPLES} "
        f"positive and {EXAMPLES} negative cases, {ID_EXAMPLES} with A's and {ID_EXAMPLES} with "
        f"B's object ids; streams {STREAM_EXAMPLES} cases read for {STREAM_SECONDS} s"
    )
    uncovered = sorted({f"{op.method.upper()} {op.path}" for op in operations} - tally.operations)
    if uncovered:
        section.notes.append(f"operations never sent: {', '.join(uncovered)}")
    if tally.unsendable:
        section.notes.append(f"cases schemathesis could not send: {dict(tally.unsendable)}")
    for kind in changed:
        section.notes.append(
            f"B's {kind} changed: before {_shown(before[kind], 600)}, "
            f"after {_shown(after.get(kind), 600)}"
        )
    busy = sorted(tally.refused.items(), key=lambda item: -item[1])
    if busy:
        section.notes.append(
            "429 answers (limits not raised: per-user jobs at once, two-factor code attempts…): "
            + ", ".join(f"{operation} {n}" for operation, n in busy)
        )
    for finding in [*errors, *leaks, *dropped][:40]:
        section.notes.append(finding.line())
    return section
