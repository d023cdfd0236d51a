"""The per-user data export (services.data_export): data made by the real features of two
users, exported; each file holds exactly the user's rows, notes decrypted, formula cells
neutralised in the CSVs (and verbatim in the JSON), no password hash, nothing of the other."""

from __future__ import annotations

import asyncio
import csv
import io
import shutil
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text

from tests.api.test_backtests import csv_bytes
from tests.conftest import bearer, in_english, register, run_async
from tests.journal.helpers import export, fill, stop
from tradeloop.app import create_app
from tradeloop.config import Settings
from tradeloop.core.codes import BotStatus
from tradeloop.services import data_export
from tradeloop.services.backtests import execution_settings, run_and_save
from tradeloop.services.paper_bots import Supervisor
from tradeloop.store import mentor as mentor_repo
from tradeloop.store.db import scratch_database, transaction
from tradeloop.store.models import Bot, DailyTradingData, TradingSession, User
from tradeloop.strategies.base import get_strategy

FORMULA = '=HYPERLINK("http://x")'
COMMAND = "=CMD|' /C CALC'!A0"
BOT_NAME = "@SUM(1+1) bot"
NOW = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
DAY = "2024-01-02"


def journal_file(contract: str) -> bytes:
    """A Tradovate export of two trades on 2 January 2024 (-10 and +8 points)."""
    return export(
        fill(1, "09:00:00", "Buy", 1, 100, contract=contract),
        stop(2, "09:00:00", "Sell", 96, "Cancelled", contract=contract),
        fill(3, "09:05:00", "Sell", 1, 90, "Limit", contract=contract),
        fill(4, "09:05:30", "Buy", 1, 91, contract=contract),
        fill(5, "09:09:00", "Sell", 1, 99, "Limit", contract=contract),
    )


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json() if response.content else None


def run_bots(client: TestClient, ids: list[int]) -> None:
    """Run the supervisor until each bot has replayed its data to the end."""
    sessions = client.app.state.tradeloop.sessions

    def busy() -> bool:
        with transaction(sessions) as session:
            working = (BotStatus.STARTING, BotStatus.RUNNING, BotStatus.STOPPING)
            return any(session.get(Bot, bot_id).status in working for bot_id in ids)

    async def run() -> None:
        stop_event = asyncio.Event()
        supervisor = Supervisor(sessions, lease_seconds=5, poll_seconds=0.05)
        task = asyncio.create_task(supervisor.run(stop_event))
        deadline = time.monotonic() + 180  # however loaded the machine
        while time.monotonic() < deadline and busy():
            await asyncio.sleep(0.05)
        stop_event.set()
        await task

    run_async(run())


