"""The instrument registry: FX majors and crosses, metals, index CFDs and crypto.

Broker decorations resolve to the same instrument (``EURUSDm``, ``XAUUSD.r``, ``#US30``) and
aliases to their instrument (``GOLD`` → XAUUSD); nothing is matched by guessing, so
``EURUSDT`` stays unknown rather than becoming EURUSD.
"""

from __future__ import annotations

import re
from dataclasses import replace

from tradeloop.core.errors import InvalidInput
from tradeloop.core.instruments import AssetClass, Instrument
from tradeloop.core.text import has_control_characters

MAX_SYMBOL = 32  # as a dataset stores it

_CURRENCIES = ("EUR", "GBP", "AUD", "NZD", "USD", "CAD", "CHF", "JPY")
_FX_SPREADS = {
    "EURUSD": 1.0,
    "GBPUSD": 1.3,
    "USDJPY": 1.2,
    "AUDUSD": 1.2,
    "USDCAD": 1.6,
    "USDCHF": 1.5,
    "NZDUSD": 1.6,
}


def _fx(symbol: str) -> Instrument:
    base, quote = symbol[:3], symbol[3:]
    jpy = quote == "JPY"
    return Instrument(
        symbol=symbol,
        asset_class=AssetClass.FX,
        base=base,
        quote=quote,
        contract_size=100_000,
        pip_size=0.01 if jpy else 0.0001,
        tick_size=0.001 if jpy else 0.00001,
        digits=3 if jpy else 5,
        spread_pips=_FX_SPREADS.get(symbol, 2.5),
    )


def _index(symbol: str, quote: str, spread: float) -> Instrument:
    return Instrument(
        symbol=symbol,
        asset_class=AssetClass.INDEX,
        base=symbol,
        quote=quote,
        contract_size=1,
        pip_size=1.0,
        tick_size=0.01,
        digits=2,
        min_lot=0.1,
        max_lot=500,
        lot_step=0.1,
        spread_pips=spread,
    )


def _crypto(symbol: str, spread: float) -> Instrument:
    return Instrument(
        symbol=symbol,
        asset_class=AssetClass.CRYPTO,
        base=symbol[:3],
        quote="USD",
        contract_size=1,
        pip_size=1.0,
        tick_size=0.01,
        digits=2,
        max_lot=100,
        spread_pips=spread,
    )


def _build() -> dict[str, Instrument]:
    pairs = [
        a + b
        for a in _CURRENCIES
        for b in _CURRENCIES
        if a != b and _CURRENCIES.index(a) < _CURRENCIES.index(b)
    ]
    registry = {pair: _fx(pair) for pair in pairs}
    registry["XAUUSD"] = Instrument(
        "XAUUSD", AssetClass.METAL, "XAU", "USD", 100, 0.1, 0.01, 2, spread_pips=3.0
    )
    registry["XAGUSD"] = Instrument(
        "XAGUSD", AssetClass.METAL, "XAG", "USD", 5000, 0.01, 0.001, 3, spread_pips=3.0
    )
    for symbol, quote, spread in [
        ("US30", "USD", 3.0),
        ("US100", "USD", 1.5),
        ("US500", "USD", 0.6),
        ("DE40", "EUR", 1.5),
        ("UK100", "GBP", 1.5),
        ("JP225", "JPY", 8.0),
        ("HK50", "HKD", 8.0),
    ]:
        registry[symbol] = _index(symbol, quote, spread)
    for symbol, spread in [("BTCUSD", 30.0), ("ETHUSD", 2.0), ("LTCUSD", 0.2)]:
        registry[symbol] = _crypto(symbol, spread)
    return registry


INSTRUMENTS: dict[str, Instrument] = _build()
ALIASES = {
    "GOLD": "XAUUSD",
    "SILVER": "XAGUSD",
    "DJ30": "US30",
    "DJI": "US30",
    "WS30": "US30",
    "USA30": "US30",
    "DOW": "US30",
    "NAS100": "US100",
    "NDX": "US100",
    "USTEC": "US100",
    "USA100": "US100",
    "NSDQ100": "US100",
    "SPX500": "US500",
    "SP500": "US500",
    "SPX": "US500",
    "USA500": "US500",
    "US500CASH": "US500",
    "DE30": "DE40",
    "GER30": "DE40",
    "GER40": "DE40",
    "DAX": "DE40",
    "DAX40": "DE40",
    "FTSE100": "UK100",
    "UK100CASH": "UK100",
    "JPN225": "JP225",
    "NIKKEI225": "JP225",
    "NI225": "JP225",
    "HSI": "HK50",
    "HK50CASH": "HK50",
    "BITCOIN": "BTCUSD",
    "XBTUSD": "BTCUSD",
    "ETHEREUM": "ETHUSD",
    "LITECOIN": "LTCUSD",
}
# Crypto quoted in a US-dollar stablecoin (Binance's BTCUSDT, ccxt's BTC/USDT) is the
# registry's USD instrument: the stablecoin tracks the dollar.
for _coin in ("BTC", "ETH", "LTC"):
    for _stable in ("USDT", "USDC"):
        ALIASES[_coin + _stable] = _coin + "USD"
