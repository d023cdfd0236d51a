"""Times in uploaded files: one decision per file, then one exact parse of every value.

The layout of a time column is read from its first value (separators, seconds, fractions,
AM/PM, a UTC offset). Whether ``03/04/2024`` is day/month or month/day is decided once from
all the values: a day above 12 in either place settles it; when none is, the layout's own
convention (Tradovate and NinjaTrader write month first, Dukascopy day first) or the user's
``date_order`` decides, and without either the file is refused with a message that says so.
Row order never matters, so shuffled rows read the same.
"""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from tradeloop.core.dates import DATE_ORDERS, DateOrder
from tradeloop.market.errors import DataError
from tradeloop.market.tables import MAX_NUMBER, shown

__all__ = ["DATE_ORDERS", "DateOrder", "parse_times", "zone"]

JOURNAL_YEARS = (1970, 2100)
_DATE = re.compile(r"(?P<a>\d{1,4})(?P<s>[-./])(?P<b>\d{1,2})(?P=s)(?P<c>\d{2,4})")
_TIME = re.compile(
    r"(?P<sep>T|,?\s+)(?P<h>\d{1,2})(?P<ts>[:.])\d{2}"
    r"(?:(?P=ts)\d{2}(?:(?P<fs>[.,])\d{1,9})?(?P<sec>))?"
    r"(?P<ampm>\s?[AaPp][Mm])?(?P<zone>\s?(?:Z|[+-]\d{2}:?\d{2}))?"
)
_COMPACT = {8: "%Y%m%d", 12: "%Y%m%d%H%M", 14: "%Y%m%d%H%M%S"}
_EPOCH_SECONDS = (631_152_000, 4_102_444_800)  # 1990 to 2100
_HUMAN = {"%Y": "YYYY", "%y": "YY", "%m": "MM", "%d": "DD", "%H": "HH", "%I": "hh", "%M": "mm",
          "%S": "SS", "%f": "fff", "%p": "AM", "%z": "+HH:MM"}  # fmt: skip


def zone(tz: str) -> ZoneInfo:
    """The IANA zone ``tz``; a DataError naming it when it does not exist."""
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:  # OSError: a name too long
        raise DataError(
            f"unknown time zone {tz!r}: use an IANA name like Asia/Jakarta, Europe/Athens or UTC",
            key="market.error.unknown_zone",
            values={"tz": repr(tz)},
        ) from exc


def human(fmt: str) -> str:
    """``%d/%m/%Y %H:%M`` as ``DD/MM/YYYY HH:mm`` for messages."""
    return re.sub(r"%[a-zA-Z]", lambda m: _HUMAN.get(m.group(0), m.group(0)), fmt)


def _written(values: pd.Series, row: int) -> str:
    """The value at ``row`` as the file wrote it (times PyArrow read shown as ISO text)."""
    value = values.iloc[row]
    return value if isinstance(value, str) else "" if pd.isna(value) else str(value)


def _bad(
    values: pd.Series, mask: np.ndarray, column: str, what: str, key: str,
    extra: dict[str, object] | None = None,
) -> DataError:  # fmt: skip
    """The first flagged value's error: ``what`` is it in English, ``key`` in the catalogue
    (filled with row, column, value and ``extra``)."""
    row = int(np.argmax(mask))
    value = _written(values, row)
    return DataError(
        f"row {row + 1}: {column} {shown(value)} {what}",
        [{"row": row + 1, "column": column, "value": value}],
        key=key,
        values={"row": row + 1, "column": column, "value": shown(value), **(extra or {})},
    )


# What a value was expected to be, when not a format: its catalogue key
_EXPECTED_KEYS = {
    "a date": "market.error.unreadable_date",
    "a date and time": "market.error.unreadable_datetime",
    "epoch seconds or milliseconds 1990–2100, or YYYYMMDD": "market.error.unreadable_epoch",
}


