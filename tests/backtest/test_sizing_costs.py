"""Sizing modes, currency conversion and costs, worked by hand."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from tests.backtest.helpers import GivenSignals, bars
from tradeloop.backtest.engine import run_backtest
from tradeloop.core.errors import InvalidInput
from tradeloop.execution.settings import ExecutionSettings
from tradeloop.market.instruments import resolve_instrument

FLAT = (1.1000, 1.1010, 1.0990, 1.1000)
UP = [FLAT, FLAT, (1.1000, 1.1010, 1.0995, 1.1005), (1.1100, 1.1110, 1.1090, 1.1100)]


def trade(symbol: str, rows, **settings):
    result = run_backtest(
        bars(rows),
        GivenSignals([0, 1] + [0] * (len(rows) - 2)),
        resolve_instrument(symbol),
        ExecutionSettings(**settings),
    )
    assert len(result.trades) == 1
    return result.trades.iloc[0], result


def test_lots_use_the_contract_size() -> None:
    row, _ = trade("EURUSD", UP, lots=0.1, spread_pips=0)
    assert (row["size"], row.lots) == (10_000, pytest.approx(0.1))
    assert row.pnl == pytest.approx((1.1100 - 1.1000) * 10_000)  # 100 pips × $1 = $100


def test_units_ignore_the_contract_size() -> None:
    row, _ = trade(
        "XAUUSD",
        [(2000, 2001, 1999, 2000)] * 2 + [(2000, 2001, 1999, 2000), (2010, 2011, 2009, 2010)],
        units=3,
        spread_pips=0,
    )
    assert row["size"] == 3 and row.pnl == pytest.approx(30.0)


@pytest.mark.parametrize(
    ("risk", "lots"), [(1.0, 0.20), (1.3, 0.26), (1.33, 0.26), (0.05, 0.01), (9.99, 1.99)]
)
def test_risk_percent_sizes_to_the_stop_rounded_down_to_the_lot_step(
    risk: float, lots: float
) -> None:
    # equity 10,000; stop 50 pips on EURUSD = $500 per lot at risk
    row, _ = trade("EURUSD", UP, risk_percent=risk, sl_pips=50, spread_pips=0)
    assert row.lots == pytest.approx(lots)


def test_risk_below_the_minimum_lot_skips_the_trade_instead_of_over_risking() -> None:
    # 0.01 % of 10,000 = $1, but the minimum 0.01 lot risks $5 over 50 pips
    result = run_backtest(
        bars(UP),
        GivenSignals([0, 1, 0, 0]),
        resolve_instrument("EURUSD"),
        ExecutionSettings(risk_percent=0.01, sl_pips=50, spread_pips=0),
    )
    assert result.trades.empty and result.stats["final_equity"] == 10_000


def test_risk_sizing_uses_current_equity() -> None:
    level = (1.1100, 1.1110, 1.1090, 1.1100)
    rows = [FLAT, FLAT, (1.1000, 1.1010, 1.0995, 1.1005), level, level, level, level]
    strategy = GivenSignals(
        [0, 1, 0, 0, 1, 0, 0], exit_long=[False, False, False, True, False, False, False]
    )
    result = run_backtest(
        bars(rows),
        strategy,
        resolve_instrument("EURUSD"),
        ExecutionSettings(risk_percent=10, sl_pips=50, spread_pips=0),
    )
    first, second = result.trades.iloc[0], result.trades.iloc[1]
    assert first.lots == pytest.approx(2.0)  # 10 % of 10,000 over $500 per lot at risk
    assert first.pnl == pytest.approx(2_000)  # +100 pips on 2 lots
    assert second.lots == pytest.approx(2.4)  # 10 % of 12,000, not of the initial 10,000


def test_usdjpy_risk_sizing_converts_the_stop_to_usd() -> None:
    jpy = [(150.00, 150.10, 149.90, 150.00)] * 3 + [(151.50, 151.60, 151.40, 151.50)]
    row, _ = trade("USDJPY", jpy, risk_percent=1, sl_pips=50, spread_pips=0)
    # stop 50 pips = 0.50 JPY per USD; a lot risks 50,000 JPY = 333.33 USD at 150 → $100 / 333.33 = 0.30
    assert row.lots == pytest.approx(0.30)


def test_usdjpy_equity_is_marked_in_usd_while_the_trade_is_open() -> None:
    jpy = [(150.00, 150.10, 149.90, 150.00)] * 3 + [(151.50, 151.60, 151.40, 151.50)] * 2
    result = run_backtest(
        bars(jpy),
        GivenSignals([0, 1, 0, 0, 0]),
        resolve_instrument("USDJPY"),
        ExecutionSettings(lots=1, spread_pips=0),
    )
    assert result.equity.iloc[3] == pytest.approx(10_000 + 150_000 / 151.50)


def test_cross_profit_can_follow_a_series_of_rates() -> None:
    times = bars(UP).index
    rates = pd.Series([1.20, 1.20, 1.25, 1.30], index=times)  # GBP in USD at each bar
    result = run_backtest(
        bars(UP),
        GivenSignals([0, 1, 0, 0]),
        resolve_instrument("EURGBP"),
        ExecutionSettings(lots=1, spread_pips=0),
        conversion_rates=rates,
    )
    # the end-of-data close fills at bar 3's open (1.1100): +0.0100 GBP per unit × 100,000 at 1.30
    assert result.trades.iloc[0].pnl == pytest.approx(0.0100 * 100_000 * 1.30)
    late = pd.Series([1.3], index=[times[2]])
    with pytest.raises(InvalidInput, match="the conversion rates must start by"):
        run_backtest(
            bars(UP),
            GivenSignals([0, 1, 0, 0]),
            resolve_instrument("EURGBP"),
            ExecutionSettings(lots=1),
            conversion_rates=late,
        )


def test_risk_sizing_respects_the_maximum_lot() -> None:
    row, _ = trade("EURUSD", UP, risk_percent=10, sl_pips=1, spread_pips=0, initial_cash=1e9)
    assert row.lots == pytest.approx(100.0)


def test_usdjpy_profit_is_converted_with_the_pairs_own_rate() -> None:
    jpy = [(150.00, 150.10, 149.90, 150.00)] * 3 + [(151.50, 151.60, 151.40, 151.50)]
    row, result = trade("USDJPY", jpy, lots=1, spread_pips=0)
    # 1 lot = 100,000 USD; +1.50 JPY per USD = 150,000 JPY = 150,000 / 151.50 USD at exit
    assert row.pnl == pytest.approx(150_000 / 151.50)
    assert result.stats["final_equity"] == pytest.approx(10_000 + 150_000 / 151.50)


def test_crosses_need_a_conversion_rate() -> None:
    with pytest.raises(InvalidInput, match="profit of EURGBP is in GBP: give conversion_rate"):
        trade("EURGBP", UP, lots=1, spread_pips=0)
    row, _ = trade("EURGBP", UP, lots=1, spread_pips=0, conversion_rate=1.25)
    assert row.pnl == pytest.approx(0.0100 * 100_000 * 1.25)


def test_spread_commission_and_slippage() -> None:
    # 1 lot EURUSD; spread 1 pip (half per side), slippage 0.5 pip per fill, $7 per lot per side
    row, result = trade("EURUSD", UP, lots=1, spread_pips=1, slippage_pips=0.5, commission=7)
    assert row.entry_price == pytest.approx(1.1000 + 0.00005 + 0.00005)
    assert row.exit_price == pytest.approx(1.1100 - 0.00005 - 0.00005)
    assert row.pnl == pytest.approx((1.1099 - 1.1001) * 100_000 - 14)  # 980 − 14 = 966
    assert row.costs == pytest.approx(0.0001 * 100_000 * 2 + 14)  # 20 + 14 = 34
    assert result.stats["total_costs"] == pytest.approx(34)
    assert result.stats["final_equity"] == pytest.approx(10_966)


def test_default_spread_is_the_instruments() -> None:
    row, _ = trade("EURUSD", UP, lots=1)
    assert row.entry_price == pytest.approx(
        1.1000 + resolve_instrument("EURUSD").spread_pips * 0.0001 / 2
    )


def test_lots_outside_the_instrument_limits_are_refused() -> None:
    with pytest.raises(InvalidInput, match="lots 500.0 outside EURUSD's limits 0.01–100.0"):
        trade("EURUSD", UP, lots=500)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"sl_pips": 10, "sl_atr": 2}, "either in pips (sl_pips) or in ATR (sl_atr)"),
        ({"lots": 1, "risk_percent": 1, "sl_pips": 5}, "not lots and risk_percent"),
        ({"risk_percent": 1}, "risk_percent sizing needs a stop"),
        ({"spread_pips": -1}, "greater than or equal to 0"),
    ],
)
def test_inconsistent_settings_are_refused(settings: dict, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        ExecutionSettings(**settings)
