"""Hand-worked fills: next open, on close, stops and targets, gaps, reversals, end of data."""

from __future__ import annotations

import pytest

from tests.backtest.helpers import GivenSignals, bars
from tradeloop.backtest.engine import run_backtest
from tradeloop.execution.settings import ExecutionSettings
from tradeloop.market.instruments import resolve_instrument

EURUSD = resolve_instrument("EURUSD")
NO_COSTS = {"spread_pips": 0, "units": 1}


def run(rows, entries, **settings):
    strategy = GivenSignals(
        entries, settings.pop("exit_long", None), settings.pop("exit_short", None)
    )
    return run_backtest(bars(rows), strategy, EURUSD, ExecutionSettings(**{**NO_COSTS, **settings}))


def only_trade(result):
    assert len(result.trades) == 1
    return result.trades.iloc[0]


# Bars are (open, high, low, close). Stops/targets are 50/100 pips from the signal bar's close.
FLAT = (1.1000, 1.1010, 1.0990, 1.1000)


def test_entry_fills_at_the_next_open_and_target_at_its_level() -> None:
    rows = [FLAT, FLAT, (1.1005, 1.1020, 1.0995, 1.1015), (1.1015, 1.1110, 1.1010, 1.1090), FLAT]
    trade = only_trade(run(rows, [0, 1, 0, 0, 0], sl_pips=50, tp_pips=100))
    assert (trade.entry_index, trade.entry_price) == (2, 1.1005)  # signal at bar 1's close
    assert (trade.stop, trade.target) == pytest.approx((1.0950, 1.1100))
    assert (trade.exit_index, trade.exit_reason) == (3, "target")
    assert trade.exit_price == pytest.approx(1.1100)
    assert trade.pnl == pytest.approx(1.1100 - 1.1005)


def test_gap_through_the_stop_fills_at_the_open() -> None:
    rows = [FLAT, FLAT, (1.1000, 1.1005, 1.0980, 1.0990), (1.0900, 1.0920, 1.0880, 1.0910), FLAT]
    trade = only_trade(run(rows, [0, 1, 0, 0, 0], sl_pips=50, tp_pips=100))
    assert (trade.exit_index, trade.exit_reason) == (3, "stop")
    assert trade.exit_price == pytest.approx(1.0900)  # not the 1.0950 stop: the market gapped


def test_gap_through_the_target_fills_at_the_better_open() -> None:
    rows = [FLAT, FLAT, (1.1000, 1.1005, 1.0995, 1.1000), (1.1200, 1.1220, 1.1190, 1.1210), FLAT]
    trade = only_trade(run(rows, [0, 1, 0, 0, 0], sl_pips=50, tp_pips=100))
    assert (trade.exit_reason, trade.exit_price) == ("target", pytest.approx(1.1200))


def test_stop_and_target_in_one_bar_counts_the_stop() -> None:
    rows = [FLAT, FLAT, (1.1000, 1.1005, 1.0995, 1.1000), (1.1000, 1.1150, 1.0900, 1.1000), FLAT]
    trade = only_trade(run(rows, [0, 1, 0, 0, 0], sl_pips=50, tp_pips=100))
    assert (trade.exit_reason, trade.exit_price, trade.exit_index) == (
        "stop",
        pytest.approx(1.0950),
        3,
    )


def test_stop_can_hit_on_the_entry_bar() -> None:
    rows = [FLAT, FLAT, (1.1000, 1.1005, 1.0940, 1.0960), FLAT]
    trade = only_trade(run(rows, [0, 1, 0, 0], sl_pips=50))
    assert (trade.entry_index, trade.exit_index, trade.exit_reason) == (2, 2, "stop")
    assert trade.exit_price == pytest.approx(1.0950)


def test_short_trades_mirror_stop_and_target() -> None:
    rows = [FLAT, FLAT, (1.0995, 1.1000, 1.0990, 1.0992), (1.0990, 1.0995, 1.0890, 1.0900), FLAT]
    trade = only_trade(run(rows, [0, -1, 0, 0, 0], sl_pips=50, tp_pips=100))
    assert (trade.side, trade.stop, trade.target) == (
        -1,
        pytest.approx(1.1050),
        pytest.approx(1.0900),
    )
    assert (trade.exit_reason, trade.exit_price) == ("target", pytest.approx(1.0900))
    assert trade.pnl == pytest.approx(1.0995 - 1.0900)


def test_on_close_fills_enter_at_the_signal_close_and_check_stops_from_the_next_bar() -> None:
    rows = [FLAT, (1.1000, 1.1010, 1.0940, 1.1000), (1.1000, 1.1010, 1.0945, 1.1000), FLAT]
    trade = only_trade(run(rows, [0, 1, 0, 0], sl_pips=50, fill="close"))
    assert (trade.entry_index, trade.entry_price) == (
        1,
        1.1000,
    )  # its own low 1.0940 is not checked
    assert (trade.exit_index, trade.exit_reason, trade.exit_price) == (
        2,
        "stop",
        pytest.approx(1.0950),
    )


