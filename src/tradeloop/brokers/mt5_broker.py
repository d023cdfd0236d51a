"""A bot's account at a MetaTrader 5 broker through the ``MetaTrader5`` package (the ``Broker``
protocol), and closed bars from the terminal.

The package runs only on Windows, next to a running MT5 terminal (``load_mt5``); the broker
takes the module as an argument, so tests pass a stand-in. One broker trades one symbol for
one bot. The symbol is found by its exact name, else with one of the broker's usual suffixes
(``EURUSD.m``, ``EURUSDm``, ``EURUSD.pro``, ``EURUSD#``…), never by a name that merely
contains it (``EURUSDT`` and ``XEURUSD`` are other instruments).

Orders are market orders (``TRADE_ACTION_DEAL``): the volume in lots (units ÷ contract size)
rounded down to the symbol's step within its limits, the filling mode the symbol allows, the
stop and target on the position itself (``sl``/``tp``, moved by ``TRADE_ACTION_SLTP``), the
bot's client order id as the order's comment and the bot's magic number on it. ``submit``
looks the id up in the positions, orders and history before sending, so a request sent again
after a crash or a lost answer never places a second order. Every answer's retcode is checked
and becomes a ``BrokerError`` with a message and whether to retry; reads are retried with
backoff while the terminal cannot be reached, an order never blindly.

Times: MT5 reports times on the trade server's clock (many brokers run at UTC+2/+3);
``server_tz`` names that clock (an IANA zone, UTC by default) and every time leaving here is
UTC."""

from __future__ import annotations

import math
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from tradeloop.brokers.base import Reconciliation
from tradeloop.brokers.errors import BrokerError, retried
from tradeloop.brokers.guards import AccountGuards, DayBaseline, check_order
from tradeloop.core.orders import (
    Account,
    Fill,
    Order,
    OrderRequest,
    OrderStatus,
    Position,
    Side,
)
from tradeloop.market.feeds import Bar
from tradeloop.market.timeframes import TIMEFRAMES as TIMEFRAME_SECONDS

T = TypeVar("T")
COMMENT_MAX = 31  # characters an MT5 order comment holds
HISTORY_START = datetime(2000, 1, 1, tzinfo=UTC)  # history is read from here
# The broker's usual suffixes to a symbol's name, in the order they are tried (compared
# without case). A suffix here never turns one instrument into another (no ``T``: EURUSDT).
SUFFIXES = (
    ".m", "m", ".pro", "pro", "#", ".a", ".b", ".c", "c", ".e", ".i", ".r", ".s", ".x", ".z",
    "z", ".ecn", "ecn", "-ecn", "_ecn", ".raw", "raw", ".std", "-std", ".stp", ".sml", ".mini",
    "mini", ".micro", "micro", "+", "!", "_i", "-m",
)  # fmt: skip
TIMEFRAMES = ("M1", "M5", "M15", "M30", "H1", "H4", "D1", "W1", "MN1")
FOK, IOC = 1, 2  # symbol_info.filling_mode flags (SYMBOL_FILLING_*; not in the package)
IPC_ERRORS = range(-10005, -9999)  # last_error(): the terminal cannot be reached

