"""The tools' filters and metric sizes on a hand-made journal whose days and hours are known."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.journal.helpers import export
from tests.mentor.test_report import trade
from tradeloop.core.errors import InvalidInput
from tradeloop.mentor.report import net_pnl
from tradeloop.mentor.tools import ToolContext, run_tool
from tradeloop.services.exports import load_journal

# Entry (UTC) → exit, points: A crosses midnight into 01/03, D is entered after 01:00 on 01/04.
ROWS = [
    *trade("01/02/2024 23:30:00", "01/03/2024 00:30:00", "Buy", 100, 104),  # A +4
    *trade("01/03/2024 09:00:00", "01/03/2024 09:20:00", "Sell", 100, 102),  # B -2
    *trade("01/03/2024 22:10:00", "01/03/2024 22:40:00", "Buy", 100, 103),  # C +3
    *trade("01/04/2024 01:15:00", "01/04/2024 01:45:00", "Buy", 100, 99),  # D -1
]
CTX = ToolContext(load_journal(export(*ROWS)).analysis, "UTC", "en")


def entries(arguments: dict) -> list[str]:
    found = run_tool(CTX, "filter_trades", arguments)
    return [t["entry_time"][:16] for t in found["trades"]]


def test_a_day_holds_the_trades_that_closed_on_it_like_sessions() -> None:
    assert entries({"start": "2024-01-03", "end": "2024-01-03"}) == [
        "2024-01-02T23:30",  # entered the evening before, closed after midnight
        "2024-01-03T09:00",
        "2024-01-03T22:10",
    ]


def test_hours_are_entry_hours_and_a_range_can_wrap_midnight() -> None:
    assert entries({"hour_from": 22, "hour_to": 1}) == [
        "2024-01-02T23:30",
        "2024-01-03T22:10",
        "2024-01-04T01:15",
    ]
    assert entries({"hour_from": 9, "hour_to": 9}) == ["2024-01-03T09:00"]


@pytest.mark.parametrize(
    ("tool", "arguments", "message"),
    [
        (
            "filter_trades",
            {"start": "2024-02-01", "end": "2024-01-01"},
            "invalid arguments for filter_trades: start (2024-02-01) is after end (2024-01-01)",
        ),
        (
            "filter_losses",
            {"min_loss": 5, "max_loss": 1},
            "invalid arguments for filter_losses: min_loss (5.0) is above max_loss (1.0)",
        ),
        (
            "filter_trades",
            {"fields": ["password"]},
            "fields.0: Input should be 'account', 'symbol'",
        ),
        (
            "get_sessions",
            {"start": "2024-01-05", "end": "2024-01-04"},
            "start (2024-01-05) is after end (2024-01-04)",
        ),
        (
            "get_report",
            {"date": "0001-01-02"},
            "date: Input should be greater than or equal to 1970-01-01",
        ),
        (
            "filter_trades",
            {"end": "9999-12-31"},
            "end: Input should be less than or equal to 2100-12-31",
        ),
    ],
)
def test_contradictory_or_impossible_filters_are_refused(tool, arguments, message) -> None:
    with pytest.raises(InvalidInput) as refused:
        run_tool(CTX, tool, arguments)
    assert message in refused.value.message


def test_known_fields_pick_the_columns() -> None:
    found = run_tool(CTX, "filter_trades", {"fields": ["pnl_points", "side"], "limit": 2})
    assert found["trades"] == [
        {"side": "buy", "pnl_points": 4.0},
        {"side": "sell", "pnl_points": -2.0},
    ]


def test_metrics_stay_small_enough_for_a_conversation() -> None:
    losses = run_tool(CTX, "get_metric", {"name": "losses"})
    assert "points" not in losses and losses["count"] == 2  # B and D
    assert losses["per_trade"] == "call filter_losses for the losing trades"
    calendar = run_tool(CTX, "get_metric", {"name": "calendar"})
    assert [(d["key"], d["trades"]) for d in calendar["by_day"]] == [
        ("2024-01-03", 3),
        ("2024-01-04", 1),
    ]
    assert calendar["days_total"] == 2


def test_a_days_pnl_is_money_only_when_every_trade_has_it() -> None:
    def day(money: list[float], points: list[float], markets: list[str], ccy: str = "USD"):
        return pd.DataFrame(
            {"pnl_money": money, "pnl_points": points, "underlying": markets, "currency": ccy}
        )

    both = day([10.0, -4.0], [5.0, -2.0], ["NQ", "ES"])
    mixed = day([10.0, np.nan], [5.0, 2.0], ["NQ", "NQ"])
    markets = day([10.0, np.nan], [5.0, 2.0], ["NQ", "ES"])
    currencies = pd.concat([day([1.0], [1.0], ["NQ"]), day([2.0], [1.0], ["NQ"], "EUR")])
    assert (net_pnl(both), net_pnl(mixed), net_pnl(both.iloc[:0])) == (6.0, 7.0, 0.0)
    # never a sum of two markets' points, nor of two currencies
    assert net_pnl(markets) is None and net_pnl(currencies) == 2.0
