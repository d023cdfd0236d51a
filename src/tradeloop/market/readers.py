"""Read OHLC bars from the layouts users have: MT5 CSV, the MT5 terminal's tab export and its
History Center export, ``Date,Open,High,Low,Close,Volume`` files (any capitalisation, ``,``
or ``;``, Yahoo's ``Adj Close``), pandas' ``to_csv`` layout (the time in an unnamed first
column), Dukascopy (``Gmt time`` in UTC, or ``Time (EET)``), Binance kline files (``open_time``
in epoch milliseconds, with or without a header) and Parquet.

Every reader returns a *bar frame*: a DataFrame indexed by UTC time (``time``) with float
columns ``open, high, low, close, volume``. Times without a zone are taken in ``tz``; a layout
that states its zone (``Gmt time``, ``Time (EET)``, epoch numbers, UTC offsets) uses it.
"""

from __future__ import annotations

import hashlib
import io
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from tradeloop.market.errors import DataError
from tradeloop.market.tables import decode, head_lines, is_blank, numbers, read_csv_table, shown
from tradeloop.market.times import DateOrder, parse_times, zone

__all__ = ["read_bars", "write_parquet", "zone"]

PRICE_COLUMNS = ("open", "high", "low", "close")
_TIME_NAMES = (
    "time", "date", "datetime", "timestamp", "date_time", "gmt time", "local time", "open_time",
    "open time", "utc", "",
)  # fmt: skip
_VOLUME_NAMES = ("volume", "tick_volume", "tickvol", "vol", "real_volume", "tick volume")
_ZONED = re.compile(r"^(?:time|date|local time)\s*\((?P<zone>[A-Za-z_/+\-0-9]+)\)$")
_BINANCE_KLINE = (
    "open_time", "open", "high", "low", "close", "volume", "close_time", "quote_volume", "count",
    "taker_buy_volume", "taker_buy_quote_volume", "ignore",
)  # fmt: skip
PARQUET_MAGIC = b"PAR1"
MARKET_YEARS = (1900, 2200)


def _clean(name: str) -> str:
    return name.strip().strip("<>").strip().lower()


def _named(frame: pd.DataFrame) -> pd.DataFrame:
    """Lower-case, unbracketed column names; two columns with one name are an error."""
    names = [_clean(str(c)) for c in frame.columns]
    twice = sorted(
        {n for n in names if n and names.count(n) > 1} | set(frame.attrs.get("repeated", []))
    )
    if twice:
        raise DataError(
            f"column {twice[0]!r} appears more than once (names ignore case)",
            [{"duplicate": n} for n in twice],
            key="market.error.duplicate_column",
            values={"column": repr(twice[0])},
        )
    frame.columns = names
    return frame


def _headerless_kline(text: str, first_line: str) -> str:
    """Binance's older kline dumps have no header: give them Binance's column names."""
    first = first_line.strip().split(",")
    if len(first) == len(_BINANCE_KLINE) and all(re.fullmatch(r"[\d.]+", v) for v in first):
        return ",".join(_BINANCE_KLINE) + "\n" + text.lstrip()
    return text


def _read_table(text: str) -> pd.DataFrame:
    start = re.match(r"\s*", text).end()  # type: ignore[union-attr]
    first_line = "" if is_blank(text) else head_lines(text, 1, start)[0]
    if not first_line:
        raise DataError(
            "the file is empty: expected a header line and bars", key="market.error.empty_bars"
        )
    if not any(d in first_line for d in ",;\t"):
        raise DataError(
            f"cannot find columns in the header {first_line[:80]!r}: expected e.g. "
            "time,open,high,low,close,volume separated by ',' or ';'",
            key="market.error.no_columns",
            values={"header": repr(first_line[:80])},
        )
    return _named(read_csv_table(_headerless_kline(text, first_line)))


def _time_column(frame: pd.DataFrame, tz: str) -> tuple[pd.Series, str, str]:
    """The time values, the column's name, and the zone they are in."""
    columns = list(frame.columns)
    for name in columns:
        if (match := _ZONED.match(name)) is not None:  # Dukascopy "Time (EET)"
            return (
                frame[name],
                name,
                match["zone"].upper() if match["zone"].isalpha() else match["zone"],
            )
    time_col = next((c for c in columns if c in _TIME_NAMES), None)
    if time_col is None:
        raise DataError(
            f"no time column: found {', '.join(columns)}; "
            "expected one named time, date or datetime",
            [{"missing": "time"}],
            key="market.error.no_time_column",
            values={"found": ", ".join(columns)},
        )
    values = frame[time_col]
    if {"date", "time"} <= set(columns):  # separate date and time columns, in either order
        values = frame["date"].astype(str).str.strip() + " " + frame["time"].astype(str).str.strip()
        time_col = "date"
    elif not pd.api.types.is_datetime64_any_dtype(values):
        values = values.astype(str).str.strip()
        no_date = values.str.fullmatch(r"\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?")
        if no_date.any():
            row = int(np.argmax(no_date.to_numpy()))
            raise DataError(
                f"row {row + 1}: the time {shown(values.iloc[row])} has no date",
                [{"row": row + 1, "column": time_col}],
                key="market.error.time_without_date",
                values={"row": row + 1, "value": shown(values.iloc[row])},
            )
    return values, time_col, "UTC" if time_col in ("gmt time", "utc") else tz


