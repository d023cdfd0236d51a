"""Importers for the exports traders have. Each returns an ``Orders`` table in one shape.

Orders columns: ``order_id, account, contract, side ('buy'|'sell'), type ('market'|'limit'|
'stop'|'stop_limit'|other), status ('filled'|'cancelled'|'rejected'|other), timestamp (last
status change, UTC), fill_time (UTC or NaT), qty (filled quantity), price (average fill),
limit_price, stop_price, commission``. Fills are the filled rows with a quantity and a fill time.
"""

from __future__ import annotations

import csv
import io
from typing import Literal

import numpy as np
import pandas as pd

from tradeloop.market.errors import DataError
from tradeloop.market.readers import zone

Format = Literal["auto", "tradovate", "mt5", "generic"]
ORDER_COLUMNS = [
    "order_id",
    "account",
    "contract",
    "side",
    "type",
    "status",
    "timestamp",
    "fill_time",
    "qty",
    "price",
    "limit_price",
    "stop_price",
    "commission",
    "money",
]
TRADOVATE_COLUMNS = [
    "Order ID",
    "Timestamp",
    "Fill Time",
    "B/S",
    "Contract",
    "filledQty",
    "Avg Fill Price",
    "Type",
    "Limit Price",
    "Stop Price",
    "Status",
]
GENERIC_COLUMNS = ["Date", "Time", "Symbol", "Quantity", "Price", "Side"]
_TYPES = {
    "market": "market",
    "limit": "limit",
    "stop": "stop",
    "stop limit": "stop_limit",
    "stoplimit": "stop_limit",
    "stop_limit": "stop_limit",
    "mit": "market",
}
_STATUSES = {
    "filled": "filled",
    "canceled": "cancelled",
    "cancelled": "cancelled",
    "rejected": "rejected",
    "working": "working",
    "expired": "cancelled",
}


def read_table(data: bytes) -> pd.DataFrame:
    """A CSV export as strings with trimmed values (Tradovate pads them with spaces)."""
    if not data.strip():
        raise DataError("the file is empty: expected a header line and rows")
    if b"\x00" in data[:4096] and data[:2] not in (b"\xff\xfe", b"\xfe\xff"):
        raise DataError("the file is binary, not a CSV export")
    text = (
        data.decode("utf-16")
        if data[:2] in (b"\xff\xfe", b"\xfe\xff")
        else data.decode("utf-8-sig", "replace")
    )
    text = text.lstrip("\r\n")
    header = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=header.count)
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            dtype=str,
            keep_default_na=False,
            skipinitialspace=True,
            quoting=csv.QUOTE_MINIMAL,
            sep=delimiter,
        )
    except (pd.errors.ParserError, csv.Error, ValueError) as exc:
        raise DataError(f"cannot read the file as CSV: {str(exc).splitlines()[0]}") from exc
    frame.columns = [str(c).strip() for c in frame.columns]
    frame.attrs["decimal_comma"] = delimiter == ";"
    return frame.apply(lambda col: col.str.strip())


def detect_format(frame: pd.DataFrame) -> str:
    """``tradovate`` or ``generic`` from the header; a 4xx naming what is missing otherwise."""
    names = set(frame.columns)
    if {"B/S", "Contract", "Status"} & names:
        return "tradovate"
    if {"Symbol", "Side"} & names:
        return "generic"
    raise DataError(
        "cannot tell the export's format from its header: expected a Tradovate/NinjaTrader "
        f"Orders export ({', '.join(TRADOVATE_COLUMNS)}) or a generic executions CSV "
        f"({', '.join(GENERIC_COLUMNS)})",
        [{"found": sorted(names)}],
    )


