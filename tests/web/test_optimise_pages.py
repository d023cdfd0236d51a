"""The optimisation page's wording, in both languages: the optimiser's reasons, the finished
count (a Bayesian run counted against its trials), the walk-forward windows' table, and every
text the run's page shows present in both catalogues with one name for the Sharpe ratio."""

from __future__ import annotations

import pytest

from tradeloop.i18n import catalogue, translate
from tradeloop.web.optimise_pages import finished_text, reason_text, swept_names, walk_rows


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
         "Rasio Sharpe tidak bisa dihitung untuk hasil ini"),
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


@pytest.mark.parametrize(
    ("language", "method", "active", "text"),
    [
        ("en", "grid", True, "12 of 741 combinations finished"),
        ("id", "grid", False, "12 dari 741 kombinasi selesai"),
        ("en", "random", False, "12 of 741 combinations finished"),
        ("en", "bayes", False, "12 combinations from 741 trials"),
        ("id", "bayes", False, "12 kombinasi dari 741 percobaan"),
        ("en", "bayes", True, "12 combinations so far, of up to 741 trials"),
        ("id", "bayes", True, "12 kombinasi sejauh ini, dari paling banyak 741 percobaan"),
    ],
)  # fmt: skip
def test_the_finished_count_reads_as_complete_for_a_finished_bayesian_run(
    language: str, method: str, active: bool, text: str
) -> None:
    assert finished_text(language, {"method": method}, 12, 741, active) == text
    bayes = {"method": "bayes", "trials": 500}
    assert finished_text("en", bayes, 87, 500, False) == "87 combinations from 500 trials"
    # more trials than the grid holds: the whole grid ran, counted against the trials asked
    assert finished_text("en", bayes, 12, 12, False) == "12 combinations from 500 trials"


WINDOW = {
    "in_start": "2024-01-01T00:00:00", "in_end": "2024-03-31T23:00:00",
    "out_start": "2024-04-01T00:00:00+00:00", "out_end": "2024-04-30T20:00:00+00:00",
    "bars": 3000, "params": {"fast_period": 10, "slow_period": 60}, "settings": {"sl_atr": 2.0},
    "in_stats": {"trades": 40, "net_profit": 310.5}, "out_stats": {"trades": 9, "net_profit": -42.25},
    "in_per_100_bars_pct": 0.41, "out_per_100_bars_pct": -0.12, "gap_per_100_bars_pct": 0.53,
}  # fmt: skip


@pytest.mark.parametrize(
    ("language", "chosen"),
    [("en", "Fast period 10 · Slow period 60"), ("id", "Periode cepat 10 · Periode lambat 60")],
)
def test_walk_forward_windows_are_table_rows(language: str, chosen: str) -> None:
    (row,) = walk_rows(language, "ma_crossover", [WINDOW], ["fast_period", "slow_period"], "UTC")
    assert row["in_dates"] == "2024-01-01 – 2024-03-31"
    assert row["out_dates"] == "2024-04-01 – 2024-04-30"
    assert row["chosen"] == chosen
    assert row["in_return"].endswith(" %") and "0" in row["in_return"]
    assert row["out_trades"] == "9" and row["profit_class"] == "loss"
    assert "42" in row["out_profit"]
    # in the user's zone: the last out-of-sample bar falls on the next day in Jakarta
    (local,) = walk_rows(language, "ma_crossover", [WINDOW], ["fast_period"], "Asia/Jakarta")
    assert local["out_dates"] == "2024-04-01 – 2024-05-01"


PAGE_KEYS = (
    "optimise.finished_bayes", "optimise.finished_bayes_running", "optimise.rows_so_far",
    "optimise.none_passed", "optimise.heat_objective", "optimise.progress_walk",
    "optimise.progress_sweep_walk", "optimise.walk_windows", "optimise.walk_in_dates",
    "optimise.walk_out_dates", "optimise.walk_chosen", "optimise.walk_in_return",
    "optimise.walk_out_return", "optimise.walk_out_trades", "optimise.walk_out_profit",
)  # fmt: skip


@pytest.mark.parametrize("key", PAGE_KEYS)
def test_the_run_page_texts_exist_in_both_languages(key: str) -> None:
    english, indonesian = catalogue("en").get(key), catalogue("id").get(key)
    assert english and indonesian and english != indonesian


def test_the_none_passed_line_names_the_filters() -> None:
    assert "filters" in translate("en", "optimise.none_passed")
    assert "filter" in translate("id", "optimise.none_passed")
    assert translate("en", "optimise.heat_objective", name="Net profit") == "Objective: Net profit"
    assert translate("id", "optimise.heat_objective", name="Laba bersih") == "Tujuan: Laba bersih"


def test_indonesian_names_the_sharpe_ratio_one_way() -> None:
    texts = catalogue("id")
    optimise = {k: v for k, v in texts.items() if k.startswith("optimise.")}
    assert not [k for k, v in optimise.items() if "Sharpe ratio" in v]
    assert texts["optimise.objective.sharpe"] == texts["stat.sharpe"] == "Rasio Sharpe"
    assert texts["optimise.objective.sortino"] == texts["stat.sortino"]
    assert texts["optimise.objective.calmar"] == texts["stat.calmar"]
