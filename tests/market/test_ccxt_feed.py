"""The live ccxt feed against the real ccxt client (``binance`` spot and ``binanceusdm``
USDⓈ-M futures) over HTTP to the Binance look-alike of ``tests/brokers/binance_server.py``:
closed bars once each, in order, the forming bar held back until it closes, a gap after dropped
connections or a pause filled from history page by page, rate limits waited out for their
``Retry-After``, a refused key ending the feed with its message, and ``stop()``.

The exchange's clock is the test's ``World`` (the default, the exchange's own ``fetch_time``,
has a test of its own): each sleep the feed asks for moves it on, and runs the next scripted
step, so nothing here waits."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from itertools import islice
from typing import Any

import ccxt
import pandas as pd
import pytest

from tests.brokers.binance_server import BinanceServer, now_ms, rebase_urls
from tradeloop.brokers.errors import BrokerError, broker_error
from tradeloop.core.errors import InvalidInput
from tradeloop.market.ccxt_feed import CcxtFeed
from tradeloop.market.feeds import Bar

MINUTE, HOUR = 60_000, 3_600_000
T0 = 1_699_999_200_000  # 2023-11-14 22:00 UTC, the open of bar 0
VENUES = {  # venue: (ccxt client, unified symbol, path of its market data)
    "spot": (ccxt.binance, "BTC/USDT", "/api/v3"),
    "futures": (ccxt.binanceusdm, "BTC/USDT:USDT", "/fapi/v1"),
}
NETWORK = "the exchange could not be reached: trying again"
LIMITED = "the exchange is limiting our requests: waiting before the next one"


@pytest.fixture
def server() -> Iterator[BinanceServer]:
    with BinanceServer() as srv:
        yield srv


@pytest.fixture(params=list(VENUES))
def venue(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def client(server: BinanceServer, venue: str, **config: Any) -> Any:
    """A public-data ccxt client pointed at the server (keys only when given)."""
    cls = VENUES[venue][0]
    settings = {"enableRateLimit": False, "timeout": 3000,
                "urls": {"api": rebase_urls(cls().urls["api"], server.base_url)}}  # fmt: skip
    return cls(settings | config)


def kline(i: int, forming: bool = False) -> tuple[Any, ...]:
    """Bar ``i`` as served: final, or a snapshot while it still forms (other high and close)."""
    open_ = 50_000 + 100 * i
    if forming:
        return (T0 + i * HOUR, open_, open_ + 60, open_ - 150, open_ + 40, 1)
    return (T0 + i * HOUR, open_, open_ + 250, open_ - 150, open_ + 100, 2 + i / 2)


def bar(i: int) -> Bar:
    """Bar ``i`` as the feed must give it: final."""
    t, *values = kline(i)
    return Bar(pd.Timestamp(t, unit="ms", tz="UTC"), *(float(v) for v in values))


class World:
    """The exchange's clock and what happens while the feed sleeps: each sleep is recorded
    with the message of the error being waited out, moves the clock on, and runs the next
    scripted step."""

    def __init__(self, server: BinanceServer, venue: str, now: int) -> None:
        self.server, self.venue, self.now = server, venue, now
        self.slept: list[tuple[float, str | None]] = []
        self.steps: list[Callable[[], None]] = []
        self.feed: CcxtFeed | None = None

    def clock(self) -> int:
        return self.now

    def sleep(self, seconds: float) -> None:
        error = self.feed.error if self.feed else None
        self.slept.append((seconds, getattr(error, "message", None)))
        assert len(self.slept) < 20, "the feed keeps sleeping"
        self.now += round(seconds * 1000)
        if self.steps:
            self.steps.pop(0)()

    def bars(self, closed: int) -> None:
        """Bars 0 to ``closed`` - 1 final, bar ``closed`` forming."""
        bars = [*map(kline, range(closed)), kline(closed, forming=True)]
        self.server.set_klines("BTCUSDT", "1h", bars, venue=self.venue)

    def start(self, config: dict[str, Any] | None = None, **options: Any) -> CcxtFeed:
        exchange = client(self.server, self.venue, **(config or {}))
        self.feed = CcxtFeed(exchange, VENUES[self.venue][1], "1h", errors=broker_error,
                             clock=self.clock, sleep=self.sleep, **options)  # fmt: skip
        return self.feed

    def asked(self) -> list[tuple[int | None, str, int | None]]:
        """Each klines request: its startTime (as hours after T0), limit and HTTP status."""
        return [
            (None if "startTime" not in c.params else (int(c.params["startTime"]) - T0) // HOUR,
             c.params["limit"], c.status)
            for c in self.server.calls if c.path.endswith("/klines")
        ]  # fmt: skip


def at(i: int) -> pd.Timestamp:
    return pd.Timestamp(T0 + i * HOUR, unit="ms", tz="UTC")


def test_each_closed_bar_comes_once_in_order_and_a_forming_one_once_closed(
    server: BinanceServer, venue: str
) -> None:
    world = World(server, venue, now=T0 + 3 * HOUR + 20 * MINUTE)
    world.bars(3)  # bars 0-2 closed, bar 3 twenty minutes into its hour
    bars = iter(world.start(since=at(0)))
    first = [next(bars) for _ in range(3)]
    assert first == [bar(0), bar(1), bar(2)]
    assert first[0] == Bar(pd.Timestamp("2023-11-14 22:00", tz="UTC"), 50000.0, 50250.0,
                           49850.0, 50100.0, volume=2.0)  # fmt: skip
    assert world.slept == []

    world.steps.append(lambda: world.bars(4))  # bar 3 closes with its final prices, 4 forms
    assert next(bars) == bar(3)  # final: not the snapshot of the 20th minute
    assert world.slept == [(2401.0, None)]  # 40 minutes to its close, and a second's grace
    assert world.asked() == [(0, "500", 200), (3, "500", 200), (3, "500", 200)]

    world.now += 3 * HOUR  # the bot paused three hours; bars 4-6 closed meanwhile
    world.bars(7)
    assert [next(bars) for _ in range(3)] == [bar(4), bar(5), bar(6)]
    assert world.slept == [(2401.0, None)]  # no wait for bars already closed
    assert world.asked()[3:] == [(4, "500", 200)]  # all three in one request, since bar 4


def test_a_gap_after_dropped_connections_is_filled_in_order_page_by_page(
    server: BinanceServer, venue: str
) -> None:
    world = World(server, venue, now=T0 + 3 * HOUR + 5 * MINUTE)
    world.bars(3)
    feed = world.start(limit=3)  # no since: the newest closed bar first

    def disconnect() -> None:  # while waiting for bar 3: down for eight hours
        server.fail_next("drop", path="/klines", times=3)
        world.now = T0 + 11 * HOUR + 10 * MINUTE
        world.bars(11)

    world.steps.append(disconnect)
    assert list(islice(feed, 9)) == [bar(i) for i in range(2, 11)]
    assert world.slept == [(3301.0, None), (1.0, NETWORK), (2.0, NETWORK), (4.0, NETWORK)]
    assert world.asked() == [
        (None, "2", 200),  # the two newest bars: one closed, one forming
        (3, "3", 200),  # bar 3 still forming
        *[(3, "3", None)] * 3,  # dropped: no answer
        (3, "3", 200), (6, "3", 200), (9, "3", 200),  # the gap, three bars a page
    ]  # fmt: skip
    assert (feed.error, feed.last) == (None, bar(10))


def test_a_rate_limit_and_an_ip_ban_are_waited_out_for_their_retry_after(
    server: BinanceServer, venue: str
) -> None:
    world = World(server, venue, now=T0 + 2 * HOUR + MINUTE)
    world.bars(2)
    feed = world.start(since=at(0))
    server.fail_next("rate_limit", path="/klines", retry_after=7)
    server.fail_next("ip_ban", path="/klines", retry_after=120)
    assert list(islice(feed, 2)) == [bar(0), bar(1)]
    assert world.slept == [(7.0, LIMITED), (120.0, LIMITED)]
    assert world.asked() == [(0, "500", 429), (0, "500", 418), (0, "500", 200)]


def test_a_refused_api_key_stops_the_feed_with_its_message(
    server: BinanceServer, venue: str
) -> None:
    world = World(server, venue, now=T0 + 2 * HOUR + MINUTE)
    world.bars(2)
    bars = iter(world.start({"apiKey": "revoked-key", "secret": server.secret}, since=at(0)))
    with pytest.raises(BrokerError) as info:
        next(bars)  # ccxt loads the markets first, with a signed call the key fails
    error = info.value
    assert (error.message, error.key, error.retry) == (
        "the exchange refused the API key: check the key, its secret and that it may trade",
        "broker.error.auth", False,
    )  # fmt: skip
    assert type(error.__cause__) is ccxt.AuthenticationError
    assert server.calls[-1].body == (
        '{"code":-2015,"msg":"Invalid API-key, IP, or permissions for action."}'
    )
    assert next(bars, None) is None  # ended: no retry
    assert (world.slept, world.asked()) == ([], [])


def test_by_default_the_exchange_clock_decides_and_stop_wakes_the_wait(
    server: BinanceServer, venue: str
) -> None:
    server.clock_skew_ms = T0 + 3 * HOUR + 20 * MINUTE - now_ms()  # its time: 20 min into bar 3
    server.set_klines("BTCUSDT", "1h", [*map(kline, range(3)), kline(3, True)], venue=venue)
    _, symbol, path = VENUES[venue]
    feed = CcxtFeed(client(server, venue), symbol, "1h", errors=broker_error, since=at(0))
    taken: list[Bar] = []
    worker = threading.Thread(target=lambda: taken.extend(feed), daemon=True)  # the supervisor's
    worker.start()
    for _ in range(1000):  # until the feed asked again and found bar 3 still forming
        if len(server.called(f"GET {path}/klines")) == 2:
            break
        time.sleep(0.01)
    feed.stop()  # a wait of 40 minutes, ended at once
    worker.join(10)
    assert not worker.is_alive()
    assert taken == [bar(0), bar(1), bar(2)]  # by this machine's clock bar 3 closed in 2023
    market_data = [c for c in server.called() if c.endswith(("/time", "/klines"))]
    assert market_data == [f"GET {path}/time", f"GET {path}/klines"] * 2  # the time first


def test_calendar_month_bars_are_refused(server: BinanceServer) -> None:
    with pytest.raises(InvalidInput, match="1M bars are calendar months"):
        CcxtFeed(client(server, "spot"), "BTC/USDT", "1M", errors=broker_error)