def _unreadable(values: pd.Series, mask: np.ndarray, column: str, fmt: str) -> DataError:
    row = int(np.argmax(mask))
    value = shown(values.iloc[row])
    return DataError(
        f"row {row + 1}: cannot read {column} {value} (expected {human(fmt)})",
        [{"row": row + 1, "column": column, "value": values.iloc[row]}],
        key=_EXPECTED_KEYS.get(fmt, "market.error.unreadable"),
        values={"row": row + 1, "column": column, "value": value, "expected": human(fmt)},
    )


def _formats(first: str, column: str) -> tuple[dict[str, str], bool]:
    """Candidate formats for a column whose first value is ``first`` ({'ymd': f} or
    {'dmy': f, 'mdy': f}), and whether the values carry a UTC offset."""
    date = _DATE.match(first)
    if date is None:
        raise DataError(
            f"row 1: cannot read {column} {shown(first)}: expected a date such as 2024-01-31, "
            "31/01/2024 or 01/31/2024",
            [{"row": 1, "column": column, "value": first}],
            key="market.error.bad_first_date",
            values={"column": column, "value": shown(first)},
        )
    s = date["s"]
    rest = first[date.end() :]
    time = _TIME.fullmatch(rest) if rest else None
    if rest and time is None:
        raise DataError(
            f"row 1: cannot read the time of {column} {shown(first)}: expected HH:MM or HH:MM:SS",
            [{"row": 1, "column": column, "value": first}],
            key="market.error.bad_first_time",
            values={"column": column, "value": shown(first)},
        )
    clock = ""
    if time is not None:
        ts = time["ts"]
        hour = "%I" if time["ampm"] else "%H"
        clock = time["sep"] + hour + ts + "%M"
        if time["sec"] is not None:
            clock += ts + "%S" + (time["fs"] + "%f" if time["fs"] else "")
        if time["ampm"]:
            clock += (" " if time["ampm"].startswith(" ") else "") + "%p"
        if time["zone"]:
            clock += (" " if time["zone"].startswith(" ") else "") + "%z"
    utc = bool(time is not None and time["zone"])
    if len(date["a"]) == 4:
        return {"ymd": f"%Y{s}%m{s}%d{clock}"}, utc
    year = "%Y" if len(date["c"]) == 4 else "%y"
    return {"dmy": f"%d{s}%m{s}{year}{clock}", "mdy": f"%m{s}%d{s}{year}{clock}"}, utc


def _parse(values: pd.Series, fmt: str, utc: bool) -> pd.Series:
    """``values`` read with ``fmt`` (NaT where they do not fit it)."""
    fast = None if utc else _parse_as_iso(values, fmt)
    if fast is not None:
        return fast
    return pd.to_datetime(values, format=fmt, errors="coerce", utc=utc)


_FIELD_PATTERNS = {"%Y": r"(?P<Y>\d{4})", "%m": r"(?P<m>\d{1,2})", "%d": r"(?P<d>\d{1,2})",
                   "%H": r"(?P<H>\d{1,2})", "%M": r"(?P<M>\d{2})", "%S": r"(?P<S>\d{2})",
                   "%f": r"(?P<f>\d{1,9})"}  # fmt: skip


def _parse_as_iso(values: pd.Series, fmt: str) -> pd.Series | None:
    """The common layouts (numeric day, month, 4-digit year, 24-hour clock) rewritten as ISO
    text by PyArrow and read by its strict ISO parser, many times faster than ``strptime``;
    None when the format has other fields or any value does not fit (pandas then reads it
    and names the row)."""
    parts = re.split(r"(%[a-zA-Z])", fmt)
    if any(p.startswith("%") and p not in _FIELD_PATTERNS for p in parts) or not {
        "%Y",
        "%m",
        "%d",
    } <= set(parts):
        return None
    pattern = "".join(_FIELD_PATTERNS.get(p, re.escape(p)) for p in parts if p)
    array = pa.array(values, pa.string())
    fields = pc.extract_regex(array, f"^{pattern}$")
    if fields.null_count:
        return None
    pad = {n: pc.utf8_lpad(pc.struct_field(fields, n), 2, "0") for n in "mdH" if f"%{n}" in parts}
    iso = [pc.struct_field(fields, "Y"), "-", pad["m"], "-", pad["d"]]
    if "%H" in parts:
        iso += [" ", pad["H"], ":", pc.struct_field(fields, "M")]
        iso += [":", pc.struct_field(fields, "S")] if "%S" in parts else []
        iso += [".", pc.struct_field(fields, "f")] if "%f" in parts else []
    text = pc.binary_join_element_wise(
        *[pa.scalar(p) if isinstance(p, str) else p for p in iso], ""
    )
    try:
        parsed = text.cast(pa.timestamp("ns"))
    except pa.ArrowInvalid:
        return None
    return pd.Series(parsed.to_numpy(zero_copy_only=False), index=values.index)


