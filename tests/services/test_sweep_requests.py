"""A sweep request's mistakes: each refused with the command line's English message and a
catalogue key the pages and the API show in the user's language."""

from __future__ import annotations

import pytest

from tradeloop.backtest.walk_forward import windows
from tradeloop.core.errors import InvalidInput
from tradeloop.i18n import translate
from tradeloop.services.sweeps import SweepRequest, odds_sentences, plan_sweep

BASE = {"strategy": "ma_crossover", "grids": ["fast_period=5,10"]}


@pytest.mark.parametrize(
    ("changes", "english", "indonesian"),
    [
        ({"grids": ["fast_period=5:50:0"]}, "--grid 'fast_period=5:50:0': the step must be above 0",
         "Nilai fast_period=5:50:0: langkah harus lebih dari 0."),
        ({"grids": ["fast_period=50:5:5"]}, "the stop is below the start",
         "Nilai fast_period=50:5:5: nilai akhir lebih kecil dari nilai awal."),
        ({"grids": ["fast_period=a,b"]}, "'a' is not a number", "Nilai fast_period=a,b: “a” bukan angka."),
        ({"grids": ["speed=1,2"]}, "unknown name 'speed'", "speed bukan parameter atau pengaturan"),
        ({"grids": ["fast_period=1:2"]}, "a range is start:stop:step", "rentang ditulis awal:akhir:langkah"),
        ({"grids": ["fast_period=5,5"]}, "a value is given twice", "ada nilai yang ditulis dua kali"),
        ({"grids": ["fast_period=5,10", "fast_period=6"]}, "fast_period is swept twice",
         "fast_period diuji dua kali."),
        ({"grids": ["fast_period=2:200:1", "slow_period=2:200:1"]},
         "the sweep holds 39,601 combinations", "Sweep ini berisi 39,601 kombinasi, di atas batas 10,000"),
        ({"constraints": ["fast_period <"]}, "constraint 'fast_period <': it ends too early",
         "Batasan “fast_period <”: berakhir terlalu cepat."),
        ({"constraints": ["__import__('os')"]}, "cannot read",
         "Batasan “__import__('os')”: tidak bisa membaca “'os')” (posisi 12)."),
        ({"constraints": ["speed > 1"]}, "unknown parameter 'speed'", "nama speed tidak dikenal"),
        ({"method": "random"}, "--method random needs --trials", "Pencarian random butuh jumlah percobaan"),
        ({"trials": 5}, "--trials applies to --method random or bayes",
         "Jumlah percobaan hanya untuk pencarian acak dan Bayesian"),
        ({"method": "bayes", "trials": 20, "max_combinations": 10}, "--trials 20 is above the limit of 10",
         "20 percobaan melebihi batas 10."),
        ({"objective": "wins"}, "--objective 'wins': choose one of net_profit",
         "Tujuan wins tidak dikenal: pilih salah satu dari net_profit"),
        ({"walk_forward": "rolling::"}, "the bar counts must be whole numbers",
         "Walk-forward rolling::: jumlah bar harus bilangan bulat."),
        ({"walk_forward": "sliding:5:5"}, "write rolling:IN_BARS:OUT_BARS",
         "pilih rolling atau anchored"),
    ],
)  # fmt: skip
def test_each_mistake_is_named_in_both_languages(changes, english, indonesian) -> None:
    with pytest.raises(InvalidInput) as caught:
        plan_sweep(SweepRequest(**(BASE | changes)))
    error = caught.value
    assert english in error.message
    assert error.key and error.key.startswith("optimise.error.")
    assert indonesian in translate("id", error.key, **error.values)
    assert translate("en", error.key, **error.values)  # every placeholder filled


def test_a_series_too_short_for_its_first_window_is_named() -> None:
    with pytest.raises(InvalidInput) as caught:
        windows(1500, 2000, 500)
    assert translate("id", caught.value.key, **caught.value.values) == (
        "Walk-forward butuh lebih dari 2,000 bar untuk jendela pertamanya: datanya hanya 1,500."
    )


@pytest.mark.parametrize(
    ("pbo", "english"),
    [(0.1, "has mostly held up"), (0.25, "close to a coin toss"), (0.47, "close to a coin toss"),
     (0.5, "likely overfitting")],
)  # fmt: skip
def test_the_pbo_sentence_has_three_bands(pbo: float, english: str) -> None:
    odds = {"trials": 40, "dsr": 0.97, "dsr_p_value": 0.03, "pbo": pbo}
    assert english in odds_sentences(odds, "en")["pbo"]
    assert "unlikely to be luck alone (p = 0.03)" in odds_sentences(odds, "en")["dsr"]
    assert f"{pbo * 100:.0f}%" in odds_sentences(odds, "id")["pbo"]
