"""A bot's configuration as users submit it, validated with bounds."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, StringConstraints, field_validator
from pydantic_core import PydanticCustomError

from tradeloop.bots.protections import DailyLossLimit, LosingStreak, Protection, StopCooldown
from tradeloop.core.codes import StopMode
from tradeloop.core.text import PRINTABLE

Timeframe = Literal["M1", "M5", "M15", "M30", "H1", "H4", "D1", "W1"]
Symbol = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=32, pattern=r"^[\w.#-]+$"),
]
StrategyKey = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{1,39}$")]
BotName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=100, pattern=PRINTABLE),
]
NULLABLE_FIELDS = {"risk_percent", "protections"}


def _alias(name: str) -> AliasChoices:
    """A field also accepted under the execution settings' name (``lots``, ``sl_atr``…)."""
    return AliasChoices(name, _FIELD_OF[name])


_FIELD_OF = {"lots": "lot_size", "sl_atr": "sl_atr_multiplier", "tp_atr": "tp_atr_multiplier"}


class ProtectionSettings(BaseModel):
    """Which protections pause a bot's new entries (each off when not given): after
    ``losing_streak`` losses in a row for ``streak_pause_hours``; after losing
    ``daily_loss_limit`` (account currency) in a UTC day until the next; after a stop-out for
    ``stop_cooldown_hours``."""

    model_config = ConfigDict(extra="forbid")

    losing_streak: int | None = Field(default=None, ge=1, le=50, strict=True)
    streak_pause_hours: float = Field(default=24.0, gt=0, le=24 * 30, strict=True)
    daily_loss_limit: float | None = Field(default=None, gt=0, le=1e9, strict=True)
    stop_cooldown_hours: float | None = Field(default=None, gt=0, le=24 * 30, strict=True)

    def build(self) -> list[Protection]:
        """The protections these settings turn on."""
        chosen: list[Protection] = []
        if self.losing_streak is not None:
            chosen.append(
                LosingStreak(self.losing_streak, timedelta(hours=self.streak_pause_hours))
            )
        if self.daily_loss_limit is not None:
            chosen.append(DailyLossLimit(self.daily_loss_limit))
        if self.stop_cooldown_hours is not None:
            chosen.append(StopCooldown(timedelta(hours=self.stop_cooldown_hours)))
        return chosen


class BotSettings(BaseModel):
    """Everything a bot needs to trade: market, timeframe, strategy, sizing, stop and target.
    Numbers are strict (JSON ``true`` is not 1); a form's text is validated with
    ``strict=False``."""

    model_config = ConfigDict(extra="forbid")

    name: BotName
    market: Symbol
    timeframe: Timeframe = "H1"
    strategy: StrategyKey
    strategy_params: dict[str, Any] = Field(default_factory=dict)
    lot_size: float = Field(
        default=0.01, gt=0, le=100, strict=True, validation_alias=_alias("lots")
    )
    risk_percent: float | None = Field(default=None, gt=0, le=10, strict=True)
    stop_mode: StopMode = StopMode.PIPS
    sl_pips: int = Field(default=100, ge=1, le=100_000, strict=True)
    tp_pips: int = Field(default=200, ge=1, le=100_000, strict=True)
    sl_atr_multiplier: float = Field(
        default=2.0, ge=0.1, le=20, strict=True, validation_alias=_alias("sl_atr")
    )
    tp_atr_multiplier: float = Field(
        default=4.0, ge=0.1, le=20, strict=True, validation_alias=_alias("tp_atr")
    )
    check_interval_seconds: int = Field(default=60, ge=5, le=86_400, strict=True)
    enable_strategy_switching: bool = False
    protections: ProtectionSettings | None = None


class BotUpdate(BaseModel):
    """A partial change of a bot's settings."""

    model_config = ConfigDict(extra="forbid")

    name: BotName | None = None
    market: Symbol | None = None
    timeframe: Timeframe | None = None
    strategy: StrategyKey | None = None
    strategy_params: dict[str, Any] | None = None
    lot_size: float | None = Field(
        default=None, gt=0, le=100, strict=True, validation_alias=_alias("lots")
    )
    risk_percent: float | None = Field(default=None, gt=0, le=10, strict=True)
    stop_mode: StopMode | None = None
    sl_pips: int | None = Field(default=None, ge=1, le=100_000, strict=True)
    tp_pips: int | None = Field(default=None, ge=1, le=100_000, strict=True)
    sl_atr_multiplier: float | None = Field(
        default=None, ge=0.1, le=20, strict=True, validation_alias=_alias("sl_atr")
    )
    tp_atr_multiplier: float | None = Field(
        default=None, ge=0.1, le=20, strict=True, validation_alias=_alias("tp_atr")
    )
    check_interval_seconds: int | None = Field(default=None, ge=5, le=86_400, strict=True)
    enable_strategy_switching: bool | None = None
    protections: ProtectionSettings | None = None

    @field_validator("*", mode="before")
    @classmethod
    def _not_null(cls, value: object, info: object) -> object:
        name = getattr(info, "field_name", "")
        if value is None and name not in NULLABLE_FIELDS:
            raise PydanticCustomError(
                "not_null", "may not be null: leave the field out to keep its value"
            )
        return value
