"""Fills → trades, first in first out, per account and contract.

Scale-ins add lots; each closing fill closes lots FIFO at their own entry prices; a partial
exit leaves the remaining lots at their original prices; a fill that crosses through flat
closes the position and opens the rest the other way. One trade = one closing fill against
the lots it closed.
"""

from __future__ import annotations

from collections import deque

import numpy as np
import pandas as pd

from tradeloop.journal.contracts import point_value, underlying

TRADE_COLUMNS = [
    "account",
    "symbol",
    "underlying",
    "side",
    "entry_time",
    "exit_time",
    "entry_price",
    "exit_price",
    "qty",
    "points",
    "pnl_points",
    "pnl_money",
    "commission",
    "exit_type",
]


# what the FIFO loop records per trade (money and underlying are added after it)
ROW_COLUMNS = [c for c in TRADE_COLUMNS if c not in ("underlying", "pnl_money")] + ["stated_money"]


def fills_of(orders: pd.DataFrame) -> pd.DataFrame:
    """The rows that are fills: status filled, a positive quantity and a fill time."""
    mask = (
        (orders["status"] == "filled")
        & (orders["qty"] > 0)
        & orders["fill_time"].notna()
        & orders["price"].notna()
    )
    return orders[mask]


def rebuild_trades(orders: pd.DataFrame) -> pd.DataFrame:
    """Closed trades from the orders' fills, in exit order."""
    fills = fills_of(orders).sort_values("fill_time", kind="stable")
    books: dict[tuple[str, str], deque[list]] = {}
    rows: list[tuple] = []
    times = pd.DatetimeIndex(fills["fill_time"]).as_unit("ns").asi8  # plain ints: no boxing
    stated = (
        fills["money"].to_numpy(dtype=float) if "money" in fills else np.full(len(fills), np.nan)
    )
    columns = zip(
        *(fills[c].to_numpy() for c in ("account", "contract", "side", "qty", "price")),
        times,
        fills["commission"].to_numpy(),
        fills["type"].to_numpy(),
        stated,
        strict=True,
    )
    for account, contract, side, qty, price, when, fee, kind, money in columns:
        sign = 1 if side == "buy" else -1
        lots = books.setdefault((account, contract), deque())
        fee_per_unit = fee / qty if qty else 0.0
        remaining = float(qty)
        while remaining > 1e-12 and lots and lots[0][0] * sign < 0:  # closing the other way
            lot = lots[0]
            take = min(remaining, abs(lot[0]))
            closed_qty, cost, first_time, entry_fees = take, lot[1] * take, lot[2], lot[3] * take
            lot[0] -= take * (1 if lot[0] > 0 else -1)
            remaining -= take
            if abs(lot[0]) <= 1e-12:
                lots.popleft()
            # further lots closed by the same fill join the same trade
            while remaining > 1e-12 and lots and lots[0][0] * sign < 0:
                lot = lots[0]
                more = min(remaining, abs(lot[0]))
                closed_qty += more
                cost += lot[1] * more
                entry_fees += lot[3] * more
                lot[0] -= more * (1 if lot[0] > 0 else -1)
                remaining -= more
                if abs(lot[0]) <= 1e-12:
                    lots.popleft()
            direction = -sign  # the position's direction: closing with a sell means it was long
            entry = cost / closed_qty
            points = (price - entry) * direction
            rows.append(
                (
                    account,
                    contract,
                    "buy" if direction > 0 else "sell",
                    first_time,
                    when,
                    entry,
                    price,
                    closed_qty,
                    points,
                    points * closed_qty,
                    entry_fees + fee_per_unit * closed_qty,
                    kind,
                    money / qty * closed_qty,
                )
            )
        if remaining > 1e-12:
            lots.append([sign * remaining, float(price), when, fee_per_unit])
    trades = pd.DataFrame(rows, columns=ROW_COLUMNS)
    for column in ("entry_time", "exit_time"):
        trades[column] = pd.to_datetime(trades[column].astype("int64"), unit="ns", utc=True)
    symbols = trades["symbol"].unique()
    values = trades["symbol"].map({s: point_value(s) for s in symbols})
    from_points = (trades["pnl_points"] * values.astype(float)).where(values.notna())
    trades["pnl_money"] = trades.pop("stated_money").fillna(from_points)
    trades["underlying"] = trades["symbol"].map({s: underlying(s) for s in symbols})
    return trades[TRADE_COLUMNS].reset_index(drop=True)


def unknown_point_values(trades: pd.DataFrame) -> list[str]:
    """Contracts whose point value is unknown (their money P&L is null)."""
    return sorted(set(trades.loc[trades["pnl_money"].isna(), "symbol"]))


def open_positions(orders: pd.DataFrame) -> dict[str, float]:
    """Net quantity still open per contract after all fills (not part of any trade)."""
    fills = fills_of(orders)
    signed = np.where(fills["side"] == "buy", fills["qty"], -fills["qty"])
    net = pd.Series(signed, index=fills.index).groupby(fills["contract"]).sum()
    return {k: float(v) for k, v in net.items() if abs(v) > 1e-12}