def make_user(client: TestClient, person: dict[str, str]) -> dict[str, Any]:
    """One user's data, each kind made by the feature that makes it: returns the user's id,
    headers and the ids made."""
    register(client, person["email"], person["name"])
    headers = in_english(client, bearer(client, person["email"]))
    me = ok(client.get("/api/me", headers=headers))
    files = {"file": ("orders.csv", journal_file(person["contract"]), "text/csv")}
    imported = ok(client.post("/api/journal/imports", headers=headers, files=files), 201)
    trade = ok(client.get("/api/journal/trades?limit=1", headers=headers))["items"][0]
    ok(
        client.put(
            f"/api/journal/notes/{trade['trade_key']}",
            headers=headers,
            json={"note": person["note"], "tags": [person["tag"]]},
        )
    )
    ok(
        client.post(
            "/api/mentor/feedback",
            headers=headers,
            json={"emotion": "calm", "note": person["diary"], "date": DAY},
        )
    )
    ok(client.post("/api/mentor/reports", headers=headers, json={"date": DAY}), 201)
    goal = {"name": person["goal"], "mistakes": ["no_stop_loss"], "target": 10}
    ok(client.post("/api/journal/goals", headers=headers, json=goal), 201)
    ok(
        client.put(
            "/api/journal/settings",
            headers=headers,
            json={"sigma_loss": 2.0, "sigma_risk": 1.5, "k": 1.0, "vr": 0.35},
        )
    )
    thread = ok(
        client.post("/api/mentor/threads", headers=headers, json={"title": person["thread"]}), 201
    )
    ok(
        client.post(
            f"/api/mentor/threads/{thread['id']}/messages",
            headers=headers,
            json={"question": "what is my win rate?"},
        ),
        201,
    )
    state = client.app.state.tradeloop
    with transaction(state.sessions) as session:  # a backtest through the service
        result = run_and_save(
            session,
            me["id"],
            get_strategy("ma_crossover"),
            execution_settings({"sl_atr": 2, "tp_atr": 4, "units": 1, "spread_pips": 0}),
            upload=(person["bars"], csv_bytes(600, seed=4)),
            symbol=person["symbol"],
        )
        ids = {"backtest": result.id, "dataset": result.dataset_id}
        mentor_repo.add_llm_call(
            session, me["id"], created_at=NOW, model=person["model"], tools=["win_rate"],
            rounds=1, prompt_tokens=120, completion_tokens=30, duration_ms=900, outcome="ok",
        )  # fmt: skip
    job = ok(
        client.post(
            "/api/datasets?background=true",
            headers=headers,
            files={"file": (person["bars"], csv_bytes(300, seed=9), "text/csv")},
        ),
        202,
    )
    deadline = time.monotonic() + 120
    while (followed := ok(client.get(f"/api/jobs/{job['id']}", headers=headers)))[
        "state"
    ] != "done":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    ids["replayed"] = followed["result"]["id"]
    bot = ok(
        client.post(
            "/api/bots",
            headers=headers,
            json={"name": person["bot"], "market": person["symbol"], "strategy": "ma_crossover"},
        ),
        201,
    )
    gone = ok(
        client.post(
            "/api/bots",
            headers=headers,
            json={"name": person["bot"] + " old", "market": "EURUSD", "strategy": "ma_crossover"},
        ),
        201,
    )
    ok(client.delete(f"/api/bots/{gone['id']}", headers=headers), 204)
    ok(
        client.post(
            f"/api/bots/{bot['id']}/start",
            headers=headers,
            json={"dataset_id": ids["replayed"], "seconds_per_bar": 0},
        )
    )
    return {
        "id": me["id"], "headers": headers, "import": imported["import"]["id"],
        "trade": trade["trade_key"], "thread": thread["id"], "bot": bot["id"],
        "deleted_bot": gone["id"], **ids,
    }  # fmt: skip


AYU = {
    "email": "ayu@example.com", "name": "Ayu", "contract": "MNQH4", "note": FORMULA,
    "tag": COMMAND, "diary": FORMULA, "goal": "Always a stop", "thread": "Ayu's chat",
    "bars": "EURUSD_H1.csv", "symbol": "EURUSD", "bot": BOT_NAME, "model": "model-of-ayu",
}  # fmt: skip
BUDI = {
    "email": "budi.secret@example.com", "name": "Budi Secretname", "contract": "MESM4",
    "note": "budi-trade-note-secret", "tag": "budi-tag-secret", "diary": "budi-diary-secret",
    "goal": "budi-goal-secret", "thread": "budi-thread-secret", "bars": "GBPUSD_H1.csv",
    "symbol": "GBPUSD", "bot": "budi-bot-secret", "model": "budi-model-secret",
}  # fmt: skip
BUDI_STRINGS = list(BUDI.values())  # every one of them unique to Budi


@dataclass
class World:
    """An app on a migrated database (one engine) holding Ayu's and Budi's data."""

    client: TestClient
    settings: Settings
    ayu: dict[str, Any]
    budi: dict[str, Any]


