"""What a tradable symbol is: contract, pip and tick sizes, currencies and lot limits."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class AssetClass(StrEnum):
    """Broad kind of market; decides defaults such as trading days per year."""

    FX = "fx"
    METAL = "metal"
    INDEX = "index"
    CRYPTO = "crypto"


@dataclass(frozen=True)
class Instrument:
    """A tradable symbol. ``contract_size`` units of the base make one lot.

    Profit per lot for a price move ``d`` is ``d * contract_size`` in ``quote`` currency.
    """

    symbol: str
    asset_class: AssetClass
    base: str
    quote: str
    contract_size: float
    pip_size: float
    tick_size: float
    digits: int
    min_lot: float = 0.01
    max_lot: float = 100.0
    lot_step: float = 0.01
    spread_pips: float = 1.0

    @property
    def trades_weekends(self) -> bool:
        """Crypto trades 7 days a week; everything else about 252 days a year."""
        return self.asset_class is AssetClass.CRYPTO

    def round_price(self, price: float) -> float:
        """``price`` rounded to the instrument's tick (for orders sent and values shown)."""
        return round(round(price / self.tick_size) * self.tick_size, self.digits)