def test_opposite_signal_is_ignored_by_default_and_reverses_when_asked() -> None:
    rows = [FLAT, FLAT, (1.1010, 1.1020, 1.1000, 1.1010), (1.1030, 1.1040, 1.1020, 1.1030), FLAT]
    ignored = run(rows, [0, 1, -1, 0, 0])
    trade = only_trade(ignored)
    assert (trade.exit_reason, trade.exit_index, trade.exit_price) == ("end", 4, 1.1000)
    reversed_ = run(rows, [0, 1, -1, 0, 0], on_opposite="reverse").trades
    assert list(reversed_["side"]) == [1, -1]
    assert list(reversed_["exit_reason"]) == ["signal", "end"]
    assert reversed_.iloc[0].exit_price == reversed_.iloc[1].entry_price == 1.1030
    assert reversed_.iloc[0].pnl == pytest.approx(1.1030 - 1.1010)


def test_exit_signals_close_at_the_next_open() -> None:
    rows = [FLAT, FLAT, (1.1010, 1.1020, 1.1000, 1.1010), (1.1040, 1.1050, 1.1030, 1.1040), FLAT]
    trade = only_trade(run(rows, [0, 1, 0, 0, 0], exit_long=[False, False, True, False, False]))
    assert (trade.exit_index, trade.exit_reason, trade.exit_price) == (3, "signal", 1.1040)


def test_open_trades_close_on_the_last_bar() -> None:
    rows = [FLAT, FLAT, (1.1010, 1.1020, 1.1000, 1.1010), (1.1030, 1.1060, 1.1020, 1.1050)]
    trade = only_trade(run(rows, [0, 1, 0, 0]))
    assert (trade.exit_index, trade.exit_reason, trade.exit_price) == (3, "end", 1.1030)
    on_close = only_trade(run(rows, [0, 1, 0, 0], fill="close"))
    assert (on_close.entry_price, on_close.exit_price) == (1.1000, 1.1050)


def test_no_new_entry_while_a_position_is_open() -> None:
    rows = [FLAT] * 6
    result = run(rows, [0, 1, 1, 1, 0, 0])
    assert len(result.trades) == 1


def test_on_close_reversal_and_exit_signals_fill_at_the_signal_close() -> None:
    rows = [
        FLAT,
        FLAT,
        (1.1010, 1.1020, 1.1000, 1.1015),
        (1.1030, 1.1040, 1.1020, 1.1035),
        FLAT,
        FLAT,
    ]
    reversed_ = run(rows, [0, 1, -1, 0, 0, 0], fill="close", on_opposite="reverse").trades
    assert list(reversed_["side"]) == [1, -1]
    assert (reversed_.iloc[0].exit_index, reversed_.iloc[0].exit_price) == (2, 1.1015)
    assert (reversed_.iloc[1].entry_index, reversed_.iloc[1].entry_price) == (2, 1.1015)
    exited = only_trade(
        run(
            rows,
            [0, 1, 0, 0, 0, 0],
            fill="close",
            exit_long=[False, False, False, True, False, False],
        )
    )
    assert (exited.exit_index, exited.exit_price, exited.exit_reason) == (3, 1.1035, "signal")


def test_nothing_opens_on_the_last_bar() -> None:
    rows = [FLAT] * 5
    assert run(rows, [0, 0, 0, 0, 1], fill="close", commission=7).trades.empty
    assert run(rows, [0, 0, 0, 0, 1]).trades.empty


@pytest.mark.parametrize("symbol", ["EURUSD", "USDJPY", "XAUUSD"])
@pytest.mark.parametrize("fill", ["next_open", "close"])
@pytest.mark.parametrize("opposite", ["ignore", "reverse"])
def test_final_equity_is_initial_cash_plus_every_trades_pnl(
    symbol: str, fill: str, opposite: str
) -> None:
    from tradeloop.market.synthetic import random_walk_bars
    from tradeloop.strategies.base import get_strategy

    price = {"EURUSD": 1.1, "USDJPY": 150.0, "XAUUSD": 2000.0}[symbol]
    frame = random_walk_bars(3000, seed=21, price=price, gap_chance=0.05)
    settings = ExecutionSettings(
        fill=fill,
        on_opposite=opposite,
        sl_atr=1.5,
        tp_atr=3,
        risk_percent=1,
        spread_pips=2,
        slippage_pips=0.5,
        commission=7,
    )
    result = run_backtest(
        frame,
        get_strategy("ma_crossover", {"fast_period": 5, "slow_period": 20}),
        resolve_instrument(symbol),
        settings,
    )
    trades = result.trades
    assert len(trades) > 30 and trades["costs"].gt(0).all()
    assert result.stats["final_equity"] == pytest.approx(10_000 + trades["pnl"].sum(), abs=1e-6)
    assert (
        trades["entry_index"].to_numpy()[1:] >= trades["exit_index"].to_numpy()[:-1]
    ).all()  # one at a time


def test_atr_stops_need_the_atr_warm_up() -> None:
    from tradeloop.market.errors import DataError

    rows = [FLAT] * 300
    with pytest.raises(
        DataError, match="300 bars are too few: given with these parameters needs at least 502"
    ):
        run(rows, [0] * 300, sl_atr=2, atr_period=500)
