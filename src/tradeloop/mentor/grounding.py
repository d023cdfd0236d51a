"""The grounding check a language model's answer must pass before it is shown or stored.

Every number in the answer must match a number of its sources (the tool results of the
conversation, the question, the offline answer it rewords): equal after rounding to the
decimals the answer shows, read with either decimal separator, a percentage also matching a
fraction (49.0 % ↔ 0.49), signs ignored. The answer must hold no buy/sell/hold instruction in
either language, no tool-call syntax, be in the user's language (small word lists of each) and
not be too long. Pure functions; no dependency beyond the standard library.
"""

from __future__ import annotations

import bisect
import contextlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

# a number: digits with "." or "," groups, not glued to a word ("H1", "US500" are names)
NUMBER = re.compile(r"(?<![\w.,])\d+(?:[.,]\d+)*(?!\w)")
SOURCE_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")  # in sources, "2024-01-02T14:11" holds 02 and 14
PERCENT = re.compile(r"\s?(%|persen\b|percent\b|per cent\b)", re.IGNORECASE)
LIST_MARKER = re.compile(r"^(\s*)\d{1,2}[.)](?=\s)", re.MULTILINE)

TOOL_SYNTAX = re.compile(
    r"functions\.\w+|</?tool_calls?>|\[TOOL_CALLS\]|<\|[a-z_]+\|>|\"(?:name|arguments)\"\s*:"
    r"|\b(?:get_summary|get_metric|filter_trades|filter_losses|get_sessions|get_report)\b",
    re.IGNORECASE,
)

# an instruction to trade: a verb of buying, selling or holding led by advice, or tied to a
# moment; descriptions ("your sell trades today", "transaksi sell Anda") are not instructions
_NOT_A_THING = (
    r"(?!\s*\(|\s+(?:trades?|orders?|positions?|side|entries|and|or|anda|kamu|transaksi|posisi"
    r"|order|dan|atau)\b)"
)
_VERB_EN = r"(?:buy|sell|short|go long|go short|hold(?: on to)?|buy back|sell off)"
_VERB_ID = r"(?:beli|membeli|belilah|jual|menjual|juallah|tahan|menahan|buy|sell|hold|entry|open)"
_ADVICE_EN = (
    r"(?:you should|you must|you need to|you have to|you ought to|i recommend|i suggest|"
    r"i advise|we recommend|my advice is to|it'?s time to|it is time to|now is (?:a good|the) "
    r"time to|go ahead and|make sure to|be sure to|you(?:'re| are) going to|i(?:'m| am) going "
    r"to tell you to|consider|just|better|why not)"
)
_ADVICE_ID = (
    r"(?:sebaiknya|harus|disarankan|saya sarankan|sarankan|segera|silakan|saatnya|waktunya|"
    r"ayo|anda perlu|kamu perlu|lebih baik|jangan ragu(?: untuk)?|cepat)"
)
_MOMENT = (
    r"(?:now|right now|today|tomorrow|immediately|right away|this week|at market|"
    r"sekarang|hari ini|besok|segera|langsung|minggu ini)"
)
INSTRUCTION = re.compile(
    rf"\b{_ADVICE_EN}\s+(?:\w+\s+){{0,2}}?{_VERB_EN}\b{_NOT_A_THING}"
    rf"|\b{_ADVICE_ID}\s+(?:\w+\s+){{0,2}}?{_VERB_ID}\b{_NOT_A_THING}"
    rf"|\b(?:{_VERB_EN}|{_VERB_ID})\b{_NOT_A_THING}[^.!?\n]{{0,40}}\b{_MOMENT}\b"
    rf"|(?:^|[.!?]\s+|\n\s*(?:[-•*]\s*)?)(?:buy|sell|short|beli|jual)\b{_NOT_A_THING}",
    re.IGNORECASE,
)


def _word_list(text: str) -> frozenset[str]:
    return frozenset(text.split())


WORDS = {
    "en": _word_list(
        "the and you your is are was were to of in that it for with on have has this not be "
        "but or at as when what which more than did do does if so by an from they there their "
        "been would should can will about its these those we our each after before only most "
        "also how why where very much many while lost won"
    ),
    "id": _word_list(
        "yang dan di ke dari ini itu untuk dengan tidak anda kamu ada adalah pada akan saya "
        "juga atau lebih dalam karena jika kalau bisa sudah belum hanya saat setelah sebelum "
        "agar supaya tetapi tapi namun sangat banyak hari rugi untung kerugian keuntungan "
        "transaksi oleh sebagai bahwa masih lagi kali perlu coba mari kita apa bagaimana "
        "mengapa kapan mana paling terbaik terburuk menang kalah jam minggu bulan"
    ),
}
LETTERS = re.compile(r"[^\W\d_]+")


@dataclass(frozen=True)
class Verdict:
    """The check's outcome: ``reason`` None when the answer passes, else why it failed
    (``empty``, ``too_long``, ``tool_syntax``, ``instruction``, ``language``, ``number``) and
    the values its message names."""

    reason: str | None = None
    values: dict[str, Any] = field(default_factory=dict)

    @property
    def grounded(self) -> bool:
        """Whether the answer may be shown and stored."""
        return self.reason is None


