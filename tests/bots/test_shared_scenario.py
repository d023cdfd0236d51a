"""One bot scenario on every broker: the paper broker, and the live execution on a crypto
exchange through the real ccxt client (the Binance look-alike) and on MetaTrader 5 (the
package's stand-in). The same decisions on the
same bars open a long with a stop and a target, lose it to the stop, open a short and
reverse it to a long; each broker must report the same round trips (side, entry, exit,
reason). A backtest fills a decision at the next bar's open; live, the order goes out when
the bar closed, so the test sets the exchange's price to that next open first (and to the
stop's level when a bar crosses it), the one way the two can be compared price for price."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import ccxt
import pandas as pd
import pytest

from tests.brokers.binance_server import BinanceServer, rebase_urls
from tests.brokers.mt5_standin import MetaTrader5
from tradeloop.bots.live import LiveExecution
from tradeloop.brokers.ccxt_broker import CcxtBroker
from tradeloop.brokers.mt5_broker import Mt5Broker
from tradeloop.brokers.paper import PaperBroker
from tradeloop.execution.rules import EXIT_REASONS
from tradeloop.execution.settings import ExecutionSettings
from tradeloop.execution.tape import Tape
from tradeloop.market.instruments import resolve_instrument

INSTRUMENT = resolve_instrument("BTCUSDT")
SETTINGS = ExecutionSettings(lots=0.01, on_opposite="reverse", spread_pips=0)
START = pd.Timestamp("2026-12-01 00:00", tz="UTC")
# (open, high, low, close), the decision on the bar (signal, stop and target distance), a
# price the market touched inside the bar (a stop's level crossed), and the next bar's open,
# where a live bot's orders after the bar fill
BARS = [
    ((50000, 50100, 49900, 50000), (1, 1000, 3000), None, 50000),
    ((50000, 50050, 48900, 49100), (0, 0, 0), 49000, 49100),  # the stop at 49,000 is crossed
    ((49100, 49200, 48400, 48500), (-1, 1000, 2000), None, 48500),
    ((48500, 48600, 47900, 48000), (1, 1000, 2000), None, 48200),  # reversed at the next open
    ((48200, 48300, 48100, 48250), (0, 0, 0), None, 48250),
]
EXPECTED = [(1, 50000.0, 49000.0, "stop"), (-1, 48500.0, 48200.0, "signal")]


@dataclass
class Venue:
    """A broker the scenario runs on: its execution, and how the market moves under it."""

    execution: object
    market: Callable[[float], None]


@pytest.fixture
def exchange() -> Iterator[BinanceServer]:
    with BinanceServer() as server:
        yield server


def _paper(_: BinanceServer) -> Venue:
    return Venue(PaperBroker("bot:7", INSTRUMENT, SETTINGS, 0, 1.0), lambda price: None)


def _ccxt(server: BinanceServer) -> Venue:
    client = ccxt.binanceusdm({
        "apiKey": server.api_key, "secret": server.secret, "enableRateLimit": False,
        "urls": {"api": rebase_urls(ccxt.binanceusdm().urls["api"], server.base_url)},
    })  # fmt: skip
    broker = CcxtBroker(client, "BTC/USDT:USDT", "bot:7:")
    return Venue(LiveExecution(broker, INSTRUMENT, SETTINGS, "bot:7"),
                 lambda price: server.set_price("BTCUSDT", str(price), venue="futures"))  # fmt: skip


def _mt5(_: BinanceServer) -> Venue:
    terminal = MetaTrader5()  # the MetaTrader5 package's stand-in (it runs on Windows only)
    terminal.add_symbol("BTCUSD", 50000, 50000, digits=2, contract_size=1)
    assert terminal.initialize(login=5_001_234, password="demo-pass", server="Broker-Demo")
    broker = Mt5Broker(terminal, "BTCUSD", "bot:7:")
    return Venue(LiveExecution(broker, INSTRUMENT, SETTINGS, "bot:7"),
                 lambda price: terminal.set_price("BTCUSD", price))  # fmt: skip


@pytest.mark.parametrize("venue", [_paper, _ccxt, _mt5], ids=["paper", "ccxt", "mt5"])
def test_the_same_round_trips_on_every_broker(
    exchange: BinanceServer, venue: Callable[[BinanceServer], Venue]
) -> None:
    at = venue(exchange)
    tape, closed = Tape(), []
    for hour, ((o, h, low, c), (signal, stop, target), touched, next_open) in enumerate(BARS):
        if touched is not None:
            at.market(touched)
        at.market(next_open)  # the bar closed: a live bot's orders fill at the next open
        i = tape.add_bar(START + pd.Timedelta(hours=hour), o, h, low, c)
        tape.decide(i, entries=signal, stop_dist=stop, target_dist=target)
        closed += at.execution.on_bar(tape, i).closed  # type: ignore[attr-defined]
    trips = [(int(row[2]), float(row[3]), float(row[4]), EXIT_REASONS[int(row[9])])
             for row in closed]  # fmt: skip
    assert trips == EXPECTED
