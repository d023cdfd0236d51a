"""The instrument registry: aliases and broker suffixes, and no silent defaults."""

from __future__ import annotations

import pytest

from tradeloop.core.errors import InvalidInput
from tradeloop.market.instruments import (
    INSTRUMENTS,
    custom_instrument,
    find_instrument,
    resolve_instrument,
)


@pytest.mark.parametrize(
    ("raw", "symbol"),
    [
        ("EURUSD", "EURUSD"),
        ("EURUSDm", "EURUSD"),
        ("eurusd", "EURUSD"),
        ("EURUSD.r", "EURUSD"),
        ("EURUSD-ECN", "EURUSD"),
        ("XAUUSD.r", "XAUUSD"),
        ("GOLD", "XAUUSD"),
        ("XAUUSDc", "XAUUSD"),
        ("#US30", "US30"),
        ("US500.cash", "US500"),
        ("SPX500", "US500"),
        ("NAS100", "US100"),
        ("USTEC", "US100"),
        ("GER40", "DE40"),
        ("DE30", "DE40"),
        ("FTSE100", "UK100"),
        ("JPN225", "JP225"),
        ("HK50", "HK50"),
        ("BTCUSD", "BTCUSD"),
        ("ETHUSD.a", "ETHUSD"),
        ("LTCUSD", "LTCUSD"),
        ("SILVER", "XAGUSD"),
        ("GBPJPY+", "GBPJPY"),
        ("BTCUSDT", "BTCUSD"),  # Binance: a dollar stablecoin quote is the USD instrument
        ("BTC/USDT", "BTCUSD"),  # ccxt's spelling
        ("ETHUSDC", "ETHUSD"),
        ("XAU/USD", "XAUUSD"),
    ],
)
def test_aliases_and_suffixes_resolve_to_the_same_instrument(raw: str, symbol: str) -> None:
    assert resolve_instrument(raw).symbol == symbol


@pytest.mark.parametrize(
    "raw",
    [
        "EURUSDT",  # a stablecoin quote is not a currency pair
        "XAUEUR",
        "BTCEUR",
        "US2000",
        "EUR",
        "",
        "GOLDEN",
        "GOLD.EUR",
        "US500_EUR",
        "BTCUSD.JPY",
        "XAUUSD-USDT",
    ],
)
def test_lookalikes_are_unknown_not_guessed(raw: str) -> None:
    assert find_instrument(raw) is None


def test_unknown_symbol_says_how_to_describe_it() -> None:
    with pytest.raises(
        InvalidInput, match="unknown symbol 'MYCOIN'.*--contract-size, --pip-size, --quote-currency"
    ):
        resolve_instrument("MYCOIN")


def test_registry_covers_majors_crosses_metals_indices_and_crypto() -> None:
    fx = [s for s, i in INSTRUMENTS.items() if i.asset_class == "fx"]
    assert len(fx) == 28
    for symbol in (
        "XAUUSD",
        "XAGUSD",
        "US30",
        "US100",
        "US500",
        "DE40",
        "UK100",
        "JP225",
        "HK50",
        "BTCUSD",
        "ETHUSD",
        "LTCUSD",
        "EURGBP",
        "AUDNZD",
        "CADJPY",
    ):
        assert symbol in INSTRUMENTS


def test_instrument_facts() -> None:
    eurusd, usdjpy, gold = (resolve_instrument(s) for s in ("EURUSD", "USDJPY", "XAUUSD"))
    assert (eurusd.pip_size, eurusd.contract_size, eurusd.digits, eurusd.quote) == (
        0.0001,
        100_000,
        5,
        "USD",
    )
    assert (usdjpy.pip_size, usdjpy.digits, usdjpy.base, usdjpy.quote) == (0.01, 3, "USD", "JPY")
    assert (gold.contract_size, gold.quote) == (100, "USD")
    assert resolve_instrument("BTCUSD").trades_weekends and not eurusd.trades_weekends
    assert eurusd.round_price(1.1234567) == 1.12346


def test_custom_instruments_are_described_by_the_user() -> None:
    coin = custom_instrument("MYCOIN", contract_size=10, pip_size=0.01, quote="usd")
    assert (coin.contract_size, coin.pip_size, coin.quote) == (10, 0.01, "USD")
    with pytest.raises(InvalidInput, match="quote currency 'dollars'"):
        custom_instrument("MYCOIN", 10, 0.01, "dollars")
    for size, pip in [(0, 0.01), (1e308, 0.01), (10, float("inf")), (10, float("nan"))]:
        with pytest.raises(InvalidInput, match="contract size must be in"):
            custom_instrument("MYCOIN", size, pip, "USD")