_DECORATION = re.compile(r"[._\-+#!]")
# A currency after the separator names another instrument (GOLD.EUR is gold in euros).
_CURRENCY_SUFFIXES = {
    "USD",
    "EUR",
    "GBP",
    "JPY",
    "AUD",
    "NZD",
    "CAD",
    "CHF",
    "HKD",
    "SGD",
    "CNH",
    "ZAR",
    "MXN",
    "TRY",
    "SEK",
    "NOK",
    "PLN",
    "USDT",
    "USDC",
}


def _lookup(name: str) -> Instrument | None:
    key = name.upper()
    key = ALIASES.get(key, key)
    return INSTRUMENTS.get(key)


def find_instrument(raw: str) -> Instrument | None:
    """The instrument for ``raw`` (a broker symbol), or None when it is not known."""
    name = raw.strip().lstrip("#.")
    if re.fullmatch(r"[A-Za-z]{2,6}/[A-Za-z]{3,5}", name):  # ccxt's BTC/USDT, XAU/USD
        name = name.replace("/", "")
    head, *rest = _DECORATION.split(name, maxsplit=1)
    if rest and rest[0].upper() in _CURRENCY_SUFFIXES:
        return _lookup(name) if name.upper() in ALIASES else None
    for candidate in (name, head, re.sub(r"[a-z]+$", "", head)):
        if candidate and (found := _lookup(candidate)) is not None:
            return found
    return None


def resolve_instrument(raw: str) -> Instrument:
    """The instrument for ``raw``; an unknown symbol is an error that says how to describe it."""
    found = find_instrument(raw)
    if found is None:
        raise InvalidInput(
            f"unknown symbol {raw!r}: give one of the known symbols (e.g. EURUSD, XAUUSD, US500, "
            "BTCUSD) or describe it with contract size, pip size and quote currency "
            "(CLI: --contract-size, --pip-size, --quote-currency)",
            [{"field": "symbol", "value": raw}],
            key="market.error.unknown_symbol",
            values={"symbol": repr(raw)},
        )
    return found


def check_symbol(symbol: str) -> str:
    """``symbol`` when it can name a described instrument: 1 to ``MAX_SYMBOL`` characters
    without control characters (a NUL cannot be stored in PostgreSQL); else InvalidInput."""
    if 0 < len(symbol) <= MAX_SYMBOL and not has_control_characters(symbol):
        return symbol
    shown = symbol if len(symbol) <= MAX_SYMBOL else symbol[:MAX_SYMBOL] + "…"
    raise InvalidInput(
        f"symbol {shown!r}: use 1 to {MAX_SYMBOL} characters without control characters "
        "(such as NUL or a line break)",
        [{"field": "symbol"}],
        key="market.error.bad_symbol",
        values={"symbol": repr(shown), "max": MAX_SYMBOL},
    )


def custom_instrument(
    symbol: str, contract_size: float, pip_size: float, quote: str, base: str | None = None
) -> Instrument:
    """An instrument the user describes (for symbols the registry does not know)."""
    check_symbol(symbol)
    if not (0 < contract_size <= 1e9 and 0 < pip_size <= 1e6):
        raise InvalidInput(
            "contract size must be in (0, 1e9] and pip size in (0, 1e6]",
            [{"field": "contract_size"}, {"field": "pip_size"}],
            key="market.error.bad_contract",
        )
    if not re.fullmatch(r"[A-Z]{3}", quote.upper()):
        raise InvalidInput(
            f"quote currency {quote!r} must be a 3-letter code such as USD",
            [{"field": "quote_currency"}],
            key="market.error.bad_quote",
            values={"quote": repr(quote)},
        )
    digits = max(0, -int(f"{pip_size:e}".split("e")[1]) + 1)
    known = find_instrument(symbol)
    template = known or Instrument(
        symbol,
        AssetClass.INDEX,
        base or symbol,
        quote.upper(),
        contract_size,
        pip_size,
        pip_size / 10,
        digits,
    )
    return replace(
        template,
        symbol=symbol,
        contract_size=contract_size,
        pip_size=pip_size,
        tick_size=pip_size / 10,
        digits=digits,
        quote=quote.upper(),
        base=base or template.base,
    )
