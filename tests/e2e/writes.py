"""Every kind of write a user makes over the API, each with the read that must see it.

``WRITES`` maps a name to a function that makes the write through ``http`` for the account in
``account`` and returns the check: a function that reads it back (through any server on the
same database) and asserts it is there, with the values sent.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

from tests.journal.helpers import export, fill
from tradeloop.market.synthetic import random_walk_bars

PASSWORD = "correct horse battery"
SETTINGS = '{"sl_atr": 2, "tp_atr": 4, "units": 1}'


@dataclass
class Account:
    """A user, signed in: the password changes when a write changes it."""

    email: str
    password: str = PASSWORD
    headers: dict[str, str] = field(default_factory=dict)

    def sign_in(self, http: httpx.Client) -> None:
        """New bearer headers from POST /api/auth/token (asserting it signs in)."""
        token = http.post(
            "/api/auth/token", data={"username": self.email, "password": self.password}
        )
        assert token.status_code == 200, token.text
        self.headers = {"Authorization": f"Bearer {token.json()['access_token']}"}

    def register(self, http: httpx.Client) -> None:
        """Create the account and sign in at once."""
        body = {"name": "K", "email": self.email, "password": self.password}
        assert http.post("/api/auth/register", json=body).status_code == 201
        self.sign_in(http)


Check = Callable[[httpx.Client, Account], None]


def _bars(seed: int) -> bytes:
    return random_walk_bars(400, seed=seed).to_csv(date_format="%Y-%m-%d %H:%M:%S").encode()


def _ok(response: httpx.Response, status: int = 201) -> dict:
    assert response.status_code == status, response.text
    return response.json() if response.content else {}


def _get(http: httpx.Client, account: Account, path: str, status: int = 200) -> dict:
    response = http.get(path, headers=account.headers)
    assert response.status_code == status, (path, response.text)
    return response.json()


def bot(http: httpx.Client, account: Account, i: int) -> Check:
    made = _ok(http.post("/api/bots", headers=account.headers,
                         json={"name": f"bot {i}", "market": "EURUSD", "strategy": "ma_crossover"}))  # fmt: skip
    return lambda h, a: _check_equal(_get(h, a, f"/api/bots/{made['id']}")["name"], f"bot {i}")


def bot_change_and_delete(http: httpx.Client, account: Account, i: int) -> Check:
    made = _ok(http.post("/api/bots", headers=account.headers,
                         json={"name": "b", "market": "EURUSD", "strategy": "ma_crossover"}))  # fmt: skip
    path = f"/api/bots/{made['id']}"
    _ok(http.patch(path, headers=account.headers, json={"name": f"renamed {i}"}), 200)
    assert _get(http, account, path)["name"] == f"renamed {i}"
    _ok(http.delete(path, headers=account.headers), 204)
    return _gone(path)


def dataset(http: httpx.Client, account: Account, i: int) -> Check:
    made = _ok(http.post("/api/datasets", headers=account.headers,
                         files={"file": ("GBPUSD_H1.csv", _bars(100 + i), "text/csv")}))  # fmt: skip
    return lambda h, a: _check_equal(_get(h, a, f"/api/datasets/{made['id']}")["bars"], 400)


def backtest(http: httpx.Client, account: Account, i: int) -> Check:
    made = _ok(http.post("/api/backtests", headers=account.headers,
                         data={"strategy": "ma_crossover", "settings": SETTINGS},
                         files={"file": ("EURUSD_H1.csv", _bars(200 + i), "text/csv")}))  # fmt: skip
    return lambda h, a: _check_equal(
        _get(h, a, f"/api/backtests/{made['id']}")["stats"], made["stats"]
    )


def rerun_and_delete(http: httpx.Client, account: Account, i: int) -> Check:
    first = _ok(http.post("/api/backtests", headers=account.headers,
                          data={"strategy": "ma_crossover", "settings": SETTINGS},
                          files={"file": ("EURUSD_H1.csv", _bars(300 + i), "text/csv")}))  # fmt: skip
    again = _ok(http.post(f"/api/backtests/{first['id']}/rerun", headers=account.headers,
                          json={"params": {"fast_period": 10}}))  # fmt: skip
    _ok(http.delete(f"/api/backtests/{first['id']}", headers=account.headers), 204)

    def check(h: httpx.Client, a: Account) -> None:
        assert (
            _get(h, a, f"/api/backtests/{again['id']}")["parameters"]["strategy"]["fast_period"]
            == 10
        )
        _get(h, a, f"/api/backtests/{first['id']}", 404)

    return check


def journal_import(http: httpx.Client, account: Account, i: int) -> Check:
    orders = export(fill(1, "09:00:00", "Buy", 1, 100 + i), fill(2, "09:05:00", "Sell", 1, 103 + i))
    made = _ok(http.post("/api/journal/imports", headers=account.headers, data={"tz": "UTC"},
                         files={"file": (f"orders{i}.csv", orders, "text/csv")}))  # fmt: skip
    path = f"/api/journal/imports/{made['import']['id']}"
    return lambda h, a: _check_equal(_get(h, a, path)["trades"], 1)


def import_delete(http: httpx.Client, account: Account, i: int) -> Check:
    orders = export(fill(1, "10:00:00", "Sell", 2, 50 + i), fill(2, "10:05:00", "Buy", 2, 49 + i))
    made = _ok(http.post("/api/journal/imports", headers=account.headers, data={"tz": "UTC"},
                         files={"file": (f"gone{i}.csv", orders, "text/csv")}))  # fmt: skip
    path = f"/api/journal/imports/{made['import']['id']}"
    _ok(http.delete(path, headers=account.headers), 204)
    return _gone(path)


def goal(http: httpx.Client, account: Account, i: int) -> Check:
    made = _ok(http.post("/api/journal/goals", headers=account.headers,
                         json={"name": f"goal {i}", "mistakes": ["no_stop_loss"], "target": 5}))  # fmt: skip
    path = f"/api/journal/goals/{made['id']}"
    _ok(http.put(path, headers=account.headers,
                 json={"name": f"goal {i}", "mistakes": ["no_stop_loss"], "target": 7 + i}), 200)  # fmt: skip

    def check(h: httpx.Client, a: Account) -> None:
        goals = {g["key"]: g for g in _get(h, a, "/api/journal/goals")["items"]}
        own = goals[f"goal-{made['id']}"]
        assert own["title"]["en"] == f"goal {i}" and own["target"] == 7 + i

    return check


def habit_settings(http: httpx.Client, account: Account, i: int) -> Check:
    chosen = {"sigma_loss": 1.5 + i / 10, "sigma_risk": 2.0, "k": 3.0, "vr": 0.5}
    _ok(http.put("/api/journal/settings", headers=account.headers, json=chosen), 200)
    return lambda h, a: _check_equal(_get(h, a, "/api/journal/settings"), chosen)


def feedback(http: httpx.Client, account: Account, i: int) -> Check:
    day = f"2024-02-{10 + i:02d}"
    _ok(http.post("/api/mentor/feedback", headers=account.headers,
                  json={"emotion": "calm", "note": f"note {i}", "date": day}), 200)  # fmt: skip
    return lambda h, a: _check_equal(_get(h, a, f"/api/mentor/sessions/{day}")["note"], f"note {i}")


def thread_message(http: httpx.Client, account: Account, i: int) -> Check:
    thread = _ok(http.post("/api/mentor/threads", headers=account.headers,
                           json={"title": f"chat {i}"}))  # fmt: skip
    path = f"/api/mentor/threads/{thread['id']}"
    _ok(http.post(f"{path}/messages", headers=account.headers,
                  json={"question": "how many trades?", "language": "en"}))  # fmt: skip

    def check(h: httpx.Client, a: Account) -> None:
        messages = _get(h, a, path)["messages"]
        assert [m["role"] for m in messages] == ["user", "assistant"]

    return check


def profile(http: httpx.Client, account: Account, i: int) -> Check:
    change = {"name": f"Kartika {i}", "timezone": "Asia/Jakarta", "language": "en"}
    _ok(http.patch("/api/me", headers=account.headers, json=change), 200)

    def check(h: httpx.Client, a: Account) -> None:
        me = _get(h, a, "/api/me")
        assert {key: me[key] for key in change} == change

    return check


def password(http: httpx.Client, account: Account, i: int) -> Check:
    old, new = account.password, f"a new passphrase {i}"
    body = {"current_password": old, "new_password": new}
    _ok(http.post("/api/me/password", headers=account.headers, json=body), 204)
    account.password = new

    def check(h: httpx.Client, a: Account) -> None:
        refused = h.post("/api/auth/token", data={"username": a.email, "password": old})
        assert refused.status_code == 401
        a.sign_in(h)

    return check


def background_job(http: httpx.Client, account: Account, i: int) -> Check:
    made = http.post("/api/datasets?background=true", headers=account.headers,
                     files={"file": ("USDJPY_H1.csv", _bars(400 + i), "text/csv")})  # fmt: skip
    job = _ok(made, 202)

    def check(h: httpx.Client, a: Account) -> None:  # done, running, or interrupted: never lost
        assert _get(h, a, f"/api/jobs/{job['id']}")["kind"] == "dataset"

    return check


def _check_equal(found: object, expected: object) -> None:
    assert found == expected


def _gone(path: str) -> Check:
    def check(http: httpx.Client, account: Account) -> None:
        _get(http, account, path, 404)

    return check


WRITES: dict[str, Callable[[httpx.Client, Account, int], Check]] = {
    "bot": bot,
    "bot change and delete": bot_change_and_delete,
    "dataset": dataset,
    "backtest": backtest,
    "rerun and delete": rerun_and_delete,
    "journal import": journal_import,
    "import delete": import_delete,
    "goal": goal,
    "habit settings": habit_settings,
    "feedback": feedback,
    "thread message": thread_message,
    "profile": profile,
    "password": password,
    "background job": background_job,
}
