"""What a sweep tries: each swept name's values (``NAME=a,b,c`` or ``NAME=start:stop:step``,
``stop`` included, floats allowed), the combinations of a grid or a seeded random draw,
and the constraints that skip some of them, each with its reason."""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import numpy as np

from tradeloop.backtest.constraints import Constraint, ConstraintError
from tradeloop.core.errors import InvalidInput

MAX_COMBINATIONS = 10_000
MAX_VALUES = 100_000  # values one range may give


def _invalid(spec: str, problem: str, code: str, **values: object) -> InvalidInput:
    """The grid's problem: in English for the command line, and by its catalogue key
    ``optimise.error.grid_<code>`` for the pages and the API."""
    return InvalidInput(
        f"--grid {spec!r}: {problem}", [{"field": "grids"}], f"optimise.error.grid_{code}",
        {"spec": spec, **values},
    )  # fmt: skip


def _number(spec: str, text: str) -> float | int:
    try:
        value = Decimal(text.strip())
    except InvalidOperation as exc:
        raise _invalid(
            spec, f"{text.strip()!r} is not a number", "number", text=text.strip()
        ) from exc
    if not value.is_finite():
        raise _invalid(
            spec, f"{text.strip()!r} is not a finite number", "finite", text=text.strip()
        )
    return int(value) if value == value.to_integral_value() and "." not in text else float(value)


def parse_grid(spec: str, known: Iterable[str]) -> tuple[str, list[float | int]]:
    """``NAME=a,b,c`` or ``NAME=start:stop:step`` as the name and its values (a range holds
    ``stop`` when the steps reach it, counted in decimals: ``1:2:0.1`` gives eleven values);
    InvalidInput naming the problem."""
    name, equals, rest = spec.partition("=")
    name = name.strip()
    names = sorted(known)
    if not equals or not name or not rest.strip():
        raise _invalid(spec, "write NAME=a,b,c or NAME=start:stop:step", "form")
    if name not in names:
        raise _invalid(spec, f"unknown name {name!r} (known: {', '.join(names)})", "unknown",
                       name=name, known=", ".join(names))  # fmt: skip
    if ":" in rest:
        parts = rest.split(":")
        if len(parts) != 3:
            raise _invalid(spec, "a range is start:stop:step", "range")
        start, stop, step = (Decimal(str(_number(spec, p))) for p in parts)
        if step <= 0:
            raise _invalid(spec, "the step must be above 0", "step")
        if stop < start:
            raise _invalid(spec, "the stop is below the start", "stop")
        count = int((stop - start) / step) + 1
        if count > MAX_VALUES:
            raise _invalid(spec, f"{count:,} values: at most {MAX_VALUES:,}", "values",
                           count=count, limit=MAX_VALUES)  # fmt: skip
        whole = all(v == v.to_integral_value() for v in (start, step))
        values = [start + k * step for k in range(count)]
        return name, [int(v) if whole else float(v) for v in values]
    values = [_number(spec, part) for part in rest.split(",")]
    if len(set(values)) != len(values):
        raise _invalid(spec, "a value is given twice", "twice")
    return name, values


@dataclass(frozen=True)
class SweepSpace:
    """The swept names and their values, in the order given."""

    grids: dict[str, list[float | int]]

    @property
    def size(self) -> int:
        """How many combinations the full grid holds."""
        return math.prod(len(values) for values in self.grids.values())

    def check_size(self, limit: int = MAX_COMBINATIONS) -> None:
        """Refuse a grid above ``limit`` combinations, with its size."""
        if self.size > limit:
            raise InvalidInput(
                f"the sweep holds {self.size:,} combinations, above the limit of {limit:,} "
                "(--max-combinations): fewer values, or --method random or bayes with --trials",
                [{"field": "max_combinations"}], "optimise.error.too_big",
                {"size": self.size, "limit": limit},
            )  # fmt: skip

    def grid(self) -> Iterator[dict[str, float | int]]:
        """Every combination, the last name varying fastest."""
        names = list(self.grids)
        for values in itertools.product(*(self.grids[n] for n in names)):
            yield dict(zip(names, values, strict=True))

    def draw(self, trials: int, seed: int) -> list[dict[str, float | int]]:
        """``trials`` distinct combinations drawn at random with ``seed`` (all of them, in a
        random order, when the grid holds fewer); the same seed draws the same ones."""
        if trials < 1:
            raise InvalidInput("--trials must be at least 1", [{"field": "trials"}],
                               "optimise.error.trials_min")  # fmt: skip
        rng = np.random.default_rng(seed)
        total, names = self.size, list(self.grids)
        sizes = [len(self.grids[n]) for n in names]
        picked = rng.choice(total, size=min(trials, total), replace=False)
        combos = []
        for flat in picked.tolist():
            combo = {}
            for name, size in zip(reversed(names), reversed(sizes), strict=True):
                flat, index = divmod(flat, size)
                combo[name] = self.grids[name][index]
            combos.append({n: combo[n] for n in names})
        return combos


@dataclass(frozen=True)
class Judged:
    """One combination, and why it is skipped (None: it runs)."""

    values: dict[str, float | int]
    skipped: str | None


def judge(
    combos: Iterable[dict[str, float | int]], constraints: Iterable[Constraint],
    fixed: dict[str, float] | None = None,
) -> list[Judged]:  # fmt: skip
    """Each combination with the first constraint it breaks (``fixed``: the values of names
    not swept, which constraints may read), as the reason it is skipped."""
    rules = list(constraints)
    judged = []
    for combo in combos:
        values = {**(fixed or {}), **combo}
        reason = None
        for rule in rules:
            try:
                if not rule.holds(values):
                    reason = f"breaks {rule.text}"
                    break
            except ConstraintError as exc:
                reason = exc.message
                break
        judged.append(Judged(combo, reason))
    return judged
