"""A stand-in for the ``MetaTrader5`` package (which runs only on Windows next to a terminal):
an object with the package's function names, constants, retcodes and result structures
(named tuples with the real fields in the real order), over an in-memory trade server.

It holds symbols, the prices a test sets, a hedging account's positions, pending orders,
history orders and deals. Market orders fill at the current ask (buys) or bid (sells) after
the checks a server makes (volume step and limits, filling mode, stops on the right side,
free margin, comment length); a price set past a position's sl or tp closes it with a deal
of reason ``DEAL_REASON_SL``/``_TP`` and the comment ``[sl 1.08000]``, as MT5 writes them.
Switches make the next ``order_send`` answer a given retcode, rest as a placed order
(exchange execution), or answer None with ``last_error()`` set, before or after the order
went through (a lost answer).

Times are seconds on the server's clock (``now``, set by the test), as MT5 reports them.
Simplifications: one hedging account whose currency is every symbol's profit currency; no
swaps; ``RETURN`` filling is allowed only where neither FOK nor IOC is; the package itself
has no ``SYMBOL_FILLING_*`` constants (the flags are 1 and 2) and neither does this."""

from __future__ import annotations

import fnmatch
import itertools
from collections import namedtuple
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd

SymbolInfo = namedtuple(
    "SymbolInfo",
    "custom chart_mode select visible session_deals session_buy_orders session_sell_orders "
    "volume volumehigh volumelow time digits spread spread_float ticks_bookdepth "
    "trade_calc_mode trade_mode start_time expiration_time trade_stops_level "
    "trade_freeze_level trade_exemode swap_mode swap_rollover3days margin_hedged_use_leg "
    "expiration_mode filling_mode order_mode order_gtc_mode option_mode option_right bid "
    "bidhigh bidlow ask askhigh asklow last lasthigh lastlow volume_real volumehigh_real "
    "volumelow_real option_strike point trade_tick_value trade_tick_value_profit "
    "trade_tick_value_loss trade_tick_size trade_contract_size trade_accrued_interest "
    "trade_face_value trade_liquidity_rate volume_min volume_max volume_step volume_limit "
    "swap_long swap_short margin_initial margin_maintenance session_volume session_turnover "
    "session_interest session_buy_orders_volume session_sell_orders_volume session_open "
    "session_close session_aw session_price_settlement session_price_limit_min "
    "session_price_limit_max margin_hedged price_change price_volatility price_theoretical "
    "price_greeks_delta price_greeks_theta price_greeks_gamma price_greeks_vega "
    "price_greeks_rho price_greeks_omega price_sensitivity basis category currency_base "
    "currency_profit currency_margin bank description exchange formula isin name page path",
)
Tick = namedtuple("Tick", "time bid ask last volume time_msc flags volume_real")
AccountInfo = namedtuple(
    "AccountInfo",
    "login trade_mode leverage limit_orders margin_so_mode trade_allowed trade_expert "
    "margin_mode currency_digits fifo_close balance credit profit equity margin margin_free "
    "margin_level margin_so_call margin_so_so margin_initial margin_maintenance assets "
    "liabilities commission_blocked name server currency company",
)
TradePosition = namedtuple(
    "TradePosition",
    "ticket time time_msc time_update time_update_msc type magic identifier reason volume "
    "price_open sl tp price_current swap profit symbol comment external_id",
)
TradeOrder = namedtuple(
    "TradeOrder",
    "ticket time_setup time_setup_msc time_done time_done_msc time_expiration type type_time "
    "type_filling state magic position_id position_by_id reason volume_initial volume_current "
    "price_open sl tp price_current price_stoplimit symbol comment external_id",
)
TradeDeal = namedtuple(
    "TradeDeal",
    "ticket order time time_msc type entry magic position_id reason volume price commission "
    "swap profit fee symbol comment external_id",
)
TradeRequest = namedtuple(
    "TradeRequest",
    "action magic order symbol volume price stoplimit sl tp deviation type type_filling "
    "type_time expiration comment position position_by",
)
OrderSendResult = namedtuple(
    "OrderSendResult",
    "retcode deal order volume price bid ask comment request_id retcode_external request",
)
RATES = np.dtype([("time", "<i8"), ("open", "<f8"), ("high", "<f8"), ("low", "<f8"),
                  ("close", "<f8"), ("tick_volume", "<u8"), ("spread", "<i4"),
                  ("real_volume", "<u8")])  # fmt: skip
