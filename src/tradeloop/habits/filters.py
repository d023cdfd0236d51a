"""One trade filter for the journal API and the mentor's tools.

A trade belongs to the local day it closed; hours are the local hour it was entered, and
``hour_from`` above ``hour_to`` wraps midnight (22 to 2 is the night session). Results (win,
loss, flat) follow the journal's unit: money when it is known, else points.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator

from tradeloop.core.dates import CalendarDay
from tradeloop.habits.detectors import MISTAKES, has_mistake

Mistake = Literal["no_stop_loss", "excessive_risk", "outsized_loss", "revenge_trade"]
Sort = Literal[
    "exit_time", "-exit_time", "pnl", "-pnl", "pnl_points", "-pnl_points", "risk_points",
    "-risk_points",
]  # fmt: skip
assert set(MISTAKES) == set(Mistake.__args__)  # type: ignore[attr-defined]


def ordered(model: BaseModel, *pairs: tuple[str, str]) -> None:
    """Refuse a range whose lower bound is above its upper bound, naming both fields."""
    for low, high in pairs:
        a, b = getattr(model, low), getattr(model, high)
        if a is not None and b is not None and a > b:
            raise ValueError(
                f"{low} ({a}) is {'after' if isinstance(a, date) else 'above'} {high} ({b})"
            )


class TradeFilter(BaseModel):
    """Which trades: dates, hours, side, symbol, result, mistakes, risk and loss bounds, and
    the order."""

    model_config = ConfigDict(extra="forbid")

    start: CalendarDay | None = Field(default=None, description="first local day a trade closed")
    end: CalendarDay | None = Field(default=None, description="last local day a trade closed")
    hour_from: int | None = Field(
        default=None, ge=0, le=23, description="local entry hour; above hour_to wraps midnight"
    )
    hour_to: int | None = Field(default=None, ge=0, le=23, description="local entry hour")
    side: Literal["buy", "sell"] | None = None
    symbol: str | None = Field(default=None, max_length=32)
    result: Literal["win", "loss", "flat"] | None = None
    mistakes: list[Mistake] = Field(default_factory=list, max_length=4)
    clean: bool | None = Field(default=None, description="true: no mistake; false: any mistake")
    min_risk: float | None = Field(default=None, ge=0)
    max_risk: float | None = Field(default=None, ge=0)
    min_loss: float | None = Field(default=None, ge=0, description="points lost per contract")
    max_loss: float | None = Field(default=None, ge=0)
    sort: Sort = "exit_time"

    @model_validator(mode="after")
    def _ranges(self) -> TradeFilter:
        ordered(self, ("start", "end"), ("min_risk", "max_risk"), ("min_loss", "max_loss"))
        return self


def select_trades(trades: pd.DataFrame, f: TradeFilter, tz: str) -> pd.DataFrame:
    """The analysed trades matching ``f``, in its order (missing values last)."""
    t = trades
    keep = pd.Series(True, index=t.index)
    if f.start is not None or f.end is not None:
        closed = t["exit_time"].dt.tz_convert(tz).dt.date
        keep &= closed >= (f.start or date.min)
        keep &= closed <= (f.end or date.max)
    if f.hour_from is not None or f.hour_to is not None:
        hour = t["entry_time"].dt.tz_convert(tz).dt.hour
        low, high = (
            f.hour_from if f.hour_from is not None else 0,
            f.hour_to if f.hour_to is not None else 23,
        )
        keep &= (hour >= low) & (hour <= high) if low <= high else (hour >= low) | (hour <= high)
    if f.side:
        keep &= t["side"] == f.side
    if f.symbol:
        name = f.symbol.upper()
        keep &= (t["symbol"] == name) | (t["underlying"] == name)
    if f.result:
        keep &= {"win": t["pnl"] > 0, "loss": t["pnl"] < 0, "flat": t["pnl"] == 0}[f.result]
    for code in f.mistakes:
        keep &= has_mistake(t, [code])
    if f.clean is not None:
        keep &= ~has_mistake(t) == f.clean
    bounds = (
        (f.min_risk, t["risk_points"] >= (f.min_risk or 0)),
        (f.max_risk, t["risk_points"] <= (f.max_risk or 0)),
        (f.min_loss, -t["points"] >= (f.min_loss or 0)),
        (f.max_loss, -t["points"] <= (f.max_loss or 0)),
    )
    for given, condition in bounds:
        if given is not None:
            keep &= condition
    return t[keep].sort_values(
        f.sort.lstrip("-"), ascending=not f.sort.startswith("-"), kind="stable", na_position="last"
    )
