"""Paper bots under a supervisor, driven as a user drives them: protections that pause a
stored bot exactly as the in-memory runner does (shown in history and notifications in both
languages), its trades in the journal and the day's sessions, a position closed by hand, the
kill switch, and a bot refused at start when the broker disagrees with its stored fills."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, select

from tests.conftest import bearer, register
from tradeloop.bots.config import ProtectionSettings
from tradeloop.bots.runner import BotRunner
from tradeloop.brokers.paper import PaperBroker
from tradeloop.core.codes import BotStatus, read_event_details
from tradeloop.execution.rules import CONVERT_FIXED
from tradeloop.market.feeds import bars_of
from tradeloop.market.instruments import resolve_instrument
from tradeloop.market.readers import stored_bars
from tradeloop.market.synthetic import random_walk_bars
from tradeloop.services import bots, paper_bots
from tradeloop.services.paper_bots import Supervisor
from tradeloop.store.datasets import add_dataset, dataset_bars, get_dataset
from tradeloop.store.db import transaction
from tradeloop.store.models import Bot, BotFill, TradeHistory
from tradeloop.strategies.base import get_strategy

BOT = {
    "name": "Guarded", "market": "EURUSD", "strategy": "ma_crossover",
    "strategy_params": {"fast_period": 5, "slow_period": 20}, "sl_pips": 15, "tp_pips": 30,
    "lots": 0.1,
}  # fmt: skip
PROTECTIONS = {"losing_streak": 2, "streak_pause_hours": 12}


@contextmanager
def supervising(client: TestClient) -> Iterator[Supervisor]:
    """A supervisor on its own event loop in a thread, as ``tradeloop serve`` runs one."""
    supervisor = Supervisor(client.app.state.tradeloop.sessions, lease_seconds=3, poll_seconds=0.05)
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()
    thread = threading.Thread(target=lambda: loop.run_until_complete(supervisor.run(stop)))
    thread.start()
    try:
        yield supervisor
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(60)
        loop.close()


def wait_for(check: Callable[[], object], seconds: float = 120) -> object:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if found := check():
            return found
        time.sleep(0.05)
    raise AssertionError("timed out")


def setup_user(client: TestClient, email: str, bars) -> tuple[dict[str, str], int, int]:
    """A user with a dataset of ``bars`` and the bot ``BOT``: headers, user id, dataset id."""
    user = register(client, email)
    headers = bearer(client, email)
    with transaction(client.app.state.tradeloop.sessions) as session:
        dataset = add_dataset(
            session, user["id"], "EURUSD_H1.csv", "EURUSD", "H1", stored_bars(bars)
        )
        dataset_id = dataset.id
    return headers, user["id"], dataset_id


def add_bot(client: TestClient, headers: dict[str, str], **extra) -> int:
    response = client.post("/api/bots", json=BOT | extra, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()["id"]


def status_of(client: TestClient, headers: dict[str, str], bot_id: int) -> str:
    return client.get(f"/api/bots/{bot_id}", headers=headers).json()["status"]


def test_protections_pause_a_stored_bot_as_the_runner_does_and_its_trades_reach_the_journal(
    client: TestClient,
) -> None:
    bars = random_walk_bars(1500, seed=31)
    headers, user_id, dataset_id = setup_user(client, "ayu@example.com", bars)
    bot_id = add_bot(client, headers, protections=PROTECTIONS)
    assert client.get(f"/api/bots/{bot_id}", headers=headers).json()["protections"] == {
        "losing_streak": 2, "streak_pause_hours": 12.0, "daily_loss_limit": None,
        "stop_cooldown_hours": None,
    }  # fmt: skip
    started = client.post(f"/api/bots/{bot_id}/start", headers=headers,
                          json={"dataset_id": dataset_id, "seconds_per_bar": 0})  # fmt: skip
    assert started.json()["status"] == "starting"
    with supervising(client):
        wait_for(lambda: status_of(client, headers, bot_id) == "paused")

    sessions = client.app.state.tradeloop.sessions
    with transaction(sessions) as session:  # the same bot in memory, bar by bar
        bot = session.get(Bot, bot_id)
        stored = dataset_bars(get_dataset(session, user_id, dataset_id))
        settings = paper_bots.bot_settings(bot)
        fills = list(session.scalars(select(BotFill).where(BotFill.bot_id == bot_id)
                                     .order_by(BotFill.id)))  # fmt: skip
        paused = [row.details for row in session.scalars(
            select(TradeHistory).where(TradeHistory.bot_id == bot_id,
                                       TradeHistory.action == "BOT_PAUSED",
                                       TradeHistory.is_notification.is_(True))
            .order_by(TradeHistory.id))]  # fmt: skip
    instrument = resolve_instrument("EURUSD")
    broker = PaperBroker(f"bot:{bot_id}", instrument, settings, CONVERT_FIXED, 1.0)
    runner = BotRunner(get_strategy("ma_crossover", BOT["strategy_params"]), instrument, settings,
                       broker, CONVERT_FIXED, protections=ProtectionSettings(**PROTECTIONS).build())  # fmt: skip
    for bar in bars_of(stored):
        runner.on_bar(bar)
    expected = broker.reconcile().fills
    assert [(f.client_order_id, f.price, f.reason) for f in fills] == [
        (f.client_order_id, pytest.approx(f.price, abs=1e-12), f.reason) for f in expected
    ]
    assert paused == [event.details for event in runner.events] and len(paused) >= 3

    code, values = read_event_details(paused[0])
    assert code.value == "paused_losses" and values["count"] == 2
    until = values["until"]
    english = bots.event_text("en", "Asia/Jakarta", paused[0])
    indonesian = bots.event_text("id", "Asia/Jakarta", paused[0])
    shown = bots.event_text("en", "Asia/Jakarta", paused[0]).split("until ")[1].rstrip(".")
    assert shown.endswith("UTC+07:00") and until[:4] in shown
    assert english == f"2 losing trades in a row: no new entries until {shown}."
    assert indonesian == f"2 transaksi rugi berturut-turut: tidak ada entri baru sampai {shown}."
    listed = client.get("/api/notifications", headers=headers).json()["items"]
    assert any(item["details"] == paused[-1] for item in listed)

    closed = [f for f in fills if f.reason != "entry"]
    trades = client.get("/api/journal/trades?limit=200", headers=headers).json()
    assert trades["total"] == len(closed) > 20
    assert {t["account"] for t in trades["items"]} == {f"bot:{bot_id}"}
    days = client.get("/api/mentor/sessions?limit=100", headers=headers).json()
    exit_days = {f.time.date() for f in closed}
    assert days["total"] >= 1 and days["total"] <= len(exit_days) + 1


def test_close_by_hand_and_the_kill_switch(client: TestClient) -> None:
    bars = random_walk_bars(3000, seed=32)
    headers, _, dataset_id = setup_user(client, "ayu@example.com", bars)
    other_headers, _, other_dataset = setup_user(client, "budi@example.com", bars)
    wide = {"sl_pips": 100_000, "tp_pips": 100_000}  # only signals, the hand and the switch close
    first, second = (
        add_bot(client, headers, **wide),
        add_bot(client, headers, name="Second", **wide),
    )
    others = add_bot(client, other_headers, name="Budi's", **wide)
    for bot_id, h, d in ((first, headers, dataset_id), (second, headers, dataset_id),
                         (others, other_headers, other_dataset)):  # fmt: skip
        response = client.post(f"/api/bots/{bot_id}/start", headers=h,
                               json={"dataset_id": d, "seconds_per_bar": 0.3})  # fmt: skip
        assert response.status_code == 200

    def position(bot_id: int, h: dict[str, str] = headers) -> dict | None:
        return client.get(f"/api/bots/{bot_id}/account", headers=h).json()["position"]

    with supervising(client):
        opened = wait_for(lambda: position(first))
        assert status_of(client, headers, first) == "running"
        assert client.post(f"/api/bots/{first}/close", headers=headers).status_code == 200
        wait_for(lambda: position(first) is None or position(first) != opened)
        fills = client.get(f"/api/bots/{first}/fills", headers=headers).json()
        manual = [f for f in fills if f["position"] == opened["client_order_id"] and
                  f["reason"] != "entry"]  # fmt: skip
        assert [f["reason"] for f in manual] == ["manual"], (opened, fills[-4:], position(first))
        assert status_of(client, headers, first) == "running"  # it trades on

        wait_for(lambda: position(second))
        killed = client.post("/api/bots/kill-switch", headers=headers)
        assert killed.status_code == 200 and set(killed.json()["stopped"]) == {first, second}
        wait_for(lambda: {status_of(client, headers, b) for b in (first, second)} == {"paused"})
        assert position(first) is None and position(second) is None
        assert status_of(client, other_headers, others) == "running"  # another user's: untouched
        assert client.post("/api/bots/kill-switch", headers=other_headers).json()["stopped"] == [
            others
        ]
    last = client.get(f"/api/bots/{second}/fills", headers=headers).json()[-1]
    assert last["reason"] == "manual"
    texts = [n["text"] for n in client.get("/api/notifications", headers=headers).json()["items"]]
    assert sum(text.startswith("Tombol darurat pada ") for text in texts) == 2
    analysis = client.get(f"/api/bots/{second}/analysis", headers=headers).json()
    assert analysis["analysis"]["outcome"] == "closed" and "(ditutup manual)" in analysis["text"]


def test_a_bot_whose_stored_fills_disagree_with_the_broker_goes_into_error(
    client: TestClient,
) -> None:
    bars = random_walk_bars(3000, seed=33)
    headers, _, dataset_id = setup_user(client, "ayu@example.com", bars)
    bot_id = add_bot(client, headers)
    client.post(f"/api/bots/{bot_id}/start", headers=headers,
                json={"dataset_id": dataset_id, "seconds_per_bar": 0.01})  # fmt: skip
    sessions = client.app.state.tradeloop.sessions

    def closed_fill() -> BotFill | None:
        with transaction(sessions) as session:
            return session.scalar(select(BotFill).where(BotFill.bot_id == bot_id,
                                                        BotFill.reason != "entry"))  # fmt: skip

    with supervising(client):  # until one trade closed; the bot stays running, lease released
        gone = wait_for(closed_fill)
    with transaction(
        sessions
    ) as session:  # its exit fill lost: the broker is flat, the store is not
        session.execute(delete(BotFill).where(BotFill.id == gone.id))
    with supervising(client):
        wait_for(lambda: status_of(client, headers, bot_id) == "error")
    shown = client.get(f"/api/bots/{bot_id}", headers=headers).json()
    assert shown["status_reason"] == f"stored position {gone.position} is not at the broker"
    assert status_of(client, headers, bot_id) == BotStatus.ERROR.value
