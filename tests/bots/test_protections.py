"""Protections pause a bot's new entries after too many losses, a daily loss limit or a
stop-out; exits go on, the entry waiting for the next open is cancelled, and each pause is
an event whose words exist in both languages."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pytest

from tests.conftest import run_async
from tradeloop.bots.protections import ClosedTrade, DailyLossLimit, LosingStreak, StopCooldown
from tradeloop.bots.runner import BotRunner, run_feed
from tradeloop.brokers.paper import PaperBroker
from tradeloop.core.codes import BotAction, EventDetail, read_event_details
from tradeloop.execution.rules import CONVERT_FIXED
from tradeloop.execution.settings import ExecutionSettings
from tradeloop.market.feeds import replay
from tradeloop.market.instruments import resolve_instrument
from tradeloop.market.synthetic import random_walk_bars
from tradeloop.services.bots import event_text
from tradeloop.strategies.base import get_strategy

T = pd.Timestamp("2024-03-01 10:00", tz="UTC")
SETTINGS = ExecutionSettings(sl_pips=15, tp_pips=15)


def trade(hours: float, pnl: float, reason: str = "signal") -> ClosedTrade:
    return ClosedTrade(T + pd.Timedelta(hours=hours), pnl, reason)


def test_a_losing_streak_pauses_for_its_time() -> None:
    rule = LosingStreak(3, timedelta(hours=12))
    losses = [trade(0, 5), trade(1, -2), trade(2, -1), trade(3, -4)]
    pause = rule.check(losses, T + pd.Timedelta(hours=3))
    assert pause is not None and pause.code is EventDetail.PAUSED_LOSSES
    assert pause.until == T + pd.Timedelta(hours=15)
    assert pause.values == {"count": 3, "until": pause.until}
    assert rule.check(losses[:3], T + pd.Timedelta(hours=2)) is None  # two losses only
    assert rule.check([*losses, trade(4, 1)], T + pd.Timedelta(hours=4)) is None  # a win ends it


def test_a_daily_loss_limit_pauses_until_the_next_day() -> None:
    rule = DailyLossLimit(100)
    day = [trade(-11, -500), trade(1, -60), trade(2, 20), trade(3, -70)]  # yesterday's apart
    pause = rule.check(day, T + pd.Timedelta(hours=3))
    assert pause is not None and pause.until == pd.Timestamp("2024-03-02", tz="UTC")
    assert (pause.values["loss"], pause.values["limit"]) == (110, 100)
    assert rule.check(day[:3], T + pd.Timedelta(hours=2)) is None  # 40 lost today


def test_a_stop_out_pauses_for_the_cooldown() -> None:
    rule = StopCooldown(timedelta(hours=4))
    assert rule.check([trade(0, -3, "target")], T) is None
    pause = rule.check([trade(0, -3, "stop")], T)
    assert pause is not None and pause.until == T + pd.Timedelta(hours=4)


def run(protections) -> BotRunner:
    bars = random_walk_bars(1500, seed=5)
    instrument = resolve_instrument("EURUSD")
    broker = PaperBroker("bot:1", instrument, SETTINGS, CONVERT_FIXED, 1.0)
    strategy = get_strategy("ma_crossover", {"fast_period": 3, "slow_period": 8})
    runner = BotRunner(strategy, instrument, SETTINGS, broker, CONVERT_FIXED, None, protections)
    run_async(run_feed(runner, replay(bars)))
    return runner


def entries(runner: BotRunner) -> list[pd.Timestamp]:
    return [f.time for f in runner.broker.fills_since(None) if f.reason == "entry"]


def test_a_bot_pauses_after_its_losses_and_says_so_in_both_languages() -> None:
    free = run(())
    guarded = run([LosingStreak(3, timedelta(days=2))])
    assert guarded.events, "the series has three losses in a row"
    first = guarded.events[0]
    assert first.action is BotAction.BOT_PAUSED and first.notify
    code, values = read_event_details(first.details)
    until = pd.Timestamp(values["until"])
    assert code is EventDetail.PAUSED_LOSSES and until == first.time + pd.Timedelta(days=2)
    streak = [t for t in guarded.closed if t.exit_time <= first.time][-3:]
    assert all(t.pnl < 0 for t in streak) and streak[-1].exit_time == first.time
    # no entry inside the pause, where the unprotected bot did enter
    assert not [t for t in entries(guarded) if first.time < t < until]
    assert [t for t in entries(free) if first.time < t < until]
    zone = "Asia/Jakarta"
    shown = until.tz_convert(zone).strftime("%Y-%m-%d %H:%M") + " UTC+07:00"
    assert event_text("en", zone, first.details) == (
        f"3 losing trades in a row: no new entries until {shown}."
    )
    assert event_text("id", zone, first.details) == (
        f"3 transaksi rugi berturut-turut: tidak ada entri baru sampai {shown}."
    )


def test_a_pause_cancels_the_entry_waiting_for_the_next_open() -> None:
    guarded = run([StopCooldown(timedelta(hours=6))])
    cancelled = [o for o in guarded.broker.reconcile().orders if o.status.value == "cancelled"]
    stops = [t.exit_time for t in guarded.closed if t.reason == "stop"]
    assert stops and guarded.events and cancelled
    assert {e.time for e in guarded.events} <= set(stops)
    for order in cancelled:  # each cancelled entry was placed on a bar a pause began
        assert order.request.closes is None
        assert pd.Timestamp(order.placed_at) in {e.time for e in guarded.events}


@pytest.mark.parametrize("language", ["en", "id"])
def test_every_pause_has_words(language: str) -> None:
    until = {"until": "2024-03-02T00:00:00+00:00"}
    from tradeloop.core.codes import event_details

    for code, values in (
        (EventDetail.PAUSED_LOSSES, {"count": 3} | until),
        (EventDetail.PAUSED_DAILY_LOSS, {"loss": 110, "limit": 100, "currency": "USD"} | until),
        (EventDetail.PAUSED_STOP_COOLDOWN, until),
    ):
        text = event_text(language, "UTC", event_details(code, **values))
        assert "2024-03-02 00:00 UTC" in text and "{" not in text