def bars_from_table(
    frame: pd.DataFrame, tz: str = "UTC", date_order: DateOrder = "auto"
) -> pd.DataFrame:
    """Turn a table with time and OHLC columns into a bar frame."""
    if frame.empty:
        raise DataError("the file has a header but no bars", key="market.error.no_bars")
    missing = [c for c in PRICE_COLUMNS if c not in frame.columns]
    if missing:
        raise DataError(
            f"missing column(s) {', '.join(missing)}: found {', '.join(frame.columns)}",
            [{"missing": c} for c in missing],
            key="market.error.missing_columns",
            values={"missing": ", ".join(missing), "found": ", ".join(frame.columns)},
        )
    values, time_col, time_zone = _time_column(frame, tz)
    dukascopy = time_col in ("gmt time", "local time") or _ZONED.match(time_col) is not None
    convention: DateOrder | None = "dmy" if dukascopy else None  # Dukascopy writes day first
    index = parse_times(
        values, time_zone, "the time", date_order, convention, years=MARKET_YEARS, infer=True
    )
    volume_col = next((c for c in _VOLUME_NAMES if c in frame.columns), None)
    data = {c: _prices(frame, c) for c in PRICE_COLUMNS}
    data["volume"] = _prices(frame, volume_col) if volume_col else np.zeros(len(frame))
    bars = pd.DataFrame(data, index=pd.DatetimeIndex(index))
    bars.index.name = "time"
    return bars


def _prices(frame: pd.DataFrame, column: str) -> np.ndarray:
    values = numbers(frame, column, required=True)
    if not np.isfinite(values.to_numpy()).all():
        row = int(np.argmax(~np.isfinite(values.to_numpy())))
        raise DataError(
            f"row {row + 1}: {column} is not a finite number",
            key="market.error.not_finite",
            values={"row": row + 1, "column": column},
        )
    return values.to_numpy(dtype=np.float64)


def _parquet(data: bytes, tz: str, date_order: DateOrder) -> pd.DataFrame:
    try:
        frame = pd.read_parquet(io.BytesIO(data))
    except Exception as exc:
        reason = str(exc).splitlines()[0]
        raise DataError(
            f"cannot read the Parquet file: {reason}",
            key="market.error.bad_parquet",
            values={"reason": reason},
        ) from exc
    if isinstance(frame.index, pd.DatetimeIndex):
        frame = frame.reset_index()
    frame = _named(frame)
    time_col = next((c for c in frame.columns if c in _TIME_NAMES), None)
    if time_col is not None and pd.api.types.is_datetime64_any_dtype(frame[time_col]):
        stamps = frame[time_col]
        if stamps.dt.tz is not None:  # stored bars are UTC already
            frame[time_col] = stamps.dt.tz_convert("UTC")
            tz = "UTC"
    return bars_from_table(frame, tz, date_order)


def read_bars(
    source: bytes | str | Path, tz: str = "UTC", date_order: DateOrder = "auto"
) -> pd.DataFrame:
    """Read bars from a file path or the file's bytes, in whichever supported layout it is."""
    zone(tz)
    data = Path(source).read_bytes() if isinstance(source, str | Path) else source
    if not data or data.isspace():
        raise DataError(
            "the file is empty: expected a header line and bars", key="market.error.empty_bars"
        )
    if data[:4] == PARQUET_MAGIC:
        return _parquet(data, tz, date_order)
    return bars_from_table(_read_table(decode(data)), tz, date_order)


def write_parquet(bars: pd.DataFrame) -> bytes:
    """A bar frame as Parquet bytes (how stored datasets are kept)."""
    buffer = io.BytesIO()
    bars.to_parquet(buffer)
    return buffer.getvalue()


@dataclass(frozen=True)
class StoredBars:
    """Bars as a dataset keeps them: Parquet bytes, their digest, count and span."""

    data: bytes
    sha256: str
    bars: int
    start_time: datetime
    end_time: datetime


def stored_bars(bars: pd.DataFrame) -> StoredBars:
    """``bars`` ready to store (computed where the bars were read: in a worker process)."""
    data = write_parquet(bars)
    return StoredBars(
        data, hashlib.sha256(data).hexdigest(), len(bars),
        bars.index[0].to_pydatetime(), bars.index[-1].to_pydatetime(),
    )  # fmt: skip