def _database(request: pytest.FixtureRequest, root: Path) -> Iterator[str]:
    """A migrated database of the engine ``request.param``: a copy of the run's template."""
    if request.param == "sqlite":
        path = root / "test.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
    else:
        server = request.getfixturevalue("pg_server_url")
        yield from scratch_database(
            server, "tradeloop_test", request.getfixturevalue("pg_template")
        )


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """Ayu and Budi, each with every kind of data, their bots run to the end of their data,
    a day of bot trades each (a seed table no feature writes yet: stored directly). Made
    once per engine for the module's tests, which only read it (or add audit events)."""
    root = tmp_path_factory.mktemp("export")
    for url in _database(request, root):
        settings = Settings(data_dir=root / "data", database_url=url)
        with TestClient(create_app(settings), base_url="http://127.0.0.1") as client:
            ayu, budi = make_user(client, AYU), make_user(client, BUDI)
            run_bots(client, [ayu["bot"], budi["bot"]])
            with transaction(client.app.state.tradeloop.sessions) as session:
                for user, symbol in ((ayu, "EURUSD"), (budi, "GBPUSD")):
                    day = session.scalar(
                        select(TradingSession).where(
                            TradingSession.user_id == user["id"],
                            TradingSession.session_date == date(2024, 1, 2),
                        )
                    )
                    session.add(
                        DailyTradingData(
                            session_id=day.id, bot_id=user["bot"], symbol=symbol,
                            profit_loss=12.5, lot_size=0.01, strategy_used="ma_crossover",
                        )
                    )  # fmt: skip
            yield World(client, settings, ayu, budi)


def export_of(client: TestClient, settings: Settings, user_id: int) -> tuple[bytes, dict]:
    with transaction(client.app.state.tradeloop.sessions) as session:
        user = session.get(User, user_id)
        target = io.BytesIO()
        counts = data_export.write_export(session, user, settings, target, NOW)
    return target.getvalue(), counts


def members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def csv_rows(data: bytes) -> list[dict[str, str]]:
    text_ = data.decode("utf-8")
    assert text_.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text_[1:])))


def count(client: TestClient, sql: str, **params: Any) -> int:
    with client.app.state.engine.connect() as connection:
        return connection.execute(text(sql), params).scalar()