REQUEST_DEFAULTS = dict.fromkeys(TradeRequest._fields, 0) | {"symbol": "", "comment": ""}
COMMENTS = {  # the result's comment per retcode (MQL5's descriptions)
    10004: "Requote", 10006: "Request rejected", 10008: "Order placed",
    10015: "Invalid price in the request",
    10009: "Request completed", 10012: "Request canceled by timeout",
    10013: "Invalid request", 10014: "Invalid volume in the request",
    10016: "Invalid stops in the request", 10018: "Market is closed",
    10019: "There is not enough money to complete the request", 10020: "Prices changed",
    10025: "No changes in request", 10030: "Invalid order filling type",
    10031: "No connection with the trade server", 10036: "Position already closed",
    10038: "Close volume exceeds the position's volume",
}  # fmt: skip
NO_IPC = (-10004, "No IPC connection")


@dataclass
class _Symbol:
    name: str
    digits: int
    contract_size: float
    volume_min: float
    volume_max: float
    volume_step: float
    filling_mode: int
    commission_per_lot: float  # charged on each deal, per lot
    stops_level: int  # points
    bid: float = 0.0
    ask: float = 0.0
    time: int = 0
    select: bool = False
    rates: dict[int, np.ndarray] = field(default_factory=dict)

    @property
    def point(self) -> float:
        return 10.0**-self.digits


