"""MetaTrader 5 account history report (the terminal's Report export, HTML or XLSX).

The report's Positions table is already trade-level: open time, position, symbol, type,
volume, open price, S/L, T/P, close time, close price, commission, swap, profit. Each
position becomes an entry fill, an exit fill carrying its money result, and, when S/L was
set, a working stop order placed at the open: the same shape as every other importer.
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd

from tradeloop.market.errors import DataError

POSITION_HEADER = [
    "time",
    "position",
    "symbol",
    "type",
    "volume",
    "price",
    "s / l",
    "t / p",
    "time",
    "price",
    "commission",
    "swap",
    "profit",
]


def _grid(data: bytes) -> list[list[str]]:
    """Every row of the report as trimmed strings."""
    try:
        if data[:2] == b"PK":
            sheets = pd.read_excel(io.BytesIO(data), header=None, dtype=str, sheet_name=None)
            frames = list(sheets.values())
        else:
            text = (
                data.decode("utf-16")
                if data[:2] in (b"\xff\xfe", b"\xfe\xff")
                else data.decode("utf-8", "replace")
            )
            frames = pd.read_html(io.StringIO(text), header=None, flavor="lxml")
    except ValueError as exc:
        if "No tables found" in str(exc):
            raise DataError(
                "the MT5 report has no Positions table: export the account history as a Report"
            ) from exc
        raise DataError(f"cannot read the MT5 report: {str(exc).splitlines()[0]}") from exc
    except Exception as exc:  # a damaged XLSX (bad zip) or HTML the parser gives up on
        raise DataError(f"cannot read the MT5 report: {type(exc).__name__}") from exc
    rows = []
    for frame in frames:
        for values in frame.itertuples(index=False):
            rows.append(
                ["" if pd.isna(v) or str(v) in ("nan", "None") else str(v).strip() for v in values]
            )
    return rows


def _positions(rows: list[list[str]]) -> pd.DataFrame:
    start = next((i for i, row in enumerate(rows) if row and row[0].lower() == "positions"), None)
    if start is None:
        raise DataError(
            "the MT5 report has no Positions table: export the account history as a Report"
        )
    if start + 1 >= len(rows):
        raise DataError("the MT5 report's Positions table has no header row")
    header = rows[start + 1]
    used = [i for i, cell in enumerate(header) if cell]  # spacer cells have no header: skip them
    names = [header[i].lower() for i in used]
    if names[:13] != POSITION_HEADER:
        raise DataError(
            f"the Positions table's columns are {', '.join(names)}; "
            f"expected {', '.join(POSITION_HEADER)}"
        )
    body = []
    for row in rows[start + 2 :]:
        if (
            not row
            or not row[0]
            or row[0].lower() in ("orders", "deals", "working orders", "results")
        ):
            break
        cells = row + [""] * (max(used) + 1 - len(row))
        body.append([cells[i] for i in used[:13]])
    if not body:
        raise DataError("the MT5 report's Positions table is empty")
    frame = pd.DataFrame(
        body,
        columns=[
            "open_time",
            "position",
            "symbol",
            "type",
            "volume",
            "open_price",
            "sl",
            "tp",
            "close_time",
            "close_price",
            "commission",
            "swap",
            "profit",
        ],
    )
    return frame


def _numbers(frame: pd.DataFrame, column: str) -> pd.Series:
    cleaned = frame[column].str.replace(" ", "", regex=False).str.replace(",", "", regex=False)
    values = pd.to_numeric(cleaned.where(cleaned != ""), errors="coerce")
    bad = values.isna() & (cleaned != "")
    if bad.any():
        row = int(np.argmax(bad.to_numpy()))
        raise DataError(
            f"Positions row {row + 1}: {column} {frame[column].iloc[row]!r} is not a number"
        )
    return values


def _times(frame: pd.DataFrame, column: str, tz: str) -> pd.Series:
    parsed = pd.to_datetime(frame[column], format="%Y.%m.%d %H:%M:%S", errors="coerce")
    retry = pd.to_datetime(frame[column], format="mixed", errors="coerce")
    parsed = parsed.fillna(retry)
    if parsed.isna().any():
        row = int(np.argmax(parsed.isna().to_numpy()))
        raise DataError(
            f"Positions row {row + 1}: cannot read {column} {frame[column].iloc[row]!r}"
        )
    if ((parsed.dt.year < 1970) | (parsed.dt.year > 2100)).any():
        row = int(np.argmax(((parsed.dt.year < 1970) | (parsed.dt.year > 2100)).to_numpy()))
        raise DataError(
            f"Positions row {row + 1}: {column} {frame[column].iloc[row]!r} is outside 1970–2100"
        )
    local = pd.DatetimeIndex(parsed).tz_localize(tz, ambiguous="NaT", nonexistent="shift_forward")
    if local.isna().any():
        row = int(np.argmax(local.isna()))
        raise DataError(
            f"Positions row {row + 1}: {column} happens twice in {tz} (the clock went back): "
            "import with tz=UTC or the server's fixed offset"
        )
    return pd.Series(local.tz_convert("UTC").as_unit("ns"), index=frame.index)


def mt5_orders(data: bytes, tz: str) -> pd.DataFrame:
    """Orders (fills and stops) from an MT5 report's Positions table."""
    p = _positions(_grid(data))
    kind = p["type"].str.lower()
    if not kind.isin(["buy", "sell"]).all():
        row = int(np.argmax(~kind.isin(["buy", "sell"]).to_numpy()))
        raise DataError(
            f"Positions row {row + 1}: type {p['type'].iloc[row]!r} is neither buy nor sell"
        )
    volume, open_price, close_price = (
        _numbers(p, c) for c in ("volume", "open_price", "close_price")
    )
    sl, tp = _numbers(p, "sl").fillna(0.0), _numbers(p, "tp").fillna(0.0)
    money = (
        _numbers(p, "profit").fillna(0.0)
        + _numbers(p, "commission").fillna(0.0)
        + _numbers(p, "swap").fillna(0.0)
    )
    opened, closed = _times(p, "open_time", tz), _times(p, "close_time", tz)
    other = np.where(kind == "buy", "sell", "buy")
    tolerance = np.maximum(np.abs(close_price) * 1e-9, 1e-12)
    exit_type = np.where(
        (sl > 0) & (np.abs(close_price - sl) <= tolerance),
        "stop",
        np.where((tp > 0) & (np.abs(close_price - tp) <= tolerance), "limit", "market"),
    )
    common = {
        "account": p["position"],  # each position is its own book: no FIFO across positions
        "contract": p["symbol"].str.upper(),
        "limit_price": np.nan,
        "commission": 0.0,
    }
    entries = pd.DataFrame(
        {
            **common,
            "order_id": p["position"] + "-in",
            "side": kind,
            "type": "market",
            "status": "filled",
            "timestamp": opened,
            "fill_time": opened,
            "qty": volume,
            "price": open_price,
            "stop_price": np.nan,
            "money": np.nan,
        }
    )
    exits = pd.DataFrame(
        {
            **common,
            "order_id": p["position"] + "-out",
            "side": other,
            "type": exit_type,
            "status": "filled",
            "timestamp": closed,
            "fill_time": closed,
            "qty": volume,
            "price": close_price,
            "stop_price": np.where(exit_type == "stop", sl, np.nan),
            "money": money,
        }
    )
    stops = pd.DataFrame(
        {
            **common,
            "order_id": p["position"] + "-sl",
            "side": other,
            "type": "stop",
            "status": "working",
            "timestamp": opened,
            "fill_time": pd.NaT,
            "qty": 0.0,
            "price": np.nan,
            "stop_price": sl,
            "money": np.nan,
        }
    )[(sl > 0).to_numpy()]
    return pd.concat([entries, stops, exits], ignore_index=True)
