"""What went wrong at a broker, in words a trader can act on, and what a bot does about it:
``retry`` (later, with backoff: the network, rate limits, maintenance) or stop in error (keys,
funds, an order the exchange will not take).

ccxt raises its own classes, but picks its Binance error table by the exchange's host name: at
another address (a proxy, the tests' server) a Binance code may arrive as a bare
``ExchangeError`` carrying the JSON answer, so the code in the message is read as well."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, TypeVar

from tradeloop.core.errors import UserError

T = TypeVar("T")
READ_ATTEMPTS = 4  # a read is tried this often before its error is reported


class BrokerError(UserError):
    """A broker refused or could not be reached. ``retry``: worth trying again later
    (``retry_after`` seconds when the broker said)."""

    status = 502

    def __init__(
        self, message: str, key: str, retry: bool, retry_after: float | None = None,
        values: dict[str, Any] | None = None,
    ) -> None:  # fmt: skip
        super().__init__(message, key=key, values=values)
        self.retry = retry
        self.retry_after = retry_after


# Binance codes ccxt maps only at Binance's own hosts (and a few it maps elsewhere)
_CODES = {
    -2015: "auth", -1022: "auth", -2014: "auth", -2008: "auth",
    -2010: "funds", -2019: "funds", -2018: "funds",
    -1013: "size", -4164: "size", -4003: "size", -1111: "size",
    -4116: "duplicate", -2022: "rejected", -4120: "rejected", -2021: "rejected",
    -1021: "clock", -1008: "busy", -1003: "rate",
}  # fmt: skip
_CODE = re.compile(r'"code"\s*:\s*(-?\d+)')

_KINDS: dict[str, tuple[str, bool]] = {  # kind: (English message, retry)
    "auth": ("the exchange refused the API key: check the key, its secret and that it may "
             "trade", False),
    "permission": ("the API key may not do this (its permissions at the exchange)", False),
    "funds": ("not enough funds or margin at the exchange for this order", False),
    "size": ("the order is smaller or larger than the exchange allows for this market "
             "(minimum amount or value)", False),
    "duplicate": ("the exchange already holds an order with this client order id", False),
    "rejected": ("the exchange refused the order: {detail}", False),
    "symbol": ("the exchange has no such market", False),
    "closed": ("the market is closed or the exchange is under maintenance", True),
    "rate": ("the exchange is limiting our requests: waiting before the next one", True),
    "clock": ("this server's clock is off from the exchange's: check its time sync", True),
    "busy": ("the exchange is busy: trying again", True),
    "network": ("the exchange could not be reached: trying again", True),
    "other": ("the exchange refused the request: {detail}", False),
}  # fmt: skip


def _kind_of(exc: Exception) -> str:
    import ccxt

    match = _CODE.search(str(exc))
    if match and int(match.group(1)) in _CODES:
        return _CODES[int(match.group(1))]
    for cls, kind in (
        (ccxt.PermissionDenied, "permission"), (ccxt.AuthenticationError, "auth"),
        (ccxt.InsufficientFunds, "funds"), (ccxt.BadSymbol, "symbol"),
        (ccxt.DuplicateOrderId, "duplicate"), (ccxt.MarketClosed, "closed"),
        (ccxt.OnMaintenance, "closed"), (ccxt.DDoSProtection, "rate"),
        (ccxt.RateLimitExceeded, "rate"), (ccxt.InvalidNonce, "clock"),
        (ccxt.NetworkError, "network"), (ccxt.InvalidOrder, "rejected"),
    ):  # fmt: skip
        if isinstance(exc, cls):
            return kind
    return "other"


def _detail(exc: Exception) -> str:
    """The exchange's own words, without any address: ccxt puts the request's URL (and its
    query, which may hold a signature or, on some exchanges, the API key) into its messages."""
    text = str(exc)
    found = re.search(r'"msg"\s*:\s*"([^"]{1,200})"', text)
    detail = found.group(1) if found else text.split(" ", 1)[-1]
    return re.sub(r"(?:https?|wss?)://\S+", "<address>", detail)[:200]


def broker_error(exc: Exception, retry_after: float | None = None) -> BrokerError:
    """``exc`` (a ccxt error) as a BrokerError with a message and whether to retry."""
    kind = _kind_of(exc)
    message, retry = _KINDS[kind]
    detail = _detail(exc)
    return BrokerError(message.replace("{detail}", detail), f"broker.error.{kind}", retry,
                       retry_after, {"detail": detail})  # fmt: skip


def retried(
    call: Callable[[], T], error_of: Callable[[Exception], BrokerError | None],
    pause: Callable[[float], None], attempts: int = READ_ATTEMPTS,
) -> T:  # fmt: skip
    """``call`` (one that changes nothing at the broker) tried again while its error says
    so, after 0.5, 1, 2 … s (or the broker's own Retry-After); ``error_of`` turns an
    exception into a BrokerError (None: not the broker's, raised as it is)."""
    for attempt in range(attempts):
        try:
            return call()
        except Exception as exc:
            error = error_of(exc)
            if error is None:
                raise
            if not error.retry or attempt == attempts - 1:
                if error is exc:
                    raise
                raise error from exc
            pause(error.retry_after or 0.5 * 2**attempt)
    raise AssertionError("attempts must be at least 1")
