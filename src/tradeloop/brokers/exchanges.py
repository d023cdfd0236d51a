"""What ccxt knows of a crypto exchange before any request is sent: whether it exists, has a
sandbox (testnet), trades futures, and which credentials it needs."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any
from urllib.parse import urlsplit


@dataclass(frozen=True)
class ExchangeFacts:
    """One exchange as ccxt describes it."""

    id: str
    name: str
    sandbox: bool  # a testnet ccxt can point at (spot)
    futures_sandbox: bool  # and for futures
    futures: bool  # perpetual swaps or dated futures
    needs_password: bool  # a passphrase besides the key and secret (OKX, Bitget, KuCoin…)


def exchange_ids() -> list[str]:
    """Every exchange id ccxt speaks, sorted."""
    import ccxt  # 0.4 s to import: only where an exchange is named

    return sorted(ccxt.exchanges)


# ccxt 4.5 refuses these exchanges' futures testnets ("not supported for futures anymore":
# Binance moved them to demo trading, which ccxt reaches another way)
NO_FUTURES_TESTNET = frozenset({"binance", "binanceusdm", "binancecoinm"})


def facts(exchange_id: str) -> ExchangeFacts | None:
    """The exchange ``exchange_id`` (ccxt's id, e.g. ``binance``), None when ccxt has none."""
    import ccxt

    return _facts(exchange_id) if exchange_id in ccxt.exchanges else None


@cache  # known ids only: at most one entry per exchange ccxt speaks
def _facts(exchange_id: str) -> ExchangeFacts:
    import ccxt

    exchange = getattr(ccxt, exchange_id)()
    has = exchange.has
    return ExchangeFacts(
        id=exchange_id,
        name=str(exchange.name or exchange_id),
        sandbox=bool(exchange.urls.get("test")),
        futures_sandbox=bool(exchange.urls.get("test")) and exchange_id not in NO_FUTURES_TESTNET,
        futures=bool(has.get("swap") or has.get("future")),
        needs_password=bool(exchange.requiredCredentials.get("password")),
    )


def _moved(urls: Any, base_url: str) -> Any:
    """ccxt's API address table with every origin replaced by ``base_url`` (paths kept)."""
    if isinstance(urls, dict):
        return {name: _moved(value, base_url) for name, value in urls.items()}
    if isinstance(urls, str) and urls.startswith(("http://", "https://")):
        return base_url.rstrip("/") + urlsplit(urls).path
    return urls


def connect(
    exchange_id: str, market_type: str, mode: str | None, credentials: dict[str, str],
    base_url: str | None = None, timeout_ms: int = 10_000,
) -> Any:  # fmt: skip
    """A ccxt client (sync) for the account: its keys, spot or futures by default, on the
    exchange's testnet in ``testnet`` mode; every API address moved to ``base_url`` instead
    when the operator set one (``TRADELOOP_CCXT_URLS``)."""
    import ccxt

    config: dict[str, Any] = {
        "enableRateLimit": True, "timeout": timeout_ms,
        "options": {"defaultType": "future" if market_type == "futures" else "spot"},
    }  # fmt: skip
    names = {"api_key": "apiKey", "api_secret": "secret", "api_password": "password"}
    config |= {names[k]: v for k, v in credentials.items() if k in names}
    exchange = getattr(ccxt, exchange_id)(config)
    if base_url:  # the operator's address stands for the exchange (its testnet included)
        exchange.urls["api"] = _moved(exchange.urls["api"], base_url)
    elif mode == "testnet":
        exchange.set_sandbox_mode(True)
    return exchange


@dataclass(frozen=True)
class KeyRights:
    """What an API key may do, as far as the exchange tells (None: it does not say)."""

    trade: bool | None
    withdraw: bool | None


def key_rights(exchange: Any) -> KeyRights:
    """The key's rights: Binance answers them (``/sapi/v1/account/apiRestrictions``); other
    exchanges do not through ccxt."""
    sandbox = bool(getattr(exchange, "isSandboxModeEnabled", False))  # testnets: no sapi
    if exchange.id not in ("binance", "binanceusdm") or not exchange.apiKey or sandbox:
        return KeyRights(None, None)
    rights = exchange.sapi_get_account_apirestrictions()
    trade_field = "enableFutures" if exchange.options.get("defaultType") == "future" else (
        "enableSpotAndMarginTrading")  # fmt: skip
    return KeyRights(bool(rights.get(trade_field)), bool(rights.get("enableWithdrawals")))


def market_symbol(exchange: Any, market: str, futures: bool) -> str | None:
    """ccxt's unified symbol of the bot's ``market`` on ``exchange`` (its markets loaded
    here): the unified name itself (``BTC/USDT``, ``BTC/USDT:USDT``) or the exchange's own id
    (``BTCUSDT``), spot or linear perpetual as the account trades; None when there is none.
    Never a different instrument: no prefix or substring matching."""
    markets = exchange.load_markets()
    wanted = market.upper()

    def fits(m: dict[str, Any]) -> bool:
        kind = bool(m.get("swap") and m.get("linear")) if futures else bool(m.get("spot"))
        return kind and bool(m.get("active", True) is not False)

    exact = markets.get(market)
    if exact is not None and fits(exact):
        return str(exact["symbol"])
    found = [m for m in markets.values() if str(m.get("id", "")).upper() == wanted and fits(m)]
    return str(found[0]["symbol"]) if len(found) == 1 else None


CCXT_TIMEFRAMES = {"M1": "1m", "M5": "5m", "M15": "15m", "M30": "30m", "H1": "1h", "H4": "4h",
                   "D1": "1d", "W1": "1w"}  # fmt: skip