def _require(frame: pd.DataFrame, columns: list[str], kind: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataError(
            f"{kind} export is missing column(s): {', '.join(missing)}",
            [{"missing": c} for c in missing],
        )


def _times(values: pd.Series, column: str, tz: str, required: bool) -> pd.Series:
    local_zone = zone(tz)
    blank = values == ""
    parsed = pd.to_datetime(values.where(~blank), format="%m/%d/%Y %H:%M:%S", errors="coerce")
    if parsed[~blank].isna().any():  # other layouts (ISO, two-digit years) one by one
        retry = pd.to_datetime(values.where(~blank), format="mixed", errors="coerce")
        parsed = parsed.fillna(retry)
    bad = parsed.isna() & (~blank | required)
    if bad.any():
        row = int(np.argmax(bad.to_numpy()))
        raise DataError(
            f"row {row + 1}: cannot read {column} {values.iloc[row]!r} "
            "(expected MM/DD/YYYY HH:MM:SS)",
            [{"row": row + 1, "column": column}],
        )
    outside = parsed.notna() & ((parsed.dt.year < 1970) | (parsed.dt.year > 2100))
    if outside.any():
        row = int(np.argmax(outside.to_numpy()))
        raise DataError(
            f"row {row + 1}: {column} {values.iloc[row]!r} is outside 1970–2100",
            [{"row": row + 1, "column": column}],
        )
    local = pd.DatetimeIndex(parsed).tz_localize(
        local_zone, ambiguous="NaT", nonexistent="shift_forward"
    )
    lost = local.isna() & parsed.notna().to_numpy()
    if lost.any():
        row = int(np.argmax(lost))
        raise DataError(
            f"row {row + 1}: {column} {values.iloc[row]!r} happens twice in {tz} "
            "(the clock went back that night): import with tz=UTC or the broker's fixed offset",
            [{"row": row + 1, "column": column}],
        )
    return pd.Series(local.tz_convert("UTC").as_unit("ns"), index=values.index)


def _numbers(values: pd.Series, column: str, decimal_comma: bool = False) -> pd.Series:
    cleaned = values.str.replace("$", "", regex=False).str.replace(" ", "", regex=False)
    if decimal_comma:  # '5000,25' in a ';'-separated file is 5000.25
        cleaned = cleaned.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
    else:
        cleaned = cleaned.str.replace(",", "", regex=False)
    numbers = pd.to_numeric(cleaned.where(cleaned != ""), errors="coerce")
    bad = (numbers.isna() & (cleaned != "")) | (numbers.abs() > 1e9)
    if bad.any():
        row = int(np.argmax(bad.to_numpy()))
        raise DataError(
            f"row {row + 1}: {column} {values.iloc[row]!r} is not a number",
            [{"row": row + 1, "column": column}],
        )
    return numbers.astype(float)


def _column(frame: pd.DataFrame, column: str, required: bool = False) -> pd.Series:
    """A numeric column (decimal commas in ';'-separated files); blanks are NaN unless required."""
    values = _numbers(frame[column], column, frame.attrs.get("decimal_comma", False))
    if required and values.isna().any():
        row = int(np.argmax(values.isna().to_numpy()))
        raise DataError(f"row {row + 1}: {column} is missing", [{"row": row + 1, "column": column}])
    return values


SIDES = {
    side: "buy"
    for side in ("buy", "b", "bot", "long", "bto", "btc", "buy to open", "buy to cover", "cover")
} | {
    side: "sell"
    for side in (
        "sell",
        "s",
        "sld",
        "short",
        "sto",
        "stc",
        "sell short",
        "short sell",
        "sell to open",
        "sell to close",
    )
}


def _sides(values: pd.Series, column: str) -> pd.Series:
    lowered = values.str.lower()
    sides = lowered.map(SIDES)
    bad = sides.isna()
    if bad.any():
        row = int(np.argmax(bad.to_numpy()))
        raise DataError(
            f"row {row + 1}: {column} {values.iloc[row]!r} is neither Buy nor Sell",
            [{"row": row + 1, "column": column}],
        )
    return sides


def tradovate_orders(frame: pd.DataFrame, tz: str) -> pd.DataFrame:
    """Orders from a Tradovate / NinjaTrader web "Orders" export (29- or 11-column layout)."""
    _require(frame, TRADOVATE_COLUMNS, "Tradovate Orders")
    if frame.empty:
        raise DataError("the export has a header but no rows")
    return pd.DataFrame(
        {
            "order_id": frame["Order ID"],
            "account": frame["Account"] if "Account" in frame.columns else "",
            "contract": frame["Contract"].str.upper(),
            "side": _sides(frame["B/S"], "B/S"),
            "type": frame["Type"].str.lower().map(_TYPES).fillna(frame["Type"].str.lower()),
            "status": frame["Status"]
            .str.lower()
            .map(_STATUSES)
            .fillna(frame["Status"].str.lower()),
            "timestamp": _times(frame["Timestamp"], "Timestamp", tz, required=True),
            "fill_time": _times(frame["Fill Time"], "Fill Time", tz, required=False),
            "qty": _column(frame, "filledQty").fillna(0.0),
            "price": _column(frame, "Avg Fill Price"),
            "limit_price": _column(frame, "Limit Price"),
            "stop_price": _column(frame, "Stop Price"),
            "commission": 0.0,
            "money": np.nan,
        }
    )


def generic_orders(frame: pd.DataFrame, tz: str) -> pd.DataFrame:
    """Executions from ``Date,Time,Symbol,Quantity,Price,Side`` (+ Commission, Fees, StopPrice).

    Each row is a fill; a ``StopPrice`` on a row records the protective stop the trader had
    at that moment, as a working stop order on the other side.
    """
    _require(frame, GENERIC_COLUMNS, "generic executions")
    if frame.empty:
        raise DataError("the export has a header but no rows")
    when = _times(frame["Date"] + " " + frame["Time"], "Date/Time", tz, required=True)
    qty = _column(frame, "Quantity", required=True).abs()
    fees = sum(
        (_column(frame, c).fillna(0.0) for c in ("Commission", "Fees") if c in frame.columns),
        start=pd.Series(0.0, index=frame.index),
    )
    side = _sides(frame["Side"], "Side")
    fills = pd.DataFrame(
        {
            "order_id": [f"row{i + 1}" for i in range(len(frame))],
            "account": "",
            "contract": frame["Symbol"].str.upper(),
            "side": side,
            "type": "market",
            "status": "filled",
            "timestamp": when,
            "fill_time": when,
            "qty": qty,
            "price": _column(frame, "Price", required=True),
            "limit_price": np.nan,
            "stop_price": np.nan,
            "commission": fees,
            "money": np.nan,
        }
    )
    if "StopPrice" not in frame.columns:
        return fills
    stop = _column(frame, "StopPrice")
    has = stop.notna()
    stops = fills[has].assign(
        order_id=lambda f: f["order_id"] + "-stop",
        type="stop",
        status="working",
        fill_time=pd.NaT,
        qty=0.0,
        price=np.nan,
        stop_price=stop[has],
        commission=0.0,
        side=np.where(side[has] == "buy", "sell", "buy"),
    )
    return pd.concat([fills, stops], ignore_index=True)


def import_orders(data: bytes, fmt: Format = "auto", tz: str = "UTC") -> tuple[pd.DataFrame, str]:
    """Orders from an export's bytes, and the format it was read as."""
    zone(tz)
    utf16_html = data[:2] in (b"\xff\xfe", b"\xfe\xff") and b"<\x00" in data[:64]
    if fmt == "mt5" or (
        fmt == "auto" and (data.lstrip()[:1] == b"<" or data[:2] == b"PK" or utf16_html)
    ):
        from tradeloop.journal.mt5 import mt5_orders

        return mt5_orders(data, tz)[ORDER_COLUMNS], "mt5"
    frame = read_table(data)
    chosen = detect_format(frame) if fmt == "auto" else fmt
    reader = {"tradovate": tradovate_orders, "generic": generic_orders}.get(chosen)
    if reader is None:
        raise DataError(f"unknown format {fmt!r}: use auto, tradovate, mt5 or generic")
    return reader(frame, tz)[ORDER_COLUMNS], chosen
