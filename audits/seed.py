"""Users with real data made through the API, each object named with the user's unique marker,
and the ids of what each user owns."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
from tests.api.test_backtests import csv_bytes
from tests.journal.metatrader_fixtures import mt5_html
from tests.journal.test_csv_formats import NINJATRADER

PASSWORD = "audit password 1"
TIMEOUT = 120.0  # seconds: a loaded machine hashes passwords and runs backtests slowly

# Each user's journal file, from the tests' fixtures (different files: different trade keys)
JOURNALS = {
    "a": ("report_{marker}.html", lambda: mt5_html("en").encode()),
    "b": ("executions_{marker}.csv", lambda: NINJATRADER.encode()),
}
BAR_SEEDS = {"a": 4, "b": 9}  # different bars: different datasets
DAYS = {"a": "2024-01-03", "b": "2024-02-07"}  # the day of each user's own note and report


@dataclass
class SeededUser:
    """A registered user, the marker in every name they gave, and the ids of their objects per
    kind (``bot``, ``dataset``, ``backtest``, ``import``, ``thread``, ``message``, ``goal``,
    ``user``, ``session``, ``job``, ``trade``, ``day``)."""

    label: str
    email: str
    password: str
    marker: str
    headers: dict[str, str] = field(default_factory=dict)
    ids: dict[str, set[Any]] = field(default_factory=dict)

    @property
    def markers(self) -> list[str]:
        """Strings only this user's data contains: the marker (in every name) and the email."""
        return [self.marker, self.email]


def _ok(answer: httpx.Response, *statuses: int) -> dict[str, Any]:
    if answer.status_code not in (statuses or (200, 201)):
        raise RuntimeError(
            f"{answer.request.method} {answer.request.url.path}: {answer.status_code} "
            f"{answer.text[:500]}"
        )
    return answer.json() if answer.content else {}


def sign_in(http: httpx.Client, email: str, password: str) -> dict[str, str]:
    """A bearer header for ``email``."""
    answer = http.post("/api/auth/token", data={"username": email, "password": password})
    return {"Authorization": f"Bearer {_ok(answer)['access_token']}"}


