"""What a traded symbol is worth: futures roots and point values, and the registry's FX, metal,
index and crypto instruments (one lot = the contract size, in the quote currency).

``underlying`` names the market whose points compare: MNQ and NQ are both NQ; EURUSDm and
EURUSD.r are both EURUSD.
"""

from __future__ import annotations

import re

from tradeloop.market.instruments import find_instrument

# Money per point per contract, USD, for CME Group futures (equity index, crypto, energy,
# metals, FX, rates, grains, livestock) with their micro and mini versions.
POINT_VALUES: dict[str, float] = {
    "ES": 50, "MES": 5, "NQ": 20, "MNQ": 2, "YM": 5, "MYM": 0.5, "RTY": 50, "M2K": 5,
    "EMD": 100, "NKD": 5, "MNK": 0.5,
    "BTC": 5, "MBT": 0.1, "ETH": 50, "MET": 0.1,
    "CL": 1000, "MCL": 100, "QM": 500, "BZ": 1000, "NG": 10_000, "QG": 2500, "MNG": 1000,
    "RB": 42_000, "HO": 42_000,
    "GC": 100, "MGC": 10, "QO": 50, "1OZ": 1, "SI": 5000, "SIL": 1000, "QI": 2500,
    "HG": 25_000, "MHG": 2500, "QC": 12_500, "PL": 50, "PA": 100,
    "6E": 125_000, "M6E": 12_500, "E7": 62_500, "6B": 62_500, "M6B": 6250,
    "6J": 12_500_000, "J7": 6_250_000, "MJY": 1_250_000, "6A": 100_000, "M6A": 10_000,
    "6C": 100_000, "MCD": 10_000, "6S": 125_000, "MSF": 12_500, "6N": 100_000, "6M": 500_000,
    "ZB": 1000, "UB": 1000, "ZN": 1000, "TN": 1000, "ZF": 1000, "ZT": 2000,
    "2YY": 1000, "5YY": 1000, "10Y": 1000, "30Y": 1000, "SR3": 2500, "ZQ": 4167,
    "ZC": 50, "XC": 10, "MZC": 5, "ZW": 50, "XW": 10, "MZW": 5, "ZS": 50, "XK": 10, "MZS": 5,
    "ZM": 100, "ZL": 600, "ZO": 50, "ZR": 2000, "LE": 400, "HE": 400, "GF": 500,
}  # fmt: skip
# Micro and mini contracts share their full-size contract's points.
UNDERLYING: dict[str, str] = {
    "MES": "ES", "MNQ": "NQ", "MYM": "YM", "M2K": "RTY", "MNK": "NKD",
    "MBT": "BTC", "MET": "ETH", "MCL": "CL", "QM": "CL", "QG": "NG", "MNG": "NG",
    "MGC": "GC", "QO": "GC", "1OZ": "GC", "SIL": "SI", "QI": "SI", "MHG": "HG", "QC": "HG",
    "M6E": "6E", "E7": "6E", "M6B": "6B", "MJY": "6J", "J7": "6J", "M6A": "6A", "MCD": "6C",
    "MSF": "6S", "XC": "ZC", "MZC": "ZC", "XW": "ZW", "MZW": "ZW", "XK": "ZS", "MZS": "ZS",
}  # fmt: skip
_MONTH_CODE = re.compile(r"^([A-Z0-9]+?)([FGHJKMNQUVXZ])(\d{1,2})$")
_MONTH_NAME = re.compile(
    r"^(\S+)\s+(?:(?:JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC)\d{2}|\d{2}-\d{2})$"
)  # NinjaTrader: "MNQ MAR25", and "ES 03-25" in older versions


def root(contract: str) -> str:
    """``MNQZ4`` and NinjaTrader's ``MNQ MAR25`` or ``MNQ 03-25`` → ``MNQ``; registry symbols
    (``HK50``) and symbols without a month code are their own root."""
    text = contract.strip().upper()
    if (named := _MONTH_NAME.match(text)) is not None:
        return named.group(1)
    match = _MONTH_CODE.match(text)
    if match is None:
        return text
    base = match.group(1)  # HK50 is the index, not an H contract expiring in K50
    known = base in POINT_VALUES or (len(base) >= 2 and find_instrument(text) is None)
    return base if known else text


def underlying(contract: str) -> str:
    """The market whose points compare: MNQ and NQ → NQ; EURUSD.r → EURUSD."""
    base = root(contract)
    if base in POINT_VALUES:
        return UNDERLYING.get(base, base)
    instrument = find_instrument(contract)
    return instrument.symbol if instrument is not None else base


def point_value(contract: str) -> float | None:
    """Money per point per contract (per lot for registry instruments), or None."""
    futures = POINT_VALUES.get(root(contract))
    if futures is not None:
        return float(futures)
    instrument = find_instrument(contract)
    return float(instrument.contract_size) if instrument is not None else None


def value_currency(contract: str) -> str:
    """The currency ``point_value`` is in: USD for CME futures, the quote currency of a
    registry instrument, "" when unknown."""
    if root(contract) in POINT_VALUES:
        return "USD"
    instrument = find_instrument(contract)
    return instrument.quote if instrument is not None else ""