@dataclass(frozen=True)
class Reading:
    """One way to read a number of the answer: its value and the decimals it shows."""

    value: float
    decimals: int


def readings(token: str) -> list[list[Reading]]:
    """The claims ``token`` makes: each a list of alternative readings (``1,234`` may be
    1234 or 1.234); a token that is no well-formed number claims each of its digit groups."""
    separators = [c for c in token if c in ".,"]
    if not separators:
        return [[Reading(float(token), 0)]]
    groups = re.split(r"[.,]", token)
    if len(set(separators)) == 2:
        decimal = token[max(token.rfind("."), token.rfind(","))]
        thousands = "," if decimal == "." else "."
        whole, _, fraction = token.replace(thousands, "").partition(decimal)
        if token.count(decimal) == 1 and all(len(g) == 3 for g in groups[1:-1]):
            return [[Reading(float(f"{whole}.{fraction}"), len(fraction))]]
    elif len(separators) == 1:
        whole, fraction = groups
        options = [Reading(float(f"{whole}.{fraction}"), len(fraction))]
        if len(fraction) == 3:  # a thousands separator, read the other way
            options.append(Reading(float(whole + fraction), 0))
        return [options]
    elif all(len(g) == 3 for g in groups[1:]):
        return [[Reading(float("".join(groups)), 0)]]
    return [[Reading(float(g), 0)] for g in groups]


def _numbers_of_text(text: str) -> Iterable[float]:
    for match in SOURCE_NUMBER.finditer(text):
        for claim in readings(match.group()):
            for reading in claim:
                yield reading.value


def source_numbers(sources: Iterable[Any]) -> list[float]:
    """Every number of ``sources`` (texts, JSON texts, or data), sorted, signs dropped."""
    found: list[float] = []

    def walk(item: Any) -> None:
        if isinstance(item, bool) or item is None:
            return
        if isinstance(item, int | float):
            found.append(abs(float(item)))
        elif isinstance(item, str):
            found.extend(_numbers_of_text(item))
        elif isinstance(item, dict):
            for value in item.values():
                walk(value)
        elif isinstance(item, list | tuple):
            for value in item:
                walk(value)

    for source in sources:
        if isinstance(source, str) and source[:1] in "[{":
            with contextlib.suppress(ValueError):
                source = json.loads(source)
        walk(source)
    return sorted(v for v in found if v == v)  # no NaN


def _near(sorted_values: list[float], target: float, tolerance: float) -> bool:
    at = bisect.bisect_left(sorted_values, target - tolerance)
    return at < len(sorted_values) and sorted_values[at] <= target + tolerance


def _grounded(reading: Reading, percent: bool, known: list[float]) -> bool:
    tolerance = 0.5 * 10.0**-reading.decimals + 1e-9 * max(1.0, reading.value)
    if _near(known, reading.value, tolerance):
        return True
    return percent and _near(known, reading.value / 100, tolerance / 100)


def ungrounded_numbers(answer: str, known: list[float]) -> list[str]:
    """The numbers of ``answer`` that match none of ``known`` (see ``source_numbers``); list
    markers ("1." at a line's start) are not figures."""
    text = LIST_MARKER.sub(r"\1", answer)
    missing = []
    for match in NUMBER.finditer(text):
        percent = bool(PERCENT.match(text, match.end()))
        for claim in readings(match.group()):
            if not any(_grounded(reading, percent, known) for reading in claim):
                missing.append(match.group())
    return missing


def wrong_language(text: str, language: str) -> bool:
    """Whether ``text`` is not in ``language``: the other language's words outnumber its own,
    or a longer text has too few of its own to be read as it (gibberish)."""
    words = [w.lower() for w in LETTERS.findall(text)]
    own = sum(w in WORDS[language] for w in words)
    other = sum(w in WORDS["id" if language == "en" else "en"] for w in words)
    if other >= 2 and other > own:
        return True
    return len(words) >= 25 and own < 0.05 * len(words)


def check_answer(answer: str, sources: Iterable[Any], language: str, max_chars: int) -> Verdict:
    """Whether ``answer`` may be shown: not empty, not longer than ``max_chars``, no tool-call
    syntax, no trading instruction, in ``language``, every number found in ``sources``."""
    text = answer.strip()
    if not text:
        return Verdict("empty")
    if len(text) > max_chars:
        return Verdict("too_long", {"chars": len(text), "limit": max_chars})
    if TOOL_SYNTAX.search(text):
        return Verdict("tool_syntax")
    instruction = INSTRUCTION.search(text)
    if instruction:
        return Verdict("instruction", {"words": instruction.group().strip()})
    if language in WORDS and wrong_language(text, language):
        return Verdict("language")
    missing = ungrounded_numbers(text, source_numbers(sources))
    if missing:
        return Verdict("number", {"number": missing[0]})
    return Verdict()
