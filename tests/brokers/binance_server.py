"""A Binance look-alike REST server on 127.0.0.1 for testing the real ccxt client at its boundary.

It answers the spot (``/api/v3``, ``/sapi/v1``) and USDⓈ-M futures (``/fapi/v1``, ``/fapi/v3``)
endpoints ccxt 4.5 calls, shaped on Binance's documented responses, with its state in memory:
balances, markets, orders, trades, one-way futures positions and conditional (algo) orders.
Signed requests are checked as Binance does: the ``X-MBX-APIKEY`` header, the HMAC-SHA256 of the
query string or form body with the secret, the ``timestamp`` against ``recvWindow``. A test sets
prices, bars, balances, key permissions, partial fills and failures, and reads ``calls``.

Pointing ccxt at it (an operator setting, never a user's): every base URL of
``exchange.urls["api"]`` keeps its path and takes the server's origin, passed at construction,
which ccxt deep-merges over its own description (the Manual's "overriding exchange properties
upon instantiation")::

    ccxt.binance({"apiKey": key, "secret": secret,
                  "urls": {"api": rebase_urls(ccxt.binance().urls["api"], server.base_url)}})

``set_sandbox_mode`` is no alternative: its table has no ``sapi`` entry (so no
``/sapi/v1/account/apiRestrictions``) and ccxt refuses the futures testnet.

What the override cannot carry (ccxt 4.5.90): ``binance.get_exceptions_by_url`` picks its spot or
linear error table by the URL's host (``https://api.binance.com/``, ``https://fapi.binance.com/``).
Elsewhere only the common table applies, so a code found only in a market's table comes back as a
bare ``ExchangeError`` carrying the JSON body: futures -2019 "Margin is insufficient."
(InsufficientFunds at fapi.binance.com), -4164 min notional, -4116 duplicate client id, -2022
reduce-only, -4120 (InvalidOrder there), -2021 (OrderImmediatelyFillable there), and -1008 server
busy (OperationFailed there). Common codes map alike on both hosts. An adapter should decide on
the Binance ``code`` in the message as well as on the class.

What ccxt raises otherwise (shown by test_binance_server.py): 429 and 418 -> DDoSProtection (not
RateLimitExceeded); a dropped connection -> NetworkError (requests) or ExchangeNotAvailable
(aiohttp first resends a GET or DELETE once when a kept-alive connection closed); no answer within
``timeout`` -> RequestTimeout; 502 -> ExchangeNotAvailable; -2010 insufficient balance ->
InsufficientFunds; -2010 "Duplicate order sent." -> InvalidOrder; -1013 NOTIONAL -> BadRequest but
LOT_SIZE -> InvalidOrder; -2015 and -1022 -> AuthenticationError, yet -2015 once a private spot
call has succeeded -> DDoSProtection; -1021 -> InvalidNonce; -2013 and -2011 -> OrderNotFound.

Documented behaviours it reproduces:

- conditional futures orders (STOP_MARKET, TAKE_PROFIT_MARKET...) go to ``/fapi/v1/algoOrder``
  since 2025-12 (``/fapi/v1/order`` answers -4120), and ccxt sends them there;
- a spot ``newClientOrderId`` must be unique among *open* orders only: a filled order's id is
  accepted again, so a retry after a lost answer must look the order up first;
- a MARKET order that cannot fill completely ends ``EXPIRED`` with ``executedQty`` < ``origQty``;
  a partly filled LIMIT order stays ``PARTIALLY_FILLED`` (open);
- 429 and 418 carry ``Retry-After`` (seconds); a 5xx leaves the outcome unknown.

What ccxt calls (spot | USDⓈ-M):

- ``load_markets``: ``GET /sapi/v1/capital/config/getall``, ``/sapi/v1/margin/allPairs`` (when
  keys are set), then ``/api/v3/exchangeInfo``, ``/sapi/v1/margin/allPairs``,
  ``/sapi/v1/margin/isolated/allPairs``, ``/fapi/v1/exchangeInfo``, ``/dapi/v1/exchangeInfo``
  (``binanceusdm``: the first two and ``/fapi/v1/exchangeInfo``);
- ``fetch_balance``: ``GET /api/v3/account`` | ``GET /fapi/v3/account``; the key's withdrawal
  right: ``sapi_get_account_apirestrictions()`` -> ``GET /sapi/v1/account/apiRestrictions``;
- ``fetch_time``: ``GET /api/v3/time`` | ``/fapi/v1/time``; ``fetch_ohlcv``: ``GET .../klines``;
  ``fetch_ticker``: ``GET /api/v3/ticker/24hr`` | ``/fapi/v1/ticker/24hr``;
  ``fetch_last_prices``: ``GET /api/v3/ticker/price`` | ``/fapi/v2/ticker/price``;
- ``create_order``: ``POST /api/v3/order`` | ``POST /fapi/v1/order``, and with ``stopPrice``,
  ``triggerPrice``, ``stopLossPrice`` or ``takeProfitPrice`` ``POST /fapi/v1/algoOrder``;
- ``fetch_order`` / ``cancel_order`` (id or ``clientOrderId``): ``GET`` / ``DELETE
  /api/v3/order`` | ``/fapi/v1/order``, with ``{"trigger": True}`` ``/fapi/v1/algoOrder``;
- ``fetch_open_orders``: ``GET /api/v3/openOrders`` | ``/fapi/v1/openOrders``, with
  ``{"trigger": True}`` ``/fapi/v1/openAlgoOrders``; ``fetch_orders``: ``GET .../allOrders``;
- ``fetch_my_trades``: ``GET /api/v3/myTrades`` | ``/fapi/v1/userTrades``;
- ``fetch_positions``: ``GET /fapi/v1/leverageBracket`` (once) and ``/fapi/v3/positionRisk``;
  ``set_leverage``: ``POST /fapi/v1/leverage``; ``fetch_position_mode``:
  ``GET /fapi/v1/positionSide/dual``.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal, InvalidOperation
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

D = Decimal
ZERO = D(0)
OPEN = ("NEW", "PARTIALLY_FILLED")
CLIENT_ID = re.compile(r"^[\.A-Z\:/a-z0-9_-]{1,36}$")  # the futures rule for newClientOrderId
SPOT_CLIENT_ID = re.compile(r"^[a-zA-Z0-9-_]{1,36}$")  # spot's (-1100 names it)
INTERVAL_MS = {
    "1m": 60_000, "3m": 180_000, "5m": 300_000, "15m": 900_000, "30m": 1_800_000,
    "1h": 3_600_000, "2h": 7_200_000, "4h": 14_400_000, "6h": 21_600_000, "8h": 28_800_000,
    "12h": 43_200_000, "1d": 86_400_000, "3d": 259_200_000, "1w": 604_800_000,
}  # fmt: skip


@dataclass(frozen=True)
class Market:
    """One symbol's trading rules (PRICE_FILTER tickSize, LOT_SIZE stepSize/minQty, notional)."""

    symbol: str
    base: str
    quote: str
    tick: str
    step: str
    min_qty: str
    min_notional: str

    @property
    def price_decimals(self) -> int:
        return -D(self.tick).as_tuple().exponent  # type: ignore[operator]

    @property
    def qty_decimals(self) -> int:
        return -D(self.step).as_tuple().exponent  # type: ignore[operator]


SPOT_MARKETS = {
    "BTCUSDT": Market("BTCUSDT", "BTC", "USDT", "0.01", "0.00001", "0.00001", "5"),
    "ETHUSDT": Market("ETHUSDT", "ETH", "USDT", "0.01", "0.0001", "0.0001", "5"),
}
FUTURES_MARKETS = {
    "BTCUSDT": Market("BTCUSDT", "BTC", "USDT", "0.10", "0.001", "0.001", "100"),
    "ETHUSDT": Market("ETHUSDT", "ETH", "USDT", "0.01", "0.001", "0.001", "20"),
}


