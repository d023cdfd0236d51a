"""Fills → trades, first in first out, worked by hand."""

from __future__ import annotations

import pytest

from tests.journal.helpers import export, fill, orders_of
from tradeloop.journal.trades import rebuild_trades


def trades(*rows: str):
    orders = orders_of(export(*rows))
    return rebuild_trades(orders)


def test_partial_exits_close_lots_at_their_own_price() -> None:
    t = trades(
        fill(1, "09:00:00", "Buy", 2, 100),
        fill(2, "09:01:00", "Sell", 1, 110),
        fill(3, "09:02:00", "Sell", 1, 120),
    )
    assert list(t["pnl_points"]) == [10, 20]
    assert list(t["entry_price"]) == [100, 100] and list(t["qty"]) == [1, 1]


def test_scale_in_exit_uses_the_weighted_entry_and_earliest_time() -> None:
    t = trades(
        fill(1, "09:00:00", "Buy", 1, 100),
        fill(2, "09:05:00", "Buy", 1, 104),
        fill(3, "09:10:00", "Sell", 2, 110),
    )
    row = t.iloc[0]
    assert (row.qty, row.entry_price, row.points, row.pnl_points) == (2, 102, 8, 16)
    assert row.entry_time.strftime("%H:%M:%S") == "09:00:00"


def test_fifo_closes_the_oldest_lot_first() -> None:
    t = trades(
        fill(1, "09:00:00", "Buy", 1, 100),
        fill(2, "09:05:00", "Buy", 1, 90),
        fill(3, "09:10:00", "Sell", 1, 95),
        fill(4, "09:15:00", "Sell", 1, 95),
    )
    assert list(t["points"]) == [-5, 5]


def test_reversal_closes_and_opens_the_rest_the_other_way() -> None:
    t = trades(
        fill(1, "09:00:00", "Buy", 1, 100),
        fill(2, "09:01:00", "Sell", 3, 110),
        fill(3, "09:05:00", "Buy", 2, 105),
    )
    assert list(t["side"]) == ["buy", "sell"]
    assert list(t["pnl_points"]) == [10, 10]  # +10 on the long, then 2 short from 110 to 105
    assert list(t["qty"]) == [1, 2]


def test_multi_day_holds() -> None:
    t = trades(
        fill(1, "01/02/2024 15:00:00", "Sell", 1, 200),
        fill(2, "01/05/2024 10:00:00", "Buy", 1, 180),
    )
    row = t.iloc[0]
    assert (row.side, row.points) == ("sell", 20)
    assert (row.exit_time - row.entry_time).total_seconds() == 3 * 86400 - 5 * 3600


def test_same_second_fills_keep_file_order() -> None:
    t = trades(
        fill(1, "09:00:00", "Buy", 1, 100),
        fill(2, "09:00:00", "Sell", 1, 101),
        fill(3, "09:00:00", "Buy", 1, 102),
        fill(4, "09:00:00", "Sell", 1, 99),
    )
    assert list(t["points"]) == [1, -3]


def test_point_values_give_money_and_unknown_contracts_give_none() -> None:
    t = trades(
        fill(1, "09:00:00", "Buy", 2, 100, contract="ESH4"),
        fill(2, "09:01:00", "Sell", 2, 101, contract="ESH4"),
        fill(3, "09:02:00", "Buy", 1, 10, contract="ZZZH4"),
        fill(4, "09:03:00", "Sell", 1, 11, contract="ZZZH4"),
    )
    assert t.iloc[0].pnl_money == pytest.approx(2 * 1 * 50)
    assert t.iloc[1].pnl_money != t.iloc[1].pnl_money  # NaN: unknown point value
    assert list(t["underlying"]) == ["ES", "ZZZ"]


def test_micro_and_mini_share_their_underlying() -> None:
    from tradeloop.journal.contracts import underlying

    assert underlying("MNQZ4") == underlying("NQH25") == underlying("MNQ MAR25") == "NQ"
    assert underlying("ES 03-25") == underlying("MESZ4") == "ES"  # NinjaTrader's names
    assert underlying("MESZ4") == underlying("ESZ4") == "ES"


def test_an_order_filled_in_part_then_cancelled_keeps_its_fill() -> None:
    t = trades(
        fill(1, "09:00:00", "Buy", 2, 100),
        "2,01/02/2024 09:05:00,01/02/2024 09:05:00,Sell,MNQH4,1,104,Limit,104,,Canceled",
        fill(3, "09:06:00", "Sell", 1, 101),
    )
    assert list(t["points"]) == [4.0, 1.0]


def test_orders_stored_by_an_earlier_version_are_read_in_todays_shape() -> None:
    from tradeloop.journal.frame import ORDER_COLUMNS, upgrade_orders

    old = orders_of(export(fill(1, "09:00:00", "Buy", 1, 100), fill(2, "09:01:00", "Sell", 1, 101)))
    old = old[[c for c in old.columns if c not in ("multiplier", "currency", "position", "effect",
                                                    "fill_id", "swap")]]  # fmt: skip
    new = upgrade_orders(old)
    assert list(new.columns) == ORDER_COLUMNS and rebuild_trades(new).iloc[0].pnl_money == 2.0
    # an MT5 report stated money in its account's currency, which was not kept: not USD
    mt5 = old.assign(money=[float("nan"), 30.0], contract="USDJPY")
    (trade,) = rebuild_trades(upgrade_orders(mt5)).itertuples()
    assert (trade.pnl_money, trade.currency) == (30.0, "")
