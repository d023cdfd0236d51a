"""The one shape every importer returns: an ``Orders`` table, and what the file said of itself.

Orders columns:

- ``order_id`` the broker's order (or deal) id; ``fill_id`` the broker's fill id, "" if none;
- ``account``, ``contract`` (the symbol as the file writes it), ``side`` ('buy'|'sell');
- ``type`` ('market'|'limit'|'stop'|'stop_limit'|other), ``status`` ('filled'|'cancelled'|
  'rejected'|'working'|other);
- ``timestamp`` (last status change, UTC), ``fill_time`` (UTC or NaT), ``qty`` (filled
  quantity), ``price`` (average fill), ``limit_price``, ``stop_price`` (NaN for a stop whose
  level was not stated at entry: it protected, but its planned risk is unknown);
- ``commission`` (fees and commission paid on the row, positive = cost), ``swap`` (signed
  money credited), ``money`` (the gross profit the file states for a closing fill, else NaN);
- ``position`` the broker's position id ("" when the file has none): fills of one position are
  one trade; ``effect`` 'open', 'close' or "" (unknown: first in, first out through flat);
- ``multiplier`` money per point per unit of quantity (NaN when unknown), ``currency``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from tradeloop.journal.contracts import point_value, value_currency
from tradeloop.market.errors import DataError
from tradeloop.market.tables import mapped, row_place, shown

ORDER_COLUMNS = [
    "order_id", "fill_id", "account", "contract", "side", "type", "status", "timestamp",
    "fill_time", "qty", "price", "limit_price", "stop_price", "commission", "swap", "money",
    "position", "effect", "multiplier", "currency",
]  # fmt: skip
_DEFAULTS: dict[str, Any] = {
    "order_id": "", "fill_id": "", "account": "", "type": "market", "status": "filled",
    "fill_time": pd.NaT, "limit_price": np.nan, "stop_price": np.nan, "commission": 0.0,
    "swap": 0.0, "money": np.nan, "position": "", "effect": "", "multiplier": np.nan,
    "currency": "",
}  # fmt: skip
_TEXT = ("order_id", "fill_id", "account", "contract", "side", "type", "status", "position",
         "effect", "currency")  # fmt: skip
_FLOAT = ("qty", "price", "limit_price", "stop_price", "commission", "swap", "money",
          "multiplier")  # fmt: skip

SIDES = {
    side: "buy"
    for side in ("buy", "b", "bot", "long", "bto", "btc", "bc", "buy to open", "buy to cover",
                 "cover", "bought")
} | {
    side: "sell"
    for side in ("sell", "s", "sld", "short", "ss", "sto", "stc", "sell short", "short sell",
                 "sell to open", "sell to close", "sold")
}  # fmt: skip


@dataclass
class Imported:
    """What an importer read: the orders, the format, and what the file states about itself
    (accounts, currency, a server or platform name, a label, stated totals)."""

    orders: pd.DataFrame
    format: str
    kind: str = "live"  # 'tested' for a strategy tester's deals
    label: str = ""
    currency: str = ""
    server: str = ""
    language: str = ""
    stops_known: bool = True  # False: the file cannot show stops (fills or pairs only)
    stated: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    @property
    def accounts(self) -> list[str]:
        """The accounts the orders belong to, in order of appearance."""
        return [a for a in pd.unique(self.orders["account"]) if a]


def orders_frame(columns: dict[str, Any], rows: int | None = None) -> pd.DataFrame:
    """An Orders table from ``columns`` (missing ones get their defaults), in ORDER_COLUMNS."""
    sized = (v for v in columns.values() if hasattr(v, "__len__") and not isinstance(v, str))
    n = rows if rows is not None else len(next(sized))
    frame = pd.DataFrame({**{k: v for k, v in _DEFAULTS.items() if k not in columns}, **columns},
                         index=pd.RangeIndex(n))  # fmt: skip
    for name in _TEXT:
        frame[name] = frame[name].fillna("").astype(str)
    for name in _FLOAT:
        frame[name] = pd.to_numeric(frame[name], errors="coerce").astype(float)
    for name in ("timestamp", "fill_time"):
        frame[name] = pd.to_datetime(frame[name], utc=True).dt.as_unit("ns")
    return frame[ORDER_COLUMNS]


def empty_orders() -> pd.DataFrame:
    """An Orders table with no rows."""
    return orders_frame({name: [] for name in ORDER_COLUMNS}, 0)


def sides(values: pd.Series, column: str, where: str = "row") -> pd.Series:
    """Buy/sell words ('Buy', 'B', 'SLD', 'SS', 'BC', 'Sell Short'…) as 'buy' or 'sell'."""
    found = mapped(values.astype(str).str.strip().str.lower(), SIDES)
    bad = found.isna()
    if bad.any():
        row = int(np.argmax(bad.to_numpy()))
        suffix, place = row_place(where, row + 1)
        raise DataError(
            f"{where} {row + 1}: {column} {shown(values.iloc[row])} is neither Buy nor Sell",
            [{"row": row + 1, "column": column}],
            key=f"journal.error.not_a_side{suffix}",
            values={**place, "column": column, "value": shown(values.iloc[row])},
        )
    return found


def require(frame: pd.DataFrame, columns: list[str], kind: str) -> None:
    """A DataError naming the columns ``kind`` needs that ``frame`` lacks."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataError(
            f"{kind} export is missing column(s): {', '.join(missing)}",
            [{"missing": c} for c in missing],
            key="journal.error.missing_columns",
            values={"kind": kind, "missing": ", ".join(missing)},
        )
    if frame.empty:
        raise DataError("the export has a header but no rows", key="journal.error.no_rows")


def upgrade_orders(frame: pd.DataFrame) -> pd.DataFrame:
    """Orders stored by an earlier version in today's shape: missing columns get their
    defaults, and the point value and currency of each contract where they were not kept."""
    missing = [c for c in ORDER_COLUMNS if c not in frame.columns]
    if not missing:
        return frame
    frame = frame.copy()
    symbols = frame["contract"].unique()
    stated = "money" in frame.columns and bool(frame["money"].notna().any())
    if "multiplier" in missing:  # a report that stated its money needs no point value
        values = {s: None if stated else point_value(s) for s in symbols}
        frame["multiplier"] = frame["contract"].map(values).astype(float)
    if "currency" in missing:  # …and its account currency was not kept then
        frame["currency"] = (
            "" if stated else frame["contract"].map({s: value_currency(s) for s in symbols})
        )
    for name in missing:
        if name not in frame.columns:
            frame[name] = _DEFAULTS[name]
    return frame[ORDER_COLUMNS]