class MetaTrader5:
    """The package's functions and constants over one in-memory account (a new instance per
    test: a fresh terminal; the same instance to a second broker: the same terminal)."""

    # ENUM_TIMEFRAMES
    TIMEFRAME_M1, TIMEFRAME_M5, TIMEFRAME_M15, TIMEFRAME_M30 = 1, 5, 15, 30
    TIMEFRAME_H1, TIMEFRAME_H4, TIMEFRAME_D1 = 16385, 16388, 16408
    TIMEFRAME_W1, TIMEFRAME_MN1 = 32769, 49153
    # orders
    ORDER_TYPE_BUY, ORDER_TYPE_SELL, ORDER_TYPE_BUY_LIMIT, ORDER_TYPE_SELL_LIMIT = 0, 1, 2, 3
    ORDER_TYPE_BUY_STOP, ORDER_TYPE_SELL_STOP = 4, 5
    ORDER_FILLING_FOK, ORDER_FILLING_IOC, ORDER_FILLING_RETURN, ORDER_FILLING_BOC = 0, 1, 2, 3
    ORDER_TIME_GTC, ORDER_TIME_DAY = 0, 1
    ORDER_STATE_STARTED, ORDER_STATE_PLACED, ORDER_STATE_CANCELED = 0, 1, 2
    ORDER_STATE_PARTIAL, ORDER_STATE_FILLED, ORDER_STATE_REJECTED = 3, 4, 5
    ORDER_REASON_CLIENT, ORDER_REASON_EXPERT, ORDER_REASON_SL, ORDER_REASON_TP = 0, 3, 4, 5
    TRADE_ACTION_DEAL, TRADE_ACTION_PENDING, TRADE_ACTION_SLTP = 1, 5, 6
    TRADE_ACTION_MODIFY, TRADE_ACTION_REMOVE, TRADE_ACTION_CLOSE_BY = 7, 8, 10
    # positions and deals
    POSITION_TYPE_BUY, POSITION_TYPE_SELL = 0, 1
    POSITION_REASON_CLIENT, POSITION_REASON_EXPERT = 0, 3
    DEAL_TYPE_BUY, DEAL_TYPE_SELL, DEAL_TYPE_BALANCE = 0, 1, 2
    DEAL_ENTRY_IN, DEAL_ENTRY_OUT, DEAL_ENTRY_INOUT, DEAL_ENTRY_OUT_BY = 0, 1, 2, 3
    DEAL_REASON_CLIENT, DEAL_REASON_MOBILE, DEAL_REASON_WEB, DEAL_REASON_EXPERT = 0, 1, 2, 3
    DEAL_REASON_SL, DEAL_REASON_TP, DEAL_REASON_SO = 4, 5, 6
    SYMBOL_TRADE_MODE_DISABLED, SYMBOL_TRADE_MODE_FULL = 0, 4
    SYMBOL_TRADE_EXECUTION_MARKET = 2
    ACCOUNT_MARGIN_MODE_RETAIL_HEDGING = 2
    # trade server return codes
    TRADE_RETCODE_REQUOTE, TRADE_RETCODE_REJECT, TRADE_RETCODE_CANCEL = 10004, 10006, 10007
    TRADE_RETCODE_PLACED, TRADE_RETCODE_DONE, TRADE_RETCODE_DONE_PARTIAL = 10008, 10009, 10010
    TRADE_RETCODE_ERROR, TRADE_RETCODE_TIMEOUT, TRADE_RETCODE_INVALID = 10011, 10012, 10013
    TRADE_RETCODE_INVALID_VOLUME, TRADE_RETCODE_INVALID_PRICE = 10014, 10015
    TRADE_RETCODE_INVALID_STOPS, TRADE_RETCODE_TRADE_DISABLED = 10016, 10017
    TRADE_RETCODE_MARKET_CLOSED, TRADE_RETCODE_NO_MONEY = 10018, 10019
    TRADE_RETCODE_PRICE_CHANGED, TRADE_RETCODE_PRICE_OFF = 10020, 10021
    TRADE_RETCODE_INVALID_EXPIRATION, TRADE_RETCODE_ORDER_CHANGED = 10022, 10023
    TRADE_RETCODE_TOO_MANY_REQUESTS, TRADE_RETCODE_NO_CHANGES = 10024, 10025
    TRADE_RETCODE_SERVER_DISABLES_AT, TRADE_RETCODE_CLIENT_DISABLES_AT = 10026, 10027
    TRADE_RETCODE_LOCKED, TRADE_RETCODE_FROZEN, TRADE_RETCODE_INVALID_FILL = 10028, 10029, 10030
    TRADE_RETCODE_CONNECTION, TRADE_RETCODE_ONLY_REAL = 10031, 10032
    TRADE_RETCODE_LIMIT_ORDERS, TRADE_RETCODE_LIMIT_VOLUME = 10033, 10034
    TRADE_RETCODE_INVALID_ORDER, TRADE_RETCODE_POSITION_CLOSED = 10035, 10036
    TRADE_RETCODE_INVALID_CLOSE_VOLUME, TRADE_RETCODE_CLOSE_ORDER_EXIST = 10038, 10039
    TRADE_RETCODE_LIMIT_POSITIONS, TRADE_RETCODE_REJECT_CANCEL = 10040, 10041
    TRADE_RETCODE_LONG_ONLY, TRADE_RETCODE_SHORT_ONLY = 10042, 10043
    TRADE_RETCODE_CLOSE_ONLY, TRADE_RETCODE_FIFO_CLOSE = 10044, 10045
    # last_error() codes
    RES_S_OK, RES_E_FAIL, RES_E_INVALID_PARAMS, RES_E_NOT_FOUND = 1, -1, -2, -4
    RES_E_AUTH_FAILED, RES_E_AUTO_TRADING_DISABLED = -6, -8
    RES_E_INTERNAL_FAIL_CONNECT, RES_E_INTERNAL_FAIL_TIMEOUT = -10004, -10005

    def __init__(self, login: int = 5_001_234, password: str = "demo-pass",
                 server: str = "Broker-Demo", balance: float = 10_000.0,
                 currency: str = "USD", leverage: int = 100) -> None:  # fmt: skip
        self.login, self.password, self.server = login, password, server
        self.balance, self.currency, self.leverage = balance, currency, leverage
        self.symbols: dict[str, _Symbol] = {}
        self.positions: list[dict[str, Any]] = []
        self.orders: list[dict[str, Any]] = []  # placed, waiting
        self.history_orders: list[dict[str, Any]] = []
        self.deals: list[dict[str, Any]] = []
        self.sent: list[dict[str, Any]] = []  # every request order_send was given
        self.calls: list[str] = []  # every function called, by name
        self.now = datetime(2024, 1, 2, 10, 0, tzinfo=UTC)  # the server's clock
        self.connected = False
        self.error: tuple[int, str] = (self.RES_S_OK, "Success")
        self.next: list[tuple[str, Any]] = []  # scripted answers to order_send
        self.tickets = itertools.count(50_000_001)

    # -- what tests set -----------------------------------------------------------------------

    def add_symbol(
        self, name: str, bid: float, ask: float, *, digits: int = 5,
        contract_size: float = 100_000, volume_min: float = 0.01, volume_max: float = 100.0,
        volume_step: float = 0.01, filling_mode: int = 1, commission_per_lot: float = 0.0,
        stops_level: int = 0,
    ) -> None:  # fmt: skip
        """A symbol the server offers, at ``bid``/``ask``."""
        self.symbols[name] = _Symbol(name, digits, contract_size, volume_min, volume_max,
                                     volume_step, filling_mode, commission_per_lot,
                                     stops_level)  # fmt: skip
        self.set_price(name, bid, ask)

    def set_price(self, name: str, bid: float, ask: float | None = None) -> None:
        """A new tick (at ``now``): positions whose sl or tp it crosses are closed."""
        sym = self.symbols[name]
        sym.bid, sym.ask, sym.time = bid, bid if ask is None else ask, self._seconds()
        for position in [p for p in self.positions if p["symbol"] == name]:
            long = position["type"] == self.POSITION_TYPE_BUY
            price = sym.bid if long else sym.ask
            sl, tp = position["sl"], position["tp"]
            hit_sl = sl and (price <= sl if long else price >= sl)
            hit_tp = tp and (price >= tp if long else price <= tp)
            if hit_sl or hit_tp:
                reason = self.DEAL_REASON_SL if hit_sl else self.DEAL_REASON_TP
                level = sl if hit_sl else tp
                comment = f"[{'sl' if hit_sl else 'tp'} {level:.{sym.digits}f}]"
                self._deal(sym, position, position["volume"], price, reason, comment,
                           position["magic"], self.TRADE_ACTION_DEAL)  # fmt: skip

    def set_rates(self, name: str, timeframe: int, bars: pd.DataFrame) -> None:
        """Bars of ``name`` at ``timeframe`` (index: open times on the server's clock;
        columns open, high, low, close, tick_volume and optionally real_volume), the last
        one still forming."""
        rates = np.zeros(len(bars), RATES)
        rates["time"] = bars.index.as_unit("s").asi8
        for column in ("open", "high", "low", "close", "tick_volume", "real_volume"):
            if column in bars:
                rates[column] = bars[column].to_numpy()
        self.symbols[name].rates[timeframe] = rates

    def answer_next(self, retcode: int) -> None:
        """The next ``order_send`` answers ``retcode`` without doing anything."""
        self.next.append(("answer", retcode))

    def drop_next(self, executed: bool = False, error: tuple[int, str] = NO_IPC) -> None:
        """The next ``order_send`` answers None with ``error`` as ``last_error()``; with
        ``executed`` the order went through first (only its answer was lost)."""
        self.next.append(("drop", (executed, error)))

    def hold_next(self) -> None:
        """The next market order is placed (retcode 10008) and waits in ``orders_get``."""
        self.next.append(("hold", None))

    # -- the package's functions ----------------------------------------------------------------

    def initialize(self, path: str | None = None, *, login: int | None = None,
                   password: str | None = None, server: str | None = None,
                   timeout: int | None = None, portable: bool = False) -> bool:  # fmt: skip
        """Connect to the terminal, logging in when a login is given."""
        self.calls.append("initialize")
        if login is not None and (login, password, server) != (self.login, self.password,
                                                               self.server):  # fmt: skip
            self.error = (self.RES_E_AUTH_FAILED, "Terminal: Authorization failed")
            return False
        self.connected, self.error = True, (self.RES_S_OK, "Success")
        return True

    def shutdown(self) -> None:
        self.calls.append("shutdown")
        self.connected = False

    def last_error(self) -> tuple[int, str]:
        return self.error

    def _up(self, name: str) -> bool:
        self.calls.append(name)
        if not self.connected:
            self.error = NO_IPC
            return False
        self.error = (self.RES_S_OK, "Success")
        return True

    def account_info(self) -> AccountInfo | None:
        if not self._up("account_info"):
            return None
        profit, equity, margin = self._money()
        values = dict.fromkeys(AccountInfo._fields, 0) | {
            "login": self.login, "leverage": self.leverage, "trade_allowed": True,
            "trade_expert": True, "margin_mode": self.ACCOUNT_MARGIN_MODE_RETAIL_HEDGING,
            "currency_digits": 2, "balance": round(self.balance, 2), "profit": round(profit, 2),
            "equity": round(equity, 2), "margin": round(margin, 2),
            "margin_free": round(equity - margin, 2), "name": "Demo", "server": self.server,
            "currency": self.currency, "company": "Stand-in Markets Ltd",
        }  # fmt: skip
        return AccountInfo(**values)

    def _symbol_info(self, sym: _Symbol) -> SymbolInfo:
        values = dict.fromkeys(SymbolInfo._fields, 0) | {
            "select": sym.select, "visible": sym.select, "time": sym.time,
            "digits": sym.digits, "trade_mode": self.SYMBOL_TRADE_MODE_FULL,
            "trade_stops_level": sym.stops_level,
            "trade_exemode": self.SYMBOL_TRADE_EXECUTION_MARKET,
            "filling_mode": sym.filling_mode, "bid": sym.bid, "ask": sym.ask,
            "point": sym.point, "trade_tick_size": sym.point,
            "trade_contract_size": sym.contract_size, "volume_min": sym.volume_min,
            "volume_max": sym.volume_max, "volume_step": sym.volume_step,
            "currency_base": sym.name[:3], "currency_profit": self.currency,
            "currency_margin": sym.name[:3], "description": sym.name, "name": sym.name,
            "path": f"Forex\\{sym.name}", **{k: "" for k in ("bank", "exchange", "formula",
                                                              "isin", "page", "basis",
                                                              "category")},
        }  # fmt: skip
        return SymbolInfo(**values)

    def symbols_get(self, group: str | None = None) -> tuple[SymbolInfo, ...] | None:
        if not self._up("symbols_get"):
            return None
        return tuple(self._symbol_info(s) for s in self.symbols.values()
                     if group is None or _in_group(s.name, group))  # fmt: skip

    def symbol_info(self, symbol: str) -> SymbolInfo | None:
        if not self._up("symbol_info"):
            return None
        if symbol not in self.symbols:
            self.error = (self.RES_E_FAIL, "Terminal: Call failed")
            return None
        return self._symbol_info(self.symbols[symbol])

    def symbol_info_tick(self, symbol: str) -> Tick | None:
        if not self._up("symbol_info_tick"):
            return None
        sym = self.symbols.get(symbol)
        if sym is None:
            self.error = (self.RES_E_FAIL, "Terminal: Call failed")
            return None
        return Tick(sym.time, sym.bid, sym.ask, 0.0, 0, sym.time * 1000, 6, 0.0)

    def symbol_select(self, symbol: str, enable: bool = True) -> bool:
        if not self._up("symbol_select") or symbol not in self.symbols:
            return False
        self.symbols[symbol].select = enable
        return True

    def positions_total(self) -> int | None:
        return len(self.positions) if self._up("positions_total") else None

    def positions_get(self, *, symbol: str | None = None, group: str | None = None,
                      ticket: int | None = None) -> tuple[TradePosition, ...] | None:  # fmt: skip
        if not self._up("positions_get"):
            return None
        return tuple(TradePosition(**p | {"price_current": self._current(p),
                                          "profit": round(self._profit(p), 2)})
                     for p in _matching(self.positions, symbol, group, ticket))  # fmt: skip

    def orders_get(self, *, symbol: str | None = None, group: str | None = None,
                   ticket: int | None = None) -> tuple[TradeOrder, ...] | None:  # fmt: skip
        if not self._up("orders_get"):
            return None
        return tuple(TradeOrder(**o) for o in _matching(self.orders, symbol, group, ticket))

    def _history(self, name: str, rows: list[dict[str, Any]], kind: Any, date_from: Any,
                 date_to: Any, group: str | None, ticket: int | None,
                 position: int | None, time_field: str) -> tuple[Any, ...] | None:  # fmt: skip
        if not self._up(name):
            return None
        if ticket is not None:
            return tuple(kind(**r) for r in rows if r["ticket"] == ticket)
        if position is not None:
            return tuple(kind(**r) for r in rows if r["position_id"] == position)
        if date_from is None or date_to is None:
            self.error = (self.RES_E_INVALID_PARAMS, "Invalid arguments")
            return None
        start, end = _seconds(date_from), _seconds(date_to)
        return tuple(kind(**r) for r in rows if start <= r[time_field] <= end
                     and (group is None or _in_group(r["symbol"], group)))  # fmt: skip

    def history_orders_get(self, date_from: Any = None, date_to: Any = None, *,
                           group: str | None = None, ticket: int | None = None,
                           position: int | None = None) -> tuple[TradeOrder, ...] | None:  # fmt: skip
        return self._history("history_orders_get", self.history_orders, TradeOrder, date_from,
                             date_to, group, ticket, position, "time_setup")  # fmt: skip

    def history_deals_get(self, date_from: Any = None, date_to: Any = None, *,
                          group: str | None = None, ticket: int | None = None,
                          position: int | None = None) -> tuple[TradeDeal, ...] | None:  # fmt: skip
        return self._history("history_deals_get", self.deals, TradeDeal, date_from, date_to,
                             group, ticket, position, "time")  # fmt: skip

    def copy_rates_from_pos(self, symbol: str, timeframe: int, start_pos: int,
                            count: int) -> np.ndarray | None:  # fmt: skip
        """Bars from ``start_pos`` back (0: the one forming), oldest first."""
        if not self._up("copy_rates_from_pos"):
            return None
        sym = self.symbols.get(symbol)
        if sym is None or timeframe not in sym.rates:
            self.error = (self.RES_E_NOT_FOUND, "Terminal: Not found")
            return None
        rates = sym.rates[timeframe]
        end = len(rates) - start_pos
        return rates[max(0, end - count) : max(0, end)].copy()

    def order_send(self, request: dict[str, Any]) -> OrderSendResult | None:
        """A trade request: market deals (opening, or closing ``position``), sl/tp moves and
        pending order removal."""
        self.sent.append(dict(request))
        if not self._up("order_send"):
            return None
        if set(request) - set(TradeRequest._fields):
            self.error = (self.RES_E_INVALID_PARAMS, "Invalid arguments")
            return None
        if len(str(request.get("comment", ""))) > 31:
            self.error = (self.RES_E_INVALID_PARAMS, 'Invalid "comment" argument')
            return None
        script, arg = self.next.pop(0) if self.next else ("", None)
        if script == "answer":
            return self._result(arg, request)
        if script == "drop":
            executed, error = arg
            if executed:
                self._act(request, hold=False)
            self.error = error
            return None
        return self._act(request, hold=script == "hold")

    # -- the server ---------------------------------------------------------------------------

    def _seconds(self) -> int:
        return int(self.now.timestamp())

    def _current(self, position: dict[str, Any]) -> float:
        sym = self.symbols[position["symbol"]]
        return sym.bid if position["type"] == self.POSITION_TYPE_BUY else sym.ask

    def _profit(self, position: dict[str, Any]) -> float:
        sym, sign = self.symbols[position["symbol"]], 1 - 2 * position["type"]
        move = self._current(position) - position["price_open"]
        return sign * move * position["volume"] * sym.contract_size

    def _margin(self, sym: _Symbol, volume: float, price: float) -> float:
        return volume * sym.contract_size * price / self.leverage

    def _money(self) -> tuple[float, float, float]:
        """The open positions' profit, the equity and the margin they use."""
        profit = sum(self._profit(p) for p in self.positions)
        margin = sum(self._margin(self.symbols[p["symbol"]], p["volume"], p["price_open"])
                     for p in self.positions)  # fmt: skip
        return profit, self.balance + profit, margin

    def _result(self, retcode: int, request: dict[str, Any], deal: int = 0, order: int = 0,
                volume: float = 0.0, price: float = 0.0) -> OrderSendResult:  # fmt: skip
        sym = self.symbols.get(str(request.get("symbol")))
        return OrderSendResult(
            retcode, deal, order, volume, price, sym.bid if sym else 0.0,
            sym.ask if sym else 0.0, COMMENTS.get(retcode, f"retcode {retcode}"),
            next(self.tickets), 0, TradeRequest(**REQUEST_DEFAULTS | request),
        )  # fmt: skip

    def _act(self, request: dict[str, Any], hold: bool) -> OrderSendResult:
        action = request.get("action")
        if action == self.TRADE_ACTION_SLTP:
            return self._sltp(request)
        if action == self.TRADE_ACTION_REMOVE:
            return self._remove(request)
        if action != self.TRADE_ACTION_DEAL:
            return self._result(self.TRADE_RETCODE_INVALID, request)
        return self._market(request, hold)

    def _stops_wrong(self, sym: _Symbol, kind: int, sl: float, tp: float) -> bool:
        gap = sym.stops_level * sym.point
        if kind == self.ORDER_TYPE_BUY:  # a long closes at the bid
            return bool(sl and sl > sym.bid - gap) or bool(tp and tp < sym.bid + gap)
        return bool(sl and sl < sym.ask + gap) or bool(tp and tp > sym.ask - gap)

    def _market(self, request: dict[str, Any], hold: bool) -> OrderSendResult:
        sym = self.symbols.get(str(request.get("symbol")))
        kind, volume = request.get("type"), float(request.get("volume", 0))
        if sym is None:
            return self._result(self.TRADE_RETCODE_INVALID, request)
        if kind not in (self.ORDER_TYPE_BUY, self.ORDER_TYPE_SELL):
            return self._result(self.TRADE_RETCODE_INVALID_ORDER, request)
        steps = volume / sym.volume_step
        if not sym.volume_min <= volume <= sym.volume_max or abs(steps - round(steps)) > 1e-7:
            return self._result(self.TRADE_RETCODE_INVALID_VOLUME, request)
        allowed = {self.ORDER_FILLING_FOK} if sym.filling_mode & 1 else set()
        allowed |= {self.ORDER_FILLING_IOC} if sym.filling_mode & 2 else set()
        if request.get("type_filling", self.ORDER_FILLING_FOK) not in (
            allowed or {self.ORDER_FILLING_RETURN}
        ):
            return self._result(self.TRADE_RETCODE_INVALID_FILL, request)
        price = sym.ask if kind == self.ORDER_TYPE_BUY else sym.bid
        asked = float(request.get("price") or price)
        if abs(asked - price) > int(request.get("deviation", 0)) * sym.point + 1e-12:
            return self._result(self.TRADE_RETCODE_REQUOTE, request)
        closing = request.get("position")
        position = next((p for p in self.positions if p["ticket"] == closing), None)
        if closing:
            if position is None:
                return self._result(self.TRADE_RETCODE_POSITION_CLOSED, request)
            if volume > position["volume"] + 1e-9 or kind == position["type"]:
                return self._result(self.TRADE_RETCODE_INVALID_CLOSE_VOLUME, request)
        else:
            sl, tp = float(request.get("sl", 0)), float(request.get("tp", 0))
            if self._stops_wrong(sym, kind, sl, tp):
                return self._result(self.TRADE_RETCODE_INVALID_STOPS, request)
            _, equity, margin = self._money()
            if self._margin(sym, volume, price) > equity - margin:
                return self._result(self.TRADE_RETCODE_NO_MONEY, request)
        if hold:
            order = self._order_row(request, sym, self.ORDER_STATE_PLACED, price)
            self.orders.append(order)
            return self._result(self.TRADE_RETCODE_PLACED, request, order=order["ticket"],
                                volume=volume)  # fmt: skip
        if position is not None:
            deal, order = self._deal(sym, position, volume, price, self.DEAL_REASON_EXPERT,
                                     str(request.get("comment", "")), int(request.get("magic", 0)),
                                     self.TRADE_ACTION_DEAL)  # fmt: skip
        else:
            deal, order = self._open(sym, request, volume, price)
        return self._result(self.TRADE_RETCODE_DONE, request, deal, order, volume, price)

    def _order_row(self, request: dict[str, Any], sym: _Symbol, state: int, price: float,
                   reason: int = 3, position: int = 0) -> dict[str, Any]:  # fmt: skip
        now = self._seconds()
        return dict.fromkeys(TradeOrder._fields, 0) | {
            "ticket": next(self.tickets), "time_setup": now, "time_setup_msc": now * 1000,
            "type": request.get("type", 0), "type_time": request.get("type_time", 0),
            "type_filling": request.get("type_filling", 0), "state": state,
            "magic": int(request.get("magic", 0)), "position_id": position, "reason": reason,
            "volume_initial": float(request.get("volume", 0)),
            "volume_current": float(request.get("volume", 0)), "price_open": price,
            "sl": float(request.get("sl", 0)), "tp": float(request.get("tp", 0)),
            "price_current": price, "symbol": sym.name,
            "comment": str(request.get("comment", "")), "external_id": "",
        }  # fmt: skip

    def _filled_order(self, request: dict[str, Any], sym: _Symbol, price: float, reason: int,
                      position: int = 0) -> dict[str, Any]:  # fmt: skip
        order = self._order_row(request, sym, self.ORDER_STATE_FILLED, price, reason, position)
        order |= {"time_done": order["time_setup"], "time_done_msc": order["time_setup_msc"],
                  "volume_current": 0.0}  # fmt: skip
        self.history_orders.append(order)
        return order

    def _deal_row(self, order: dict[str, Any], sym: _Symbol, kind: int, entry: int,
                  position: int, reason: int, volume: float, price: float,
                  profit: float) -> dict[str, Any]:  # fmt: skip
        now = self._seconds()
        commission, profit = -round(sym.commission_per_lot * volume, 2), round(profit, 2)
        self.balance = round(self.balance + profit + commission, 2)
        deal = {
            "ticket": next(self.tickets), "order": order["ticket"], "time": now,
            "time_msc": now * 1000, "type": kind, "entry": entry, "magic": order["magic"],
            "position_id": position, "reason": reason, "volume": volume, "price": price,
            "commission": commission, "swap": 0.0, "profit": profit, "fee": 0.0,
            "symbol": sym.name, "comment": order["comment"], "external_id": "",
        }  # fmt: skip
        self.deals.append(deal)
        return deal

    def _open(self, sym: _Symbol, request: dict[str, Any], volume: float,
              price: float) -> tuple[int, int]:  # fmt: skip
        order = self._filled_order(request, sym, price, self.ORDER_REASON_EXPERT)
        ticket = order["ticket"]
        order["position_id"] = ticket  # a position is named by the order that opened it
        now = self._seconds()
        self.positions.append({
            "ticket": ticket, "time": now, "time_msc": now * 1000, "time_update": now,
            "time_update_msc": now * 1000, "type": request["type"], "magic": order["magic"],
            "identifier": ticket, "reason": self.POSITION_REASON_EXPERT, "volume": volume,
            "price_open": price, "sl": order["sl"], "tp": order["tp"], "price_current": price,
            "swap": 0.0, "profit": 0.0, "symbol": sym.name, "comment": order["comment"],
            "external_id": "",
        })  # fmt: skip
        deal = self._deal_row(order, sym, request["type"], self.DEAL_ENTRY_IN, ticket,
                              self.DEAL_REASON_EXPERT, volume, price, 0.0)  # fmt: skip
        return deal["ticket"], ticket

    def _deal(self, sym: _Symbol, position: dict[str, Any], volume: float, price: float,
              reason: int, comment: str, magic: int, action: int) -> tuple[int, int]:  # fmt: skip
        """Close ``volume`` of ``position`` at ``price`` (a closing order and its deal)."""
        kind = 1 - position["type"]
        order_reason = {self.DEAL_REASON_SL: self.ORDER_REASON_SL,
                        self.DEAL_REASON_TP: self.ORDER_REASON_TP}.get(reason, reason)  # fmt: skip
        request = {"action": action, "type": kind, "volume": volume, "magic": magic,
                   "comment": comment, "type_filling": self.ORDER_FILLING_FOK}  # fmt: skip
        order = self._filled_order(request, sym, price, order_reason, position["ticket"])
        sign = 1 - 2 * position["type"]
        profit = sign * (price - position["price_open"]) * volume * sym.contract_size
        deal = self._deal_row(order, sym, kind, self.DEAL_ENTRY_OUT, position["ticket"], reason,
                              volume, price, profit)  # fmt: skip
        position["volume"] = round(position["volume"] - volume, 8)
        if position["volume"] <= 0:
            self.positions.remove(position)
        return deal["ticket"], order["ticket"]

    def _sltp(self, request: dict[str, Any]) -> OrderSendResult:
        position = next((p for p in self.positions if p["ticket"] == request.get("position")),
                        None)  # fmt: skip
        if position is None:
            return self._result(self.TRADE_RETCODE_POSITION_CLOSED, request)
        sym = self.symbols[position["symbol"]]
        sl, tp = float(request.get("sl", 0)), float(request.get("tp", 0))
        if (sl, tp) == (position["sl"], position["tp"]):
            return self._result(self.TRADE_RETCODE_NO_CHANGES, request)
        if self._stops_wrong(sym, position["type"], sl, tp):
            return self._result(self.TRADE_RETCODE_INVALID_STOPS, request)
        position |= {"sl": sl, "tp": tp, "time_update": self._seconds(),
                     "time_update_msc": self._seconds() * 1000}  # fmt: skip
        return self._result(self.TRADE_RETCODE_DONE, request)

    def _remove(self, request: dict[str, Any]) -> OrderSendResult:
        order = next((o for o in self.orders if o["ticket"] == request.get("order")), None)
        if order is None:
            return self._result(self.TRADE_RETCODE_INVALID, request)
        self.orders.remove(order)
        now = self._seconds()
        self.history_orders.append(order | {"state": self.ORDER_STATE_CANCELED,
                                            "time_done": now, "time_done_msc": now * 1000})  # fmt: skip
        return self._result(self.TRADE_RETCODE_DONE, request, order=order["ticket"])


def _seconds(moment: Any) -> int:
    """A date argument (datetime or seconds) as seconds; naive datetimes count as UTC."""
    if isinstance(moment, datetime):
        return int((moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp())
    return int(moment)


def _in_group(name: str, group: str) -> bool:
    """MT5's group filter: comma-separated patterns with ``*``, ``!`` excluding."""
    included = False
    for pattern in (p.strip() for p in group.split(",")):
        if pattern.startswith("!") and fnmatch.fnmatchcase(name, pattern[1:]):
            return False
        included |= fnmatch.fnmatchcase(name, pattern)
    return included


def _matching(rows: list[dict[str, Any]], symbol: str | None, group: str | None,
              ticket: int | None) -> list[dict[str, Any]]:  # fmt: skip
    return [r for r in rows if (symbol is None or r["symbol"] == symbol)
            and (group is None or _in_group(r["symbol"], group))
            and (ticket is None or r["ticket"] == ticket)]  # fmt: skip
