"""A bot's account on a crypto exchange, through ccxt (the ``Broker`` protocol).

One broker trades one market for one bot; every order carries the bot's client order id in
the exchange's own field, so after a crash ``submit`` finds the order it sent instead of
sending a second one (an answer lost to the network is looked up the same way before any
error is reported). Quantities and prices are rounded to the market's precision only here,
as they leave.

Stops and targets: on futures (USDⓈ-M perpetuals) they are the exchange's own conditional
orders, closing the position (``<client id>:stop`` and ``:target``; when one fires, the other
is cancelled at the next ``sync``). On spot the exchange holds no stop for us: the broker
watches them, and ``sync`` sells at market once a bar's price crossed one, so a stop on spot
acts only as often as the bot looks (each closed bar), never between.

Errors become ``BrokerError`` with a message and whether to retry (``brokers.errors``);
calls that only read are retried with backoff, an order never blindly."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from tradeloop.brokers.base import Reconciliation
from tradeloop.brokers.errors import BrokerError, broker_error, retried
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

T = TypeVar("T")
STOP, TARGET = ":sl", ":tp"  # a position's exits: <opening id>:sl, :tp, a moved one :sl:2
MIN_POSITION = 1e-12


def wire_id(client_order_id: str) -> str:
    """The id as sent: Binance spot takes only ``[a-zA-Z0-9-_]`` (36 at most), so the colons
    of ``bot:7:20240102T000000:open`` become dashes (the bots' ids hold no dash)."""
    return client_order_id.replace(":", "-")


def _exit_kind(client_order_id: str) -> str | None:
    """``:sl`` or ``:tp`` when the id names a position's exit (any version), else None."""
    for suffix in (STOP, TARGET):
        head, found, version = client_order_id.rpartition(suffix)
        if found and head and (version == "" or version[1:].isdigit()):
            return suffix
    return None


def _exit_of(client_order_id: str) -> str | None:
    """The opening order's id an exit's id names (``bot:7:1:open:sl:2`` → ``bot:7:1:open``)."""
    kind = _exit_kind(client_order_id)
    return client_order_id.rpartition(kind)[0] if kind else None


def _ours(order: dict[str, Any] | None, prefix: str) -> bool:
    return order is not None and str(order.get("clientOrderId") or "").startswith(prefix)


def _time(ms: Any) -> datetime:
    return datetime.fromtimestamp((ms or 0) / 1000, UTC) if ms else datetime.now(UTC)


class CcxtBroker:
    """``exchange`` (a ccxt client, its markets loaded or not) trading ``symbol`` (ccxt's
    unified name: ``BTC/USDT`` spot, ``BTC/USDT:USDT`` a USDⓈ-M perpetual) for the bot whose
    client order ids start with ``prefix``."""

    def __init__(
        self, exchange: Any, symbol: str, prefix: str, guards: AccountGuards | None = None,
        pause: Callable[[float], None] = time.sleep,
    ) -> None:  # fmt: skip
        self.exchange = exchange
        self.symbol = symbol
        self.prefix = prefix
        self.guards = guards or AccountGuards()
        self.pause = pause
        self.market = self._read(lambda: exchange.load_markets()[symbol])
        self.futures = bool(self.market.get("contract"))
        self.quote = str(self.market["quote"])
        self.watched: dict[str, tuple[float | None, float | None]] = {}  # spot: id → exits
        self.day = DayBaseline()  # the equity when first seen today
        self.fired: dict[str, str] = {}  # futures: order id a fired exit placed → its id

    # -- calls -------------------------------------------------------------------------------

    def _read(self, call: Callable[[], T]) -> T:
        """A call that changes nothing, retried with backoff while the error says so."""
        import ccxt

        def error_of(exc: Exception) -> BrokerError | None:
            return broker_error(exc) if isinstance(exc, ccxt.BaseError) else None

        return retried(call, error_of, self.pause)

    def _write(self, call: Callable[[], T]) -> T:
        import ccxt

        try:
            return call()
        except ccxt.BaseError as exc:
            raise broker_error(exc) from exc

    def _amount(self, quantity: float) -> float:
        rounded = self._write(lambda: self.exchange.amount_to_precision(self.symbol, quantity))
        amount = float(rounded)
        if amount <= 0:
            raise BrokerError(
                f"order of {quantity:g} rounds to 0 at this market's step", "broker.error.size",
                retry=False, values={"detail": f"{quantity:g}"},
            )  # fmt: skip
        return amount

    def _price(self, price: float) -> float:
        return float(self._write(lambda: self.exchange.price_to_precision(self.symbol, price)))

    # -- orders ------------------------------------------------------------------------------

    def _ours(self, order: dict[str, Any]) -> dict[str, Any]:
        """An order as the exchange answers it, its client order id turned back into the
        bot's (``bot-7-…`` → ``bot:7:…``) when it is one of the bot's."""
        sent = str(order.get("clientOrderId") or "")
        if sent.startswith(wire_id(self.prefix)):
            return {**order, "clientOrderId": sent.replace("-", ":")}
        return order

    def _orders(self, call: Callable[[], list[dict[str, Any]]]) -> list[dict[str, Any]]:
        return [self._ours(order) for order in self._read(call)]

    def _find(self, client_order_id: str, trigger: bool = False) -> dict[str, Any] | None:
        """The exchange's order with this client order id, None when it has none."""
        import ccxt

        params: dict[str, Any] = {"clientOrderId": wire_id(client_order_id)}
        if trigger:
            params["trigger"] = True
        try:
            return self._ours(
                self._read(lambda: self.exchange.fetch_order(None, self.symbol, params))
            )
        except BrokerError as exc:
            if isinstance(exc.__cause__, ccxt.OrderNotFound):
                return None
            raise

    def _order(self, placed: dict[str, Any], request: OrderRequest) -> Order:
        status = placed.get("status")
        filled = float(placed.get("filled") or 0)
        if status == "open":
            state = OrderStatus.PENDING
        elif filled > 0:
            state = OrderStatus.FILLED
        else:
            state = OrderStatus.CANCELLED
        done = _time(placed.get("lastTradeTimestamp") or placed.get("timestamp"))
        return Order(request, state, _time(placed.get("timestamp")),
                     None if state is OrderStatus.PENDING else done)  # fmt: skip

    def submit(self, request: OrderRequest) -> Order:
        """A market order with the bot's client order id; the order already held when the
        exchange knows the id (a resubmission after a crash or a lost answer). Closing a
        futures position cancels its stop and target."""
        import ccxt

        if not self.futures and request.side is Side.SELL and request.closes is None:
            raise BrokerError(
                "a spot market cannot be sold short: use a futures account for short trades",
                "broker.error.spot_short", retry=False, values={"detail": self.symbol},
            )  # fmt: skip
        found = self._find(request.client_order_id)
        if found is None:
            check_order(self.guards, request, lambda: len(self._positions()), self.day_pnl)
            amount = self._amount(request.quantity)
            params: dict[str, Any] = {"clientOrderId": wire_id(request.client_order_id)}
            if request.closes is not None and self.futures:
                params["reduceOnly"] = True
            try:
                found = self._ours(self.exchange.create_order(
                    self.symbol, "market", request.side.value, amount, None, params))  # fmt: skip
            except ccxt.BaseError as exc:  # it may have gone through (a lost answer, an id
                error = broker_error(exc)  # the exchange already holds): look first
                found = self._find(request.client_order_id) if error.retry or (
                    error.key == "broker.error.duplicate") else None  # fmt: skip
                if found is None:
                    raise error from exc
        if request.closes is not None and self.futures:
            self._cancel_exits(request.closes)
        elif request.stop is not None or request.target is not None:
            self._attach_exits(request.client_order_id, request.side, request.stop, request.target)
        return self._order(found, request)

    def _exits_of(self, client_order_id: str, suffix: str) -> list[dict[str, Any]]:
        """Every stop (or target) placed for the position ``client_order_id`` opened: the
        first is ``<id>:stop``, each move adds one (``<id>:stop:2``…), oldest first."""
        found = []
        while True:
            version = len(found) + 1
            name = client_order_id + suffix + (f":{version}" if version > 1 else "")
            exit_order = self._find(name, trigger=True)
            if exit_order is None:
                return found
            found.append(exit_order)

    def _attach_exits(
        self, client_order_id: str, side: Side, stop: float | None, target: float | None,
        moved: bool = False,
    ) -> set[str]:  # fmt: skip
        """Place the position's stop and target (futures: at the exchange, once; ``moved``:
        as new versions beside the old ones; spot: watched here). The ids placed."""
        if not self.futures:
            self.watched[client_order_id] = (stop, target)
            return set()
        placed_now = set()
        for suffix, price, field in ((STOP, stop, "stopLossPrice"),
                                     (TARGET, target, "takeProfitPrice")):  # fmt: skip
            placed = self._exits_of(client_order_id, suffix) if price is not None else []
            if price is None or (placed and not moved):
                continue
            version = len(placed) + 1
            name = client_order_id + suffix + (f":{version}" if version > 1 else "")
            params = {field: self._price(price), "closePosition": True,
                      "clientOrderId": wire_id(name)}  # fmt: skip
            self._write(lambda p=params: self.exchange.create_order(
                self.symbol, "market", side.opposite.value, None, None, p))  # fmt: skip
            placed_now.add(name)
        return placed_now

    def _exit_orders(self) -> dict[str, dict[str, Any]]:
        """The bot's open stop and target orders by client order id (futures)."""
        if not self.futures:
            return {}
        listed = self._orders(
            lambda: self.exchange.fetch_open_orders(self.symbol, params={"trigger": True})
        )
        return {o["clientOrderId"]: o for o in listed
                if str(o.get("clientOrderId") or "").startswith(self.prefix)}  # fmt: skip

    def _cancel_exits(
        self, client_order_id: str | None = None, keep: set[str] = frozenset()
    ) -> None:
        """Cancel the open exits of the position ``client_order_id`` opened (all: None),
        except ``keep``."""
        for cid, order in self._exit_orders().items():
            if cid not in keep and (client_order_id is None or _exit_of(cid) == client_order_id):
                self._write(lambda o=order: self.exchange.cancel_order(
                    o["id"], self.symbol, {"trigger": True}))  # fmt: skip

    def modify(self, client_order_id: str, stop: float | None, target: float | None) -> Position:
        """Move the stop and target of the position ``client_order_id`` opened."""
        position = next((p for p in self.positions() if p.client_order_id == client_order_id),
                        None)  # fmt: skip
        if position is None:
            raise BrokerError(f"no open position of {client_order_id}", "broker.error.no_position",
                              retry=False, values={"detail": client_order_id})  # fmt: skip
        placed = self._attach_exits(client_order_id, position.side, stop, target, moved=True)
        if self.futures:  # the new levels stand before the old ones go
            self._cancel_exits(client_order_id, keep=placed)
        return next(p for p in self.positions() if p.client_order_id == client_order_id)

    def cancel(self, client_order_id: str) -> Order:
        """Cancel an order still waiting at the exchange."""
        found = self._find(client_order_id)
        if found is None:
            raise BrokerError(f"no order {client_order_id}", "broker.error.no_order",
                              retry=False, values={"detail": client_order_id})  # fmt: skip
        request = self._request(found)
        if found.get("status") == "open":
            found = self._write(lambda: self.exchange.cancel_order(found["id"], self.symbol))
        return self._order(found, request)

    def _request(self, order: dict[str, Any]) -> OrderRequest:
        return OrderRequest(
            client_order_id=str(order.get("clientOrderId") or order["id"]), symbol=self.symbol,
            side=Side(order["side"]), quantity=float(order.get("amount") or 0),
            closes=order.get("clientOrderId") if order.get("reduceOnly") else None,
        )  # fmt: skip

    def open_orders(self) -> list[Order]:
        """The bot's orders still waiting (stops and targets included on futures)."""
        plain = self._orders(lambda: self.exchange.fetch_open_orders(self.symbol))
        orders = [o for o in plain if str(o.get("clientOrderId") or "").startswith(self.prefix)]
        orders += list(self._exit_orders().values())
        return [self._order(o, self._request(o)) for o in orders]

    # -- positions, account, fills -----------------------------------------------------------

    def _positions(self) -> list[dict[str, Any]]:
        """The account's open positions on any market (futures), or on spot what the bot
        bought and has not sold (never the coins the account held besides)."""
        if self.futures:
            listed = self._read(lambda: self.exchange.fetch_positions())
            return [p for p in listed if float(p.get("contracts") or 0) > MIN_POSITION]
        held = self._spot_held()
        minimum = float((self.market.get("limits", {}).get("amount") or {}).get("min") or 0)
        return [{"symbol": self.symbol, "contracts": held, "side": "long"}] if held > max(
            minimum, MIN_POSITION) else []  # fmt: skip

    def _spot_held(self) -> float:
        """What the bot's own spot trades left it holding: bought less sold, less the fees
        paid in the coin, at most the account's balance of it."""
        ours = {o["id"] for o in self._orders(lambda: self.exchange.fetch_orders(self.symbol))
                if str(o.get("clientOrderId") or "").startswith(self.prefix)}  # fmt: skip
        base = self.market["base"]
        held = 0.0
        for trade in self._read(lambda: self.exchange.fetch_my_trades(self.symbol)):
            if str(trade["order"]) not in ours:
                continue
            held += float(trade["amount"]) * (1 if trade["side"] == "buy" else -1)
            fee = trade.get("fee") or {}
            if fee.get("currency") == base:
                held -= float(fee.get("cost") or 0)
        balance = self._read(lambda: self.exchange.fetch_balance()).get(base, {})
        return min(held, float(balance.get("total") or 0))

    def _opening_order(self, side: Side) -> dict[str, Any] | None:
        """The bot's last filled order on ``side`` that did not only reduce: the one that
        opened the position now held."""
        orders = self._orders(lambda: self.exchange.fetch_orders(self.symbol))
        for order in reversed(orders):
            cid = str(order.get("clientOrderId") or "")
            if (cid.startswith(self.prefix) and order.get("side") == side.value
                    and float(order.get("filled") or 0) > 0 and not order.get("reduceOnly")
                    and not _exit_kind(cid)):  # fmt: skip
                return order
        return None

    def positions(self) -> list[Position]:
        """The position on this market, named by the order that opened it."""
        held = [p for p in self._positions() if p["symbol"] == self.symbol]
        if not held:
            return []
        side = Side.BUY if held[0]["side"] == "long" else Side.SELL
        opening = self._opening_order(side)
        cid = str(opening["clientOrderId"]) if opening else f"{self.prefix}unknown"
        exits = self._exit_orders()
        stop, target = self.watched.get(cid, (None, None))
        if self.futures:
            levels = {_exit_kind(k): o.get("triggerPrice") for k, o in exits.items()
                      if _exit_of(k) == cid}  # fmt: skip
            stop, target = levels.get(STOP), levels.get(TARGET)
        entry = held[0].get("entryPrice") or (opening or {}).get("average") or 0.0
        opened = (opening or {}).get("timestamp") or held[0].get("timestamp")
        return [Position(cid, self.symbol, side, float(held[0]["contracts"]), float(entry),
                         _time(opened), stop, target)]  # fmt: skip

    def account(self) -> Account:
        """The quote currency's balance (closed P&L and fees); equity adds the open positions
        at the last price (a futures wallet's total already holds them)."""
        balance = self._read(lambda: self.exchange.fetch_balance())
        cash = equity = float((balance.get(self.quote) or {}).get("total") or 0)
        if self.futures:
            cash -= sum(float(p.get("unrealizedPnl") or 0) for p in self._positions())
        else:
            held = float((balance.get(self.market["base"]) or {}).get("total") or 0)
            if held:
                last = self._read(lambda: self.exchange.fetch_ticker(self.symbol))["last"]
                equity += held * float(last or 0)
        return Account(balance=cash, equity=equity, currency=self.quote)

    def day_pnl(self) -> float:
        """The account's equity change since this broker first looked at it today (UTC)."""
        return self.day.pnl(self.account().equity)

    def fills_since(self, since: datetime | None) -> list[Fill]:
        """The bot's executions at or after ``since``, one per order (its trades summed; a
        spot buy's quantity is what it brought, less the fee paid in the coin), oldest first;
        reason ``entry`` for an order opening a position, ``signal`` for one closing it,
        ``stop`` or ``target`` for a fired exit (named by its client order id)."""
        since_ms = int(since.timestamp() * 1000) if since else None
        trades = self._read(lambda: self.exchange.fetch_my_trades(self.symbol, since_ms))
        listed = self._orders(lambda: self.exchange.fetch_orders(self.symbol))
        orders = {o["id"]: o for o in listed}
        by_order: dict[str, list[dict[str, Any]]] = {}
        for trade in trades:
            by_order.setdefault(str(trade["order"]), []).append(trade)
        unexplained = {i for i in by_order if not _ours(orders.get(i), self.prefix)}
        fired = self._fired_exits(listed, unexplained)
        fills = []
        for order_id, parts in by_order.items():
            cid = fired.get(order_id) or str((orders.get(order_id) or {}).get("clientOrderId", ""))
            if not cid.startswith(self.prefix):
                continue
            amount = sum(float(t["amount"]) for t in parts)
            cost = sum(float(t["amount"]) * float(t["price"]) for t in parts)
            received = amount - sum(self._fee_in_base(t) for t in parts)  # a spot buy's coin fee
            fee = sum(self._fee_in_quote(t) for t in parts)
            order = orders.get(order_id) or {}
            closing = order.get("reduceOnly") or (not self.futures and parts[0]["side"] == "sell")
            reason = {STOP: "stop", TARGET: "target"}.get(
                _exit_kind(cid) or "", "signal" if closing else "entry"
            )
            fills.append(Fill(cid, self.symbol, Side(parts[0]["side"]), received, cost / amount,
                              fee, _time(parts[0]["timestamp"]), reason))  # fmt: skip
        return sorted(fills, key=lambda f: f.time)

    def _fired_exits(self, orders: list[dict[str, Any]], unexplained: set[str]) -> dict[str, str]:
        """Order id → the stop or target client order id whose firing placed it (futures: a
        fired exit's order carries the exchange's id, not ours). Looked up only while some
        trade's order is ``unexplained``, through the exits of the bot's last 20 openings;
        each answer is kept (a fired exit never changes)."""
        if not self.futures or unexplained <= self.fired.keys():
            return self.fired
        for order in orders[-20:]:
            cid = str(order.get("clientOrderId") or "")
            if not cid.startswith(self.prefix) or _exit_kind(cid):
                continue
            for suffix in (STOP, TARGET):
                for exit_order in self._exits_of(cid, suffix):
                    actual = (exit_order.get("info") or {}).get("actualOrderId")
                    if actual:
                        self.fired[str(actual)] = str(exit_order["clientOrderId"])
        return self.fired

    def _fee_in_base(self, trade: dict[str, Any]) -> float:
        fee = trade.get("fee") or {}
        return float(fee.get("cost") or 0) if fee.get("currency") == self.market["base"] else 0.0

    def _fee_in_quote(self, trade: dict[str, Any]) -> float:
        fee = trade.get("fee") or {}
        cost = float(fee.get("cost") or 0)
        if fee.get("currency") == self.market["base"]:
            return cost * float(trade["price"])
        return cost

    def sync(self, low: float | None = None, high: float | None = None) -> list[Order]:
        """Once per closed bar: cancel the exits left over when the position closed
        (futures), and on spot sell at market when the bar's ``low`` reached a watched stop
        or its ``high`` a watched target (the stop first when a bar reached both, as the
        backtest reads a bar). Returns the exit orders it placed."""
        placed: list[Order] = []
        positions = self.positions()
        if self.futures:
            if not positions and self._exit_orders():
                self._cancel_exits()
            return placed
        for position in positions:
            stop, target = self.watched.get(position.client_order_id, (None, None))
            hit = STOP if stop is not None and low is not None and low <= stop else (
                TARGET if target is not None and high is not None and high >= target
                else None)  # fmt: skip
            if hit is None:
                continue
            request = OrderRequest(position.client_order_id + hit, self.symbol, Side.SELL,
                                   position.quantity, closes=position.client_order_id)  # fmt: skip
            placed.append(self.submit(request))
            self.watched.pop(position.client_order_id, None)
        return placed

    def reconcile(self) -> Reconciliation:
        """What the exchange holds for the bot: its open orders, its fills, its position."""
        return Reconciliation(self.open_orders(), self.fills_since(None), self.positions())
