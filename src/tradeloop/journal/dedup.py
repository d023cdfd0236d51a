"""The same fills imported twice are counted once.

A fill of a later import duplicates a fill of an earlier one when they share a broker fill id,
a broker order id, or else the same contract, side, second, quantity and price (and account,
when both files name one: a Tradovate Performance export names none, so it matches any
account, while two NinjaTrader accounts copying one trade stay two trades); one earlier
fill is the duplicate of at most one later fill. This recognises the
same file re-saved, and the Orders, Fills and Performance exports of one Tradovate session.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd

from tradeloop.journal.trades import fills_of


def _exec_keys(fills: pd.DataFrame) -> pd.Series:
    second = pd.DatetimeIndex(fills["fill_time"]).as_unit("ns").asi8 // 1_000_000_000
    return (
        fills["contract"].str.upper()
        + "|" + fills["side"]
        + "|" + pd.Series(second, index=fills.index).astype(str)
        + "|" + fills["qty"].round(8).astype(str)
        + "|" + fills["price"].round(8).astype(str)
    )  # fmt: skip


def _within(keys: pd.Series, seen: Counter[str]) -> np.ndarray:
    """True for each key among the first n of its kind, n being how often ``seen`` holds it:
    one earlier fill matches at most one later fill."""
    rank = keys.groupby(keys, sort=False).cumcount().to_numpy()
    return rank < keys.map(seen).fillna(0).to_numpy()


class FillIndex:
    """The fills of the imports seen so far, by every key a later duplicate could share."""

    def __init__(self) -> None:
        self.ids: set[str] = set()
        self.with_account: Counter[str] = Counter()
        self.any_account: Counter[str] = Counter()
        self.without_account: Counter[str] = Counter()

    def duplicates(self, orders: pd.DataFrame) -> np.ndarray:
        """For each row of ``orders``: True when it is a fill already seen."""
        mask = np.zeros(len(orders), dtype=bool)
        fills = fills_of(orders)
        if fills.empty:
            return mask
        execs = _exec_keys(fills)
        named = (fills["account"] != "").to_numpy()
        by_id = fills["fill_id"].map(lambda v: v != "" and "fill:" + v in self.ids).to_numpy()
        by_order = fills["order_id"].map(lambda v: v != "" and "order:" + v in self.ids).to_numpy()
        by_exec = np.where(
            named,
            _within(fills["account"] + "|" + execs, self.with_account)
            | _within(execs, self.without_account),
            _within(execs, self.any_account),
        )
        positions = orders.index.get_indexer(fills.index)
        mask[positions] = by_id | by_order | by_exec
        return mask

    def add(self, orders: pd.DataFrame) -> None:
        """Remember the fills of ``orders``."""
        fills = fills_of(orders)
        if fills.empty:
            return
        execs = _exec_keys(fills)
        named = fills["account"] != ""
        self.ids.update("fill:" + v for v in fills["fill_id"] if v)
        self.ids.update("order:" + v for v in fills["order_id"] if v)
        self.with_account.update(fills.loc[named, "account"] + "|" + execs[named])
        self.without_account.update(execs[~named])
        self.any_account.update(execs)


def drop_duplicates(parts: list[pd.DataFrame]) -> tuple[list[pd.DataFrame], list[int]]:
    """Each import's orders without the fills an earlier import already holds, and how many
    fills each lost."""
    seen = FillIndex()
    kept, dropped = [], []
    for orders in parts:
        duplicate = seen.duplicates(orders)
        seen.add(orders)
        kept.append(orders[~duplicate])
        dropped.append(int(duplicate.sum()))
    return kept, dropped
