"""Reading a question's scope for the offline mentor, in Bahasa Indonesia and English.

The scope is which trades a question is about: a period of local days (today, yesterday,
this or last week, month or year, the last N days, weeks or months, a named month, explicit
dates and ranges), a weekday, a symbol of the journal (or one it does not hold), a side,
entry hours and a stated emotion. Whatever is read is cut from the question; the rest is
what the router reads the topic from. Weeks run Monday to Sunday, as in the weekly summary.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from tradeloop.journal.contracts import underlying
from tradeloop.market.instruments import find_instrument

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
# Indonesian names; "hari minggu" is read as "ahad" first, as "minggu" alone is a week
INDONESIAN_WEEKDAYS = dict(
    zip(WEEKDAYS, ("senin", "selasa", "rabu", "kamis", "jumat", "sabtu", "ahad"), strict=True)
)
MONTH_WORDS = {
    1: "january|januari|jan", 2: "february|februari|pebruari|feb", 3: "march|maret|mar",
    4: "april|apr", 5: "may|mei", 6: "june|juni|jun", 7: "july|juli|jul",
    8: "august|agustus|aug|agu|agt", 9: "september|sept|sep", 10: "october|oktober|oct|okt",
    11: "november|nopember|nov|nop", 12: "december|desember|dec|des",
}  # fmt: skip
MONTH = "|".join(f"(?P<m{n}>{words})" for n, words in MONTH_WORDS.items())
# full names alone name a month ("in november", "bulan mei"); "may" only after "in"
MONTH_ALONE = (
    r"january|januari|february|februari|march|maret|april|june|juni|july|juli|august|agustus"
    r"|september|october|oktober|november|december|desember|mei"
)
NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "fourteen": 14, "thirty": 30, "satu": 1, "dua": 2, "tiga": 3,
    "empat": 4, "lima": 5, "enam": 6, "tujuh": 7, "delapan": 8, "sembilan": 9, "sepuluh": 10,
}  # fmt: skip
NUMBER = r"(\d{1,4}|" + "|".join(NUMBER_WORDS) + ")"
EMOTION_WORDS = {
    "frustrated": r"frustrated|frustration|frustasi|frustrasi|kesal",
    "greedy": r"greedy|greed|serakah|rakus",
    "fearful": r"fearful|afraid|scared|fear|takut",
    "calm": r"calm|tenang",
    "neutral": r"neutral|netral",
    "euphoric": r"euphoric|euphoria|euforia",
    "tired": r"tired|exhausted|lelah|capek",
}
SYMBOL_ALIASES = {"EMAS": "XAUUSD", "PERAK": "XAGUSD", "NASDAQ": "NQ", "MINYAK": "CL"}
# words of a question never read as a symbol or a symbol's beginning
COMMON_WORDS = {
    "the", "and", "for", "how", "did", "was", "who", "why", "day", "win", "won", "top", "any",
    "all", "are", "not", "but", "you", "yang", "dan", "apa", "ini", "itu", "ada", "per", "net",
    "bad", "can", "has", "had", "her", "his", "its", "our", "out", "own", "use", "saya",
}  # fmt: skip
LONG_OR_SHORT = (
    r"\b(?:long|longs|buys?|beli)\s+(?:or|vs\.?|versus|atau|dan|and)\s+(?:short|shorts|sells?|jual)\b"
    r"|\b(?:short|shorts|sells?|jual)\s+(?:or|vs\.?|versus|atau|dan|and)\s+(?:long|longs|buys?|beli)\b"
)


@dataclass(frozen=True)
class Period:
    """A span of local days and how the question named it (``kind``: the catalogue's
    ``mentor.chat.period.*``)."""

    kind: str
    start: date
    end: date
    n: int = 0
    weekday: str | None = None


@dataclass
class Scope:
    """Which trades a question is about."""

    period: Period | None = None
    weekday: str | None = None  # without a period: every such day and the latest one
    every_weekday: bool = False  # "on Fridays", "setiap Jumat": only all of them
    symbol: str | None = None
    missing_symbol: str | None = None  # named, but not in the journal
    side: str | None = None  # "buy" or "sell"
    hours: tuple[int, int] | None = None  # local entry hours, both included
    emotion: str | None = None
    rest: str = ""  # the question without what was read

    def narrowed(self) -> bool:
        """Whether it names anything more than the whole journal."""
        return bool(self.period or self.weekday or self.symbol or self.side or self.hours)


def normal(question: str) -> str:
    """Lower case, one kind of apostrophe, Jum'at as jumat, hari minggu as hari ahad."""
    text = question.lower().replace("’", "'").replace("`", "'")
    text = re.sub(r"jum'?a?at", "jumat", text)
    text = re.sub(r"\bhari minggu\b", "hari ahad", text)
    return re.sub(r"\s+", " ", text).strip()


