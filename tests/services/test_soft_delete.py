"""Soft delete with undo for journal imports and bots, on SQLite and PostgreSQL: a deleted one
leaves every list, count and analysis exactly as if it had never been there, an undo brings
the same figures back, the purge after the undo days removes the rows, a deleted bot is never
run by a supervisor, and nobody restores another user's."""

from __future__ import annotations

import asyncio
import re
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from tests.api.test_backtests import csv_bytes
from tests.conftest import PASSWORD, SHARED_DATA, bearer, register, run_async
from tests.journal.helpers import export, fill
from tradeloop.core.codes import BotStatus
from tradeloop.services import analyses
from tradeloop.services.bots import dashboard_counts
from tradeloop.services.paper_bots import Supervisor
from tradeloop.store import paper
from tradeloop.store.db import transaction
from tradeloop.store.models import Bot, BotFill, JournalImport, PaperAccount, TradingSession, User
from tradeloop.store.trash import purge_deleted

TRADOVATE = SHARED_DATA / "real" / "tradovate"
HAMTARO, APEX = TRADOVATE / "hamtaro_Orders.csv", TRADOVATE / "apex_Orders.csv"
real_files = pytest.mark.skipif(not APEX.exists(), reason="../shared/data/real is not here")
BOT = {"name": "Cross", "market": "EURUSD", "strategy": "ma_crossover"}
# two trades on 2 January 2024 (a loss of 10 points, then a win of 8): for the purge
SMALL = export(
    fill(1, "09:00:00", "Buy", 1, 100),
    fill(2, "09:05:00", "Sell", 1, 90, "Limit"),
    fill(3, "09:05:30", "Buy", 1, 91),
    fill(4, "09:09:00", "Sell", 1, 99, "Limit"),
)


def upload(client: TestClient, headers: dict[str, str], data: bytes, name: str) -> Any:
    return client.post(
        "/api/journal/imports", headers=headers, files={"file": (name, data, "text/csv")}
    )


def user_id(client: TestClient, headers: dict[str, str]) -> int:
    return client.get("/api/me", headers=headers).json()["id"]


def journal_view(client: TestClient, headers: dict[str, str]) -> dict[str, Any]:
    """Everything the user sees of their journal: figures, habits, goals, the mentor's days,
    summary, history and week, the dashboard's counts (ids left out: they name imports)."""
    summary = client.get("/api/journal/summary", headers=headers).json()
    sessions = client.get("/api/mentor/sessions?limit=200", headers=headers).json()["items"]
    tool = client.post("/api/mentor/tools/get_summary", headers=headers, json={}).json()
    history = client.get("/api/mentor/history?end=2026-02-12&days=366", headers=headers).json()
    week = client.get("/api/mentor/weekly?date=2026-02-12", headers=headers).json()
    goals = client.get("/api/journal/goals", headers=headers).json()["items"]
    with transaction(client.app.state.tradeloop.sessions) as session:
        counts = dashboard_counts(session, user_id(client, headers))
    return {
        "figures": (summary["total_trades"], round(summary["net_pnl"], 2)),
        "summary": summary,
        "trades": client.get("/api/journal/trades?limit=1", headers=headers).json()["total"],
        "sessions": [
            (s["date"], s["total_trades"], round(s["total_profit_loss"], 2), s["risk_score"])
            for s in sessions
        ],
        "mentor": tool,
        "history": history,
        "week": week,
        "goals": [(g["key"], g["current"], g["best"]) for g in goals],
        "dashboard": counts,
    }


def stamp(client: TestClient, uid: int) -> int:
    with transaction(client.app.state.tradeloop.sessions) as session:
        return session.scalar(select(User.journal_stamp).where(User.id == uid))