# retcode: (name, English message, retry) — MQL5's TRADE_RETCODE_* values
RETCODES: dict[int, tuple[str, str, bool]] = {
    10004: ("requote", "MT5 requoted the order: the price moved, trying again", True),
    10006: ("rejected", "the MT5 server rejected the order ({detail})", False),
    10007: ("cancelled", "the order was cancelled in the MT5 terminal", False),
    10011: ("processing", "the MT5 server could not process the order ({detail})", False),
    10012: ("timeout", "the MT5 server did not answer in time: trying again", True),
    10013: ("invalid", "MT5 found the request invalid ({detail})", False),
    10014: ("volume", "MT5 refused the order's volume: check the symbol's lot size, step and "
            "limits", False),
    10015: ("price", "MT5 refused the order's price", False),
    10016: ("stops", "MT5 refused the stop or target: too close to the price or on the wrong "
            "side of it", False),
    10017: ("trade_disabled", "trading is disabled for this symbol or account at the broker",
            False),
    10018: ("market_closed", "the market is closed for this symbol now", False),
    10019: ("no_money", "not enough money (free margin) in the MT5 account for this order",
            False),
    10020: ("price_changed", "the price changed before MT5 filled the order: trying again",
            True),
    10021: ("price_off", "MT5 has no quotes to fill the order: trying again", True),
    10022: ("expiration", "MT5 refused the order's expiration", False),
    10023: ("order_changed", "the order changed while MT5 handled the request", False),
    10024: ("too_many", "MT5 is limiting our requests: waiting before the next one", True),
    10025: ("no_changes", "the request changed nothing at MT5", False),
    10026: ("server_autotrading", "the MT5 server has switched off automated trading for "
            "this account", False),
    10027: ("algo_trading", "Algo Trading is switched off in the MT5 terminal: switch it on",
            False),
    10028: ("locked", "MT5 is still handling an earlier request for this order: trying again",
            True),
    10029: ("frozen", "the order or position is frozen: too close to the price to change",
            False),
    10030: ("filling", "MT5 refused the order's filling mode: the symbol does not allow it",
            False),
    10031: ("connection", "the MT5 terminal has no connection to the trade server: trying "
            "again", True),
    10032: ("only_real", "MT5 allows this only on live accounts", False),
    10033: ("limit_orders", "the account reached the broker's limit of pending orders", False),
    10034: ("limit_volume", "the symbol's orders and positions reached the broker's volume "
            "limit", False),
    10035: ("invalid_order", "MT5 refused the order type", False),
    10036: ("position_closed", "the position is already closed", False),
    10038: ("close_volume", "the volume to close is larger than the position", False),
    10039: ("close_exists", "a close order already exists for this position", False),
    10040: ("limit_positions", "the account reached the broker's limit of open positions",
            False),
    10041: ("reject_cancel", "MT5 rejected the pending order's activation and cancelled it",
            False),
    10042: ("long_only", "only buy positions are allowed on this symbol", False),
    10043: ("short_only", "only sell positions are allowed on this symbol", False),
    10044: ("close_only", "only closing positions is allowed on this symbol", False),
    10045: ("fifo", "this account closes positions only in FIFO order", False),
    10046: ("hedge", "opposite positions on one symbol are not allowed on this account", False),
}  # fmt: skip
DONE, PLACED, DONE_PARTIAL, NO_CHANGES = 10009, 10008, 10010, 10025
LOOK_FIRST = (10012, 10031)  # the order may have reached the server: look before reporting


def mt5_available() -> bool:
    """Whether the ``MetaTrader5`` package can be loaded here (Windows, the mt5 extra)."""
    try:
        load_mt5()
    except BrokerError:
        return False
    return True


def load_mt5() -> Any:
    """The ``MetaTrader5`` package; a BrokerError where it cannot run (not Windows, or the
    ``mt5`` extra not installed)."""
    try:
        import MetaTrader5  # type: ignore[import-not-found]
    except ImportError as exc:
        raise BrokerError(
            "MetaTrader 5 runs only on Windows next to a running MT5 terminal: install "
            "tradeloop with its mt5 extra there (pip install 'tradeloop[mt5]')",
            "broker.mt5.unavailable", retry=False,
        ) from exc  # fmt: skip
    return MetaTrader5


# -- errors --------------------------------------------------------------------------------


def retcode_error(retcode: int, comment: str = "") -> BrokerError:
    """An ``order_send`` answer's retcode as a BrokerError with a message and whether to
    retry; ``comment`` is the server's own words (the result's comment)."""
    name, message, retry = RETCODES.get(
        retcode, ("other", "MT5 refused the request ({detail})", False)
    )
    detail = comment or "no reason given"
    return BrokerError(f"{message.replace('{detail}', detail)} (MT5 retcode {retcode})",
                       f"broker.mt5.{name}", retry,
                       values={"retcode": retcode, "detail": detail})  # fmt: skip