def test_export_holds_each_kind_of_the_users_data(world: World) -> None:
    client, app_settings, ayu = world.client, world.settings, world.ayu
    data, counts = export_of(client, app_settings, ayu["id"])
    files = members(data)
    assert list(files) == [*data_export.FILES, "README.txt"]
    docs = {n: orjson.loads(b) for n, b in files.items() if n.endswith(".json")}
    assert {n: len(d) for n, d in docs.items() if isinstance(d, list)} == {
        n: c for n, c in counts.items() if isinstance(docs.get(n), list)
    }
    uid = ayu["id"]
    fills = count(client, "SELECT count(*) FROM bot_fills WHERE user_id = :u", u=uid)
    events = count(
        client,
        "SELECT count(*) FROM trade_history t JOIN bots b ON t.bot_id = b.id WHERE b.user_id = :u",
        u=uid,
    )
    journal = ok(client.get("/api/journal/trades?limit=200", headers=ayu["headers"]))
    assert fills > 2 and 2 < journal["total"] <= 200
    assert counts == {
        "profile.json": 1,
        "sign_in_sessions.json": count(
            client, "SELECT count(*) FROM user_sessions WHERE user_id = :u", u=uid
        ),
        "audit_events.json": count(
            client, "SELECT count(*) FROM audit_events WHERE user_id = :u", u=uid
        ),
        "bots.json": 2,
        "bot_fills.json": fills,
        "trade_history.json": events,
        "paper_accounts.json": 1,
        "trading_accounts.json": 0,
        "datasets.json": 2,
        "backtest_results.json": 1,
        "optimisation_runs.json": 0,
        "optimisation_rows.json": 0,
        "journal_imports.json": 2,  # the file, and the bot's trades
        "broker_accounts.json": 0,
        "trades.json": journal["total"],
        "trade_notes.json": 1,
        "trading_sessions.json": count(
            client, "SELECT count(*) FROM trading_sessions WHERE user_id = :u", u=uid
        ),
        "habits.json": 1,
        "mentor_threads.json": 1,
        "llm_calls.json": 1,
        "jobs.json": 1,
        "journal_trades.csv": journal["total"],
        "tester_trades.csv": 0,
        "bot_trades.csv": fills // 2,
    }
    # the profile: no password hash, no two-factor secret
    profile = docs["profile.json"]
    assert profile == {
        "id": uid, "name": "Ayu", "email": "ayu@example.com", "language": "en",
        "timezone": "UTC", "role": "user", "join_date": profile["join_date"],
        "two_factor": {"enabled": False, "enabled_at": None},
        "mentor": {"llm_consent": False, "consent_changed_at": None},
        "exported_at": "2024-03-01T12:00:00+00:00",
    }  # fmt: skip
    # trades exactly as the journal API shows them; the note verbatim in JSON
    assert [{k: v for k, v in t.items() if k != "kind"} for t in docs["trades.json"]] == (
        journal["items"]
    )
    assert {t["kind"] for t in docs["trades.json"]} == {"live"}
    noted = next(t for t in docs["trades.json"] if t["trade_key"] == ayu["trade"])
    assert (noted["note"], noted["tags"], noted["pnl_points"]) == (FORMULA, [COMMAND], -10)
    assert [(n["trade_key"], n["note"], n["tags"]) for n in docs["trade_notes.json"]] == [
        (ayu["trade"], FORMULA, [COMMAND])
    ]
    # the day's note decrypted (stored encrypted), its bot trade and report inside
    (day,) = [s for s in docs["trading_sessions.json"] if s["session_date"] == DAY]
    assert day["personal_notes"] == FORMULA and day["emotions"] == "calm"
    assert [(d["symbol"], d["profit_loss"]) for d in day["daily_trading_data"]] == [
        ("EURUSD", 12.5)
    ]
    assert [r["language"] for r in day["mentor_reports"]] == ["en"]
    stored = count(
        client,
        "SELECT count(*) FROM trading_sessions WHERE user_id = :u AND personal_notes LIKE 'gAAAAA%'",
        u=uid,
    )
    assert stored == 1
    # the chat decrypted
    (thread,) = docs["mentor_threads.json"]
    assert thread["title"] == "Ayu's chat"
    assert [m["role"] for m in thread["messages"]] == ["user", "assistant"]
    assert thread["messages"][0]["content"] == "what is my win rate?"
    # bots with their settings, the deleted one with its deletion time
    bots = {b["id"]: b for b in docs["bots.json"]}
    assert bots[ayu["bot"]]["name"] == BOT_NAME and bots[ayu["bot"]]["deleted_at"] is None
    assert bots[ayu["bot"]]["strategy"] == "ma_crossover" and bots[ayu["bot"]]["sl_pips"] == 100
    assert bots[ayu["deleted_bot"]]["deleted_at"] is not None
    # datasets without their bars; imports with their orders as records
    datasets = docs["datasets.json"]
    assert [(d["symbol"], d["bars"]) for d in datasets] == [("EURUSD", 600), ("EURUSD", 300)]
    assert all("data" not in d for d in datasets)
    (result,) = docs["backtest_results.json"]
    assert result["dataset_id"] == datasets[0]["id"] and result["strategy_name"] == "ma_crossover"
    assert [(j["kind"], j["state"]) for j in docs["jobs.json"]] == [("dataset", "done")]
    imports = {i["id"]: i for i in docs["journal_imports.json"]}
    orders = imports[ayu["import"]]["orders"]
    assert [(o["order_id"], o["status"], o["price"]) for o in orders] == [
        ("1", "filled", 100.0), ("2", "cancelled", None), ("3", "filled", 90.0),
        ("4", "filled", 91.0), ("5", "filled", 99.0),
    ]  # fmt: skip
    assert orders[0]["fill_time"] == "2024-01-02T09:00:00+00:00"
    assert imports[ayu["import"]]["file_name"] == "orders.csv"
    assert docs["habits.json"]["settings"]["sigma_loss"] == 2.0
    assert [g["name"] for g in docs["habits.json"]["goals"]] == ["Always a stop"]
    assert [c["model"] for c in docs["llm_calls.json"]] == ["model-of-ayu"]
    # the CSVs: formula text neutralised, plain numbers kept
    rows = csv_rows(files["journal_trades.csv"])
    (row,) = [r for r in rows if r["trade_key"] == ayu["trade"]]
    assert (row["note"], row["tags"], row["pnl_points"]) == ("'" + FORMULA, "'" + COMMAND, "-10.0")
    assert [r["trade_key"] for r in rows] == [t["trade_key"] for t in journal["items"]]
    bot_rows = csv_rows(files["bot_trades.csv"])
    assert {r["bot_name"] for r in bot_rows} == {"'" + BOT_NAME}
    assert any(r["pnl"].startswith("-") for r in bot_rows)  # a loss stays a number
    readme = files["README.txt"].decode()
    assert "journal_trades.csv (" in readme and "apostrophe" in readme
    for name, number in counts.items():
        assert f"{name} ({number} records)" in readme