class ApiError(Exception):
    """A Binance error answer: HTTP status and the ``{"code", "msg"}`` body."""

    def __init__(self, status: int, code: int, msg: str, headers: dict[str, str] | None = None):
        super().__init__(msg)
        self.status, self.code, self.msg, self.headers = status, code, msg, headers or {}


RATE_LIMIT_MSG = (
    "Too much request weight used; current limit is 6000 request weight per 1 MINUTE. "
    "Please use WebSocket Streams for live updates to avoid polling the API."
)
MIN_NOTIONAL_MSG = "Order's notional must be no smaller than {} (unless you choose reduce only)."
ALGO_ONLY_MSG = (
    "Order type not supported for this endpoint. Please use the Algo Order API endpoints instead."
)
BAN_MSG = (
    "Way too much request weight used; IP banned until {until}. "
    "Please use WebSocket Streams for live updates to avoid bans."
)


ILLEGAL_MSG = "Illegal characters found in a parameter."
BUSY_MSG = "Server is currently overloaded with other requests. Please try again in a few minutes."

# Failures a test switches on by name: (HTTP status, code, msg) per venue; spot's by default
PRESETS: dict[str, dict[str, tuple[int, int, str]]] = {
    "insufficient_balance": {
        "spot": (400, -2010, "Account has insufficient balance for requested action."),
        "futures": (400, -2019, "Margin is insufficient."),
    },
    "min_notional": {
        "spot": (400, -1013, "Filter failure: NOTIONAL"),
        "futures": (400, -4164, MIN_NOTIONAL_MSG.format(100)),
    },
    "lot_size": {"spot": (400, -1013, "Filter failure: LOT_SIZE")},
    "server_busy": {"spot": (503, -1008, BUSY_MSG)},
}


@dataclass
class Failure:
    """A failure armed for the next ``times`` requests whose ``"METHOD /path"`` contains ``path``.

    ``kind``: a PRESETS name, ``rate_limit`` (429), ``ip_ban`` (418), ``bad_gateway`` (502 HTML),
    ``drop`` (close the socket, nothing done), ``drop_after`` (do the work, then close without
    answering: the lost answer), ``stall`` (wait ``seconds``, then do the work and answer), or
    ``custom`` (answer ``status`` with ``body``).
    """

    kind: str
    times: int = 1
    path: str | None = None
    retry_after: int = 1
    seconds: float = 0.0
    status: int = 500
    body: Any = None


class Params(dict[str, str]):
    """Request parameters; a missing mandatory one answers Binance's -1102."""

    def __missing__(self, key: str) -> str:
        msg = f"Mandatory parameter '{key}' was not sent, was empty/null, or malformed."
        raise ApiError(400, -1102, msg)


@dataclass
class Call:
    """One request as received, and the status and body answered (None when dropped)."""

    method: str
    path: str
    params: dict[str, str]
    status: int | None = None
    body: str | None = None

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


@dataclass
class Order:
    venue: str
    order_id: int
    client_id: str
    symbol: str
    side: str
    type: str
    qty: Decimal
    price: Decimal
    time: int
    time_in_force: str = "GTC"
    reduce_only: bool = False
    orig_type: str = ""
    status: str = "NEW"
    executed: Decimal = ZERO
    quote: Decimal = ZERO
    update_time: int = 0
    fills: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class AlgoOrder:
    algo_id: int
    client_id: str
    symbol: str
    side: str
    type: str
    qty: Decimal | None
    trigger: Decimal
    reduce_only: bool
    close_position: bool
    time: int
    status: str = "NEW"
    update_time: int = 0
    trigger_time: int = 0
    actual_order_id: str = ""
    actual_price: str = ""


def now_ms() -> int:
    return int(time.time() * 1000)


def f8(value: Decimal | str | int) -> str:
    """Spot numbers as Binance writes them: eight decimals."""
    return f"{D(value):.8f}"


def fx(value: Decimal | str | int, places: int) -> str:
    return f"{D(value):.{places}f}"


def plain(value: Decimal) -> str:
    return format(value.normalize(), "f") if value else "0"


def floor_to(value: Decimal, step: str) -> Decimal:
    return (value / D(step)).to_integral_value(rounding=ROUND_DOWN) * D(step)


def rebase_urls(api_urls: dict[str, str], base_url: str) -> dict[str, str]:
    """ccxt's ``urls["api"]`` with every origin replaced by ``base_url``, paths kept."""
    return {name: base_url.rstrip("/") + urlsplit(url).path for name, url in api_urls.items()}


def _split_signature(text: str) -> tuple[str, str | None]:
    parts = text.split("&") if text else []
    signature = next((p[len("signature=") :] for p in parts if p.startswith("signature=")), None)
    return "&".join(p for p in parts if not p.startswith("signature=")), signature