def _digits(values: pd.Series, column: str) -> tuple[pd.Series, bool]:
    """Compact dates (``20240102``, ``202401021300``) or epoch seconds/milliseconds (UTC)."""
    width = values.str.len()
    if width.nunique() == 1 and int(width.iloc[0]) in _COMPACT:
        parsed = pd.to_datetime(values, format=_COMPACT[int(width.iloc[0])], errors="coerce")
        if parsed.notna().all():
            return parsed, False
    numbers = values.astype("int64")
    for unit, scale in (("s", 1), ("ms", 1000), ("us", 1_000_000)):
        low, high = (edge * scale for edge in _EPOCH_SECONDS)
        if numbers.between(low, high).all():
            return pd.Series(pd.to_datetime(numbers, unit=unit, utc=True), index=values.index), True
    width = len(values.iloc[0])
    scale = 1_000_000 if width > 14 else 1000 if width > 11 else 1
    outside = ~numbers.between(_EPOCH_SECONDS[0] * scale, _EPOCH_SECONDS[1] * scale)
    raise _unreadable(
        values, outside.to_numpy(), column, "epoch seconds or milliseconds 1990–2100, or YYYYMMDD"
    )


_FIELDS = re.compile(r"^(\d{1,2})\D(\d{1,2})")
BLANK = ("", "nan", "NaT", "None")


def _day_month_flags(values: pd.Series) -> dict[str, tuple[bool, bool, bool]]:
    """For each distinct start of a ``dd/dd/`` value: (first field above 12, second field
    above 12, both fields equal). Only the first six characters matter, so this is cheap."""
    flags = {}
    for prefix in values.str.slice(0, 6).unique():
        match = _FIELDS.match(str(prefix))
        a, b = (int(match[1]), int(match[2])) if match else (0, 0)
        flags[prefix] = (a > 12, b > 12, a == b)
    return flags


def _first_row(values: pd.Series, flags: dict, which: int) -> int:
    chosen = {p for p, f in flags.items() if f[which]}
    return int(np.argmax(values.str.slice(0, 6).isin(chosen).to_numpy()))