def terminal_error(code: int, description: str) -> BrokerError:
    """A ``last_error()`` (the terminal's, after a call answered None) as a BrokerError."""
    if code in IPC_ERRORS:
        name, message, retry = ("ipc", "no connection to the MT5 terminal: is it running and "
                                "logged in? Trying again", True)  # fmt: skip
    elif code == -6:
        name, message, retry = ("auth", "the MT5 terminal refused the account's login: check "
                                "the login, password and server", False)  # fmt: skip
    elif code == -8:
        name, message, retry = ("algo_disabled", RETCODES[10027][1], False)
    elif code == -2:
        name, message, retry = ("arguments", "the MT5 terminal refused the request: {detail}",
                                False)  # fmt: skip
    else:
        name, message, retry = ("terminal", "the MT5 terminal failed: {detail}", False)
    detail = f"{description} ({code})"
    return BrokerError(message.replace("{detail}", detail), f"broker.mt5.{name}", retry,
                       values={"code": code, "detail": detail})  # fmt: skip


def _got(mt5: Any, value: T | None, empty: T | None = None) -> T:
    """``value`` when the call answered; ``empty`` when it answered None with success (no
    data); else the terminal's error."""
    if value is not None:
        return value
    code, description = mt5.last_error()
    if empty is not None and code == 1:
        return empty
    raise terminal_error(code, description)


# -- symbols, volumes, filling -------------------------------------------------------------


def resolve_symbol(mt5: Any, symbol: str) -> str:
    """The terminal's name of ``symbol``: itself, else the name with the first of the
    broker's usual suffixes the terminal knows; selected in Market Watch. BrokerError when
    the terminal has neither."""
    wanted = symbol.replace("/", "").strip()
    name: str | None = wanted
    if mt5.symbol_info(wanted) is None:
        code, description = mt5.last_error()
        if code in IPC_ERRORS:
            raise terminal_error(code, description)
        known = _got(mt5, mt5.symbols_get(), ())
        tails = {s.name[len(wanted) :].lower(): s.name for s in known if s.name.startswith(wanted)}
        name = next((tails[s] for s in SUFFIXES if s in tails), None)
    if name is None:
        raise BrokerError(
            f"the MT5 terminal has no symbol {wanted}, with or without a broker suffix "
            "(.m, m, .pro, # …)", "broker.mt5.symbol", retry=False, values={"symbol": wanted},
        )  # fmt: skip
    mt5.symbol_select(name, True)
    return name


def filling_mode(mt5: Any, flags: int) -> int:
    """The order filling mode for a symbol's ``filling_mode`` flags: fill or kill when
    allowed, else immediate or cancel, else return."""
    if flags & FOK:
        return int(mt5.ORDER_FILLING_FOK)
    if flags & IOC:
        return int(mt5.ORDER_FILLING_IOC)
    return int(mt5.ORDER_FILLING_RETURN)


def volume_lots(info: Any, quantity: float) -> float:
    """``quantity`` units as lots of the symbol ``info`` describes: rounded down to its
    ``volume_step``, at most ``volume_max``; BrokerError below ``volume_min``."""
    raw = quantity / float(info.trade_contract_size)
    step = Decimal(str(info.volume_step))
    lots = float(math.floor(raw / float(step) + 1e-9) * step)
    lots = min(lots, float(info.volume_max))
    if lots < float(info.volume_min) or lots <= 0:
        raise BrokerError(
            f"order of {quantity:g} units ({raw:g} lots) is below {info.name}'s smallest "
            f"volume of {info.volume_min:g} lots", "broker.mt5.volume_small", retry=False,
            values={"quantity": quantity, "lots": raw, "minimum": info.volume_min,
                    "symbol": info.name},
        )  # fmt: skip
    return lots


# -- times ---------------------------------------------------------------------------------


def _to_utc(seconds: float, server_tz: str) -> datetime:
    """A time on the trade server's clock (seconds as MT5 reports them) in UTC."""
    wall = pd.Timestamp(seconds, unit="s")
    if server_tz == "UTC":
        return wall.tz_localize(UTC).to_pydatetime()
    local = wall.tz_localize(server_tz, ambiguous=False, nonexistent="shift_forward")
    return local.tz_convert(UTC).to_pydatetime()