def test_export_holds_nothing_of_another_user(world: World) -> None:
    client, app_settings, ayu, budi = world.client, world.settings, world.ayu, world.budi
    data, _ = export_of(client, app_settings, ayu["id"])
    files = members(data)
    everything = data + b"".join(files.values())
    for secret in BUDI_STRINGS:
        assert secret.encode() not in everything, secret
    assert b"GBPUSD" not in everything
    with client.app.state.engine.connect() as connection:
        hashes = connection.execute(text("SELECT password_hash FROM users")).scalars().all()
    for secret in [*hashes, "password_hash", "totp_secret", "token_id", "$argon2"]:
        assert secret.encode() not in everything, secret

    def user_ids(value: Any) -> set[int]:
        if isinstance(value, dict):
            found = {value["user_id"]} if "user_id" in value else set()
            return found.union(*(user_ids(v) for v in value.values()))
        if isinstance(value, list):
            return set().union(*(user_ids(v) for v in value))
        return set()

    owners = set()
    for name, body in files.items():
        if name.endswith(".json"):
            owners |= user_ids(orjson.loads(body))
    assert owners == {ayu["id"]}
    # and Budi's export is his own
    theirs = members(export_of(client, app_settings, budi["id"])[0])
    assert orjson.loads(theirs["profile.json"])["email"] == BUDI["email"]
    assert b"budi-diary-secret" in theirs["trading_sessions.json"]
    assert b"HYPERLINK" not in b"".join(theirs.values())


def test_cli_writes_the_export_and_audits_it(
    world: World,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from tradeloop.cli.main import main

    client, app_settings, ayu = world.client, world.settings, world.ayu
    monkeypatch.setenv("TRADELOOP_DATA_DIR", str(app_settings.data_dir))
    monkeypatch.setenv("TRADELOOP_DATABASE_URL", app_settings.database_url)
    target = tmp_path / "ayu.zip"
    assert main(["user", "export", "AYU@example.com", str(target)]) == 0
    assert "exported ayu@example.com" in capsys.readouterr().out
    assert target.stat().st_mode & 0o777 == 0o600
    files = members(target.read_bytes())
    days = orjson.loads(files["trading_sessions.json"])
    notes = [d["personal_notes"] for d in days if d["session_date"] == DAY]
    assert notes == [FORMULA]  # decrypted with the app's key
    assert main(["user", "export", "ayu@example.com", str(target)]) == 2
    assert "exists" in capsys.readouterr().err
    assert main(["user", "export", "nobody@example.com", str(tmp_path / "x.zip")]) == 2
    assert not (tmp_path / "x.zip").exists()
    audited = count(
        client,
        "SELECT count(*) FROM audit_events WHERE user_id = :u AND action = 'export'",
        u=ayu["id"],
    )
    assert audited == 1