@real_files
def test_a_deleted_import_leaves_every_view_and_undo_brings_it_back(client: TestClient) -> None:
    register(client, "ayu@example.com")
    register(client, "budi@example.com")
    ayu, budi = bearer(client, "ayu@example.com"), bearer(client, "budi@example.com")
    assert upload(client, ayu, HAMTARO.read_bytes(), "hamtaro.csv").status_code == 201
    apex = upload(client, ayu, APEX.read_bytes(), "apex.csv").json()["import"]["id"]
    upload(client, budi, HAMTARO.read_bytes(), "hamtaro.csv")  # the journal without apex
    both = journal_view(client, ayu)
    assert both["figures"] == (28, -50.65)  # 10 trades, +136.25 USD; 18 trades, -186.90 USD
    assert [s[:3] for s in both["sessions"]] == [
        ("2026-02-12", 9, 36.25), ("2026-02-11", 1, 100.0),
        ("2024-12-31", 5, -277.4), ("2024-12-27", 13, 90.5),
    ]  # fmt: skip
    assert both["dashboard"]["sessions"] == 4
    uid, before = user_id(client, ayu), stamp(client, user_id(client, ayu))

    assert client.delete(f"/api/journal/imports/{apex}", headers=ayu).status_code == 204
    without = journal_view(client, ayu)
    assert without["figures"] == (10, 136.25)
    assert without == journal_view(client, budi)  # as if apex had never been imported
    assert [s[0] for s in without["sessions"]] == ["2026-02-12", "2026-02-11"]  # its days gone
    assert without["dashboard"]["sessions"] == 2
    assert client.get(f"/api/journal/imports/{apex}", headers=ayu).status_code == 404
    assert client.delete(f"/api/journal/imports/{apex}", headers=ayu).status_code == 404
    assert client.get("/api/journal/imports", headers=ayu).json()["total"] == 1
    assert client.get(f"/api/journal/trades?source={apex}", headers=ayu).json()["total"] == 0
    deleted = stamp(client, uid)
    assert deleted != before  # no analysis cached under the old stamp is served again
    analyses.cache.clear()
    assert journal_view(client, ayu) == without  # computed afresh: the same

    restored = client.post(f"/api/journal/imports/{apex}/restore", headers=ayu)
    assert restored.status_code == 200
    assert (restored.json()["id"], restored.json()["trades"]) == (apex, 18)
    assert stamp(client, uid) not in (before, deleted)
    back = journal_view(client, ayu)
    assert back == both
    analyses.cache.clear()
    assert journal_view(client, ayu) == both
    assert client.get(f"/api/journal/trades?source={apex}", headers=ayu).json()["total"] == 18
    assert client.post(f"/api/journal/imports/{apex}/restore", headers=ayu).status_code == 404


def test_the_same_file_again_after_a_delete_is_a_new_import(client: TestClient) -> None:
    register(client, "ayu@example.com")
    ayu = bearer(client, "ayu@example.com")
    first = upload(client, ayu, SMALL, "orders.csv").json()["import"]["id"]
    refused = upload(client, ayu, SMALL, "again.csv")
    assert refused.status_code == 409  # while the first one is in the journal
    assert client.delete(f"/api/journal/imports/{first}", headers=ayu).status_code == 204
    again = upload(client, ayu, SMALL, "again.csv")
    assert again.status_code == 201, again.text
    assert again.json()["duplicates"] == {"fills": 0, "of": 4, "files": []}
    second = again.json()["import"]["id"]  # SQLite may give it the purged one's id
    assert client.get("/api/journal/summary", headers=ayu).json()["total_trades"] == 2
    # the deleted copy was purged to make room: its undo is over
    assert client.post(f"/api/journal/imports/{first}/restore", headers=ayu).status_code == 404
    with transaction(client.app.state.tradeloop.sessions) as session:
        rows = session.execute(select(JournalImport.id, JournalImport.deleted_at)).all()
    assert [tuple(row) for row in rows] == [(second, None)]


def start_bot(client: TestClient, headers: dict[str, str], dataset: int, pace: float = 0) -> int:
    bot = client.post("/api/bots", json=BOT, headers=headers).json()["id"]
    started = client.post(
        f"/api/bots/{bot}/start",
        json={"dataset_id": dataset, "seconds_per_bar": pace},
        headers=headers,
    )
    assert started.status_code == 200, started.text
    return bot