def _to_server(moment: datetime, server_tz: str) -> datetime:
    """A UTC moment on the trade server's clock, as MT5 reads a time given to it."""
    return moment.astimezone(ZoneInfo(server_tz)).replace(tzinfo=UTC)


def closed_bars(
    mt5: Any, symbol: str, timeframe: str, count: int, server_tz: str = "UTC"
) -> pd.DataFrame:
    """The last ``count`` closed bars of ``symbol`` at ``timeframe`` (``H1``…), oldest first:
    open, high, low, close and volume (the real volume where the symbol has one, else the
    tick count) on a UTC index of bar open times, as tradeloop's bars are."""
    if timeframe not in TIMEFRAMES:
        raise BrokerError(f"MT5 has no timeframe {timeframe}: use one of {', '.join(TIMEFRAMES)}",
                          "broker.mt5.timeframe", retry=False,
                          values={"timeframe": timeframe})  # fmt: skip
    name = resolve_symbol(mt5, symbol)
    rates = mt5.copy_rates_from_pos(name, getattr(mt5, f"TIMEFRAME_{timeframe}"), 1, count)
    rates = _got(mt5, rates, np.empty(0, [("time", "<i8")]))  # bar 0 is still forming
    times = pd.to_datetime(np.asarray(rates["time"], dtype="int64"), unit="s")
    if server_tz == "UTC":
        index = times.tz_localize("UTC")
    else:
        index = times.tz_localize(server_tz, ambiguous=np.zeros(len(times), dtype=bool),
                                  nonexistent="shift_forward").tz_convert("UTC")  # fmt: skip
    index = pd.DatetimeIndex(index, name="time").as_unit("ns")
    if not len(rates):
        return pd.DataFrame({c: np.empty(0) for c in ("open", "high", "low", "close", "volume")},
                            index=index)  # fmt: skip
    real = np.asarray(rates["real_volume"], dtype=float)
    volume = real if real.any() else np.asarray(rates["tick_volume"], dtype=float)
    columns = {c: np.asarray(rates[c], dtype=float) for c in ("open", "high", "low", "close")}
    return pd.DataFrame(columns | {"volume": volume}, index=index)


class Mt5Bars:
    """A live feed of ``symbol``'s closed bars from the terminal (``copy_rates_from_pos``):
    each ``poll`` gives the closed bars not given yet (the first: the last ``count``), and the
    seconds until the next one closes."""

    def __init__(self, mt5: Any, symbol: str, timeframe: str, count: int,
                 server_tz: str = "UTC") -> None:  # fmt: skip
        self.mt5, self.symbol, self.timeframe = mt5, symbol, timeframe
        self.count, self.server_tz = count, server_tz
        self.step = pd.Timedelta(seconds=TIMEFRAME_SECONDS[timeframe])
        self.last: pd.Timestamp | None = None  # the open time of the last bar given

    def poll(self) -> tuple[list[Any], float]:
        """The closed bars not given yet, and the seconds until the next one closes."""

        def read() -> pd.DataFrame:
            return closed_bars(self.mt5, self.symbol, self.timeframe, self.count, self.server_tz)

        frame = retried(read, _as_broker_error, time.sleep)
        if self.last is not None:
            frame = frame[frame.index > self.last]
        bars = [Bar(r.Index, r.open, r.high, r.low, r.close, r.volume)
                for r in frame.itertuples()]  # fmt: skip
        if bars:
            self.last = bars[-1].time
        now = pd.Timestamp.now(tz="UTC")
        due = (self.last + 2 * self.step - now).total_seconds() if self.last is not None else 0
        return bars, max(due, 1.0)


def _as_broker_error(exc: Exception) -> BrokerError | None:
    """A read's error as ``retried`` judges it: the terminal's errors are BrokerErrors."""
    return exc if isinstance(exc, BrokerError) else None


def connect_mt5(login: str, password: str, server: str) -> Any:
    """The ``MetaTrader5`` package connected to its terminal and logged in to ``login`` at
    ``server``; a BrokerError naming why not. The package drives one terminal per process:
    logged in to another account already, it is refused rather than switched under a bot."""
    mt5 = load_mt5()
    current = mt5.account_info()  # None until initialized
    if current is not None and str(current.login) != str(login):
        raise BrokerError(
            f"this server's MetaTrader 5 terminal is logged in to account {current.login}: "
            "one MetaTrader 5 account per tradeloop process", "broker.mt5.other_login",
            retry=False, values={"login": str(current.login)},
        )  # fmt: skip
    if current is None and not mt5.initialize(login=int(login), password=password, server=server):
        code, description = mt5.last_error()
        raise terminal_error(code, description)
    return mt5