class BinanceServer:
    """The exchange's state and the HTTP server; use as a context manager or start()/stop()."""

    def __init__(self, api_key: str = "test-api-key", secret: str = "test-api-secret"):
        self.api_key, self.secret = api_key, secret
        self.lock = threading.RLock()
        self.prices = {
            "spot": {"BTCUSDT": D("50000"), "ETHUSDT": D("3000")},
            "futures": {"BTCUSDT": D("50000"), "ETHUSDT": D("3000")},
        }
        self.klines: dict[tuple[str, str, str], list[tuple[Any, ...]]] = {}
        self.balances: dict[str, list[Decimal]] = {  # asset -> [free, locked]
            "USDT": [D("10000"), ZERO], "BTC": [D("0.5"), ZERO], "ETH": [ZERO, ZERO],
        }  # fmt: skip
        self.spot_fee, self.futures_fee = D("0.001"), D("0.0005")
        self.futures_wallet = D("10000")
        self.wallet_time = now_ms()
        self.leverage = {"BTCUSDT": 20, "ETHUSDT": 20}
        self.positions: dict[str, tuple[Decimal, Decimal, int]] = {}  # symbol -> amt, entry, time
        self.orders: list[Order] = []
        self.algo_orders: list[AlgoOrder] = []
        self.trades: dict[str, list[dict[str, Any]]] = {"spot": [], "futures": []}
        self.account_can_withdraw = True  # the account's flag in /api/v3/account
        self.key_permissions = {  # what /sapi/v1/account/apiRestrictions reports for the key
            "ipRestrict": False, "createTime": 1698645219000, "enableReading": True,
            "enableWithdrawals": False, "enableInternalTransfer": False, "enableMargin": False,
            "enableFutures": True, "permitsUniversalTransfer": False,
            "enableVanillaOptions": False, "enableFixApiTrade": False, "enableFixReadOnly": False,
            "enableSpotAndMarginTrading": True, "enablePortfolioMarginTrading": False,
        }  # fmt: skip
        self.coin_withdraw_enabled = True  # each coin network's withdrawEnable
        self.clock_skew_ms = 0
        self.calls: list[Call] = []
        self.failures: list[Failure] = []
        self._partial: Decimal | None = None
        self._ids = itertools.count(1_000_001)
        self._weight = 0
        self._http: ThreadingHTTPServer | None = None
        self.base_url = ""

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> BinanceServer:
        """Serve on a free port of 127.0.0.1 in a background thread."""
        self._http = _QuietServer(("127.0.0.1", 0), _Handler)
        self._http.app = self  # type: ignore[attr-defined]
        self.base_url = f"http://127.0.0.1:{self._http.server_address[1]}"
        threading.Thread(target=self._http.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def stop(self) -> None:
        """Stop serving and close the listening socket."""
        if self._http is not None:
            self._http.shutdown()
            self._http.server_close()
            self._http = None

    def __enter__(self) -> BinanceServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- what a test sets --------------------------------------------------------------------

    def set_price(self, symbol: str, price: str | Decimal, venue: str = "spot") -> None:
        """The last price; resting orders it crosses fill, futures conditional orders trigger."""
        with self.lock:
            self.prices[venue][symbol] = D(price)
            self._match_resting(venue, symbol)
            if venue == "futures":
                self._trigger_algos(symbol)

    def set_klines(
        self, symbol: str, interval: str, bars: Iterable[tuple[Any, ...]], venue: str = "spot"
    ) -> None:
        """Bars as ``(open_time_ms, open, high, low, close, volume)``."""
        with self.lock:
            self.klines[(venue, symbol, interval)] = [
                (int(b[0]), *(D(str(v)) for v in b[1:6])) for b in bars
            ]

    def set_balance(self, asset: str, free: str | Decimal, locked: str | Decimal = "0") -> None:
        """A spot asset's free and locked amounts."""
        with self.lock:
            self.balances[asset] = [D(free), D(locked)]

    def partial_fill(self, ratio: str | Decimal) -> None:
        """The next order that trades fills only ``ratio`` of its quantity (floored to the step)."""
        with self.lock:
            self._partial = D(ratio)

    def fail_next(self, kind: str, **options: Any) -> None:
        """Arm a Failure (see its docstring) for the next matching request(s)."""
        with self.lock:
            self.failures.append(Failure(kind, **options))

    def called(self, prefix: str = "") -> list[str]:
        """``"METHOD /path"`` of each request received, those starting with ``prefix``."""
        return [str(c) for c in self.calls if str(c).startswith(prefix)]

    def position(self, symbol: str) -> tuple[Decimal, Decimal]:
        """The futures position: signed amount and entry price."""
        amt, entry, _ = self.positions.get(symbol, (ZERO, ZERO, 0))
        return amt, entry

    # -- HTTP plumbing -----------------------------------------------------------------------

    def handle(self, req: BaseHTTPRequestHandler, method: str) -> None:
        url = urlsplit(req.path)
        length = int(req.headers.get("Content-Length") or 0)
        body = req.rfile.read(length).decode() if length else ""
        params = Params(parse_qsl(body))
        params.update(parse_qsl(url.query))  # a parameter in both: the query string's wins
        call = Call(method, url.path, params)
        venue = "futures" if url.path.startswith("/fapi/") else "spot"
        with self.lock:
            self.calls.append(call)
            failure = self._take_failure(str(call))
        if failure is not None and failure.kind == "drop":
            req.close_connection = True
            return
        if failure is not None and failure.kind == "stall":
            time.sleep(failure.seconds)
        headers: dict[str, str] = {}
        try:
            if failure is not None and failure.kind not in ("drop_after", "stall"):
                raise self._failure_error(failure, venue)
            handler, signed = _ROUTES.get((method, url.path), (None, False))
            if handler is None:
                raise ApiError(404, 0, f"no route for {call}")
            with self.lock:
                if signed:
                    self._authenticate(req.headers.get("X-MBX-APIKEY"), url.query, body, params)
                status, payload = 200, handler(self, params)
        except InvalidOperation:  # a number that is not one
            status, payload = 400, {"code": -1100, "msg": ILLEGAL_MSG}
        except ApiError as error:
            status, headers = error.status, error.headers
            payload = {"code": error.code, "msg": error.msg} if error.code else error.msg
        except Exception as bug:  # this server's own fault: answer it rather than hang up
            status, payload = 500, f"binance_server bug: {bug!r}"
        if failure is not None and failure.kind == "drop_after":
            req.close_connection = True
            return
        self._send(req, call, status, payload, headers)

    def _send(
        self,
        req: BaseHTTPRequestHandler,
        call: Call,
        status: int,
        payload: Any,
        headers: dict[str, str],
    ) -> None:
        is_text = isinstance(payload, str)
        data = payload if is_text else json.dumps(payload, separators=(",", ":"))
        call.status, call.body = status, data
        raw = data.encode()
        self._weight += 1
        req.send_response(status)
        content_type = headers.pop("Content-Type", "text/plain" if is_text else "application/json")
        req.send_header("Content-Type", content_type + ";charset=UTF-8")
        req.send_header("Content-Length", str(len(raw)))
        req.send_header("X-MBX-USED-WEIGHT-1M", str(self._weight))
        for name, value in headers.items():
            req.send_header(name, value)
        req.end_headers()
        req.wfile.write(raw)

    def _take_failure(self, call: str) -> Failure | None:
        for failure in self.failures:
            if failure.path is None or failure.path in call:
                failure.times -= 1
                if failure.times <= 0:
                    self.failures.remove(failure)
                return failure
        return None

    def _failure_error(self, failure: Failure, venue: str) -> ApiError:
        retry = {"Retry-After": str(failure.retry_after)}
        if failure.kind == "rate_limit":
            return ApiError(429, -1003, RATE_LIMIT_MSG, retry)
        if failure.kind == "ip_ban":
            until = now_ms() + failure.retry_after * 1000
            return ApiError(418, -1003, BAN_MSG.format(until=until), retry)
        if failure.kind == "bad_gateway":
            html = "<html><body><h1>502 Bad Gateway</h1></body></html>"
            return ApiError(502, 0, html, {"Content-Type": "text/html"})
        if failure.kind == "custom":
            body = failure.body
            if isinstance(body, dict):
                return ApiError(failure.status, body["code"], body["msg"])
            return ApiError(failure.status, 0, str(body))
        preset = PRESETS[failure.kind]
        return ApiError(*preset.get(venue, preset["spot"]))

    def _authenticate(self, key: str | None, query: str, body: str, params: dict[str, str]) -> None:
        if key != self.api_key:
            raise ApiError(401, -2015, "Invalid API-key, IP, or permissions for action.")
        query_rest, query_sig = _split_signature(query)
        body_rest, body_sig = _split_signature(body)
        signature = query_sig or body_sig
        if not signature:
            raise ApiError(
                400,
                -1102,
                "Mandatory parameter 'signature' was not sent, was empty/null, or malformed.",
            )
        total = (query_rest + body_rest).encode()  # totalParams: the query string, then the body
        expected = hmac.new(self.secret.encode(), total, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, signature.lower()):
            raise ApiError(400, -1022, "Signature for this request is not valid.")
        server_time = now_ms() + self.clock_skew_ms
        stamp, window = int(params.get("timestamp", 0)), float(params.get("recvWindow", 5000))
        if not (stamp < server_time + 1000 and server_time - stamp <= window):
            raise ApiError(400, -1021, "Timestamp for this request is outside of the recvWindow.")

    def _require(self, permission: str) -> None:
        if not self.key_permissions[permission]:
            raise ApiError(401, -2015, "Invalid API-key, IP, or permissions for action.")

    # -- shared ------------------------------------------------------------------------------

    def _market(self, venue: str, params: dict[str, str]) -> Market:
        table = FUTURES_MARKETS if venue == "futures" else SPOT_MARKETS
        market = table.get(params.get("symbol", ""))
        if market is None:
            raise ApiError(400, -1121, "Invalid symbol.")
        return market

    def _take_partial(self, qty: Decimal, step: str) -> Decimal:
        if self._partial is None:
            return qty
        ratio, self._partial = self._partial, None
        return floor_to(qty * ratio, step)

    def _find_order(self, venue: str, params: dict[str, str]) -> Order | None:
        found = [
            o
            for o in self.orders
            if o.venue == venue
            and o.symbol == params.get("symbol")
            and (
                str(o.order_id) == params.get("orderId")
                or ("orderId" not in params and o.client_id == params.get("origClientOrderId"))
            )
        ]
        return found[-1] if found else None

    def _new_order(self, venue: str, market: Market, p: dict[str, str], qty: Decimal) -> Order:
        stamp = now_ms()
        return Order(
            venue=venue,
            order_id=next(self._ids),
            client_id=p.get("newClientOrderId") or f"srv{next(self._ids)}",
            symbol=market.symbol,
            side=p["side"],
            type=p["type"],
            qty=qty,
            price=D(p.get("price", "0")),
            time=stamp,
            update_time=stamp,
            time_in_force=p.get("timeInForce", "GTC"),
            reduce_only=p.get("reduceOnly") == "true",
            orig_type=p["type"],
        )

    def _settle(self, order: Order) -> None:
        """Status after the immediate match: MARKET remainders expire, LIMIT ones rest."""
        if order.executed == order.qty:
            order.status = "FILLED"
        elif order.type == "MARKET":
            order.status = "EXPIRED"
        else:
            order.status = "PARTIALLY_FILLED" if order.executed else "NEW"
            if order.venue == "spot":
                self._lock_funds(order, order.qty - order.executed)

    def _crosses(self, order: Order, price: Decimal) -> bool:
        return order.type == "MARKET" or (
            order.price >= price if order.side == "BUY" else order.price <= price
        )

    def _match_resting(self, venue: str, symbol: str) -> None:
        price = self.prices[venue][symbol]
        for order in self.orders:
            mine = order.venue == venue and order.symbol == symbol and order.status in OPEN
            if mine and self._crosses(order, price):
                fill = self._fill_spot if venue == "spot" else self._fill_futures
                fill(order, order.qty - order.executed, order.price, maker=True)
                order.status = "FILLED"

    # -- spot --------------------------------------------------------------------------------

    def _spot_order(self, p: dict[str, str]) -> dict[str, Any]:
        self._require("enableSpotAndMarginTrading")
        market = self._market("spot", p)
        price = self.prices["spot"][market.symbol]
        if p.get("type") not in ("MARKET", "LIMIT"):
            raise ApiError(400, -1014, "Unsupported order combination.")
        if "newClientOrderId" in p and not SPOT_CLIENT_ID.match(p["newClientOrderId"]):
            raise ApiError(400, -1100, "Illegal characters found in parameter "
                           "'newClientOrderId'; legal range is '^[a-zA-Z0-9-_]{1,36}$'.")  # fmt: skip
        if "quoteOrderQty" in p and p["type"] == "MARKET":
            qty = floor_to(D(p["quoteOrderQty"]) / price, market.step)
        else:
            qty = D(p["quantity"])
        order = self._new_order("spot", market, p, qty)
        if any(
            o.venue == "spot" and o.client_id == order.client_id and o.status in OPEN
            for o in self.orders
        ):
            raise ApiError(400, -2010, "Duplicate order sent.")
        if order.type == "LIMIT" and order.price % D(market.tick):
            raise ApiError(400, -1013, "Filter failure: PRICE_FILTER")
        if qty < D(market.min_qty) or qty % D(market.step):
            raise ApiError(400, -1013, "Filter failure: LOT_SIZE")
        reference = order.price if order.type == "LIMIT" else price
        if qty * reference < D(market.min_notional):
            raise ApiError(400, -1013, "Filter failure: NOTIONAL")
        spend_asset, spend = (
            (market.quote, qty * reference) if order.side == "BUY" else (market.base, qty)
        )
        if self.balances.get(spend_asset, [ZERO, ZERO])[0] < spend:
            raise ApiError(400, -2010, "Account has insufficient balance for requested action.")
        if self._crosses(order, price):
            qty_now = self._take_partial(qty, market.step)
            if qty_now:
                self._fill_spot(order, qty_now, price, maker=False)
        self._settle(order)
        self.orders.append(order)
        kind = p.get("newOrderRespType", "FULL" if order.type in ("MARKET", "LIMIT") else "ACK")
        if kind == "ACK":
            return {
                "symbol": order.symbol, "orderId": order.order_id, "orderListId": -1,
                "clientOrderId": order.client_id, "transactTime": order.time,
            }  # fmt: skip
        answer = self._spot_json(order) | {"transactTime": order.time}
        for key in ("time", "updateTime", "isWorking", "stopPrice", "icebergQty"):
            answer.pop(key)
        return answer | ({"fills": order.fills} if kind == "FULL" else {})

    def _fill_spot(self, order: Order, qty: Decimal, price: Decimal, maker: bool) -> None:
        market = SPOT_MARKETS[order.symbol]
        if order.status in OPEN and order in self.orders:  # a resting order: free what it held
            self._lock_funds(order, qty, unlock=True)
        quote = qty * price
        if order.side == "BUY":
            fee, fee_asset = qty * self.spot_fee, market.base
            self._credit(market.quote, -quote)
            self._credit(market.base, qty - fee)
        else:
            fee, fee_asset = quote * self.spot_fee, market.quote
            self._credit(market.base, -qty)
            self._credit(market.quote, quote - fee)
        trade_id, stamp = next(self._ids), now_ms()
        order.executed += qty
        order.quote += quote
        order.update_time = stamp
        order.fills.append({
            "price": f8(price), "qty": f8(qty), "commission": f8(fee),
            "commissionAsset": fee_asset, "tradeId": trade_id,
        })  # fmt: skip
        self.trades["spot"].append({
            "symbol": order.symbol, "id": trade_id, "orderId": order.order_id, "orderListId": -1,
            "price": f8(price), "qty": f8(qty), "quoteQty": f8(quote), "commission": f8(fee),
            "commissionAsset": fee_asset, "time": stamp, "isBuyer": order.side == "BUY",
            "isMaker": maker, "isBestMatch": True,
        })  # fmt: skip

    def _credit(self, asset: str, amount: Decimal) -> None:
        self.balances.setdefault(asset, [ZERO, ZERO])[0] += amount

    def _lock_funds(self, order: Order, qty: Decimal, unlock: bool = False) -> None:
        market = SPOT_MARKETS[order.symbol]
        asset, amount = (
            (market.quote, qty * order.price) if order.side == "BUY" else (market.base, qty)
        )
        sign = -1 if unlock else 1
        self.balances[asset][0] -= sign * amount
        self.balances[asset][1] += sign * amount

    def _spot_json(self, o: Order) -> dict[str, Any]:
        return {
            "symbol": o.symbol, "orderId": o.order_id, "orderListId": -1,
            "clientOrderId": o.client_id, "price": f8(o.price), "origQty": f8(o.qty),
            "executedQty": f8(o.executed), "origQuoteOrderQty": f8(0),
            "cummulativeQuoteQty": f8(o.quote), "status": o.status,
            "timeInForce": o.time_in_force, "type": o.type, "side": o.side,
            "stopPrice": f8(0), "icebergQty": f8(0), "time": o.time, "updateTime": o.update_time,
            "isWorking": True, "workingTime": o.time, "selfTradePreventionMode": "EXPIRE_MAKER",
        }  # fmt: skip

    def _spot_get_order(self, p: dict[str, str]) -> dict[str, Any]:
        order = self._find_order("spot", p)
        if order is None:
            raise ApiError(400, -2013, "Order does not exist.")
        return self._spot_json(order)

    def _spot_cancel(self, p: dict[str, str]) -> dict[str, Any]:
        self._require("enableSpotAndMarginTrading")
        order = self._find_order("spot", p)
        if order is None or order.status not in OPEN:
            raise ApiError(400, -2011, "Unknown order sent.")
        self._lock_funds(order, order.qty - order.executed, unlock=True)
        order.status, order.update_time = "CANCELED", now_ms()
        answer = self._spot_json(order)
        for key in ("time", "updateTime", "isWorking", "workingTime", "stopPrice", "icebergQty"):
            answer.pop(key)
        return answer | {
            "origClientOrderId": order.client_id,
            "clientOrderId": p.get("newClientOrderId") or f"cancel{next(self._ids)}",
            "transactTime": order.update_time,
        }

    def _spot_open_orders(self, p: dict[str, str]) -> list[dict[str, Any]]:
        return [
            self._spot_json(o)
            for o in self.orders
            if o.venue == "spot" and o.status in OPEN and p.get("symbol", o.symbol) == o.symbol
        ]

    def _spot_all_orders(self, p: dict[str, str]) -> list[dict[str, Any]]:
        self._market("spot", p)
        mine = [o for o in self.orders if o.venue == "spot" and o.symbol == p["symbol"]]
        return [self._spot_json(o) for o in mine]

    def _spot_my_trades(self, p: dict[str, str]) -> list[dict[str, Any]]:
        self._market("spot", p)
        return [t for t in self.trades["spot"] if t["symbol"] == p["symbol"]]

    def _spot_account(self, p: dict[str, str]) -> dict[str, Any]:
        rate = f8(self.spot_fee)
        return {
            "makerCommission": 10, "takerCommission": 10, "buyerCommission": 0,
            "sellerCommission": 0,
            "commissionRates": {"maker": rate, "taker": rate, "buyer": f8(0), "seller": f8(0)},
            "canTrade": True, "canWithdraw": self.account_can_withdraw, "canDeposit": True,
            "brokered": False, "requireSelfTradePrevention": False, "preventSor": False,
            "updateTime": now_ms(), "accountType": "SPOT",
            "balances": [
                {"asset": asset, "free": f8(free), "locked": f8(locked)}
                for asset, (free, locked) in self.balances.items()
            ],
            "permissions": ["SPOT"], "uid": 354937868,
        }  # fmt: skip

    def _spot_exchange_info(self, p: dict[str, str]) -> dict[str, Any]:
        return {
            "timezone": "UTC",
            "serverTime": now_ms(),
            "rateLimits": RATE_LIMITS,
            "exchangeFilters": [],
            "symbols": [_spot_symbol(m) for m in SPOT_MARKETS.values()],
        }

    # -- market data (both venues) -----------------------------------------------------------

    def _time(self, p: dict[str, str]) -> dict[str, Any]:
        return {"serverTime": now_ms() + self.clock_skew_ms}

    def _klines(self, venue: str, p: dict[str, str]) -> list[list[Any]]:
        market = self._market(venue, p)
        interval = p.get("interval", "")
        if interval not in INTERVAL_MS:
            raise ApiError(400, -1120, "Invalid interval.")
        bars = self.klines.get((venue, market.symbol, interval), [])
        if "startTime" in p:
            bars = [b for b in bars if b[0] >= int(p["startTime"])]
        if "endTime" in p:
            bars = [b for b in bars if b[0] <= int(p["endTime"])]
        limit = int(p.get("limit", 500))
        bars = bars[:limit] if "startTime" in p else bars[-limit:]
        num = f8 if venue == "spot" else (lambda v: fx(v, market.price_decimals))
        return [
            [t, num(o), num(h), num(lo), num(c), f8(v), t + INTERVAL_MS[interval] - 1,
             f8(c * v), 1, f8(v / 2), f8(c * v / 2), "0"]
            for t, o, h, lo, c, v in bars
        ]  # fmt: skip

    def _ticker_price(self, venue: str, p: dict[str, str]) -> Any:
        extra = {"time": now_ms()} if venue == "futures" else {}
        rows = [
            {"symbol": s, "price": f8(price) if venue == "spot" else plain(price)} | extra
            for s, price in self.prices[venue].items()
        ]
        if "symbol" in p:
            self._market(venue, p)
            return next(r for r in rows if r["symbol"] == p["symbol"])
        return rows

    def _ticker_24hr(self, venue: str, p: dict[str, str]) -> dict[str, Any]:
        market = self._market(venue, p)
        price = f8(self.prices[venue][market.symbol])
        stamp = now_ms()
        row = {
            "symbol": market.symbol, "priceChange": f8(0), "priceChangePercent": "0.000",
            "weightedAvgPrice": price, "lastPrice": price, "lastQty": f8(0), "openPrice": price,
            "highPrice": price, "lowPrice": price, "volume": f8(0), "quoteVolume": f8(0),
            "openTime": stamp - 86_400_000, "closeTime": stamp, "firstId": 0, "lastId": 0,
            "count": 0,
        }  # fmt: skip
        if venue == "spot":
            row |= {"prevClosePrice": price, "bidPrice": price, "bidQty": f8(1),
                    "askPrice": price, "askQty": f8(1)}  # fmt: skip
        return row

    # -- sapi (wallet) -----------------------------------------------------------------------

    def _coins(self, p: dict[str, str]) -> list[dict[str, Any]]:
        names = {"USDT": ("TetherUS", "ETH"), "BTC": ("Bitcoin", "BTC"), "ETH": ("Ethereum", "ETH")}
        withdraw = self.coin_withdraw_enabled
        rows = []
        for coin, (free, locked) in self.balances.items():
            name, network = names.get(coin, (coin, coin))
            rows.append({
                "coin": coin, "name": name, "depositAllEnable": True, "withdrawAllEnable": withdraw,
                "free": f8(free), "locked": f8(locked), "freeze": "0", "withdrawing": "0",
                "ipoing": "0", "ipoable": "0", "storage": "0", "isLegalMoney": False,
                "trading": True,
                "networkList": [{
                    "network": network, "coin": coin, "withdrawIntegerMultiple": "0.00000001",
                    "isDefault": True, "depositEnable": True, "withdrawEnable": withdraw,
                    "depositDesc": "", "withdrawDesc": "", "name": name,
                    "resetAddressStatus": False, "withdrawFee": "0.0001", "withdrawMin": "0.001",
                    "withdrawMax": "9000000", "minConfirm": 6, "unLockConfirm": 0,
                    "sameAddress": False, "busy": False,
                }],
            })  # fmt: skip
        return rows

    def _coin_m_exchange_info(self, p: dict[str, str]) -> dict[str, Any]:
        return {"timezone": "UTC", "serverTime": now_ms(), "rateLimits": [], "symbols": []}

    def _api_restrictions(self, p: dict[str, str]) -> dict[str, Any]:
        return dict(self.key_permissions)

    # -- USDⓈ-M futures ----------------------------------------------------------------------

    def _futures_exchange_info(self, p: dict[str, str]) -> dict[str, Any]:
        return {
            "timezone": "UTC",
            "serverTime": now_ms(),
            "futuresType": "U_MARGINED",
            "rateLimits": RATE_LIMITS[:1],
            "exchangeFilters": [],
            "assets": [{"asset": "USDT", "marginAvailable": True, "autoAssetExchange": "-10000"}],
            "symbols": [_futures_symbol(m) for m in FUTURES_MARKETS.values()],
        }

    def _futures_order(self, p: dict[str, str]) -> dict[str, Any]:
        self._require("enableFutures")
        market = self._market("futures", p)
        if p.get("type") in ALGO_TYPES:
            raise ApiError(400, -4120, ALGO_ONLY_MSG)
        if p.get("type") not in ("MARKET", "LIMIT"):
            raise ApiError(400, -1116, "Invalid orderType.")
        if p.get("positionSide", "BOTH") != "BOTH":
            raise ApiError(400, -4061, "Order's position side does not match user's setting.")
        if "newClientOrderId" in p and not CLIENT_ID.match(p["newClientOrderId"]):
            raise ApiError(400, -4015, "Client order id is not valid.")
        if any(
            o.client_id == p.get("newClientOrderId") and o.status in OPEN and o.venue == "futures"
            for o in self.orders
        ):
            raise ApiError(400, -4116, "ClientOrderId is duplicated.")
        order = self._new_order("futures", market, p, D(p["quantity"]))
        price = self.prices["futures"][market.symbol]
        self._check_futures_order(order, market, order.price if order.type == "LIMIT" else price)
        snapshot = self._futures_json(order)
        if self._crosses(order, price):
            qty_now = self._take_partial(order.qty, market.step)
            if qty_now:
                self._fill_futures(order, qty_now, price, maker=False)
        self._settle(order)
        self.orders.append(order)
        return snapshot if p.get("newOrderRespType", "ACK") == "ACK" else self._futures_json(order)

    def _check_futures_order(self, order: Order, market: Market, reference: Decimal) -> None:
        amt, _ = self.position(market.symbol)
        signed = order.qty if order.side == "BUY" else -order.qty
        if order.reduce_only:
            if amt == 0 or (amt > 0) == (signed > 0):
                raise ApiError(400, -2022, "ReduceOnly Order is rejected.")
            order.qty = min(order.qty, abs(amt))
            return
        if order.qty * reference < D(market.min_notional):
            raise ApiError(400, -4164, MIN_NOTIONAL_MSG.format(market.min_notional))
        opening = order.qty if amt == 0 or (amt > 0) == (signed > 0) else order.qty - abs(amt)
        needed = max(opening, ZERO) * reference / self.leverage[market.symbol]
        if needed > self._futures_totals()["available"]:
            raise ApiError(400, -2019, "Margin is insufficient.")

    def _fill_futures(self, order: Order, qty: Decimal, price: Decimal, maker: bool) -> None:
        amt, entry, _ = self.positions.get(order.symbol, (ZERO, ZERO, 0))
        signed = qty if order.side == "BUY" else -qty
        realized = ZERO
        new_amt = amt + signed
        if amt == 0 or (amt > 0) == (signed > 0):
            entry = (abs(amt) * entry + qty * price) / abs(new_amt)
        else:
            closed = min(qty, abs(amt))
            realized = (price - entry) * closed * (1 if amt > 0 else -1)
            if new_amt == 0:
                entry = ZERO
            elif (new_amt > 0) != (amt > 0):
                entry = price  # reversed: the remainder opens at this fill's price
        stamp = now_ms()
        self.positions[order.symbol] = (new_amt, entry, stamp)
        fee = qty * price * self.futures_fee
        self.futures_wallet += realized - fee
        self.wallet_time = stamp
        order.executed += qty
        order.quote += qty * price
        order.update_time = stamp
        market = FUTURES_MARKETS[order.symbol]
        self.trades["futures"].append({
            "buyer": order.side == "BUY", "commission": plain(fee), "commissionAsset": "USDT",
            "id": next(self._ids), "maker": maker, "orderId": order.order_id,
            "price": fx(price, market.price_decimals), "qty": fx(qty, market.qty_decimals),
            "quoteQty": plain(qty * price), "realizedPnl": plain(realized), "side": order.side,
            "positionSide": "BOTH", "symbol": order.symbol, "time": stamp,
        })  # fmt: skip

    def _futures_json(self, o: Order) -> dict[str, Any]:
        market = FUTURES_MARKETS[o.symbol]
        average = o.quote / o.executed if o.executed else ZERO
        return {
            "orderId": o.order_id, "symbol": o.symbol, "status": o.status,
            "clientOrderId": o.client_id, "price": fx(o.price, market.price_decimals),
            "avgPrice": plain(average), "origQty": fx(o.qty, market.qty_decimals),
            "executedQty": fx(o.executed, market.qty_decimals),
            "cumQty": fx(o.executed, market.qty_decimals),
            "cumQuote": plain(o.quote), "timeInForce": o.time_in_force, "type": o.type,
            "reduceOnly": o.reduce_only, "closePosition": False, "side": o.side,
            "positionSide": "BOTH", "stopPrice": "0", "workingType": "CONTRACT_PRICE",
            "priceProtect": False, "origType": o.orig_type, "priceMatch": "NONE",
            "selfTradePreventionMode": "EXPIRE_MAKER", "goodTillDate": 0, "time": o.time,
            "updateTime": o.update_time,
        }  # fmt: skip

    def _futures_get_order(self, p: dict[str, str]) -> dict[str, Any]:
        order = self._find_order("futures", p)
        if order is None:
            raise ApiError(400, -2013, "Order does not exist.")
        return self._futures_json(order)

    def _futures_cancel(self, p: dict[str, str]) -> dict[str, Any]:
        self._require("enableFutures")
        order = self._find_order("futures", p)
        if order is None or order.status not in OPEN:
            raise ApiError(400, -2011, "Unknown order sent.")
        order.status, order.update_time = "CANCELED", now_ms()
        return self._futures_json(order)

    def _futures_open_orders(self, p: dict[str, str]) -> list[dict[str, Any]]:
        return [
            self._futures_json(o)
            for o in self.orders
            if o.venue == "futures" and o.status in OPEN and p.get("symbol", o.symbol) == o.symbol
        ]

    def _futures_all_orders(self, p: dict[str, str]) -> list[dict[str, Any]]:
        self._market("futures", p)
        mine = [o for o in self.orders if o.venue == "futures" and o.symbol == p["symbol"]]
        return [self._futures_json(o) for o in mine]

    def _user_trades(self, p: dict[str, str]) -> list[dict[str, Any]]:
        self._market("futures", p)
        return [t for t in self.trades["futures"] if t["symbol"] == p["symbol"]]

    def _position_rows(self) -> list[dict[str, Any]]:
        rows = []
        for symbol, (amt, entry, stamp) in self.positions.items():
            if amt == 0:
                continue
            mark = self.prices["futures"][symbol]
            notional = amt * mark
            margin = abs(notional) / self.leverage[symbol]
            rows.append({
                "symbol": symbol, "positionSide": "BOTH", "positionAmt": plain(amt),
                "entryPrice": plain(entry), "breakEvenPrice": plain(entry),
                "markPrice": plain(mark), "unRealizedProfit": plain((mark - entry) * amt),
                "liquidationPrice": "0", "isolatedMargin": "0", "notional": plain(notional),
                "marginAsset": "USDT", "isolatedWallet": "0", "initialMargin": plain(margin),
                "maintMargin": plain(abs(notional) * D("0.004")),
                "positionInitialMargin": plain(margin), "openOrderInitialMargin": "0",
                "adl": 1, "bidNotional": "0", "askNotional": "0", "updateTime": stamp,
            })  # fmt: skip
        return rows

    def _futures_totals(self) -> dict[str, Decimal]:
        rows = self._position_rows()
        pnl = sum((D(r["unRealizedProfit"]) for r in rows), ZERO)
        margin = sum((D(r["initialMargin"]) for r in rows), ZERO)
        maint = sum((D(r["maintMargin"]) for r in rows), ZERO)
        balance = self.futures_wallet + pnl
        return {"pnl": pnl, "margin": margin, "maint": maint, "balance": balance,
                "available": balance - margin}  # fmt: skip

    def _position_risk(self, p: dict[str, str]) -> list[dict[str, Any]]:
        self._require("enableFutures")
        return [r for r in self._position_rows() if p.get("symbol", r["symbol"]) == r["symbol"]]

    def _futures_account(self, p: dict[str, str]) -> dict[str, Any]:
        self._require("enableFutures")
        t = {k: plain(v) for k, v in self._futures_totals().items()}
        wallet = plain(self.futures_wallet)
        return {
            "totalInitialMargin": t["margin"], "totalMaintMargin": t["maint"],
            "totalWalletBalance": wallet, "totalUnrealizedProfit": t["pnl"],
            "totalMarginBalance": t["balance"], "totalPositionInitialMargin": t["margin"],
            "totalOpenOrderInitialMargin": "0", "totalCrossWalletBalance": wallet,
            "totalCrossUnPnl": t["pnl"], "availableBalance": t["available"],
            "maxWithdrawAmount": t["available"],
            "assets": [{
                "asset": "USDT", "walletBalance": wallet, "unrealizedProfit": t["pnl"],
                "marginBalance": t["balance"], "maintMargin": t["maint"],
                "initialMargin": t["margin"], "positionInitialMargin": t["margin"],
                "openOrderInitialMargin": "0", "crossWalletBalance": wallet,
                "crossUnPnl": t["pnl"], "availableBalance": t["available"],
                "maxWithdrawAmount": t["available"], "updateTime": self.wallet_time,
            }],
            "positions": [
                {k: r[k] for k in ("symbol", "positionSide", "positionAmt", "isolatedMargin",
                                   "notional", "isolatedWallet", "initialMargin", "maintMargin",
                                   "updateTime")} | {"unrealizedProfit": r["unRealizedProfit"]}
                for r in self._position_rows()
            ],
        }  # fmt: skip

    def _leverage_bracket(self, p: dict[str, str]) -> list[dict[str, Any]]:
        brackets = [
            {"bracket": 1, "initialLeverage": 125, "notionalCap": 50000, "notionalFloor": 0,
             "maintMarginRatio": 0.004, "cum": 0.0},
            {"bracket": 2, "initialLeverage": 100, "notionalCap": 600000, "notionalFloor": 50000,
             "maintMarginRatio": 0.005, "cum": 50.0},
        ]  # fmt: skip
        symbols = [p["symbol"]] if "symbol" in p else list(FUTURES_MARKETS)
        return [{"symbol": s, "notionalCoef": 1.0, "brackets": brackets} for s in symbols]

    def _set_leverage(self, p: dict[str, str]) -> dict[str, Any]:
        market = self._market("futures", p)
        leverage = int(p.get("leverage", 0))
        if not 1 <= leverage <= 125:
            raise ApiError(400, -4028, f"Leverage {leverage} is not valid")
        self.leverage[market.symbol] = leverage
        return {"leverage": leverage, "maxNotionalValue": "1000000", "symbol": market.symbol}

    # -- USDⓈ-M conditional (algo) orders ----------------------------------------------------

    def _algo_order(self, p: dict[str, str]) -> dict[str, Any]:
        self._require("enableFutures")
        market = self._market("futures", p)
        if p.get("algoType") != "CONDITIONAL":
            raise ApiError(400, -1130, "Data sent for parameter 'algoType' is not valid.")
        if p.get("type") not in ("STOP_MARKET", "TAKE_PROFIT_MARKET"):
            raise ApiError(400, -1116, "Invalid orderType.")
        if "triggerPrice" not in p:
            raise ApiError(
                400,
                -1102,
                "Mandatory parameter 'triggerPrice' was not sent, was empty/null, or malformed.",
            )
        stamp = now_ms()
        close = p.get("closePosition") == "true"
        algo = AlgoOrder(
            algo_id=next(self._ids),
            client_id=p.get("clientAlgoId") or f"srv{next(self._ids)}",
            symbol=market.symbol,
            side=p["side"],
            type=p["type"],
            qty=None if close else D(p["quantity"]),
            trigger=D(p["triggerPrice"]),
            reduce_only=p.get("reduceOnly") == "true",
            close_position=close,
            time=stamp,
            update_time=stamp,
        )
        if self._triggered(algo, self.prices["futures"][market.symbol]):
            raise ApiError(400, -2021, "Order would immediately trigger.")
        self.algo_orders.append(algo)
        return self._algo_json(algo)

    def _triggered(self, algo: AlgoOrder, price: Decimal) -> bool:
        rises = (algo.type == "STOP_MARKET") == (algo.side == "BUY")  # fires when price rises
        return price >= algo.trigger if rises else price <= algo.trigger

    def _trigger_algos(self, symbol: str) -> None:
        price = self.prices["futures"][symbol]
        for algo in self.algo_orders:
            if algo.symbol != symbol or algo.status != "NEW" or not self._triggered(algo, price):
                continue
            amt, _ = self.position(symbol)
            closing = amt != 0 and (amt > 0) == (algo.side == "SELL")
            qty = abs(amt) if algo.close_position else algo.qty or ZERO
            if algo.close_position or algo.reduce_only:
                qty = min(qty, abs(amt)) if closing else ZERO
            algo.trigger_time = algo.update_time = now_ms()
            if not qty:
                algo.status = "EXPIRED"
                continue
            market = FUTURES_MARKETS[symbol]
            reduce = algo.close_position or algo.reduce_only
            params = {"side": algo.side, "type": "MARKET", "reduceOnly": str(reduce).lower()}
            order = self._new_order("futures", market, params, qty)
            order.orig_type = algo.type
            self._fill_futures(order, qty, price, maker=False)
            self._settle(order)
            self.orders.append(order)
            algo.status = "FINISHED"
            algo.actual_order_id, algo.actual_price = str(order.order_id), plain(price)

    def _algo_json(self, a: AlgoOrder) -> dict[str, Any]:
        market = FUTURES_MARKETS[a.symbol]
        return {
            "algoId": a.algo_id, "clientAlgoId": a.client_id, "algoType": "CONDITIONAL",
            "orderType": a.type, "symbol": a.symbol, "side": a.side, "positionSide": "BOTH",
            "timeInForce": "GTC", "quantity": fx(a.qty or ZERO, market.qty_decimals),
            "algoStatus": a.status, "triggerPrice": fx(a.trigger, market.price_decimals),
            "price": fx(0, market.price_decimals), "icebergQuantity": None,
            "selfTradePreventionMode": "EXPIRE_MAKER", "workingType": "CONTRACT_PRICE",
            "priceMatch": "NONE", "closePosition": a.close_position, "priceProtect": False,
            "reduceOnly": a.reduce_only, "createTime": a.time, "updateTime": a.update_time,
            "triggerTime": a.trigger_time, "goodTillDate": 0,
            "actualOrderId": a.actual_order_id, "actualPrice": a.actual_price,
        }  # fmt: skip

    def _find_algo(self, p: dict[str, str]) -> AlgoOrder | None:
        return next(
            (
                a
                for a in reversed(self.algo_orders)
                if str(a.algo_id) == p.get("algoId") or a.client_id == p.get("clientAlgoId")
            ),
            None,
        )

    def _algo_get(self, p: dict[str, str]) -> dict[str, Any]:
        algo = self._find_algo(p)
        if algo is None:
            raise ApiError(400, -2013, "Order does not exist.")
        return self._algo_json(algo)

    def _algo_cancel(self, p: dict[str, str]) -> dict[str, Any]:
        algo = self._find_algo(p)
        if algo is None or algo.status != "NEW":
            raise ApiError(400, -2011, "Unknown order sent.")
        algo.status, algo.update_time = "CANCELED", now_ms()
        ids = {"algoId": algo.algo_id, "clientAlgoId": algo.client_id}
        return ids | {"code": "200", "msg": "success"}

    def _open_algo_orders(self, p: dict[str, str]) -> list[dict[str, Any]]:
        return [
            self._algo_json(a)
            for a in self.algo_orders
            if a.status == "NEW" and p.get("symbol", a.symbol) == a.symbol
        ]


RATE_LIMITS = [
    {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": 6000},
    {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": 100},
]
ALGO_TYPES = ("STOP", "STOP_MARKET", "TAKE_PROFIT", "TAKE_PROFIT_MARKET", "TRAILING_STOP_MARKET")


def _spot_symbol(m: Market) -> dict[str, Any]:
    return {
        "symbol": m.symbol, "status": "TRADING", "baseAsset": m.base, "baseAssetPrecision": 8,
        "quoteAsset": m.quote, "quotePrecision": 8, "quoteAssetPrecision": 8,
        "baseCommissionPrecision": 8, "quoteCommissionPrecision": 8,
        "orderTypes": ["LIMIT", "LIMIT_MAKER", "MARKET", "STOP_LOSS", "STOP_LOSS_LIMIT",
                       "TAKE_PROFIT", "TAKE_PROFIT_LIMIT"],
        "icebergAllowed": True, "ocoAllowed": True, "otoAllowed": True,
        "quoteOrderQtyMarketAllowed": True, "allowTrailingStop": True,
        "cancelReplaceAllowed": True, "amendAllowed": True, "isSpotTradingAllowed": True,
        "isMarginTradingAllowed": False,
        "filters": [
            {"filterType": "PRICE_FILTER", "minPrice": f8(m.tick), "maxPrice": f8(1_000_000),
             "tickSize": f8(m.tick)},
            {"filterType": "LOT_SIZE", "minQty": f8(m.min_qty), "maxQty": f8(9000),
             "stepSize": f8(m.step)},
            {"filterType": "NOTIONAL", "minNotional": f8(m.min_notional),
             "applyMinToMarket": True, "maxNotional": f8(9_000_000), "applyMaxToMarket": False,
             "avgPriceMins": 5},
        ],
        "permissions": [], "permissionSets": [["SPOT"]],
        "defaultSelfTradePreventionMode": "EXPIRE_MAKER",
        "allowedSelfTradePreventionModes": ["NONE", "EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH"],
    }  # fmt: skip


def _futures_symbol(m: Market) -> dict[str, Any]:
    return {
        "symbol": m.symbol, "pair": m.symbol, "contractType": "PERPETUAL",
        "deliveryDate": 4133404800000, "onboardDate": 1569398400000, "status": "TRADING",
        "maintMarginPercent": "2.5000", "requiredMarginPercent": "5.0000",
        "baseAsset": m.base, "quoteAsset": m.quote, "marginAsset": "USDT",
        "pricePrecision": m.price_decimals, "quantityPrecision": m.qty_decimals,
        "baseAssetPrecision": 8, "quotePrecision": 8, "underlyingType": "COIN",
        "underlyingSubType": [], "triggerProtect": "0.0500", "liquidationFee": "0.012500",
        "marketTakeBound": "0.05", "maxMoveOrderLimit": 10000,
        "filters": [
            {"filterType": "PRICE_FILTER", "minPrice": m.tick, "maxPrice": "4529764",
             "tickSize": m.tick},
            {"filterType": "LOT_SIZE", "minQty": m.min_qty, "maxQty": "1000", "stepSize": m.step},
            {"filterType": "MARKET_LOT_SIZE", "minQty": m.min_qty, "maxQty": "120",
             "stepSize": m.step},
            {"filterType": "MAX_NUM_ORDERS", "limit": 200},
            {"filterType": "MAX_NUM_ALGO_ORDERS", "limit": 10},
            {"filterType": "MIN_NOTIONAL", "notional": m.min_notional},
        ],
        "orderTypes": ["LIMIT", "MARKET", *ALGO_TYPES],
        "timeInForce": ["GTC", "IOC", "FOK", "GTX", "GTD"],
    }  # fmt: skip


def _spot(fn: Callable[[BinanceServer, str, dict[str, str]], Any]) -> Callable[..., Any]:
    return lambda server, params: fn(server, "spot", params)


def _futures(fn: Callable[[BinanceServer, str, dict[str, str]], Any]) -> Callable[..., Any]:
    return lambda server, params: fn(server, "futures", params)


def _const(value: Any) -> Callable[..., Any]:
    return lambda server, params: value


S = BinanceServer
# (method, path) -> (handler(server, params), signed?)
_ROUTES: dict[tuple[str, str], tuple[Callable[..., Any], bool]] = {
    # spot market data
    ("GET", "/api/v3/ping"): (_const({}), False),
    ("GET", "/api/v3/time"): (S._time, False),
    ("GET", "/api/v3/exchangeInfo"): (S._spot_exchange_info, False),
    ("GET", "/api/v3/klines"): (_spot(S._klines), False),
    ("GET", "/api/v3/ticker/price"): (_spot(S._ticker_price), False),
    ("GET", "/api/v3/ticker/24hr"): (_spot(S._ticker_24hr), False),
    # spot account and trading
    ("GET", "/api/v3/account"): (S._spot_account, True),
    ("POST", "/api/v3/order"): (S._spot_order, True),
    ("GET", "/api/v3/order"): (S._spot_get_order, True),
    ("DELETE", "/api/v3/order"): (S._spot_cancel, True),
    ("GET", "/api/v3/openOrders"): (S._spot_open_orders, True),
    ("GET", "/api/v3/allOrders"): (S._spot_all_orders, True),
    ("GET", "/api/v3/myTrades"): (S._spot_my_trades, True),
    # wallet (load_markets calls the first three when keys are set)
    ("GET", "/sapi/v1/capital/config/getall"): (S._coins, True),
    ("GET", "/sapi/v1/margin/allPairs"): (_const([]), True),
    ("GET", "/sapi/v1/margin/isolated/allPairs"): (_const([]), True),
    ("GET", "/sapi/v1/account/apiRestrictions"): (S._api_restrictions, True),
    # COIN-M: no markets here, but ccxt.binance loads them
    ("GET", "/dapi/v1/exchangeInfo"): (S._coin_m_exchange_info, False),
    # USDⓈ-M market data
    ("GET", "/fapi/v1/ping"): (_const({}), False),
    ("GET", "/fapi/v1/time"): (S._time, False),
    ("GET", "/fapi/v1/exchangeInfo"): (S._futures_exchange_info, False),
    ("GET", "/fapi/v1/klines"): (_futures(S._klines), False),
    ("GET", "/fapi/v2/ticker/price"): (_futures(S._ticker_price), False),
    ("GET", "/fapi/v1/ticker/24hr"): (_futures(S._ticker_24hr), False),
    # USDⓈ-M account, positions and trading
    ("GET", "/fapi/v3/account"): (S._futures_account, True),
    ("GET", "/fapi/v3/positionRisk"): (S._position_risk, True),
    ("GET", "/fapi/v1/leverageBracket"): (S._leverage_bracket, True),
    ("POST", "/fapi/v1/leverage"): (S._set_leverage, True),
    ("GET", "/fapi/v1/positionSide/dual"): (_const({"dualSidePosition": False}), True),
    ("POST", "/fapi/v1/order"): (S._futures_order, True),
    ("GET", "/fapi/v1/order"): (S._futures_get_order, True),
    ("DELETE", "/fapi/v1/order"): (S._futures_cancel, True),
    ("GET", "/fapi/v1/openOrders"): (S._futures_open_orders, True),
    ("GET", "/fapi/v1/allOrders"): (S._futures_all_orders, True),
    ("GET", "/fapi/v1/userTrades"): (S._user_trades, True),
    ("POST", "/fapi/v1/algoOrder"): (S._algo_order, True),
    ("GET", "/fapi/v1/algoOrder"): (S._algo_get, True),
    ("DELETE", "/fapi/v1/algoOrder"): (S._algo_cancel, True),
    ("GET", "/fapi/v1/openAlgoOrders"): (S._open_algo_orders, True),
}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the exchange does
    disable_nagle_algorithm = True  # headers and body are two writes: no 40 ms delayed ACK

    def log_message(self, *args: Any) -> None:  # keep test output quiet
        pass

    def do_GET(self) -> None:
        self.server.app.handle(self, "GET")  # type: ignore[attr-defined]

    def do_POST(self) -> None:
        self.server.app.handle(self, "POST")  # type: ignore[attr-defined]

    def do_DELETE(self) -> None:
        self.server.app.handle(self, "DELETE")  # type: ignore[attr-defined]


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that gave up (a stalled answer) is expected here
