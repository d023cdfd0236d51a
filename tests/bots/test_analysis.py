"""A bot's latest analysis in words: the bar, the strategy's signal, what the bot did about
it, and the indicator values, in both languages."""

from __future__ import annotations

from datetime import timedelta

from tests.conftest import run_async
from tradeloop.bots.analysis import analyse, analysis_text
from tradeloop.bots.protections import StopCooldown
from tradeloop.bots.runner import BotRunner
from tradeloop.brokers.paper import PaperBroker
from tradeloop.execution.rules import CONVERT_FIXED
from tradeloop.execution.settings import ExecutionSettings
from tradeloop.market.feeds import replay
from tradeloop.market.instruments import resolve_instrument
from tradeloop.market.synthetic import random_walk_bars
from tradeloop.strategies.base import get_strategy

SETTINGS = ExecutionSettings(sl_pips=15, tp_pips=30, lots=0.1)


def bars() -> list:
    async def collect() -> list:
        return [bar async for bar in replay(random_walk_bars(600, seed=5))]

    return run_async(collect())


def runner(protections=()) -> BotRunner:
    eurusd = resolve_instrument("EURUSD")
    broker = PaperBroker("bot:2", eurusd, SETTINGS, CONVERT_FIXED, 1.0)
    strategy = get_strategy("ma_crossover", {"fast_period": 5, "slow_period": 12})
    return BotRunner(strategy, eurusd, SETTINGS, broker, CONVERT_FIXED, None, protections)


def first(bot: BotRunner, outcome: str):
    for bar in bars():
        bot.on_bar(bar)
        found = analyse(bot)
        if found.outcome == outcome:
            return found
    raise AssertionError(f"no bar with {outcome}")


def test_warming_up_then_an_order_then_a_position_in_words() -> None:
    bot = runner()
    assert analyse(bot) is None
    warming = first(bot, "warming_up")
    assert warming.values == {"bars": 1, "needed": bot.warmup}
    assert analysis_text("en", "UTC", warming) == (
        "2020-01-01 00:00 UTC, close 1.09868; no signal; its indicators are still warming up "
        f"(1 of {bot.warmup} bars)."
    )
    ordered = first(bot, "entry_ordered")
    assert ordered.signal != 0 and set(ordered.lines) == {"sma_fast", "sma_slow"}
    side = "buy" if ordered.signal > 0 else "sell"
    english = analysis_text("en", "UTC", ordered)
    assert f"the strategy says {side}; a {side} order waits for the next open." in english
    assert f"Fast SMA {ordered.lines['sma_fast']:.5f}, Slow SMA" in english
    bahasa = analysis_text("id", "Asia/Jakarta", ordered)
    word = "beli" if side == "buy" else "jual"
    assert f"strategi memberi sinyal {word}; order {word} menunggu pembukaan berikutnya." in bahasa
    assert "UTC+07:00" in bahasa and "SMA cepat" in bahasa and "Fast SMA" not in bahasa
    holding = first(bot, "holding")
    assert holding.values["lots"] == 0.1 and holding.values["side"] == side
    assert "position of 0.10 lots is open since" in analysis_text("en", "UTC", holding)


def test_a_paused_bot_says_until_when() -> None:
    bot = runner([StopCooldown(timedelta(days=3))])
    paused = first(bot, "paused")
    assert paused.signal != 0 and paused.values["until"] == bot.paused_until
    assert "new entries are paused until " in analysis_text("en", "UTC", paused)
    assert "entri baru dijeda sampai " in analysis_text("id", "UTC", paused)
