"""Message catalogues for Bahasa Indonesia (``id``, the default) and English (``en``)."""

from __future__ import annotations

import json
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

LANGUAGES = ("id", "en")
LANGUAGE_NAMES = {"id": "Bahasa Indonesia", "en": "English"}
_LOCALES = Path(__file__).parent / "locales"


@cache
def catalogue(language: str) -> dict[str, str]:
    """All messages of ``language`` (keys are dotted names such as ``nav.dashboard``), read
    from ``locales/<language>/<prefix>.json``: one file per key prefix."""
    if language not in LANGUAGES:
        raise ValueError(f"unsupported language {language!r}: choose one of {', '.join(LANGUAGES)}")
    messages: dict[str, str] = {}
    for path in sorted((_LOCALES / language).glob("*.json")):
        part = json.loads(path.read_text(encoding="utf-8"))
        misplaced = [key for key in part if key.split(".")[0] != path.stem]
        if misplaced:
            raise ValueError(f"{path}: keys {misplaced} belong in their prefix's file")
        messages |= part
    return messages


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


def accepted_language(header: str | None) -> str | None:
    """The supported language an ``Accept-Language`` header prefers most (``en-US,en;q=0.9``
    → ``en``), or None."""
    choices = []
    for position, part in enumerate((header or "").split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        language = tag.strip().split("-")[0].lower()
        if language in LANGUAGES and quality > 0:
            choices.append((-quality, position, language))
    return min(choices)[2] if choices else None


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


def zone_label(value: datetime) -> str:
    """The UTC offset of an aware ``value``: ``UTC+07:00``, ``UTC-04:00``, ``UTC``; the same
    label the pages' JavaScript writes (``tradeloopTime`` in ``app.js``)."""
    offset = value.utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset else 0
    if minutes == 0:
        return "UTC"
    sign = "+" if minutes > 0 else "-"
    return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def time_text(value: datetime | None, zone: str, with_date: bool = True) -> str:
    """``value`` in the user's ``zone`` with its label: ``2026-11-30 19:47 UTC+07:00``
    (``19:47 UTC+07:00`` without the date); naive values are taken as UTC."""
    if value is None:
        return "—"
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo("UTC"))
    local = value.astimezone(ZoneInfo(zone))
    return f"{local.strftime('%Y-%m-%d %H:%M' if with_date else '%H:%M')} {zone_label(local)}"


SIZE_UNITS = ("unit.bytes", "unit.kb", "unit.mb", "unit.gb")


def size_text(language: str, size: int | float | None) -> str:
    """A size in bytes with its unit from the catalogue: ``512 bytes`` (``512 bita``),
    ``12.3 KB``, ``1.5 MB``, ``2.0 GB`` (steps of 1024)."""
    if size is None:
        return "—"
    value, step = float(size), 0
    while abs(value) >= 1024 and step < len(SIZE_UNITS) - 1:
        value, step = value / 1024, step + 1
    text = f"{int(value)}" if step == 0 else number_text(language, value, 1)
    return f"{text} {translate(language, SIZE_UNITS[step])}"
