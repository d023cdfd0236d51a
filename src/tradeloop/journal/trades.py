"""Fills → trades.

- Fills that carry a broker position id (MetaTrader positions, Tradovate Performance pairs)
  are one trade per position: a position closed in three partial deals is one trade with
  three exits, its prices the volume-weighted averages.
- ``lots`` counts the entry fills a trade closed: NinjaTrader counts each entry/exit fill pair
  as a "close", so an exit that closes two entries is one trade here and two closes there.
- Other fills are matched first in, first out per account and contract. Scale-ins add lots;
  each closing fill closes the oldest lots at their own entry prices and is one trade; a
  partial exit leaves the remaining lots at their original prices. A fill whose file says it
  opens (MT5 ``in``, NinjaTrader ``Entry``, ``SS``) opens lots even against an opposite
  position (hedging); one that says it closes only closes; a fill that says neither closes
  the opposite position and opens the rest the other way (netting).

Money: ``gross_money`` is the profit the file states for the closing fills, else points ×
point value; ``pnl_money`` is gross − commission and fees + swap (MT5's "Total Net Profit").
"""

from __future__ import annotations

from collections import deque

import numpy as np
import pandas as pd

from tradeloop.journal.contracts import underlying
from tradeloop.market.tables import mapped

TRADE_COLUMNS = [
    "account", "symbol", "underlying", "side", "entry_time", "exit_time", "entry_price",
    "exit_price", "qty", "points", "pnl_points", "gross_money", "commission", "swap",
    "pnl_money", "currency", "exits", "lots", "exit_type", "position", "source",
]  # fmt: skip
_ROW = ["account", "symbol", "side", "entry_time", "exit_time", "entry_price", "exit_price",
        "qty", "commission", "swap", "stated", "multiplier", "currency", "exits", "lots",
        "exit_type", "position", "source"]  # fmt: skip
EPSILON = 1e-9


def fills_of(orders: pd.DataFrame) -> pd.DataFrame:
    """The rows that are fills: a filled quantity, a fill time and a price, whatever the
    order's final status (an order filled in part, then cancelled, still filled that part)."""
    mask = (
        (orders["status"] != "rejected")
        & (orders["qty"] > 0)
        & orders["fill_time"].notna()
        & orders["price"].notna()
    )
    return orders[mask]


def _fifo(fills: pd.DataFrame) -> list[tuple]:
    """One trade per closing fill, lots matched first in, first out (see the module doc)."""
    books: dict[tuple[str, str], tuple[deque, deque]] = {}
    rows: list[tuple] = []
    times = pd.DatetimeIndex(fills["fill_time"]).as_unit("ns").asi8.tolist()
    names = ("account", "contract", "side", "qty", "price", "commission", "swap", "money",
             "effect", "type", "multiplier", "currency", "source")  # fmt: skip
    columns = (fills[c].to_numpy().tolist() for c in names)  # Python values: faster arithmetic
    for row in zip(*columns, times, strict=True):
        account, contract, side, qty, price, fee, swap, money, effect, kind, mult, ccy = row[:12]
        source, when = row[12], row[13]
        longs, shorts = books.setdefault((account, contract), (deque(), deque()))
        mine, against = (longs, shorts) if side == "buy" else (shorts, longs)
        per_unit = fee / qty if qty else 0.0
        remaining = float(qty)
        closed = cost = entry_fees = 0.0
        first_time = lots = 0
        while effect != "open" and remaining > EPSILON and against:
            lot = against[0]  # [qty, price, time, fee per unit]
            take = min(remaining, lot[0])
            first_time = first_time or lot[2]
            lots += 1
            closed += take
            cost += lot[1] * take
            entry_fees += lot[3] * take
            lot[0] -= take
            remaining -= take
            if lot[0] <= EPSILON:
                against.popleft()
        if closed > EPSILON:  # the realised money and swap stated on the fill are this trade's
            rows.append((
                account, contract, "sell" if side == "buy" else "buy", first_time, when,
                cost / closed, price, closed, entry_fees + per_unit * closed, swap, money, mult,
                ccy, 1, lots, kind, "", source,
            ))  # fmt: skip
        if remaining > EPSILON and effect != "close":
            mine.append([remaining, float(price), when, per_unit])
    return rows


