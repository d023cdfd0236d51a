"""Futures contract facts: root symbol, point value, and the underlying whose points compare."""

from __future__ import annotations

import re

# Money per point per contract.
POINT_VALUES: dict[str, float] = {
    "MNQ": 2,
    "NQ": 20,
    "MES": 5,
    "ES": 50,
    "MYM": 0.5,
    "YM": 5,
    "M2K": 5,
    "RTY": 50,
    "MGC": 10,
    "GC": 100,
    "SIL": 1000,
    "SI": 5000,
    "MCL": 100,
    "CL": 1000,
    "QM": 500,
    "NG": 10_000,
    "6E": 125_000,
    "M6E": 12_500,
    "6B": 62_500,
    "6J": 12_500_000,
    "6A": 100_000,
    "6C": 100_000,
    "ZB": 1000,
    "ZN": 1000,
    "ZF": 1000,
    "MBT": 0.1,
    "BTC": 5,
    "MET": 0.1,
    "ETH": 50,
}
# Micro and mini contracts share their full-size contract's points.
UNDERLYING: dict[str, str] = {
    "MNQ": "NQ",
    "MES": "ES",
    "MYM": "YM",
    "M2K": "RTY",
    "MGC": "GC",
    "SIL": "SI",
    "MCL": "CL",
    "QM": "CL",
    "M6E": "6E",
    "MBT": "BTC",
    "MET": "ETH",
}
_MONTH_CODE = re.compile(r"^([A-Z0-9]+?)([FGHJKMNQUVXZ])(\d{1,2})$")


def root(contract: str) -> str:
    """``MNQZ4`` → ``MNQ``; a symbol without a month code is its own root."""
    text = contract.strip().upper()
    match = _MONTH_CODE.match(text)
    return match.group(1) if match and match.group(1) else text


def underlying(contract: str) -> str:
    """The underlying whose points compare: MNQ and NQ → NQ; MES and ES → ES."""
    base = root(contract)
    return UNDERLYING.get(base, base)


def point_value(contract: str) -> float | None:
    """Money per point per contract, or None when unknown."""
    return POINT_VALUES.get(root(contract))
