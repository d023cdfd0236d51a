"""Secrets, notes and SQL parameters in clear, after a full journey through the API.

A server runs with known random values for its secret key, notes key, metrics token and LLM
API key (the LLM: the tests' scripted OpenAI-compatible server), JSON logs on stderr. One user
goes through: registration, a wrong then a right password, two-factor sign-in turned on, a
journal import, a trade note and a day's note with marker texts, a mentor question to the LLM,
a dataset and a backtest, a bot started and stopped, the data export, the metrics, a password
change, and two writes that fail inside the database (triggers added for the moment refuse
them: a SQL-level error whose statement's parameters hold a marker). Then the server's log
output, every response (body and headers) and the raw database bytes (SQLite file, WAL and
shared memory, read while serving and after the stop) are searched for each value. Where an
owner's own answer may show a value (their notes, their email, their two-factor secret at
enrolment), responses are not counted.
"""

from __future__ import annotations

import re
import secrets
import sqlite3
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pyotp
from cryptography.fernet import Fernet

from audits.report import Section
from audits.serve import HIGH_LIMITS, database, server

TIMEOUT = 120.0
EMAIL = re.compile(rb"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
SQL_TEXT = (b"[SQL:", b"[parameters:", b"sqlite3.", b"psycopg.")


@dataclass
class Captured:
    """Every answer the journey got (status line, headers and body as bytes)."""

    answers: list[bytes] = field(default_factory=list)
    statuses: list[tuple[str, int]] = field(default_factory=list)

    def hook(self, response: httpx.Response) -> None:
        """httpx response hook: keep the whole answer."""
        response.read()
        headers = "\n".join(f"{k}: {v}" for k, v in response.headers.multi_items())
        self.answers.append(headers.encode() + b"\n\n" + response.content)
        self.statuses.append(
            (f"{response.request.method} {response.request.url.path}", response.status_code)
        )


@dataclass(frozen=True)
class Kind:
    """One kind of value searched for: its values, and where it may rightly appear."""

    name: str
    values: tuple[bytes, ...]
    in_db: bool = False
    in_responses: bool = False


def count(haystack: bytes, values: tuple[bytes, ...]) -> int:
    """Occurrences of any of ``values`` in ``haystack``."""
    return sum(haystack.count(value) for value in values if value)


def _ok(answer: httpx.Response, *statuses: int) -> Any:
    if answer.status_code not in (statuses or (200, 201)):
        raise RuntimeError(
            f"{answer.request.method} {answer.request.url.path}: {answer.status_code} "
            f"{answer.text[:300]}"
        )
    kind = answer.headers.get("content-type", "")
    return answer.json() if kind.startswith("application/json") else None


def _database_bytes(data: Path) -> bytes:
    return b"".join(
        path.read_bytes()
        for name in ("tradeloop.db", "tradeloop.db-wal", "tradeloop.db-shm")
        if (path := data / name).exists()
    )


SQL_PARAM = "sqlparam"  # how the failing writes' values begin (the triggers know no more)
TRIGGERS = {  # each refuses a write that carries such a value: an error inside the database
    "audit_refuse_bot": f"BEFORE UPDATE ON bots WHEN NEW.name LIKE '%{SQL_PARAM}%'",
    "audit_refuse_import": (
        f"BEFORE INSERT ON journal_imports WHEN NEW.file_name LIKE '%{SQL_PARAM}%'"
    ),
}


def _failing_write(
    http: httpx.Client, db_file: Path, headers: dict[str, str], bot_id: int, marker: str
) -> list[int | str]:
    """Writes that fail inside the database, at a statement whose parameters hold ``marker``:
    triggers added to the scratch database for the moment refuse them (RAISE). The answers'
    statuses."""
    with sqlite3.connect(db_file, timeout=30) as db:
        for name, when in TRIGGERS.items():
            db.execute(
                f"CREATE TRIGGER {name} {when} "
                "BEGIN SELECT RAISE(ABORT, 'refused by the audit'); END"
            )
    statuses: list[int | str] = []
    writes = [
        ("PATCH", f"/api/bots/{bot_id}", {"json": {"name": f"bot {marker}"}}),
        ("POST", "/api/journal/imports", {
            "data": {"tz": "UTC"},
            "files": {"file": (f"{marker}.csv", _journal_file(), "text/csv")},
        }),
    ]  # fmt: skip
    try:
        for method, path, body in writes:
            try:  # each on a connection of its own (a 5xx may end the connection)
                with httpx.Client(base_url=http.base_url, timeout=TIMEOUT,
                                  event_hooks=http.event_hooks) as fresh:  # fmt: skip
                    answer = fresh.request(method, path, headers=headers, **body)
                statuses.append(answer.status_code)
            except httpx.HTTPError as exc:  # the server hung up without an answer
                statuses.append(f"no answer ({type(exc).__name__}: {exc})")
    finally:
        with sqlite3.connect(db_file, timeout=30) as db:
            for name in TRIGGERS:
                db.execute(f"DROP TRIGGER IF EXISTS {name}")
    return statuses


def _journal_file(seed: int = 3) -> bytes:
    from tradeloop.journal.synthetic import synthetic_export

    return synthetic_export(6, seed=seed)


def journey(base: str, values: dict[str, str], db_file: Path | None) -> tuple[Captured, list[str]]:
    """The user's full journey; what was captured and notes on it."""
    captured = Captured()
    notes: list[str] = []
    with httpx.Client(
        base_url=base, timeout=TIMEOUT, event_hooks={"response": [captured.hook]}
    ) as http:
        email, password = values["email"], values["password"]
        _ok(
            http.post(
                "/api/auth/register",
                json={"name": "Sekar", "email": email, "password": password, "language": "en"},
            ),
            201,
        )
        wrong = http.post("/api/auth/token", data={"username": email, "password": values["wrong"]})
        notes.append(f"wrong password answered {wrong.status_code}")
        token = _ok(http.post("/api/auth/token", data={"username": email, "password": password}))
        h = {"Authorization": f"Bearer {token['access_token']}"}
        enrolment = _ok(http.post("/api/me/two-factor", headers=h))
        values["totp"] = enrolment["secret"]
        codes = _ok(
            http.post(
                "/api/me/two-factor/confirm",
                headers=h,
                json={"code": pyotp.TOTP(enrolment["secret"]).now()},
            )
        )
        values["recovery"] = " ".join(codes["recovery_codes"])
        account = {
            "name": "Exchange",
            "kind": "ccxt",
            "exchange": "binance",
            "api_key": values["exchange_key"],
            "api_secret": values["exchange_secret"],
        }
        added = _ok(http.post("/api/accounts", headers=h, json=account), 201)
        mt5 = {"mt5_password": values["mt5_password"]}
        mt5_account = {"name": "MT5", "kind": "mt5", "mt5_login": "5012345",
                       "mt5_server": "Demo", **mt5}  # fmt: skip
        _ok(http.post("/api/accounts", headers=h, json=mt5_account), 201)
        _ok(http.get(f"/api/accounts/{added['id']}", headers=h))
        _ok(
            http.post(
                "/api/journal/imports",
                headers=h,
                data={"tz": "UTC"},
                files={"file": (values["file_name"], _journal_file(1), "text/csv")},
            )
        )
        first = _ok(http.get("/api/journal/trades?limit=1", headers=h))["items"][0]
        _ok(
            http.put(
                f"/api/journal/notes/{first['trade_key']}",
                headers=h,
                json={"note": f"my trade note {values['trade_note']}", "tags": ["audit"]},
            )
        )
        day = str(first.get("exit_time") or first.get("entry_time") or "2024-01-02")[:10]
        _ok(
            http.post(
                "/api/mentor/feedback",
                headers=h,
                json={"emotion": "calm", "note": f"my day {values['day_note']}", "date": day},
            )
        )
        _ok(http.put("/api/mentor/llm", headers=h, json={"llm": True}))
        thread = _ok(http.post("/api/mentor/threads", headers=h, json={"title": "Chat"}))
        asked = _ok(
            http.post(
                f"/api/mentor/threads/{thread['id']}/messages",
                headers=h,
                json={
                    "question": f"why did I lose? {values['question']}",
                    "provider": "llm",
                    "language": "en",
                },
            )
        )
        notes.append(f"mentor question answered ({len(str(asked)):,} characters of JSON)")
        from tests.api.test_backtests import csv_bytes

        dataset = _ok(
            http.post(
                "/api/datasets",
                headers=h,
                data={"symbol": "EURUSD"},
                files={"file": ("EURUSD_H1.csv", csv_bytes(300), "text/csv")},
            )
        )
        _ok(
            http.post(
                "/api/backtests",
                headers=h,
                data={"strategy": "ma_crossover", "dataset_id": str(dataset["id"])},
            )
        )
        bot = _ok(
            http.post(
                "/api/bots",
                headers=h,
                json={"name": "Sekar's bot", "market": "EURUSD", "strategy": "ma_crossover"},
            ),
            201,
        )
        _ok(
            http.post(
                f"/api/bots/{bot['id']}/start",
                headers=h,
                json={"dataset_id": dataset["id"], "seconds_per_bar": 0.05},
            ),
            200,
            202,
        )
        time.sleep(3)
        _ok(http.post(f"/api/bots/{bot['id']}/stop", headers=h, json={}), 200, 202)
        export = http.get("/api/me/export", headers=h)
        notes.append(f"export answered {export.status_code} ({len(export.content):,} bytes)")
        metrics = http.get("/metrics", headers={"Authorization": f"Bearer {values['metrics']}"})
        notes.append(f"/metrics with its token answered {metrics.status_code}")
        _ok(
            http.post(
                "/api/me/password",
                headers=h,
                json={"current_password": password, "new_password": values["new_password"]},
            ),
            200,
            204,
        )
        again = _ok(
            http.post(
                "/api/auth/token",
                data={
                    "username": email,
                    "password": values["new_password"],
                    "otp": codes["recovery_codes"][0],
                },
            )
        )
        h = {"Authorization": f"Bearer {again['access_token']}"}
        if db_file is not None:
            failed = _failing_write(http, db_file, h, bot["id"], values["sql_param"])
            notes.append(f"writes refused inside the database answered {failed}")
        _ok(http.get("/api/me", headers=h))
    return captured, notes


def run() -> list[Section]:
    """The figures (on SQLite: its raw file is searched)."""
    from tests.fake_llm import fake_llm_server

    section = Section("secrets: logs, responses and database after a full journey")
    started = time.monotonic()
    token = secrets.token_hex(6)
    values = {
        "secret_key": secrets.token_urlsafe(48),
        "notes_key": Fernet.generate_key().decode(),
        "metrics": secrets.token_urlsafe(32),
        "llm_key": f"sk-audit-{secrets.token_hex(20)}",
        "email": f"sekar-{token}@example.com",
        "password": f"first pass {secrets.token_hex(8)}",
        "new_password": f"second pass {secrets.token_hex(8)}",
        "wrong": f"wrong pass {secrets.token_hex(8)}",
        "trade_note": f"tradenote{secrets.token_hex(8)}",
        "day_note": f"daynote{secrets.token_hex(8)}",
        "question": f"question{secrets.token_hex(8)}",
        "file_name": f"orders_fname{secrets.token_hex(6)}.csv",
        "sql_param": f"{SQL_PARAM}{secrets.token_hex(6)}",
        "exchange_key": f"exkey{secrets.token_hex(16)}",
        "exchange_secret": f"exsecret{secrets.token_hex(16)}",
        "mt5_password": f"mt5pass{secrets.token_hex(8)}",
    }
    with tempfile.TemporaryDirectory(prefix="audit-secrets-") as folder, fake_llm_server() as llm:
        llm.then(*[{"content": "You lost on the days you traded without a stop."}] * 20)
        data = Path(folder) / "data"
        data.mkdir()
        settings = {
            **HIGH_LIMITS,
            "TRADELOOP_SECRET_KEY": values["secret_key"],
            "TRADELOOP_NOTES_KEY": values["notes_key"],
            "TRADELOOP_METRICS_TOKEN": values["metrics"],
            "TRADELOOP_LLM_BASE_URL": llm.base_url,
            "TRADELOOP_LLM_MODEL": "fake-model",
            "TRADELOOP_LLM_API_KEY": values["llm_key"],
            "TRADELOOP_LOG_FORMAT": "json",
        }
        with database("sqlite", data) as url, server(data, url, **settings) as served:
            captured, notes = journey(served.base, values, data / "tradeloop.db")
            while_serving = _database_bytes(data)
        after_stop = _database_bytes(data)
        logs = served.stderr.read_bytes() + served.stdout.read_bytes()
        llm_saw_key = sum(
            request.get("_authorization") == f"Bearer {values['llm_key']}"
            for request in llm.requests
        )
    stored = while_serving + after_stop
    responses = b"\n".join(captured.answers)
    kinds = [
        Kind("secret key", (values["secret_key"].encode(),)),
        Kind("notes key", (values["notes_key"].encode(),)),
        Kind("metrics token", (values["metrics"].encode(),)),
        Kind("LLM API key", (values["llm_key"].encode(),)),
        Kind(
            "passwords (first, new, wrong)",
            tuple(values[k].encode() for k in ("password", "new_password", "wrong")),
        ),
        Kind(
            "exchange API key and secret, MT5 password",
            tuple(values[k].encode() for k in ("exchange_key", "exchange_secret", "mt5_password")),
        ),
        Kind("two-factor secret", (values["totp"].encode(),), in_responses=True),
        Kind(
            "recovery codes",
            tuple(c.encode() for c in values["recovery"].split()),
            in_responses=True,
        ),
        Kind("trade note text", (values["trade_note"].encode(),), in_responses=True),
        Kind("day note text", (values["day_note"].encode(),), in_responses=True),
        Kind("mentor question text", (values["question"].encode(),), in_responses=True),
        Kind("SQL parameters of the failed writes", (values["sql_param"].encode(),)),
        Kind(
            "file name (a statement's parameter)",
            (values["file_name"].encode(),),
            in_db=True,
            in_responses=True,
        ),
        Kind("the user's email", (values["email"].encode(),), in_db=True, in_responses=True),
    ]
    section.add("", "logs / database / responses", "", None)
    for kind in kinds:
        found = tuple(count(where, kind.values) for where in (logs, stored, responses))
        shown = " / ".join(
            f"{n} (allowed)" if allowed else str(n)
            for n, allowed in zip(found, (False, kind.in_db, kind.in_responses), strict=True)
        )
        missed = found[0] + found[1] * (not kind.in_db) + found[2] * (not kind.in_responses)
        section.add(kind.name, shown, "0 where not allowed", missed == 0)
    other_emails = sorted({m.decode() for m in EMAIL.findall(logs)})
    section.add("any email address in the logs", len(other_emails), "0", not other_emails)
    sql_in_logs = count(logs, SQL_TEXT)
    section.add("SQL statements or parameter lists in the logs", sql_in_logs, "0", sql_in_logs == 0)
    sql_in_answers = count(responses, SQL_TEXT)
    section.add("SQL text in responses", sql_in_answers, "0", sql_in_answers == 0)
    errors = [(what, status) for what, status in captured.statuses if status >= 500]
    section.add("log lines", logs.count(b"\n"))
    section.add("responses captured", len(captured.answers))
    section.add("database bytes searched (serving + stopped)", len(stored))
    section.add("seconds", f"{time.monotonic() - started:,.0f}")
    section.notes += notes
    section.notes.append(
        f"5xx answers in the journey: {errors or 'none'} (the writes refused inside the "
        "database may answer 5xx)"
    )
    section.notes.append(
        f"requests the LLM server received with the API key (where it belongs): {llm_saw_key}"
    )
    logged_errors = [line for line in logs.splitlines() if b'"level":"error"' in line]
    section.notes.append(f"error lines in the log: {len(logged_errors)}")
    section.notes += [line.decode(errors="replace")[:600] for line in logged_errors[:3]]
    if other_emails:
        section.notes.append(f"emails in the logs: {other_emails[:5]}")
    return [section]
