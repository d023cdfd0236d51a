"""A live feed of closed bars from a crypto exchange, polled through ccxt's ``fetch_ohlcv``.

Each bar is given once, oldest first, and only when its period has ended by the exchange's
clock: the last kline an exchange returns is usually still forming. The clock is read before
the bars are asked for, so a bar judged closed is final in the answer. Every request asks for
the bars ``since`` the first one not given yet: bars missed while the connection was down (or
while the consumer paused) come first, in order, page by page, before new ones. Between bars
the feed sleeps until the next one closes, plus ``grace``.

Errors go through ``errors`` (``brokers.errors.broker_error``, passed in: market data sits above
the brokers layer). One worth retrying (network, rate limit, maintenance) is waited out, as
long as it lasts: its ``retry_after`` (a rate limit's ``Retry-After``) or a doubling backoff of
at most ``max_backoff`` seconds, with ``error`` holding it meanwhile; any other is raised and
ends the feed. Synchronous like the broker: a bot supervisor iterates it on a worker thread,
and ``stop()`` from any thread ends it, waking a wait."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import pandas as pd

from tradeloop.core.errors import InvalidInput
from tradeloop.market.feeds import Bar


class CcxtFeed:
    """Closed bars of ``symbol`` (ccxt's unified name) at ``timeframe`` (``1m``, ``1h``, ``1d``…)
    from ``exchange`` (a sync ccxt client), starting with the bar opening at ``since`` (or with
    the newest closed bar). ``clock`` gives the exchange's time in ms (default: its
    ``fetch_time``, once per poll); ``sleep`` waits seconds (default: until ``stop()``)."""

    def __init__(
        self, exchange: Any, symbol: str, timeframe: str, *,
        errors: Callable[[Exception, float | None], Exception],
        since: datetime | None = None, limit: int = 500, grace: float = 1.0,
        backoff: float = 1.0, max_backoff: float = 60.0,
        clock: Callable[[], float] | None = None, sleep: Callable[[float], Any] | None = None,
    ) -> None:  # fmt: skip
        if timeframe.endswith("M"):
            raise InvalidInput(f"{timeframe} bars are calendar months, whose length varies: "
                               "the live feed takes fixed timeframes (1m to 1w)")  # fmt: skip
        self.exchange, self.symbol, self.timeframe = exchange, symbol, timeframe
        self.errors = errors
        self.step = int(exchange.parse_timeframe(timeframe) * 1000)  # ms per bar
        self.limit, self.grace = limit, grace
        self.backoff, self.max_backoff = backoff, max_backoff
        self.next_open: int | None = None if since is None else _ms(pd.Timestamp(since))
        self.last: Bar | None = None  # the last bar given
        self.error: Exception | None = None  # the error being waited out, if any
        self._failures = 0
        self._stopped = threading.Event()
        has_time = exchange.has.get("fetchTime")
        self.clock = clock or (exchange.fetch_time if has_time else exchange.milliseconds)
        self.sleep = sleep or self._stopped.wait

    def stop(self) -> None:
        """End the iteration: at once while waiting, else once the request under way is done."""
        self._stopped.set()

    def poll(self) -> tuple[list[Bar], float]:
        """One request, never waiting: the closed bars not given yet (each given once), and
        the seconds until the next one closes when there are none (a supervisor that must
        do other work between polls asks this instead of iterating)."""
        bars, wait = self._poll()
        if bars:
            self.last, self.next_open = bars[-1], _ms(bars[-1].time) + self.step
        return bars, wait

    def __iter__(self) -> Iterator[Bar]:
        while not self._stopped.is_set():
            bars, wait = self._poll()
            for bar in bars:
                if self._stopped.is_set():
                    return
                self.last, self.next_open = bar, _ms(bar.time) + self.step
                yield bar
            if not bars:
                self.sleep(wait)

    def _poll(self) -> tuple[list[Bar], float]:
        """The closed bars not given yet (one request), and the seconds to wait when none."""
        import ccxt

        try:
            now = int(self.clock())  # first: a bar closed by now is final in the answer below
            limit = self.limit if self.next_open is not None else 2
            rows = self.exchange.fetch_ohlcv(self.symbol, self.timeframe, self.next_open, limit)
        except ccxt.BaseError as exc:
            error = self.errors(exc, _retry_after(self.exchange, exc))
            if not getattr(error, "retry", False):
                raise error from exc
            self.error, self._failures = error, self._failures + 1
            backoff = min(self.backoff * 2 ** (self._failures - 1), self.max_backoff)
            return [], getattr(error, "retry_after", None) or backoff
        self.error, self._failures = None, 0
        start = -1 if self.next_open is None else self.next_open
        closed = {int(r[0]): r for r in rows if int(r[0]) >= start and r[0] + self.step <= now}
        bars = [_bar(closed[t]) for t in sorted(closed)]
        return (bars if self.next_open is not None else bars[-1:]), self._until_close(now, rows)

    def _until_close(self, now: int, rows: list[list[Any]]) -> float:
        """Seconds until the first bar not given yet closes (when that is past, as for a
        period without trades, the next bar to close), plus the grace."""
        if self.next_open is not None:
            close = self.next_open + self.step
        else:
            close = (int(rows[-1][0]) if rows else now) + self.step
        if close <= now:
            close += ((now - close) // self.step + 1) * self.step
        return (close - now) / 1000 + self.grace


def _ms(time: pd.Timestamp) -> int:
    return round(time.timestamp() * 1000)


def _bar(row: list[Any]) -> Bar:
    time = pd.Timestamp(int(row[0]), unit="ms", tz="UTC")
    return Bar(time, *(float(v) for v in row[1:5]), volume=float(row[5] or 0))


def _retry_after(exchange: Any, exc: Exception) -> float | None:
    """The seconds a rate-limit answer's ``Retry-After`` header asks for."""
    import ccxt

    if not isinstance(exc, ccxt.DDoSProtection | ccxt.RateLimitExceeded):
        return None
    headers = exchange.last_response_headers or {}
    value = next((v for k, v in headers.items() if k.lower() == "retry-after"), None)
    try:
        return float(value) if value is not None else None
    except ValueError:  # an HTTP date: the backoff instead
        return None