def decide_day_month(
    columns: dict[str, pd.Series], date_order: DateOrder, convention: DateOrder | None
) -> DateOrder:
    """The day/month order of a file, decided once from the values of all its ``columns``
    (non-blank time strings whose dates are ``dd/dd/yyyy``): a day above 12 in either place
    settles it; otherwise ``date_order`` or the layout's ``convention``, else the file is
    refused. A file whose dates contradict each other is refused naming two rows."""
    flags = {name: _day_month_flags(values) for name, values in columns.items()}
    every = [f for column in flags.values() for f in column.values()]
    day_first, month_first = any(f[0] for f in every), any(f[1] for f in every)
    if day_first and month_first:
        (d_col, d_flags), (m_col, m_flags) = (
            next((n, f) for n, f in flags.items() if any(v[0] for v in f.values())),
            next((n, f) for n, f in flags.items() if any(v[1] for v in f.values())),
        )
        d, m = _first_row(columns[d_col], d_flags, 0), _first_row(columns[m_col], m_flags, 1)
        named = len(columns) > 1

        def where(col: str, row: int) -> str:
            return f"{col + ' ' if named else ''}row {row + 1}: {shown(columns[col].iloc[row])}"

        raise DataError(
            f"{' / '.join(columns)}: the dates mix day/month ({where(d_col, d)}) and month/day "
            f"({where(m_col, m)}); a file must use one order",
            [{"column": d_col, "row": d + 1}, {"column": m_col, "row": m + 1}],
            key="market.error.mixed_orders_named" if named else "market.error.mixed_orders",
            values={
                "columns": " / ".join(columns),
                "day_column": d_col, "day_row": d + 1, "day_value": shown(columns[d_col].iloc[d]),
                "month_column": m_col, "month_row": m + 1,
                "month_value": shown(columns[m_col].iloc[m]),
            },
        )  # fmt: skip
    if date_order != "auto":
        return date_order
    if day_first or month_first:
        return "dmy" if day_first else "mdy"
    if convention in ("dmy", "mdy") or all(f[2] for f in every):
        return convention or "dmy"  # with every day equal to its month, either order reads the same
    name, values = next(iter(columns.items()))
    example = next(
        (v for v in values if not _FIELDS.match(v) or _FIELDS.match(v)[1] != _FIELDS.match(v)[2]),
        values.iloc[0],
    )
    raise DataError(
        f"{' / '.join(columns)}: the dates could be day/month or month/day (no day above 12, "
        f"e.g. {shown(example)}): choose the order with --date-order dmy or mdy (CLI), or "
        "date_order (API and import form)",
        [{"column": name, "field": "date_order", "example": example}],
        key="market.error.ambiguous_order",
        values={"columns": " / ".join(columns), "example": shown(example)},
    )


def _decide(
    values: pd.Series, candidates: dict[str, str], utc: bool, column: str,
    date_order: DateOrder, convention: DateOrder | None,
) -> pd.Series:  # fmt: skip
    """Parse with the one candidate format the values allow (see the module docstring)."""
    if len(candidates) == 2:
        order = decide_day_month({column: values}, date_order, convention)
        fmt = candidates[order]
        parsed = _parse(values, fmt, utc)
        if parsed.isna().any():
            if date_order != "auto":
                raise _bad(
                    values, parsed.isna().to_numpy(), column,
                    f"is not a date in the order you chose ({human(fmt)})",
                    "market.error.not_in_order", {"expected": human(fmt)},
                )  # fmt: skip
            raise _unreadable(values, parsed.isna().to_numpy(), column, fmt)
        return parsed
    fmt = next(iter(candidates.values()))
    parsed = _parse(values, fmt, utc)
    if parsed.isna().any():
        raise _unreadable(values, parsed.isna().to_numpy(), column, fmt)
    return parsed


def day_month_columns(
    frame: pd.DataFrame, columns: list[str], date_order: DateOrder, convention: DateOrder | None
) -> DateOrder:
    """``decide_day_month`` over the named columns of a table (blank cells and columns whose
    dates are not ``dd/dd/yyyy`` left out): the order every one of them is then read in."""
    chosen = {}
    for name in columns:
        values = frame[name].astype(str).str.strip()
        values = values[~values.isin(BLANK)]
        if (
            len(values)
            and _DATE.match(values.iloc[0])
            and len(_DATE.match(values.iloc[0])["a"]) <= 2
        ):
            chosen[name] = values
    return decide_day_month(chosen, date_order, convention) if chosen else date_order


