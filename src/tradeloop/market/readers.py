"""Read OHLC bars from the layouts users have: MT5 CSV, the MT5 terminal's tab export,
``Date,Open,High,Low,Close,Volume`` files (any capitalisation, ``,`` or ``;``) and Parquet.

Every reader returns a *bar frame*: a DataFrame indexed by UTC time (``time``) with float
columns ``open, high, low, close, volume``. Times in the file are taken in ``tz``.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd

from tradeloop.market.errors import DataError

PRICE_COLUMNS = ("open", "high", "low", "close")
_TIME_NAMES = ("time", "date", "datetime", "timestamp", "date_time", "gmt time", "local time")
_VOLUME_NAMES = ("volume", "tick_volume", "tickvol", "vol", "real_volume", "tick volume")
PARQUET_MAGIC = b"PAR1"


def zone(tz: str) -> ZoneInfo:
    """The IANA zone ``tz``; a DataError naming it when it does not exist."""
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise DataError(
            f"unknown time zone {tz!r}: use an IANA name like Asia/Jakarta, Europe/Athens or UTC"
        ) from exc


def _text(data: bytes) -> str:
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):  # the MT5 terminal writes UTF-16 with a BOM
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise DataError("the file is not valid UTF-16 text") from exc
    if b"\x00" in data[:4096]:
        raise DataError("the file is binary, not a CSV or Parquet file of bars")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _clean(name: str) -> str:
    return name.strip().strip("<>").strip().lower()


def _read_table(text: str) -> pd.DataFrame:
    sample = text[:4096]
    text = text.lstrip("\r\n\t ")
    sample = text[:4096]
    first_line = sample.splitlines()[0] if sample.strip() else ""
    if not first_line:
        raise DataError("the file is empty: expected a header line and bars")
    delimiter = max(("\t", ";", ","), key=first_line.count)
    if first_line.count(delimiter) == 0:
        raise DataError(
            f"cannot find columns in the header {first_line[:80]!r}: expected e.g. "
            "time,open,high,low,close,volume separated by ',' or ';'"
        )
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            sep=delimiter,
            dtype=str,
            skipinitialspace=True,
            keep_default_na=False,
            quoting=csv.QUOTE_MINIMAL,
        )
    except (pd.errors.ParserError, ValueError) as exc:
        raise DataError(f"cannot parse the file as a table: {str(exc).splitlines()[0]}") from exc
    return _named(frame)


def _named(frame: pd.DataFrame) -> pd.DataFrame:
    """Lower-case, unbracketed column names; two columns with one name are an error."""
    names = [_clean(str(c)) for c in frame.columns]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise DataError(
            f"column {twice[0]!r} appears more than once (names ignore case)",
            [{"duplicate": n} for n in twice],
        )
    frame.columns = names
    return frame


def _times(frame: pd.DataFrame) -> tuple[pd.Series, str]:
    columns = list(frame.columns)
    time_col = next((c for c in columns if c in _TIME_NAMES), None)
    if time_col is None:
        raise DataError(
            f"no time column: found {', '.join(columns)}; "
            "expected one named time, date or datetime",
            [{"missing": "time"}],
        )
    values = frame[time_col].astype(str).str.strip()
    if {"date", "time"} <= set(columns):  # separate date and time columns, in either order
        values = frame["date"].astype(str).str.strip() + " " + frame["time"].astype(str).str.strip()
    values = values.str.replace(r"^(\d{4})\.(\d{2})\.(\d{2})", r"\1-\2-\3", regex=True)
    no_date = values.str.fullmatch(r"\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?")
    if no_date.any():
        row = int(np.argmax(no_date.to_numpy()))
        raise DataError(
            f"row {row + 1}: the time {values.iloc[row]!r} has no date",
            [{"row": row + 1, "column": time_col}],
        )
    return values, time_col


_COMPACT = {8: "%Y%m%d", 12: "%Y%m%d%H%M", 14: "%Y%m%d%H%M%S"}
_EPOCH_SECONDS = (631_152_000, 4_102_444_800)  # 1990 to 2100
_OFFSET = r"(?:Z|[+-]\d{2}:?\d{2})$"
_YEARS = (1900, 2200)


def _digits(values: pd.Series) -> pd.Series | None:
    """Compact dates (``20240102``, ``202401021300``) or epoch seconds/milliseconds."""
    width = values.str.len().iloc[0]
    if width in _COMPACT and values.str.match(r"(19|20)\d{2}[01]\d[0-3]\d").all():
        return pd.to_datetime(values, format=_COMPACT[width], errors="coerce")
    numbers = values.astype("int64")
    for unit, scale in (("s", 1), ("ms", 1000)):
        low, high = (edge * scale for edge in _EPOCH_SECONDS)
        if numbers.between(low, high).all():
            return pd.Series(pd.to_datetime(numbers, unit=unit, utc=True))
    return None


def _parse_times(values: pd.Series, tz: str) -> pd.DatetimeIndex:
    with_offset = values.str.contains(_OFFSET)
    if with_offset.any() and not with_offset.all():
        row = int(np.argmax(~with_offset.to_numpy()))
        raise DataError(
            f"row {row + 1}: the time {values.iloc[row]!r} has no UTC offset while "
            "others do: give every time an offset, or none",
            [{"row": row + 1}],
        )
    utc = bool(with_offset.all())
    try:
        parsed = _digits(values) if values.str.fullmatch(r"\d{8,14}").all() else None
        if parsed is None:
            parsed = pd.to_datetime(values, errors="coerce", format="ISO8601", utc=utc)
        if parsed.isna().any():  # not ISO: let pandas work out each value
            parsed = pd.to_datetime(
                values, errors="coerce", format="mixed", dayfirst=False, utc=utc
            )
    except (ValueError, OverflowError) as exc:
        raise DataError(f"cannot read the times: {str(exc).splitlines()[0]}") from exc
    bad = parsed.isna()
    if bad.any():
        row = int(np.argmax(bad.to_numpy()))
        raise DataError(
            f"row {row + 1}: cannot read the time {values.iloc[row]!r}",
            [{"row": row + 1, "column": "time", "value": values.iloc[row]}],
        )
    index = pd.DatetimeIndex(parsed)
    outside = (index.year < _YEARS[0]) | (index.year > _YEARS[1])
    if outside.any():
        row = int(np.argmax(outside))
        raise DataError(
            f"row {row + 1}: the time {values.iloc[row]!r} is outside {_YEARS[0]}–{_YEARS[1]}",
            [{"row": row + 1, "column": "time"}],
        )
    if index.tz is None:
        try:
            index = index.tz_localize(zone(tz), ambiguous="infer", nonexistent="shift_forward")
        except Exception as exc:  # ambiguous DST hours that cannot be inferred
            raise DataError(f"times are ambiguous in zone {tz}: {exc}") from exc
    return index.tz_convert("UTC").as_unit("ns")


def _numbers(frame: pd.DataFrame, column: str) -> np.ndarray:
    raw = frame[column].astype(str).str.strip()
    missing = raw == ""
    if missing.any():
        row = int(np.argmax(missing.to_numpy()))
        raise DataError(f"row {row + 1}: missing {column}", [{"row": row + 1, "column": column}])
    numbers = pd.to_numeric(raw, errors="coerce")
    bad = numbers.isna() | ~np.isfinite(numbers.to_numpy(dtype=float, na_value=np.nan))
    if bad.any():
        row = int(np.argmax(bad.to_numpy()))
        raise DataError(
            f"row {row + 1}: {column} {raw.iloc[row]!r} is not a number",
            [{"row": row + 1, "column": column, "value": raw.iloc[row]}],
        )
    return numbers.to_numpy(dtype=np.float64)


def bars_from_table(frame: pd.DataFrame, tz: str = "UTC") -> pd.DataFrame:
    """Turn a table of strings with time and OHLC columns into a bar frame."""
    if frame.empty:
        raise DataError("the file has a header but no bars")
    missing = [c for c in PRICE_COLUMNS if c not in frame.columns]
    if missing:
        raise DataError(
            f"missing column(s) {', '.join(missing)}: found {', '.join(frame.columns)}",
            [{"missing": c} for c in missing],
        )
    values, _ = _times(frame)
    index = _parse_times(values, tz)
    volume_col = next((c for c in _VOLUME_NAMES if c in frame.columns), None)
    data = {c: _numbers(frame, c) for c in PRICE_COLUMNS}
    data["volume"] = _numbers(frame, volume_col) if volume_col else np.zeros(len(frame))
    bars = pd.DataFrame(data, index=index)
    bars.index.name = "time"
    return bars


def _parquet(data: bytes, tz: str) -> pd.DataFrame:
    try:
        frame = pd.read_parquet(io.BytesIO(data))
    except Exception as exc:
        raise DataError(f"cannot read the Parquet file: {str(exc).splitlines()[0]}") from exc
    if isinstance(frame.index, pd.DatetimeIndex):
        frame = frame.reset_index()
    frame = _named(frame)
    time_col = next((c for c in frame.columns if c in _TIME_NAMES), None)
    if time_col is not None and pd.api.types.is_datetime64_any_dtype(frame[time_col]):
        frame[time_col] = frame[time_col].astype(str)
    return bars_from_table(frame.astype(str), tz)


def read_bars(source: bytes | str | Path, tz: str = "UTC") -> pd.DataFrame:
    """Read bars from a file path or the file's bytes, in whichever supported layout it is."""
    zone(tz)
    data = Path(source).read_bytes() if isinstance(source, str | Path) else source
    if not data.strip():
        raise DataError("the file is empty: expected a header line and bars")
    if data[:4] == PARQUET_MAGIC:
        return _parquet(data, tz)
    return bars_from_table(_read_table(_text(data)), tz)


def write_parquet(bars: pd.DataFrame) -> bytes:
    """A bar frame as Parquet bytes (how stored datasets are kept)."""
    buffer = io.BytesIO()
    bars.to_parquet(buffer)
    return buffer.getvalue()
