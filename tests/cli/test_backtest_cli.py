"""``tradeloop backtest``: the JSON document, stop/size/cost flags, and exit code 2 on bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from tests.backtest.peer import peer_trades
from tradeloop.cli.main import main
from tradeloop.market.synthetic import random_walk_bars


@pytest.fixture
def data(tmp_path: Path) -> Path:
    path = tmp_path / "EURUSD_H1.csv"
    random_walk_bars(4000, seed=9, gap_chance=0.05).to_csv(path, date_format="%Y-%m-%d %H:%M:%S")
    return path


def test_json_document_matches_the_peer(data: Path, tmp_path: Path) -> None:
    out = tmp_path / "result.json"
    code = main(
        [
            "backtest",
            str(data),
            "--strategy",
            "ma_crossover",
            "--sl-atr",
            "2",
            "--tp-atr",
            "4",
            "--units",
            "1",
            "--spread-pips",
            "0",
            "--cash",
            "1000000",
            "--json",
            str(out),
        ]
    )
    assert code == 0
    doc = json.loads(out.read_text())
    assert set(doc) >= {"bars", "start", "end", "strategy", "params", "trades", "stats"}
    assert (doc["bars"], doc["strategy"], doc["params"]) == (
        4000,
        "ma_crossover",
        {"fast_period": 20, "slow_period": 50},
    )
    assert doc["start"] == "2020-01-01T00:00:00+00:00"
    from tradeloop.market.readers import read_bars

    theirs = peer_trades(read_bars(data))
    assert len(doc["trades"]) == len(theirs)
    first = doc["trades"][0]
    assert set(first) >= {
        "side",
        "entry_time",
        "exit_time",
        "entry_price",
        "exit_price",
        "size",
        "pnl",
        "exit_reason",
    }
    assert first["entry_time"] == theirs["EntryTime"].iloc[0].isoformat()
    assert first["exit_price"] == pytest.approx(theirs["ExitPrice"].iloc[0], abs=1e-9)
    assert {t["side"] for t in doc["trades"]} <= {"long", "short"}
    assert {t["exit_reason"] for t in doc["trades"]} <= {"stop", "target", "signal", "end"}
    assert doc["stats"]["trades"] == len(doc["trades"])


def test_params_and_flags_reach_the_run(data: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    assert (
        main(
            [
                "backtest",
                str(data),
                "-s",
                "turtle_breakout",
                "--param",
                "entry_period=30",
                "-p",
                "exit_period=15",
                "--sl-pips",
                "40",
                "--risk-percent",
                "1",
                "--fill",
                "close",
                "--on-opposite",
                "reverse",
                "--commission",
                "7",
                "--slippage-pips",
                "0.5",
                "--json",
                str(out),
            ]
        )
        == 0
    )
    doc = json.loads(out.read_text())
    assert doc["params"] == {"entry_period": 30, "exit_period": 15}
    settings = doc["settings"]
    assert (
        settings["sl_pips"],
        settings["risk_percent"],
        settings["fill"],
        settings["on_opposite"],
    ) == (40, 1, "close", "reverse")
    assert doc["stats"]["total_costs"] > 0
    assert "signal" in {t["exit_reason"] for t in doc["trades"]}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-s", "nope"], "unknown strategy 'nope'"),
        (
            ["-s", "ma_crossover", "-p", "fast_period=80"],
            "fast_period (80) must be smaller than slow_period (50)",
        ),
        (
            ["-s", "ma_crossover", "-p", "fast_period"],
            "--param 'fast_period': write it as name=value",
        ),
        (["-s", "ma_crossover", "--risk-percent", "1"], "risk_percent sizing needs a stop"),
        (
            ["-s", "ma_crossover", "--fill", "later"],
            "--fill: Input should be 'next_open' or 'close'",
        ),
        (
            ["-s", "ma_crossover", "--lots", "1", "--units", "2"],
            "choose one way to size trades, not lots and units",
        ),
        (["-s", "ma_crossover", "--symbol", "NOPE"], "unknown symbol 'NOPE'"),
        (["-s", "ma_crossover", "--tz", "Mars/Base"], "unknown time zone 'Mars/Base'"),
        (
            ["-s", "ma_crossover", "--spread-pips", "-1"],
            "--spread-pips: Input should be greater than or equal to 0",
        ),
        (
            ["-s", "ma_crossover", "--contract-size", "10"],
            "describe a custom instrument with all of",
        ),
    ],
)
def test_bad_arguments_exit_2_with_one_line(
    data: Path, args: list[str], message: str, capsys
) -> None:
    assert main(["backtest", str(data), *args]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0]


def test_missing_file_and_mixed_intervals(tmp_path: Path, capsys) -> None:
    assert main(["backtest", str(tmp_path / "none.csv"), "-s", "ma_crossover"]) == 2
    assert "does not exist" in capsys.readouterr().err
    mixed = tmp_path / "US500_H1.csv"
    daily = random_walk_bars(30, freq="1D", price=4000)
    hourly = random_walk_bars(600, start="2020-02-01", price=4000)
    pd.concat([daily.iloc[:20], hourly]).to_csv(mixed, date_format="%Y-%m-%d %H:%M:%S")
    assert main(["backtest", str(mixed), "-s", "ma_crossover"]) == 2
    assert "mixed bar intervals: rows 1–20 (20 bars" in capsys.readouterr().err
    assert (
        main(
            [
                "backtest",
                str(mixed),
                "-s",
                "ma_crossover",
                "--keep-dominant-interval",
                "--json",
                str(tmp_path / "o.json"),
            ]
        )
        == 0
    )
    assert json.loads((tmp_path / "o.json").read_text())["bars"] == 600


def test_crosses_take_a_conversion_series(tmp_path: Path) -> None:
    eurgbp, gbpusd = tmp_path / "EURGBP_H1.csv", tmp_path / "GBPUSD_H1.csv"
    random_walk_bars(2000, seed=3, price=0.85).to_csv(eurgbp, date_format="%Y-%m-%d %H:%M:%S")
    rates = random_walk_bars(2000, seed=4, price=1.27)
    rates.to_csv(gbpusd, date_format="%Y-%m-%d %H:%M:%S")
    out = tmp_path / "r.json"
    assert (
        main(
            [
                "backtest",
                str(eurgbp),
                "-s",
                "ma_crossover",
                "--lots",
                "1",
                "--spread-pips",
                "0",
                "--conversion-data",
                str(gbpusd),
                "--json",
                str(out),
            ]
        )
        == 0
    )
    trade = json.loads(out.read_text())["trades"][0]
    exit_rate = rates["close"].asof(pd.Timestamp(trade["exit_time"]))
    gross = (
        (trade["exit_price"] - trade["entry_price"])
        * (1 if trade["side"] == "long" else -1)
        * 100_000
    )
    assert trade["pnl"] == pytest.approx(gross * exit_rate)
