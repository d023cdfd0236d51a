"""Each detector at its boundaries."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.journal.helpers import export, fill, orders_of, stop
from tradeloop.habits import detectors as d
from tradeloop.habits.analysis import analyze
from tradeloop.journal.trades import rebuild_trades

ENTRY = pd.Timestamp("2024-01-02 09:00:00", tz="UTC")


def one_trade_orders(stop_offset: float, status: str = "cancelled") -> pd.DataFrame:
    """A long entered at 09:00:00 and sold at 09:05:00, plus a sell stop ``stop_offset`` s from entry."""
    orders = orders_of(
        export(fill(1, "09:00:00", "Buy", 1, 100), fill(2, "09:05:00", "Sell", 1, 105, "Limit"))
    )
    extra = orders.iloc[[0]].assign(
        order_id="s",
        side="sell",
        type="stop",
        status=status,
        qty=0.0,
        price=np.nan,
        fill_time=pd.NaT,
        stop_price=95.0,
        timestamp=ENTRY + pd.Timedelta(seconds=stop_offset),
    )
    return pd.concat([orders, extra], ignore_index=True)


def protected(orders: pd.DataFrame) -> tuple[bool, float]:
    trades = rebuild_trades(orders)
    check = d.check_stops(trades, orders)
    return bool(check.protected[0]), float(check.risk_points[0])


@pytest.mark.parametrize(
    ("offset", "expected"),
    [(-59, True), (-60, True), (-61, False), (300, True), (302, True), (302.5, False)],
)
def test_stop_window_from_60_s_before_entry_to_2_s_after_exit(
    offset: float, expected: bool
) -> None:
    assert protected(one_trade_orders(offset, status="working"))[0] is expected


@pytest.mark.parametrize(
    ("offset", "expected"), [(-1.9, True), (-2.0, True), (-2.1, False), (0, True), (30, True)]
)
def test_cancelled_stop_counts_unless_cancelled_more_than_2_s_before_entry(
    offset: float, expected: bool
) -> None:
    assert protected(one_trade_orders(offset))[0] is expected


def test_rejected_stop_does_not_protect_or_give_risk() -> None:
    is_protected, risk = protected(one_trade_orders(10, status="rejected"))
    assert not is_protected and np.isnan(risk)


def test_risk_points_come_from_the_first_stop_inside_the_trade() -> None:
    assert protected(one_trade_orders(10, status="working")) == (True, 5.0)
    is_protected, risk = protected(
        one_trade_orders(-30, status="working")
    )  # before entry: protects, no risk
    assert is_protected and np.isnan(risk)


def test_a_stop_that_filled_as_the_exit_protects() -> None:
    orders = orders_of(
        export(
            fill(1, "09:00:00", "Buy", 1, 100),
            "2,01/02/2024 08:00:00,01/02/2024 09:05:00,Sell,MNQH4,1,95,Stop,,95,Filled",
        )
    )
    assert d.check_stops(rebuild_trades(orders), orders).protected[0]


def test_stops_on_the_same_side_or_another_contract_do_not_protect() -> None:
    rows = [
        fill(1, "09:00:00", "Buy", 1, 100),
        stop(3, "09:01:00", "Buy", 95, "Working"),
        stop(4, "09:01:00", "Sell", 95, "Working", contract="NQH4"),
        fill(2, "09:05:00", "Sell", 1, 105, "Limit"),
    ]
    orders = orders_of(export(*rows))
    assert not d.check_stops(rebuild_trades(orders), orders).protected[0]


def frame(
    points: list[float], entries: list[str] | None = None, exits: list[str] | None = None
) -> pd.DataFrame:
    n = len(points)
    entries = entries or [f"09:{i:02d}:00" for i in range(n)]
    exits = exits or [f"09:{i:02d}:30" for i in range(n)]
    return pd.DataFrame(
        {
            "symbol": "MNQH4",
            "underlying": "NQ",
            "side": "buy",
            "qty": 1.0,
            "points": points,
            "pnl_points": points,
            "pnl": points,  # the result in the journal's unit (points: no money here)
            "entry_price": 100.0,
            "entry_time": pd.to_datetime([f"2024-01-02 {t}" for t in entries], utc=True),
            "exit_time": pd.to_datetime([f"2024-01-02 {t}" for t in exits], utc=True),
        }
    )


def test_outsized_loss_is_strictly_above_the_threshold() -> None:
    # losses 10, 10, 20: mean 13.33, population std 4.714 → threshold 18.05 (σ 1)
    flags, limits = d.outsized_losses(frame([-10, -10, -20, 5]), 1.0)
    assert limits["NQ"] == pytest.approx(40 / 3 + np.std([10, 10, 20]))
    assert list(flags) == [False, False, True, False]
    exact = frame(
        [-10, -20]
    )  # mean 15, std 5 → threshold 20 with σ 1: a 20-point loss is not above
    assert not d.outsized_losses(exact, 1.0)[0].any()


def test_excessive_risk_threshold_and_single_trade_std_zero() -> None:
    risk = np.array([10.0, 10.0, 40.0, np.nan])
    flags, limits = d.excessive_risk(frame([1, 1, 1, 1]), risk, 1.5)
    assert limits["NQ"] == pytest.approx(20 + 1.5 * np.std([10, 10, 40]))  # 20 + 21.21 = 41.21
    assert not flags.any()
    flags, limits = d.excessive_risk(frame([1, 1, 1, 1]), risk, 0.5)
    assert list(flags) == [False, False, True, False]
    single = d.excessive_risk(frame([1]), np.array([12.0]), 1.5)
    assert single[1]["NQ"] == 12.0 and not single[0].any()


def test_revenge_window_is_median_hold_times_k_and_inclusive() -> None:
    # holds 30 s each → window 30 s (k 1); trade 2 enters exactly 30 s after trade 1's losing exit
    trades = frame(
        [-5, 3, 4],
        entries=["09:00:00", "09:01:00", "09:03:00"],
        exits=["09:00:30", "09:01:30", "09:03:30"],
    )
    assert d.revenge_window(trades, 1.0) == 30.0
    assert list(d.revenge_trades(trades, 30.0)) == [False, True, False]
    assert list(d.revenge_trades(trades, 29.9)) == [False, False, False]
    after_a_win = frame([5, 3], entries=["09:00:00", "09:00:31"], exits=["09:00:30", "09:01:00"])
    assert not d.revenge_trades(after_a_win, 60.0).any()


def test_analysis_adds_mistakes_and_r_multiples() -> None:
    analysis = analyze(
        rebuild_trades(one_trade_orders(10, "working")), one_trade_orders(10, "working")
    )
    row = analysis.trades.iloc[0]
    assert row.mistakes == [] and row.risk_points == 5.0 and row.r_multiple == pytest.approx(1.0)
    naked = analyze(
        rebuild_trades(one_trade_orders(-61, "working")), one_trade_orders(-61, "working")
    )
    assert naked.trades.iloc[0].mistakes == ["no_stop_loss"]


def test_the_earliest_stop_inside_the_trade_gives_the_risk() -> None:
    rows = [
        fill(1, "09:00:00", "Buy", 1, 100),
        stop(3, "09:03:00", "Sell", 97, "Working"),
        stop(4, "09:01:00", "Sell", 92, "Working"),
        fill(2, "09:05:00", "Sell", 1, 105, "Limit"),
    ]
    orders = orders_of(export(*rows))
    assert d.check_stops(rebuild_trades(orders), orders).risk_points[0] == 8.0


def test_a_stop_in_another_account_does_not_protect() -> None:
    orders = orders_of(
        export(
            fill(1, "09:00:00", "Buy", 1, 100),
            fill(2, "09:05:00", "Sell", 1, 105, "Limit"),
            stop(3, "09:01:00", "Sell", 95, "Working"),
        )
    )
    orders.loc[orders["type"] == "stop", "account"] = "other account"
    check = d.check_stops(rebuild_trades(orders), orders)
    assert not check.protected[0] and np.isnan(check.risk_points[0])


def test_thresholds_are_per_underlying() -> None:
    trades = frame([-10, -30, -1, -3])
    trades["underlying"] = ["NQ", "NQ", "ES", "ES"]
    flags, limits = d.outsized_losses(trades, 1.0)
    assert limits == {"ES": pytest.approx(3.0), "NQ": pytest.approx(30.0)}
    assert not flags.any()  # each loss is at most its own underlying's threshold


def test_scaling_out_after_a_loss_is_not_revenge() -> None:
    orders = orders_of(
        export(
            fill(1, "09:00:00", "Buy", 2, 100),
            fill(2, "09:01:00", "Sell", 1, 98),
            fill(3, "09:01:10", "Sell", 1, 97),
        )
    )
    trades = rebuild_trades(orders).assign(pnl=lambda t: t["pnl_money"])
    assert not d.revenge_trades(trades, d.revenge_window(trades, 1.0)).any()