def seed_user(http: httpx.Client, label: str, start_bot: bool = True) -> SeededUser:
    """Register user ``label`` (``a`` or ``b``) and make, through the API: a journal import, a
    dataset, a backtest on it, a bot (started on the dataset), a mentor thread with a question,
    a goal, a trade note, a day's note and that day's report; every name holds the marker."""
    marker = f"mk{label}{secrets.token_hex(6)}"
    user = SeededUser(label, f"{label}-{marker}@example.com", PASSWORD, marker)
    profile = {"name": f"User {marker}", "email": user.email, "password": user.password}
    _ok(http.post("/api/auth/register", json={**profile, "language": "en"}), 201)
    user.headers = sign_in(http, user.email, user.password)
    h = user.headers
    ids: dict[str, set[Any]] = {}

    def keep(kind: str, value: Any) -> Any:
        ids.setdefault(kind, set()).add(value)
        return value

    keep("user", _ok(http.get("/api/me", headers=h))["id"])
    name, data = JOURNALS[label]
    imported = _ok(
        http.post(
            "/api/journal/imports",
            headers=h,
            data={"tz": "Europe/Athens"},
            files={"file": (name.format(marker=marker), data(), "application/octet-stream")},
        )
    )
    keep("import", imported["import"]["id"])
    bars = csv_bytes(400, seed=BAR_SEEDS[label])
    dataset = _ok(
        http.post(
            "/api/datasets",
            headers=h,
            data={"symbol": "EURUSD"},
            files={"file": (f"EURUSD_H1_{marker}.csv", bars, "text/csv")},
        )
    )
    dataset_id = keep("dataset", dataset["id"])
    result = _ok(
        http.post(
            "/api/backtests",
            headers=h,
            data={"strategy": "ma_crossover", "dataset_id": str(dataset_id)},
        )
    )
    keep("backtest", result["id"])
    bot = _ok(
        http.post(
            "/api/bots",
            headers=h,
            json={"name": f"bot {marker}", "market": "EURUSD", "strategy": "ma_crossover"},
        ),
        201,
    )
    keep("bot", bot["id"])
    if start_bot:
        _ok(
            http.post(
                f"/api/bots/{bot['id']}/start",
                headers=h,
                json={"dataset_id": dataset_id, "seconds_per_bar": 0.5},
            ),
            200,
            202,
        )
    thread = _ok(http.post("/api/mentor/threads", headers=h, json={"title": f"chat {marker}"}))
    keep("thread", thread["id"])
    _ok(
        http.post(
            f"/api/mentor/threads/{thread['id']}/messages",
            headers=h,
            json={"question": f"what is my win rate? {marker}", "language": "en"},
        )
    )
    for message in _ok(http.get(f"/api/mentor/threads/{thread['id']}", headers=h)).get(
        "messages", []
    ):
        keep("message", message["id"])
    goal = _ok(
        http.post(
            "/api/journal/goals",
            headers=h,
            json={"name": f"goal {marker}", "mistakes": ["no_stop_loss"], "target": 10},
        )
    )
    keep("goal", goal["id"])
    trades = _ok(http.get("/api/journal/trades?limit=5", headers=h))["items"]
    for trade in trades:
        keep("trade", trade["trade_key"])
        _ok(
            http.put(
                f"/api/journal/notes/{trade['trade_key']}",
                headers=h,
                json={"note": f"note {marker}", "tags": [marker]},
            )
        )
    day = keep("day", DAYS[label])
    _ok(
        http.post(
            "/api/mentor/feedback",
            headers=h,
            json={"emotion": "calm", "note": f"day note {marker}", "date": day},
        )
    )
    _ok(http.post("/api/mentor/reports", headers=h, json={"date": day, "language": "en"}))
    for session in _ok(http.get("/api/me/sessions", headers=h)).get("items", []):
        keep("session", session["id"])
    for job in _ok(http.get("/api/jobs", headers=h)).get("items", []):
        keep("job", job["id"])
    user.ids = ids
    return user


def snapshot(http: httpx.Client, user: SeededUser) -> dict[str, Any]:
    """What ``user`` owns as they see it (names, notes, counts), to compare before and after
    another user's requests; what a running bot changes by itself (its status, the journal
    entry of its trades) is left out."""
    h = user.headers

    def items(path: str, *keys: str) -> list[tuple[Any, ...]]:
        found = _ok(http.get(path, headers=h))
        rows = found.get("items", found) if isinstance(found, dict) else found
        rows = [row for row in rows if row.get("format") != "bot"]  # the running bot's trades
        return sorted(tuple(str(row.get(key)) for key in keys) for row in rows)

    notes = {
        key: _ok(http.get(f"/api/journal/notes/{key}", headers=h)).get("note")
        for key in sorted(user.ids.get("trade", ()))
    }
    threads = {
        thread_id: [
            (m.get("id"), m.get("content") or m.get("text"))
            for m in _ok(http.get(f"/api/mentor/threads/{thread_id}", headers=h)).get(
                "messages", []
            )
        ]
        for thread_id in sorted(user.ids.get("thread", ()))
    }
    me = _ok(http.get("/api/me", headers=h))
    return {
        "me": (me.get("name"), me.get("email")),
        "bots": items("/api/bots?limit=200", "id", "name", "strategy", "market"),
        "datasets": items("/api/datasets?limit=200", "id", "name", "symbol"),
        "backtests": items("/api/backtests?limit=200", "id"),
        "imports": items("/api/journal/imports?limit=200", "id", "file_name"),
        "goals": items("/api/journal/goals", "key", "id", "title", "target"),
        "threads": items("/api/mentor/threads?limit=200", "id", "title"),
        "messages": threads,
        "notes": notes,
    }


def wait_until(check: Any, seconds: float = 60.0) -> bool:
    """Poll ``check()`` until it is true or ``seconds`` pass."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if check():
            return True
        time.sleep(0.5)
    return False
