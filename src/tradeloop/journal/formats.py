"""The export formats tradeloop reads, by key (CLI ``--format``, API ``format``)."""

from __future__ import annotations

from typing import Literal, get_args

Format = Literal[
    "auto", "tradovate", "tradovate-fills", "tradovate-performance", "ninjatrader", "mt5",
    "mt5-tester", "mt4", "das", "ibkr", "generic",
]  # fmt: skip
FORMATS: tuple[str, ...] = get_args(Format)
