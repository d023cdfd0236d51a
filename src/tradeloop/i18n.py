"""Message catalogues for Bahasa Indonesia (``id``, the default) and English (``en``)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

LANGUAGES = ("id", "en")
LANGUAGE_NAMES = {"id": "Bahasa Indonesia", "en": "English"}
_LOCALES = Path(__file__).parent / "locales"


@cache
def catalogue(language: str) -> dict[str, str]:
    """All messages of ``language`` (keys are dotted names such as ``nav.dashboard``)."""
    if language not in LANGUAGES:
        raise ValueError(f"unsupported language {language!r}: choose one of {', '.join(LANGUAGES)}")
    return json.loads((_LOCALES / f"{language}.json").read_text(encoding="utf-8"))


def translate(language: str, key: str, **values: Any) -> str:
    """The message ``key`` in ``language`` with ``{placeholders}`` filled in."""
    text = catalogue(language if language in LANGUAGES else LANGUAGES[0]).get(key)
    if text is None:
        raise KeyError(f"message {key!r} missing from the {language!r} catalogue")
    return text.format(**values) if values else text


def pick_language(*candidates: str | None) -> str:
    """The first supported language among ``candidates``, else Indonesian."""
    for candidate in candidates:
        if candidate in LANGUAGES:
            return candidate
    return LANGUAGES[0]


def number_text(language: str, value: float, digits: int = 2) -> str:
    """``value`` with a space between thousands and a decimal point (``-5 025.89``): read the
    same way in Indonesian and English, as MetaTrader writes it."""
    return f"{value:,.{digits}f}".replace(",", " ")


def amount(language: str, value: float | None, unit: str, currency: str | None = None) -> str:
    """A P&L figure with its unit: ``-5 025.89 USD``, ``36.30 points`` (``36.30 poin``)."""
    if value is None:
        return "—"
    text = number_text(language, value)
    if unit == "money":
        return f"{text} {currency or translate(language, 'unit.account_currency')}"
    if value and abs(value) < 1:  # FX points: 0.00150, not 0.00
        text = number_text(language, value, 5)
    return f"{text} {translate(language, 'unit.points')}"


def points_by_market(language: str, values: dict[str, float | None]) -> str:
    """Points per underlying, never added: ``12.00 points (NQ), -3.00 points (ES)``."""
    return (
        ", ".join(
            f"{amount(language, value, 'points')} ({name})"
            for name, value in values.items()
            if value is not None
        )
        or "—"
    )
