"""The ``Strategy`` base: a typed parameter model and one vectorised ``signals`` function.

``signals(bars)`` returns, for every bar, +1 (go long), -1 (go short) or 0 (flat: no signal),
read at that bar's close and computed only from bars up to it. A strategy may also say when
to leave a position (``exit_long`` / ``exit_short``). Backtests and bots call the same code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

from tradeloop.core.errors import InvalidInput


@dataclass(frozen=True)
class Param:
    """One strategy parameter: its type, default, bounds and labels in both languages."""

    name: str
    label_id: str
    label_en: str
    default: int | float | bool
    minimum: float | None = None
    maximum: float | None = None
    step: float | None = None

    @property
    def kind(self) -> type:
        """``int``, ``float`` or ``bool``, taken from the default."""
        return type(self.default)

    def schema(self) -> dict[str, Any]:
        """The parameter as plain data for forms and the API."""
        return {
            "name": self.name,
            "type": self.kind.__name__,
            "default": self.default,
            "minimum": self.minimum,
            "maximum": self.maximum,
            "step": self.step,
            "label": {"id": self.label_id, "en": self.label_en},
        }


@dataclass(frozen=True)
class Signals:
    """Entry signals (+1/-1/0 per bar) and optional exit flags for open positions."""

    entries: np.ndarray
    exit_long: np.ndarray | None = None
    exit_short: np.ndarray | None = None


class Strategy:
    """Subclasses set ``key``, ``title``, ``description``, ``params`` and implement ``compute``."""

    key: ClassVar[str]
    title: ClassVar[str]
    description: ClassVar[dict[str, str]]
    params: ClassVar[tuple[Param, ...]]
    _model: ClassVar[type[BaseModel]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        fields: dict[str, Any] = {}
        for p in cls.params:
            bounds = {} if p.kind is bool else {"ge": p.minimum, "le": p.maximum}
            fields[p.name] = (
                p.kind,
                Field(default=p.default, strict=p.kind is not float, **bounds),
            )
        cls._model = create_model(
            f"{cls.__name__}Params", __config__=ConfigDict(extra="forbid"), **fields
        )

    def __init__(self, **values: Any) -> None:
        try:
            model = self._model.model_validate(values)
        except ValidationError as exc:
            details = [
                {"field": ".".join(map(str, e["loc"])), "message": e["msg"]} for e in exc.errors()
            ]
            text = "; ".join(f"{d['field']}: {d['message']}" for d in details)
            raise InvalidInput(f"invalid parameters for {self.key}: {text}", details) from exc
        self.values: dict[str, Any] = model.model_dump()
        self.check()

    def check(self) -> None:
        """Cross-parameter rules (e.g. fast period below slow period); raise InvalidInput."""

    def warmup(self) -> int:
        """Bars needed before the first signal can appear."""
        return (
            int(
                max(
                    (
                        v
                        for v in self.values.values()
                        if isinstance(v, int) and not isinstance(v, bool)
                    ),
                    default=1,
                )
            )
            + 2
        )

    def compute(
        self,
        o: np.ndarray,
        h: np.ndarray,
        low: np.ndarray,
        c: np.ndarray,
        v: np.ndarray,
        times: pd.DatetimeIndex,
    ) -> Signals:
        """The signals for float64 arrays of open, high, low, close, volume."""
        raise NotImplementedError

    def lines(
        self,
        o: np.ndarray,
        h: np.ndarray,
        low: np.ndarray,
        c: np.ndarray,
        v: np.ndarray,
        times: pd.DatetimeIndex,
    ) -> dict[str, np.ndarray]:
        """The indicator series drawn over the price (name → value per bar, NaN while it warms
        up), as the strategy computes them; none by default. Names have a label
        ``strategy.line.<name>`` in the catalogues."""
        return {}

    @staticmethod
    def _arrays(bars: pd.DataFrame) -> list[np.ndarray]:
        return [
            np.ascontiguousarray(bars[col].to_numpy(dtype=np.float64))
            for col in ("open", "high", "low", "close", "volume")
        ]

    def signals(self, bars: pd.DataFrame) -> Signals:
        """Signals for a bar frame; each bar's value depends only on bars up to it."""
        return self.compute(*self._arrays(bars), bars.index)

    def indicators(self, bars: pd.DataFrame) -> dict[str, np.ndarray]:
        """The strategy's price-overlay indicator series for a bar frame (see ``lines``)."""
        return self.lines(*self._arrays(bars), bars.index)

    @classmethod
    def describe(cls) -> dict[str, Any]:
        """Key, title, descriptions and the parameter schema."""
        return {
            "key": cls.key,
            "title": cls.title,
            "description": cls.description,
            "params": [p.schema() for p in cls.params],
        }


REGISTRY: dict[str, type[Strategy]] = {}


def register(cls: type[Strategy]) -> type[Strategy]:
    """Class decorator adding a strategy to the registry."""
    REGISTRY[cls.key] = cls
    return cls


def get_strategy(key: str, params: dict[str, Any] | None = None) -> Strategy:
    """The strategy ``key`` with validated ``params``; InvalidInput for unknown keys."""
    from tradeloop.strategies import library  # noqa: F401  (fills the registry)

    if key not in REGISTRY:
        raise InvalidInput(
            f"unknown strategy {key!r}: choose one of {', '.join(sorted(REGISTRY))}",
            [{"field": "strategy", "value": key}],
        )
    return REGISTRY[key](**(params or {}))


def all_strategies() -> list[type[Strategy]]:
    """Every registered strategy, in library order."""
    from tradeloop.strategies import library  # noqa: F401

    return list(REGISTRY.values())