def dataset_of(client: TestClient, headers: dict[str, str], bars: int = 600) -> int:
    return client.post(
        "/api/backtests",
        headers=headers,
        data={"strategy": "ma_crossover"},
        files={"file": ("EURUSD_H1.csv", csv_bytes(bars), "text/csv")},
    ).json()["dataset_id"]


def run_supervisor(client: TestClient, done: Any, seconds: float = 180) -> None:
    """A supervisor of this process, until ``done()`` (or ``seconds``)."""
    sessions = client.app.state.tradeloop.sessions

    async def run() -> None:
        stop = asyncio.Event()
        supervisor = Supervisor(sessions, lease_seconds=5, poll_seconds=0.05)
        task = asyncio.create_task(supervisor.run(stop))
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and not done():
            await asyncio.sleep(0.05)
        stop.set()
        await task

    run_async(run())


def bot_status(client: TestClient, bot_id: int) -> BotStatus:
    with transaction(client.app.state.tradeloop.sessions) as session:
        return session.get(Bot, bot_id).status


def test_a_deleted_bot_leaves_lists_notifications_and_journal_until_undone(
    client: TestClient,
) -> None:
    register(client, "ayu@example.com")
    ayu = bearer(client, "ayu@example.com")
    bot = start_bot(client, ayu, dataset_of(client, ayu))
    run_supervisor(client, lambda: bot_status(client, bot) == BotStatus.PAUSED)
    assert bot_status(client, bot) == BotStatus.PAUSED  # the replay ran to its end
    before = journal_view(client, ayu)
    trades = before["figures"][0]
    assert trades > 0 and before["dashboard"]["bots_total"] == 1
    notes = client.get("/api/notifications?limit=200", headers=ayu).json()
    assert notes["total"] >= 2 * trades  # each trade opened and closed
    history = client.get(f"/api/bots/{bot}/history?limit=200", headers=ayu).json()["total"]

    assert client.delete(f"/api/bots/{bot}", headers=ayu).status_code == 204
    assert client.get("/api/bots", headers=ayu).json()["total"] == 0
    for path in ("", "/history", "/fills", "/account", "/analysis"):
        assert client.get(f"/api/bots/{bot}{path}", headers=ayu).status_code == 404, path
    assert client.get("/api/notifications", headers=ayu).json()["total"] == 0
    assert client.post("/api/notifications/read", json={}, headers=ayu).json() == {"marked": 0}
    empty = client.get("/api/journal/summary", headers=ayu)
    assert empty.status_code == 422  # its trades were the journal's only ones
    assert client.get("/api/mentor/sessions", headers=ayu).json()["total"] == 0
    assert client.get("/api/journal/imports", headers=ayu).json()["total"] == 0
    with transaction(client.app.state.tradeloop.sessions) as session:
        counts = dashboard_counts(session, user_id(client, ayu))
    assert (counts["bots_total"], counts["bots_running"], counts["sessions"]) == (0, 0, 0)

    restored = client.post(f"/api/bots/{bot}/restore", headers=ayu)
    assert restored.status_code == 200
    assert (restored.json()["id"], restored.json()["status"]) == (bot, "paused")
    assert journal_view(client, ayu) == before
    assert client.get("/api/notifications?limit=200", headers=ayu).json() == notes
    assert client.get(f"/api/bots/{bot}/history?limit=200", headers=ayu).json()["total"] == history