def _cut(text: str, match: re.Match[str]) -> str:
    return re.sub(r"\s+", " ", f"{text[: match.start()]} {text[match.end() :]}").strip()


def _number(word: str | None) -> int:
    if not word:
        return 0
    return int(word) if word.isdigit() else NUMBER_WORDS.get(word, 0)


def _valid(year: int, month: int, day: int) -> date | None:
    try:
        found = date(year, month, day)
    except ValueError:
        return None
    return found if 1970 <= found.year <= 2100 else None


def _months_back(day: date, months: int) -> date:
    """``day`` moved ``months`` back (forward when negative), kept within the month."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    following = date(year + (month + 1) // 12, (month + 1) % 12 + 1, 1)
    return date(year, month + 1, min(day.day, (following - timedelta(days=1)).day))


def _month_span(year: int, month: int) -> tuple[date, date]:
    first = date(year, month, 1)
    return first, _months_back(first, -1) - timedelta(days=1)


def _month_of(match: re.Match[str]) -> int:
    return next(n for n in MONTH_WORDS if match.group(f"m{n}"))


def _named_day(match: re.Match[str], day: int, today: date) -> date | None:
    """A day and month (and year): without the year, the latest one up to today."""
    month = _month_of(match)
    if match["y"]:
        return _valid(int(match["y"]), month, day)
    for year in (today.year, today.year - 1):
        found = _valid(year, month, day)
        if found is not None and found <= today:
            return found
    return None


def _slashed(match: re.Match[str], language: str) -> date | None:
    """``28/11/2026`` (day first in Indonesian), ``11/28/2026`` (month first in English);
    a part above 12 is always the day."""
    a, b, y = int(match[1]), int(match[2]), int(match[3])
    year = y + 2000 if y < 100 else y
    month_first = b > 12 or (a <= 12 and language == "en")
    return _valid(year, a, b) if month_first else _valid(year, b, a)


def _dates(text: str, today: date, language: str) -> tuple[list[date], str]:
    """Explicit dates (``2026-11-28``, ``28/11/2026``, ``28 November``, ``Nov 28, 2026``)."""
    readers: list[tuple[str, Callable[[re.Match[str]], date | None]]] = [
        (
            r"\b(\d{4})[-/](\d{1,2})[-/](\d{1,2})\b",
            lambda m: _valid(int(m[1]), int(m[2]), int(m[3])),
        ),
        (r"\b(\d{1,2})[/.](\d{1,2})[/.](\d{4}|\d{2})\b", lambda m: _slashed(m, language)),
        (
            rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?(?:{MONTH})\b\.?(?:,?\s+(?P<y>\d{{4}}))?",
            lambda m: _named_day(m, int(m[1]), today),
        ),
        (
            rf"\b(?:{MONTH})\.?\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\b(?:,?\s+(?P<y>\d{{4}}))?",
            lambda m: _named_day(m, int(m["d"]), today),
        ),
    ]
    found: list[date] = []
    for pattern, read in readers:
        while (match := re.search(pattern, text)) is not None:
            if (day := read(match)) is not None:
                found.append(day)
            text = _cut(text, match)
    return found, text


def _last_weekday(text: str, today: date) -> tuple[Period | None, str]:
    """ "last Friday", "Jumat lalu", "Jumat kemarin": the latest such day before today."""
    for name, indonesian in INDONESIAN_WEEKDAYS.items():
        words = f"{name.lower()}|{indonesian}"
        last = re.search(
            rf"\b(?:last|previous)\s+(?:{words})\b"
            rf"|\b(?:hari\s+)?(?:{words})\s+(?:yang\s+)?(?:lalu|kemarin)\b",
            text,
        )
        if last is not None:
            back = (today.weekday() - WEEKDAYS.index(name) - 1) % 7 + 1
            day = today - timedelta(days=back)
            return Period("weekday_day", day, day, weekday=name), _cut(text, last)
    return None, text


def _span(kind: str, start: date, end: date, n: int = 0) -> Period | None:
    return Period(kind, start, end, n) if start.year >= 1970 and start <= end else None


def _relative(text: str, today: date) -> tuple[Period | None, str]:
    """A period named relative to today, or a month by name."""
    monday = today - timedelta(days=today.weekday())
    yesterday = today - timedelta(days=1)

    def month(number: int, year: str | None) -> Period | None:
        if year:
            return (
                _span("range", *_month_span(int(year), number))
                if 1970 <= int(year) <= 2100
                else None
            )
        start, end = _month_span(today.year - (number > today.month), number)
        return _span("range", start, min(end, today))

    def last_days(n: int, kind: str = "last_days", unit: int = 1) -> Period | None:
        if not 1 <= n * unit <= 3660:
            return None
        return _span(kind, today - timedelta(days=n * unit - 1), today, n)

    def days_ago(n: int) -> Period | None:
        day = today - timedelta(days=n)
        return _span("day", day, day) if 1 <= n <= 3660 else None

    def last_months(n: int) -> Period | None:
        if not 1 <= n <= 120:
            return None
        return _span("last_months", _months_back(today, n) + timedelta(days=1), today, n)

    previous = _months_back(today.replace(day=1), 1)
    readers: list[tuple[str, Callable[[re.Match[str]], Period | None]]] = [
        (
            rf"\b(?:in|bulan|during)\s+(?:{MONTH})\b(?:\s+(?P<y>\d{{4}}))?",
            lambda m: month(_month_of(m), m["y"]),
        ),
        (
            rf"\b(?P<name>{MONTH_ALONE})\b(?:\s+(?P<y>\d{{4}}))?",
            lambda m: month(
                next(n for n, w in MONTH_WORDS.items() if re.fullmatch(w, m["name"])), m["y"]
            ),
        ),
        (
            rf"\b(?:the\s+)?(?:last|past|previous)\s+{NUMBER}\s+days?\b"
            rf"|\b{NUMBER}\s+hari\s+(?:terakhir|ke\s?belakang|belakangan)\b",
            lambda m: last_days(_number(m[1] or m[2])),
        ),
        (
            rf"\b{NUMBER}\s+days?\s+ago\b|\b{NUMBER}\s+hari\s+(?:yang\s+)?lalu\b",
            lambda m: days_ago(_number(m[1] or m[2])),
        ),
        (
            rf"\b(?:the\s+)?(?:last|past|previous)\s+{NUMBER}\s+weeks?\b"
            rf"|\b{NUMBER}\s+(?:minggu|pekan)\s+(?:terakhir|ke\s?belakang|belakangan)\b",
            lambda m: last_days(_number(m[1] or m[2]), "last_weeks", 7),
        ),
        (
            rf"\b(?:the\s+)?(?:last|past|previous)\s+{NUMBER}\s+months?\b"
            rf"|\b{NUMBER}\s+bulan\s+(?:terakhir|ke\s?belakang|belakangan)\b",
            lambda m: last_months(_number(m[1] or m[2])),
        ),
        (
            r"\b(?:the\s+)?past\s+week\b|\bse(?:minggu|pekan)\s+(?:terakhir|ke\s?belakang)\b",
            lambda m: last_days(7),
        ),
        (r"\btoday\b|\bhari ini\b", lambda m: _span("today", today, today)),
        (
            r"\b(?:this|current)\s+week\b|\b(?:minggu|pekan)\s+ini\b",
            lambda m: _span("this_week", monday, today),
        ),
        (
            r"\b(?:last|previous)\s+week\b|\b(?:minggu|pekan)\s+(?:lalu|kemarin|sebelumnya)\b",
            lambda m: _span("last_week", monday - timedelta(days=7), monday - timedelta(days=1)),
        ),
        (
            r"\b(?:this|current)\s+month\b|\bbulan\s+ini\b",
            lambda m: _span("this_month", today.replace(day=1), today),
        ),
        (
            r"\b(?:last|previous)\s+month\b|\bbulan\s+(?:lalu|kemarin|sebelumnya)\b",
            lambda m: _span("last_month", *_month_span(previous.year, previous.month)),
        ),
        (
            r"\b(?:this|current)\s+year\b|\btahun\s+ini\b",
            lambda m: _span("this_year", date(today.year, 1, 1), today),
        ),
        (
            r"\b(?:last|previous)\s+year\b|\btahun\s+(?:lalu|kemarin)\b",
            lambda m: _span("last_year", date(today.year - 1, 1, 1), date(today.year - 1, 12, 31)),
        ),
        (r"\byesterday\b|\bkemarin\b", lambda m: _span("yesterday", yesterday, yesterday)),
    ]
    for pattern, read in readers:
        match = re.search(pattern, text)
        if match is not None and (found := read(match)) is not None:
            return found, _cut(text, match)
    return None, text


def _weekday(text: str, scope: Scope) -> str:
    """A weekday: every one ("on Fridays", "setiap Jumat") or, said once, each and the latest."""
    for name, indonesian in INDONESIAN_WEEKDAYS.items():
        words = f"{name.lower()}s?|{indonesian}"
        every = re.search(
            rf"\b(?:every|each|all|setiap|tiap|semua|tiap-tiap)\s+(?:hari\s+)?(?:{words})\b"
            rf"|\b(?:on\s+)?{name.lower()}s\b",
            text,
        )
        plain = every or re.search(rf"\b(?:hari\s+)?(?:{words})\b", text)
        if plain is not None:
            scope.weekday, scope.every_weekday = name, every is not None
            return _cut(text, plain)
    return text


def _hour(value: str, half: str | None) -> int | None:
    hour = int(value)
    if half == "pm" and hour < 12:
        hour += 12
    elif half == "am" and hour == 12:
        hour = 0
    return hour if 0 <= hour <= 23 else None


def _hours(text: str, scope: Scope) -> str:
    """Entry hours: "between 9 and 11" (9:00 to 11:00), "antara jam 22 dan 2", "at 9"."""
    clock = r"(?:jam\s+|pukul\s+)?(\d{1,2})(?:[:.]00)?\s*(am|pm)?"
    span = re.search(
        rf"\b(?:between|from|antara|dari)\s+{clock}\s*"
        rf"(?:and|to|until|till|-|–|dan|sampai|hingga|s/d|ke)\s*{clock}(?!\d)",
        text,
    )
    if span is not None:
        low, high = _hour(span[1], span[2] or span[4]), _hour(span[3], span[4])
        if low is not None and high is not None and low != high:
            scope.hours = (low, (high - 1) % 24)
            return _cut(text, span)
    single = re.search(
        r"\b(?:at|around|jam|pukul)\s+(\d{1,2})(?:[:.]00)?\s*(am|pm)?(?!\d)|\b(\d{1,2})\s*(am|pm)\b",
        text,
    )
    if single is not None:
        hour = _hour(single[1] or single[3], single[2] or single[4])
        if hour is not None:
            scope.hours = (hour, hour)
            return _cut(text, single)
    return text


def _side(text: str, scope: Scope) -> str:
    """Long (buy) or short (sell) trades; "long or short" compares both and is kept."""
    if re.search(LONG_OR_SHORT, text):
        return text
    for side, words in (
        ("buy", r"(?<!how )(?<!as )\b(?:longs?|buys?|bought|posisi beli|beli)\b"),
        ("sell", r"\b(?:shorts?|sells?|sold|posisi jual|jual)\b"),
    ):
        if (match := re.search(words, text)) is not None:
            scope.side = side
            return _cut(text, match)
    return text


def _symbol(question: str, text: str, scope: Scope, symbols: list[str], markets: set[str]) -> str:
    """A symbol of the journal (``XAUUSD``, ``MNQH4``; ``MNQ`` is its market, ``gold`` and
    ``emas`` are XAUUSD), or a known instrument the journal does not hold."""
    for raw in re.findall(r"[#.]?[A-Za-z][A-Za-z0-9._#]*[A-Za-z0-9]", question):
        word = raw.strip("._#")
        up = SYMBOL_ALIASES.get(word.upper(), word.upper())
        if (len(word) < 3 and not word.isupper()) or word.lower() in COMMON_WORDS:
            continue
        prefixed = [s for s in symbols if s.startswith(up)] if len(up) >= 3 else []
        market = underlying(up)
        chosen = None
        if up in symbols or up in markets:
            chosen = up
        elif prefixed:
            chosen = prefixed[0] if len(prefixed) == 1 else underlying(prefixed[0])
        elif market in markets and market != up:
            chosen = market
        elif len(word) >= 4 or word.isupper():
            found = find_instrument(up)
            if found is not None and found.symbol in markets:
                chosen = found.symbol
            elif found is not None:
                scope.missing_symbol = found.symbol
        if chosen is not None or scope.missing_symbol is not None:
            scope.symbol = chosen
            return re.sub(rf"(?<![\w#.]){re.escape(raw.lower())}(?!\w)", " ", text).strip()
    return text


def read_scope(
    question: str,
    today: date,
    language: str,
    symbols: Iterable[str] = (),
    markets: Iterable[str] = (),
) -> Scope:
    """The period, weekday, hours, side, symbol (among the journal's ``symbols``, most traded
    first, and ``markets``) and emotion ``question`` names, relative to ``today``."""
    scope = Scope()
    text = normal(question)
    dates, text = _dates(text, today, language)
    if dates:
        kind = "range" if len(dates) > 1 else "day"
        scope.period = Period(kind, min(dates), max(dates))
    else:
        scope.period, text = _last_weekday(text, today)
    if scope.period is None:
        scope.period, text = _relative(text, today)
    text = _weekday(text, scope)
    text = _hours(text, scope)
    text = _side(text, scope)
    text = _symbol(
        question, text, scope, [s.upper() for s in symbols], {m.upper() for m in markets}
    )
    for emotion, words in EMOTION_WORDS.items():
        if re.search(rf"\b(?:{words})\b", text):
            scope.emotion = emotion
            break
    scope.rest = re.sub(r"\s+", " ", text).strip()
    return scope
