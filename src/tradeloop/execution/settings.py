"""How orders are filled, sized and charged in a backtest (and, later, a paper bot)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from tradeloop.core.instruments import Instrument

MIN_PIPS = 0.1  # a stop or target closer than a tenth of a pip is not a level
MIN_ATR = 0.1
MAX_RISK_PERCENT = 10.0  # as for bots: more per trade is a bet, not a plan
MIN_CASH, MAX_CASH = 1.0, 1e12


class ExecutionSettings(BaseModel):
    """Fill rule, stop and target, sizing and costs. Unset costs are zero, except the spread,
    which defaults to the instrument's typical spread (set ``spread_pips=0`` to remove it).

    Numbers are strict: ``true`` is not 1 (a form's text is read with ``strict=False``).
    Bounds keep a run meaningful: a stop or target of at least 0.1 pip (or 0.1 × ATR), at
    most ``MAX_RISK_PERCENT`` % of equity at risk per trade, a starting balance of 1 to 1e12."""

    model_config = ConfigDict(extra="forbid")

    fill: Literal["next_open", "close"] = "next_open"
    sl_pips: float | None = Field(default=None, ge=MIN_PIPS, le=1_000_000, strict=True)
    tp_pips: float | None = Field(default=None, ge=MIN_PIPS, le=1_000_000, strict=True)
    sl_atr: float | None = Field(default=None, ge=MIN_ATR, le=100, strict=True)
    tp_atr: float | None = Field(default=None, ge=MIN_ATR, le=100, strict=True)
    atr_period: int = Field(default=14, ge=1, le=500, strict=True)
    lots: float | None = Field(default=None, gt=0, le=100_000, strict=True)
    units: float | None = Field(default=None, gt=0, le=1e12, strict=True)
    risk_percent: float | None = Field(default=None, gt=0, le=MAX_RISK_PERCENT, strict=True)
    spread_pips: float | None = Field(default=None, ge=0, le=100_000, strict=True)
    commission: float = Field(
        default=0.0, ge=0, le=100_000, strict=True, description="per lot per side"
    )
    slippage_pips: float = Field(default=0.0, ge=0, le=100_000, strict=True)
    on_opposite: Literal["ignore", "reverse"] = "ignore"
    initial_cash: float = Field(default=10_000.0, ge=MIN_CASH, le=MAX_CASH, strict=True)
    conversion_rate: float | None = Field(
        default=None,
        gt=0,
        le=1e9,
        strict=True,
        description="quote→account currency rate for crosses",
    )

    @model_validator(mode="after")
    def _consistent(self) -> ExecutionSettings:
        if self.sl_pips is not None and self.sl_atr is not None:
            raise ValueError("give the stop either in pips (sl_pips) or in ATR (sl_atr), not both")
        if self.tp_pips is not None and self.tp_atr is not None:
            raise ValueError(
                "give the target either in pips (tp_pips) or in ATR (tp_atr), not both"
            )
        sizing = [
            name for name in ("lots", "units", "risk_percent") if getattr(self, name) is not None
        ]
        if len(sizing) > 1:
            raise ValueError(f"choose one way to size trades, not {' and '.join(sizing)}")
        if self.risk_percent is not None and self.sl_pips is None and self.sl_atr is None:
            raise ValueError("risk_percent sizing needs a stop: set sl_pips or sl_atr")
        return self

    def spread(self, instrument: Instrument) -> float:
        """The spread in pips: the given one or the instrument's typical spread."""
        return instrument.spread_pips if self.spread_pips is None else self.spread_pips