def parse_naive_or_utc(
    values: pd.Series, column: str, date_order: DateOrder = "auto",
    convention: DateOrder | None = None,
) -> tuple[pd.Series, bool]:  # fmt: skip
    """Non-blank time strings as times, and whether they are UTC already (offsets, epochs)."""
    if re.search(r"(?:GMT|UTC)[+-]\d", values.iloc[0]):  # Dukascopy "... GMT+0300"
        values = values.str.replace(r"\s*(?:GMT|UTC)(?=[+-]\d)", " ", regex=True)
    if values.str.fullmatch(r"\d{8,17}").all():
        return _digits(values, column)
    if re.search(r"[A-Za-z]{3,}", values.iloc[0]):  # month names (19-Aug-2004): unambiguous
        parsed = pd.to_datetime(values, format="mixed", errors="coerce")
        if parsed.isna().any():
            raise _unreadable(values, parsed.isna().to_numpy(), column, "a date")
        return parsed, False
    candidates, utc = _formats(values.iloc[0], column)
    offsets = values.str.contains(r"(?:Z|[+-]\d{2}:?\d{2})$", regex=True)
    if utc != bool(offsets.all()):
        raise _bad(
            values, (offsets != utc).to_numpy(), column,
            "has no UTC offset while others do (or the other way round): give every time "
            "an offset, or none", "market.error.mixed_offsets",
        )  # fmt: skip
    return _decide(values, candidates, utc, column, date_order, convention), utc


def localize(
    naive: pd.Series, values: pd.Series, tz: str, column: str, infer: bool = False
) -> pd.Series:
    """Naive local times in ``tz`` as UTC. A time the clock shows twice (the night DST ends)
    is an error naming the row, unless ``infer`` (sorted bars) works it out from the order."""
    index = pd.DatetimeIndex(naive)
    try:
        local = index.tz_localize(
            zone(tz), ambiguous="infer" if infer else "NaT", nonexistent="shift_forward"
        )
    except Exception as exc:  # ambiguous hours that the order cannot settle
        reason = str(exc).splitlines()[0]
        raise DataError(
            f"times are ambiguous in zone {tz}: {reason}",
            key="market.error.zone_ambiguous",
            values={"tz": tz, "reason": reason},
        ) from exc
    lost = np.asarray(local.isna() & index.notna())
    if lost.any():
        raise _bad(
            values, lost, column,
            f"happens twice in {tz} (the clock went back that night): import with tz=UTC or "
            "the broker's fixed offset", "market.error.repeated_hour", {"tz": tz},
        )  # fmt: skip
    return pd.Series(local.tz_convert("UTC").as_unit("ns"), index=naive.index)


def parse_times(
    values: pd.Series,
    tz: str,
    column: str,
    date_order: DateOrder = "auto",
    convention: DateOrder | None = None,
    required: bool = True,
    years: tuple[int, int] = JOURNAL_YEARS,
    infer: bool = False,
) -> pd.Series:
    """A column of time strings as UTC times (NaT for blanks unless ``required``), read with
    one layout decided for the whole column; local times are taken in ``tz``."""
    if date_order not in DATE_ORDERS:
        raise DataError(
            f"date order {date_order!r}: use auto, dmy or mdy",
            key="market.error.bad_date_order",
            values={"order": repr(date_order)},
        )
    if pd.api.types.is_datetime64_any_dtype(values):  # ISO times PyArrow already read
        text, parsed, utc = values, values, values.dt.tz is not None
        if required and parsed.isna().any():
            raise _bad(
                text, parsed.isna().to_numpy(), column, "is missing", "market.error.time_missing"
            )
    else:
        text = values.astype(str).str.strip()
        long = text.str.len() > MAX_NUMBER
        if long.any():
            raise _unreadable(text, long.to_numpy(), column, "a date and time")
        blank = text.isin(BLANK)
        if blank.any() and required:
            raise _bad(text, blank.to_numpy(), column, "is missing", "market.error.time_missing")
        parsed = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
        utc = False
        if (~blank).any():
            found, utc = parse_naive_or_utc(text[~blank], column, date_order, convention)
            parsed = found.reindex(values.index)
    years_of = parsed.dt.year
    outside = parsed.notna() & ((years_of < years[0]) | (years_of > years[1]))
    if outside.any():
        raise _bad(
            text, outside.to_numpy(), column, f"is outside {years[0]}–{years[1]}",
            "market.error.outside_years", {"start": years[0], "end": years[1]},
        )  # fmt: skip
    if utc:
        return parsed.dt.tz_convert("UTC").dt.as_unit("ns")
    return localize(parsed, text, tz, column, infer)