def _positions(fills: pd.DataFrame) -> list[tuple]:
    """One trade per (account, position): entries are the fills on the first fill's side."""
    keys = [fills["account"], fills["position"]]
    direction = fills.groupby(keys, sort=False)["side"].transform("first")
    entering = (fills["side"] == direction).to_numpy()
    qty, price = fills["qty"].to_numpy(), fills["price"].to_numpy()
    frame = pd.DataFrame(
        {
            "account": fills["account"], "position": fills["position"],
            "symbol": fills["contract"], "side": direction,
            "in_qty": np.where(entering, qty, 0.0),
            "in_value": np.where(entering, qty * price, 0.0),
            "out_qty": np.where(entering, 0.0, qty),
            "out_value": np.where(entering, 0.0, qty * price),
            "in_fee": np.where(entering, fills["commission"], 0.0),
            "out_fee": np.where(entering, 0.0, fills["commission"]),
            "swap": fills["swap"],
            "stated": np.where(entering, 0.0, fills["money"]),
            "entry_time": fills["fill_time"].where(entering),
            "exit_time": fills["fill_time"].where(~entering),
            "exits": (~entering).astype(int),
            "lots": entering.astype(int),
            "exit_type": pd.Series(fills["type"].to_numpy(), index=fills.index).where(~entering),
            "multiplier": fills["multiplier"], "currency": fills["currency"],
            "source": fills["source"],
        }
    )  # fmt: skip
    grouped = frame.groupby(["account", "position"], sort=False)
    agg = grouped.agg(
        symbol=("symbol", "first"), side=("side", "first"), in_qty=("in_qty", "sum"),
        in_value=("in_value", "sum"), out_qty=("out_qty", "sum"), out_value=("out_value", "sum"),
        in_fee=("in_fee", "sum"), out_fee=("out_fee", "sum"), swap=("swap", "sum"),
        stated=("stated", lambda s: s.sum(min_count=len(s))), entry_time=("entry_time", "min"),
        exit_time=("exit_time", "max"), exits=("exits", "sum"), lots=("lots", "sum"),
        exit_type=("exit_type", "last"),
        multiplier=("multiplier", "first"), currency=("currency", "first"),
        source=("source", "last"),
    ).reset_index()  # fmt: skip
    agg = agg[(agg["out_qty"] > EPSILON) & (agg["in_qty"] > EPSILON)]
    closed = np.minimum(agg["in_qty"], agg["out_qty"])
    rows = pd.DataFrame(
        {
            "account": agg["account"], "symbol": agg["symbol"],
            "side": agg["side"],
            "entry_time": pd.DatetimeIndex(agg["entry_time"]).as_unit("ns").asi8,
            "exit_time": pd.DatetimeIndex(agg["exit_time"]).as_unit("ns").asi8,
            "entry_price": agg["in_value"] / agg["in_qty"],
            "exit_price": agg["out_value"] / agg["out_qty"],
            "qty": closed, "commission": agg["in_fee"] * closed / agg["in_qty"] + agg["out_fee"],
            "swap": agg["swap"], "stated": agg["stated"], "multiplier": agg["multiplier"],
            "currency": agg["currency"], "exits": agg["exits"], "lots": agg["lots"],
            "exit_type": agg["exit_type"], "source": agg["source"],
            "position": agg["position"],
        }
    )  # fmt: skip
    return list(rows[_ROW].itertuples(index=False, name=None))


def in_time_order(fills: pd.DataFrame) -> pd.DataFrame:
    """Fills by time; fills of one second by their broker ids when the file numbers them
    (Tradovate, MT5: ids grow with time), so the order of rows in the file does not matter,
    else in file order."""
    key = fills.assign(_rank=np.arange(len(fills), dtype=float))
    for column in ("fill_id", "order_id"):
        ids = fills[column]
        numbers = pd.to_numeric(ids, errors="coerce")
        if len(ids) and numbers.isna().any() and ids.str.contains(":", regex=False).all():
            numbers = pd.to_numeric(ids.str.rsplit(":", n=1).str[-1], errors="coerce")  # MT5
        if len(ids) and numbers.notna().all():
            key["_rank"] = numbers.astype(float)
            break
    return fills.loc[key.sort_values(["fill_time", "_rank"], kind="stable").index]


def rebuild_trades(orders: pd.DataFrame) -> pd.DataFrame:
    """Closed trades from the orders' fills, in exit order. An optional ``source`` column
    (which import a fill came from) is carried to each trade from its closing fill."""
    fills = in_time_order(fills_of(orders))
    fills = fills.assign(source=fills.get("source", ""))
    by_position = fills["position"] != ""
    rows = _fifo(fills[~by_position])
    if by_position.any():
        rows += _positions(fills[by_position])
    trades = pd.DataFrame(rows, columns=_ROW)
    for column in ("entry_time", "exit_time"):
        trades[column] = pd.to_datetime(trades[column].astype("int64"), unit="ns", utc=True)
    for column in ("entry_price", "exit_price", "qty", "commission", "swap", "stated",
                   "multiplier"):  # fmt: skip
        trades[column] = trades[column].astype(float)
    direction = np.where(trades["side"] == "buy", 1.0, -1.0)
    trades["points"] = (trades["exit_price"] - trades["entry_price"]) * direction
    trades["pnl_points"] = trades["points"] * trades["qty"]
    trades["gross_money"] = trades.pop("stated").fillna(
        trades["pnl_points"] * trades.pop("multiplier")
    )
    trades["pnl_money"] = trades["gross_money"] - trades["commission"] + trades["swap"]
    trades["underlying"] = mapped(trades["symbol"], underlying)
    trades[["exits", "lots"]] = trades[["exits", "lots"]].astype(int)
    trades = trades.sort_values(["exit_time", "entry_time"], kind="stable")
    return trades[TRADE_COLUMNS].reset_index(drop=True)


def unknown_money(trades: pd.DataFrame) -> list[str]:
    """Symbols whose money P&L is unknown (no stated profit and no known point value)."""
    return sorted(set(trades.loc[trades["pnl_money"].isna(), "symbol"]))


def open_positions(orders: pd.DataFrame) -> dict[str, float]:
    """Net quantity still open per contract after all fills (not part of any trade)."""
    fills = fills_of(orders)
    signed = np.where(fills["side"] == "buy", fills["qty"], -fills["qty"])
    net = pd.Series(signed, index=fills.index).groupby(fills["contract"]).sum()
    return {k: float(v) for k, v in net.items() if abs(v) > 1e-12}