def test_a_deleted_running_bot_is_never_claimed(client: TestClient) -> None:
    register(client, "ayu@example.com")
    ayu = bearer(client, "ayu@example.com")
    dataset = dataset_of(client, ayu, 300)
    kept = start_bot(client, ayu, dataset, pace=3600)  # one bar an hour: it stays running
    gone = start_bot(client, ayu, dataset, pace=3600)
    assert client.delete(f"/api/bots/{gone}", headers=ayu).status_code == 204
    sessions = client.app.state.tradeloop.sessions
    with transaction(sessions) as session:
        row = session.get(Bot, gone)
        assert (row.status, row.lease_holder, row.deleted_at is not None) == (
            BotStatus.PAUSED, None, True,
        )  # fmt: skip
        # even a deleted row left running (a crash mid-way, a hand edit) is not taken
        session.execute(update(Bot).where(Bot.id == gone).values(status=BotStatus.RUNNING))
    now = datetime.now(UTC)
    with transaction(sessions) as session:
        assert paper.claim_bots(session, "one", now + timedelta(seconds=5), now) == [kept]
    with transaction(sessions) as session:  # nor renewed by a holder that had it
        session.execute(update(Bot).where(Bot.id == gone).values(lease_holder="one"))
        assert paper.renew_lease(session, gone, "one", now + timedelta(seconds=5)) is None
        session.execute(update(Bot).where(Bot.id == gone).values(lease_holder=None))
    run_supervisor(client, lambda: bot_status(client, kept) == BotStatus.RUNNING, 60)
    with transaction(sessions) as session:
        assert session.get(PaperAccount, gone) is None  # it never traded a bar
        assert session.scalars(select(BotFill.id).where(BotFill.bot_id == gone)).all() == []
        assert session.get(Bot, gone).lease_holder is None
        assert session.get(Bot, kept).status == BotStatus.RUNNING
        session.execute(update(Bot).where(Bot.id == gone).values(status=BotStatus.PAUSED))
    restored = client.post(f"/api/bots/{gone}/restore", headers=ayu).json()
    assert restored["status"] == "paused"  # back, but not running
    assert client.post(f"/api/bots/{kept}/stop", headers=ayu).status_code == 200


def test_the_purge_removes_what_the_undo_days_no_longer_cover(client: TestClient) -> None:
    register(client, "ayu@example.com")
    ayu = bearer(client, "ayu@example.com")
    kept_bot = client.post("/api/bots", json=BOT, headers=ayu).json()["id"]
    old_bot = client.post("/api/bots", json=BOT, headers=ayu).json()["id"]
    new_bot = client.post("/api/bots", json=BOT, headers=ayu).json()["id"]
    old = upload(client, ayu, SMALL, "small.csv").json()["import"]["id"]
    for path in (f"/api/bots/{old_bot}", f"/api/bots/{new_bot}", f"/api/journal/imports/{old}"):
        assert client.delete(path, headers=ayu).status_code == 204
    sessions = client.app.state.tradeloop.sessions
    long_ago = datetime.now(UTC) - timedelta(days=31)
    with transaction(sessions) as session:
        for model, row_id in ((Bot, old_bot), (JournalImport, old)):
            session.execute(update(model).where(model.id == row_id).values(deleted_at=long_ago))
        uid = session.scalar(select(User.id))
        # its day left empty meanwhile (another import's, deleted then): purged with it; a
        # day of no purged import, and a day the trader described, stay
        for day, fed in ((date(2024, 1, 2), None), (date(2024, 1, 5), None),
                         (date(2024, 1, 3), datetime.now(UTC))):  # fmt: skip
            session.add(TradingSession(user_id=uid, session_date=day, feedback_at=fed))
    assert client.post(f"/api/bots/{old_bot}/restore", headers=ayu).status_code == 404  # over
    assert client.post(f"/api/journal/imports/{old}/restore", headers=ayu).status_code == 404
    with transaction(sessions) as session:
        assert purge_deleted(session, datetime.now(UTC) - timedelta(days=30)) == {
            "bots": 1, "imports": 1, "sessions": 1,
        }  # fmt: skip
    with transaction(sessions) as session:
        assert session.scalars(select(Bot.id).order_by(Bot.id)).all() == [kept_bot, new_bot]
        assert session.scalars(select(JournalImport.id)).all() == []
        days = session.scalars(select(TradingSession.session_date).order_by("session_date"))
        assert list(days) == [date(2024, 1, 3), date(2024, 1, 5)]
        assert purge_deleted(session, datetime.now(UTC) - timedelta(days=30)) == {
            "bots": 0, "imports": 0, "sessions": 0,
        }  # fmt: skip
    # the one deleted today is still within its undo days
    assert client.post(f"/api/bots/{new_bot}/restore", headers=ayu).json()["id"] == new_bot
    assert client.get("/api/bots", headers=ayu).json()["total"] == 2


