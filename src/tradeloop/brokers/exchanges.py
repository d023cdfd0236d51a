"""What ccxt knows of a crypto exchange before any request is sent: whether it exists, has a
sandbox (testnet), trades futures, and which credentials it needs."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache


@dataclass(frozen=True)
class ExchangeFacts:
    """One exchange as ccxt describes it."""

    id: str
    name: str
    sandbox: bool  # a testnet ccxt can point at
    futures: bool  # perpetual swaps or dated futures
    needs_password: bool  # a passphrase besides the key and secret (OKX, Bitget, KuCoin…)


def exchange_ids() -> list[str]:
    """Every exchange id ccxt speaks, sorted."""
    import ccxt  # 0.4 s to import: only where an exchange is named

    return sorted(ccxt.exchanges)


@cache
def facts(exchange_id: str) -> ExchangeFacts | None:
    """The exchange ``exchange_id`` (ccxt's id, e.g. ``binance``), None when ccxt has none."""
    import ccxt

    if exchange_id not in ccxt.exchanges:
        return None
    exchange = getattr(ccxt, exchange_id)()
    has = exchange.has
    return ExchangeFacts(
        id=exchange_id,
        name=str(exchange.name or exchange_id),
        sandbox=bool(exchange.urls.get("test")),
        futures=bool(has.get("swap") or has.get("future")),
        needs_password=bool(exchange.requiredCredentials.get("password")),
    )
