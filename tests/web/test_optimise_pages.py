"""The optimisation page's wording of the optimiser's reasons, in both languages."""

from __future__ import annotations

import pytest

from tradeloop.web.optimise_pages import reason_text, swept_names


@pytest.mark.parametrize(
    ("reason", "english", "indonesian"),
    [
        ("breaks fast_period < slow_period", "breaks fast_period < slow_period",
         "melanggar fast_period < slow_period"),
        ("3 trades, fewer than the minimum of 30", "3 trades, fewer than the minimum of 30",
         "3 transaksi, kurang dari minimal 30"),
        ("max drawdown 45.20% above the limit of 30%", "max drawdown 45.20 % above the limit of 30 %",
         "drawdown maksimum 45.20 % melebihi batas 30 %"),
        ("sharpe cannot be computed for this run", "Sharpe ratio cannot be computed for this run",
         "Sharpe ratio tidak bisa dihitung untuk hasil ini"),
        ("fast_period must be at least 2", "fast_period must be at least 2",
         "fast_period must be at least 2"),  # not a known reason: shown as it is
    ],
)  # fmt: skip
def test_reasons_are_worded_in_the_page_language(reason, english, indonesian) -> None:
    assert reason_text("en", reason) == english
    assert reason_text("id", reason) == indonesian


def test_swept_names_come_from_the_grids_in_order() -> None:
    request = {"grids": ["slow_period=20:60:10", "sl_atr = 1,2", "fast_period=5"]}
    assert swept_names(request) == ["slow_period", "sl_atr", "fast_period"]