def cookie_session(client: TestClient, email: str) -> str:
    """Sign ``email`` in through the page; the CSRF token its pages carry."""
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)
    client.post("/login", data={"csrf_token": token, "email": email, "password": PASSWORD})
    page = client.get("/bots")
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


def test_only_the_owner_restores_and_the_page_offers_the_undo(client: TestClient) -> None:
    register(client, "ayu@example.com")
    register(client, "budi@example.com")
    ayu, budi = bearer(client, "ayu@example.com"), bearer(client, "budi@example.com")
    bot = client.post("/api/bots", json=BOT, headers=ayu).json()["id"]
    imported = upload(client, ayu, SMALL, "small.csv").json()["import"]["id"]
    token = cookie_session(client, "ayu@example.com")
    deleted = client.post(f"/bots/{bot}/delete", data={"csrf_token": token},
                          follow_redirects=False)  # fmt: skip
    assert deleted.headers["location"] == f"/bots?notice=bots.deleted&undo=bot-{bot}"
    page = client.get(deleted.headers["location"]).text
    assert re.search(
        rf'<form method="post" action="/bots/{bot}/restore" class="inline"><input type="hidden" '
        rf'name="csrf_token" value="{token}"><button type="submit" class="link" '
        r'data-testid="undo">Urungkan</button></form>',
        page,
    )
    deleted = client.post(f"/journal/imports/{imported}/delete", data={"csrf_token": token},
                          follow_redirects=False)  # fmt: skip
    assert deleted.headers["location"] == f"/journal?notice=journal.deleted&undo=import-{imported}"
    assert (
        f'action="/journal/imports/{imported}/restore"'
        in client.get(deleted.headers["location"]).text
    )
    assert 'data-testid="undo"' not in client.get("/bots?notice=bots.deleted&undo=bot-x").text
    # no token, a wrong one: refused, nothing restored
    for data in ({}, {"csrf_token": "forged"}):
        assert client.post(f"/bots/{bot}/restore", data=data).status_code == 403
    assert client.get("/api/bots", headers=ayu).json()["total"] == 0
    # another user: 404 for both, through the API; Ayu's stay deleted
    assert client.post(f"/api/bots/{bot}/restore", headers=budi).status_code == 404
    other = client.post(f"/api/journal/imports/{imported}/restore", headers=budi)
    assert other.status_code == 404
    assert other.json()["message"] == f"Impor {imported} tidak ditemukan"
    assert client.get("/api/bots", headers=ayu).json()["total"] == 0
    assert client.get("/api/journal/imports", headers=ayu).json()["total"] == 0
    other = TestClient(client.app, base_url="http://127.0.0.1")  # Budi's browser
    theirs = cookie_session(other, "budi@example.com")
    for path in (f"/bots/{bot}/restore", f"/journal/imports/{imported}/restore"):
        assert other.post(path, data={"csrf_token": theirs}).status_code == 404, path
    assert client.get("/api/bots", headers=ayu).json()["total"] == 0
    # the owner's undo from the notice's form
    undone = client.post(f"/bots/{bot}/restore", data={"csrf_token": token},
                         follow_redirects=False)  # fmt: skip
    assert undone.headers["location"] == f"/bots/{bot}?notice=bots.restored"
    assert "Bot dipulihkan dalam keadaan dijeda." in client.get(undone.headers["location"]).text
    undone = client.post(f"/journal/imports/{imported}/restore", data={"csrf_token": token},
                         follow_redirects=False)  # fmt: skip
    assert undone.headers["location"] == "/journal?notice=journal.restored"
    assert client.get("/api/journal/summary", headers=ayu).json()["total_trades"] == 2
    assert client.post(f"/bots/{bot}/restore", data={"csrf_token": token}).status_code == 404