# -- the broker ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Execution:
    """A fill with what reconciliation needs besides: the position it closes (its opening
    client order id) and the MT5 order that made it."""

    fill: Fill
    closes: str | None
    order: int


class Mt5Broker:
    """``mt5`` (the ``MetaTrader5`` module, initialized and logged in, or a stand-in) trading
    ``symbol`` for the bot whose client order ids start with ``prefix``; its orders carry
    ``magic`` (by default a number made from the prefix). ``deviation``: the most points a
    market order may fill away from the price sent."""

    def __init__(
        self, mt5: Any, symbol: str, prefix: str, guards: AccountGuards | None = None,
        magic: int | None = None, deviation: int = 20, server_tz: str = "UTC",
        pause: Callable[[float], None] = time.sleep,
    ) -> None:  # fmt: skip
        self.mt5 = mt5
        self.symbol = symbol
        self.prefix = prefix
        self.guards = guards or AccountGuards()
        self.magic = zlib.crc32(prefix.encode()) & 0x7FFFFFFF if magic is None else magic
        self.deviation = deviation
        self.server_tz = server_tz
        self.pause = pause
        self.name = self._read(lambda: resolve_symbol(mt5, symbol))
        self.info = self._read(lambda: _got(mt5, mt5.symbol_info(self.name)))
        self.contract = float(self.info.trade_contract_size)
        self.filling = filling_mode(mt5, int(self.info.filling_mode))
        self.day = DayBaseline()  # the equity when first seen today

    # -- calls -------------------------------------------------------------------------------

    def _read(self, call: Callable[[], T]) -> T:
        """A call that changes nothing, retried with backoff while the error says so."""
        return retried(call, _as_broker_error, self.pause)

    def _send(self, request: dict[str, Any]) -> Any:
        """``order_send`` once; the answer, or the terminal's error when there is none."""
        return _got(self.mt5, self.mt5.order_send(request))

    def _utc(self, seconds: float, msc: int = 0) -> datetime:
        return _to_utc(msc / 1000 if msc else seconds, self.server_tz)

    def _price(self, price: float | None) -> float:
        return 0.0 if price is None else round(price, int(self.info.digits))

    def lots(self, quantity: float) -> float:
        """``quantity`` units as the lots an order sends (see ``volume_lots``)."""
        return volume_lots(self.info, quantity)

    # -- what the terminal holds -------------------------------------------------------------

    def _ours(self, item: Any) -> bool:
        return item.magic == self.magic and str(item.comment).startswith(self.prefix)

    def _raw_positions(self) -> list[Any]:
        mt5 = self.mt5
        held = self._read(lambda: _got(mt5, mt5.positions_get(symbol=self.name), ()))
        return [p for p in held if self._ours(p)]

    def _raw_orders(self) -> list[Any]:
        mt5 = self.mt5
        waiting = self._read(lambda: _got(mt5, mt5.orders_get(symbol=self.name), ()))
        return [o for o in waiting if self._ours(o)]

    def _window(self) -> tuple[datetime, datetime]:
        end = datetime.now(UTC) + timedelta(days=2)  # the server's clock may be ahead
        return _to_server(HISTORY_START, self.server_tz), _to_server(end, self.server_tz)

    def _raw_deals(self) -> list[Any]:
        """The account's buys and sells of this symbol, oldest first."""
        mt5, (start, end) = self.mt5, self._window()
        deals = self._read(lambda: _got(mt5, mt5.history_deals_get(start, end), ()))
        kinds = (mt5.DEAL_TYPE_BUY, mt5.DEAL_TYPE_SELL)
        return sorted((d for d in deals if d.symbol == self.name and d.type in kinds),
                      key=lambda d: (d.time_msc or d.time * 1000, d.ticket))  # fmt: skip

    def _raw_history_orders(self) -> list[Any]:
        mt5, (start, end) = self.mt5, self._window()
        done = self._read(lambda: _got(mt5, mt5.history_orders_get(start, end), ()))
        return [o for o in done if o.symbol == self.name]

    def _position_of(self, client_order_id: str) -> Any | None:
        return next((p for p in self._raw_positions() if p.comment == client_order_id), None)

    def _find(self, request: OrderRequest) -> Order | None:
        """The order the terminal holds for the request's client order id: an open position
        it opened, an order waiting, deals it made or an order in the history."""
        cid = request.client_order_id
        position = next((p for p in self._raw_positions() if p.comment == cid), None)
        if position is not None:
            opened = self._utc(position.time, position.time_msc)
            return Order(request, OrderStatus.FILLED, opened, opened)
        waiting = next((o for o in self._raw_orders() if o.comment == cid), None)
        if waiting is not None:
            placed = self._utc(waiting.time_setup, waiting.time_setup_msc)
            return Order(request, OrderStatus.PENDING, placed)
        deals = [d for d in self._raw_deals() if d.comment == cid and d.magic == self.magic]
        if deals:
            return Order(request, OrderStatus.FILLED, self._utc(deals[0].time, deals[0].time_msc),
                         self._utc(deals[-1].time, deals[-1].time_msc))  # fmt: skip
        for done in self._raw_history_orders():
            if done.comment == cid and done.magic == self.magic:
                filled = done.state in (self.mt5.ORDER_STATE_FILLED, self.mt5.ORDER_STATE_PARTIAL)
                return Order(request, OrderStatus.FILLED if filled else OrderStatus.CANCELLED,
                             self._utc(done.time_setup, done.time_setup_msc),
                             self._utc(done.time_done, done.time_done_msc))  # fmt: skip
        return None

    # -- orders ------------------------------------------------------------------------------

    def submit(self, request: OrderRequest) -> Order:
        """A market order with the bot's client order id as its comment; the order already
        held when the terminal knows the id (a resubmission after a crash or a lost answer).
        A request that ``closes`` a position closes the one its opening order's id names."""
        cid = request.client_order_id
        if len(cid) > COMMENT_MAX:
            raise BrokerError(
                f"client order id {cid} is longer than the {COMMENT_MAX} characters an MT5 "
                "order comment holds", "broker.mt5.comment_long", retry=False,
                values={"detail": cid},
            )  # fmt: skip
        found = self._find(request)
        if found is not None:
            return found
        if request.closes is not None:
            sent = self._closing(request)
        else:
            lots = self.lots(request.quantity)
            mt5 = self.mt5

            def open_positions() -> int:  # every position of the account, not only the bot's
                return len(self._read(lambda: _got(mt5, mt5.positions_get(), ())))

            check_order(self.guards, replace(request, quantity=lots), open_positions,
                        self.day_pnl)  # fmt: skip
            sent = self._opening(request, lots)
        result = self.mt5.order_send(sent)
        if result is None:  # no answer: the order may have gone through, look first
            error = terminal_error(*self.mt5.last_error())
            found = self._find(request) if error.retry else None
            if found is None:
                raise error
            return found
        if result.retcode in (DONE, DONE_PARTIAL):
            deals = self._read(lambda: _got(self.mt5, self.mt5.history_deals_get(
                ticket=result.deal), ()))  # fmt: skip
            at = self._utc(deals[0].time, deals[0].time_msc) if deals else datetime.now(UTC)
            return Order(request, OrderStatus.FILLED, at, at)
        if result.retcode == PLACED:
            return self._find(request) or Order(request, OrderStatus.PENDING, datetime.now(UTC))
        if result.retcode in LOOK_FIRST:
            found = self._find(request)
            if found is not None:
                return found
        raise retcode_error(result.retcode, result.comment)

    def _tick(self) -> Any:
        return self._read(lambda: _got(self.mt5, self.mt5.symbol_info_tick(self.name)))

    def _opening(self, request: OrderRequest, lots: float) -> dict[str, Any]:
        mt5, tick, buy = self.mt5, self._tick(), request.side is Side.BUY
        return {
            "action": mt5.TRADE_ACTION_DEAL, "symbol": self.name, "volume": lots,
            "type": mt5.ORDER_TYPE_BUY if buy else mt5.ORDER_TYPE_SELL,
            "price": tick.ask if buy else tick.bid,
            "sl": self._price(request.stop), "tp": self._price(request.target),
            "deviation": self.deviation, "magic": self.magic,
            "comment": request.client_order_id, "type_time": mt5.ORDER_TIME_GTC,
            "type_filling": self.filling,
        }  # fmt: skip

    def _closing(self, request: OrderRequest) -> dict[str, Any]:
        mt5 = self.mt5
        position = self._position_of(request.closes or "")
        if position is None:
            raise BrokerError(f"no open position of {request.closes}", "broker.error.no_position",
                              retry=False, values={"detail": request.closes})  # fmt: skip
        lots = min(self.lots(request.quantity), float(position.volume))
        long = position.type == mt5.POSITION_TYPE_BUY
        tick = self._tick()
        return {
            "action": mt5.TRADE_ACTION_DEAL, "symbol": self.name, "volume": lots,
            "type": mt5.ORDER_TYPE_SELL if long else mt5.ORDER_TYPE_BUY,
            "price": tick.bid if long else tick.ask, "position": position.ticket,
            "deviation": self.deviation, "magic": self.magic,
            "comment": request.client_order_id, "type_time": mt5.ORDER_TIME_GTC,
            "type_filling": self.filling,
        }  # fmt: skip

    def modify(self, client_order_id: str, stop: float | None, target: float | None) -> Position:
        """Move the stop and target of the position ``client_order_id`` opened (None removes
        one)."""
        position = self._position_of(client_order_id)
        if position is None:
            raise BrokerError(f"no open position of {client_order_id}", "broker.error.no_position",
                              retry=False, values={"detail": client_order_id})  # fmt: skip
        result = self._send({
            "action": self.mt5.TRADE_ACTION_SLTP, "symbol": self.name,
            "position": position.ticket, "sl": self._price(stop), "tp": self._price(target),
            "magic": self.magic,
        })  # fmt: skip
        if result.retcode not in (DONE, NO_CHANGES):
            raise retcode_error(result.retcode, result.comment)
        return next(p for p in self.positions() if p.client_order_id == client_order_id)

    def cancel(self, client_order_id: str) -> Order:
        """Remove an order still waiting at the terminal."""
        waiting = next((o for o in self._raw_orders() if o.comment == client_order_id), None)
        if waiting is None:
            raise BrokerError(
                f"no pending MT5 order {client_order_id} (filled, cancelled or never placed)",
                "broker.mt5.not_pending", retry=False, values={"detail": client_order_id},
            )  # fmt: skip
        result = self._send({"action": self.mt5.TRADE_ACTION_REMOVE, "order": waiting.ticket})
        if result.retcode != DONE:
            raise retcode_error(result.retcode, result.comment)
        order = self._pending(waiting, self._opening_ids())
        return replace(order, status=OrderStatus.CANCELLED, done_at=datetime.now(UTC))

    def _opening_ids(self) -> dict[int, str]:
        """Position id → the client order id that opened it, for the bot's positions."""
        return {p.identifier: p.comment for p in self._raw_positions()}

    def _pending(self, order: Any, opened_by: dict[int, str]) -> Order:
        buy = order.type % 2 == 0  # ORDER_TYPE_BUY, _BUY_LIMIT, _BUY_STOP… are even
        request = OrderRequest(
            str(order.comment), self.symbol, Side.BUY if buy else Side.SELL,
            float(order.volume_current) * self.contract, stop=order.sl or None,
            target=order.tp or None, closes=opened_by.get(order.position_id),
        )  # fmt: skip
        return Order(request, OrderStatus.PENDING,
                     self._utc(order.time_setup, order.time_setup_msc))  # fmt: skip

    def open_orders(self) -> list[Order]:
        """The bot's orders still waiting at the terminal."""
        opened_by = self._opening_ids()
        return [self._pending(o, opened_by) for o in self._raw_orders()]

    # -- positions, account, fills -----------------------------------------------------------

    def positions(self) -> list[Position]:
        """The bot's open positions on this symbol, each named by the order that opened it."""
        return [
            Position(
                str(p.comment), self.symbol,
                Side.BUY if p.type == self.mt5.POSITION_TYPE_BUY else Side.SELL,
                float(p.volume) * self.contract, float(p.price_open),
                self._utc(p.time, p.time_msc), p.sl or None, p.tp or None,
            )
            for p in self._raw_positions()
        ]  # fmt: skip

    def account(self) -> Account:
        """The account's balance (closed P&L and fees) and equity, in its currency."""
        info = self._read(lambda: _got(self.mt5, self.mt5.account_info()))
        return Account(float(info.balance), float(info.equity), str(info.currency))

    def day_pnl(self) -> float:
        """The account's equity change since this broker first looked at it today (UTC)."""
        return self.day.pnl(self.account().equity)

    def _executions(self) -> list[_Execution]:
        """The bot's fills, one per MT5 order (its deals summed), oldest first: entries named
        by their comment; exits by the bot's closing order, else by why the server closed the
        position (``<opening id>:stop``, ``:target``, ``:stop-out``, ``:manual``)."""
        mt5 = self.mt5
        deals = self._raw_deals()
        opened_by = {d.position_id: str(d.comment) for d in deals
                     if d.entry == mt5.DEAL_ENTRY_IN and self._ours(d)}  # fmt: skip
        by_order: dict[int, list[Any]] = {}
        for deal in deals:
            if deal.position_id in opened_by:
                by_order.setdefault(deal.order, []).append(deal)
        executions = []
        for order, parts in by_order.items():
            first = parts[0]
            opening = opened_by[first.position_id]
            closes: str | None = None
            if first.entry == mt5.DEAL_ENTRY_IN:
                cid, reason = opening, "entry"
            else:
                closes = opening
                cid, reason = self._exit_name(first, opening)
            volume = sum(float(d.volume) for d in parts)
            price = sum(float(d.volume) * float(d.price) for d in parts) / volume
            paid = -sum(float(d.commission) + float(d.fee) for d in parts)
            side = Side.BUY if first.type == mt5.DEAL_TYPE_BUY else Side.SELL
            fill = Fill(cid, self.symbol, side, volume * self.contract, price, paid,
                        self._utc(first.time, first.time_msc), reason)  # fmt: skip
            executions.append(_Execution(fill, closes, order))
        return executions

    def _exit_name(self, deal: Any, opening: str) -> tuple[str, str]:
        mt5 = self.mt5
        named = {mt5.DEAL_REASON_SL: ("stop", "stop"), mt5.DEAL_REASON_TP: ("target", "target"),
                 mt5.DEAL_REASON_SO: ("stop-out", "stop")}  # fmt: skip
        if deal.reason in named:
            suffix, reason = named[deal.reason]
            return f"{opening}:{suffix}", reason
        if self._ours(deal):
            return str(deal.comment), "signal"
        return f"{opening}:manual", "manual"  # closed by hand in a terminal

    def fills_since(self, since: datetime | None) -> list[Fill]:
        """The bot's fills at or after ``since`` (all for None), oldest first."""
        return [e.fill for e in self._executions() if since is None or e.fill.time >= since]

    def reconcile(self) -> Reconciliation:
        """What the terminal holds for the bot: an order per fill (entries with the stop and
        target they were sent with) and the orders waiting, its fills, its positions."""
        executions = self._executions()
        levels = {o.ticket: (o.sl or None, o.tp or None) for o in self._raw_history_orders()}
        orders = []
        for e in executions:
            f = e.fill
            stop, target = levels.get(e.order, (None, None)) if e.closes is None else (None, None)
            request = OrderRequest(f.client_order_id, f.symbol, f.side, f.quantity, stop, target,
                                   e.closes)  # fmt: skip
            reason = "signal" if f.reason == "entry" else f.reason
            orders.append(Order(request, OrderStatus.FILLED, f.time, f.time, reason))
        orders += self.open_orders()
        return Reconciliation(orders, [e.fill for e in executions], self.positions())
