"""A bot's fills as journal orders (account ``bot:<id>``), so its trades pass through the same
FIFO rebuild, habit detectors and daily sessions as imported ones: one row per fill, each
position's fills tied by its opening order's id, and the position's stop as a stop order
(filled when it closed the trade, else cancelled when the trade closed), so the stop-loss
detector sees the bot's real stops and their risk."""

from __future__ import annotations

import numpy as np
import pandas as pd

from tradeloop.core.instruments import Instrument
from tradeloop.core.orders import Fill, Order
from tradeloop.execution.inputs import ACCOUNT_CURRENCY
from tradeloop.journal.frame import empty_orders, orders_frame

ORDER_TYPES = {"stop": "stop", "target": "limit"}  # others are market orders


def bot_orders(
    account: str, instrument: Instrument, orders: list[Order], fills: list[Fill]
) -> pd.DataFrame:
    """The journal's orders for ``fills`` (with ``orders``, the broker's, for positions and
    stops). Quantities in lots; money per point per lot is the contract size when the quote
    is the account currency (else unknown: the journal then counts points)."""
    if not fills:
        return empty_orders()
    by_id = {order.client_order_id: order for order in orders}
    rows = []
    exits: dict[str, Fill] = {}
    for fill in fills:
        opening = fill.reason == "entry"
        position = fill.client_order_id if opening else by_id[fill.client_order_id].request.closes
        if not opening:
            exits.setdefault(position or "", fill)
        rows.append(_row(account, fill, position or "", "open" if opening else "close", instrument))
        rows[-1]["type"] = ORDER_TYPES.get(fill.reason, "market")
    for fill in fills:  # each position's protective stop
        request = by_id[fill.client_order_id].request
        if fill.reason != "entry" or request.stop is None:
            continue
        closed = exits.get(fill.client_order_id)
        stop = _row(account, fill, fill.client_order_id, "close", instrument)
        stop |= {
            "order_id": f"{fill.client_order_id}:stop-order",
            "fill_id": "",
            "side": fill.side.opposite.value,
            "type": "stop",
            "status": "filled" if closed is not None and closed.reason == "stop" else "cancelled",
            "timestamp": closed.time if closed is not None else fill.time,
            "fill_time": pd.NaT,
            "price": np.nan,
            "stop_price": request.stop,
            "commission": 0.0,
        }
        if closed is None:
            stop["status"] = "working"
        rows.append(stop)
    columns = {name: [row[name] for row in rows] for name in rows[0]}
    return orders_frame(columns)


def _row(account: str, fill: Fill, position: str, effect: str, instrument: Instrument) -> dict:
    quote_is_account = instrument.quote == ACCOUNT_CURRENCY
    return {
        "order_id": fill.client_order_id,
        "fill_id": fill.client_order_id,
        "account": account,
        "contract": fill.symbol,
        "side": fill.side.value,
        "type": "market",
        "status": "filled",
        "timestamp": fill.time,
        "fill_time": fill.time,
        "qty": fill.quantity / instrument.contract_size,
        "price": fill.price,
        "stop_price": np.nan,
        "commission": fill.commission,
        "position": position,
        "effect": effect,
        "multiplier": instrument.contract_size if quote_is_account else np.nan,
        "currency": ACCOUNT_CURRENCY if quote_is_account else "",
    }
