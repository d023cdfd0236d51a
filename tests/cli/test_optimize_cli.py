"""``tradeloop optimize``: the JSON document, the same result for the same seed, exit code 2
with the problem named for bad input, and Ctrl-C leaving a partial result."""

from __future__ import annotations

import json
import os
import pty
import re
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tradeloop.backtest.engine import run_backtest
from tradeloop.backtest.stats import finite
from tradeloop.cli.main import main
from tradeloop.execution.settings import ExecutionSettings
from tradeloop.market.instruments import resolve_instrument
from tradeloop.market.readers import read_bars
from tradeloop.market.synthetic import random_walk_bars
from tradeloop.strategies.base import get_strategy


@pytest.fixture
def data(tmp_path: Path) -> Path:
    path = tmp_path / "EURUSD_H1.csv"
    random_walk_bars(3000, seed=4).to_csv(path, date_format="%Y-%m-%d %H:%M:%S")
    return path


def optimise(data: Path, *args: str) -> int:
    return main(["optimize", str(data), "-s", "ma_crossover", "--workers", "1", *args])


def test_json_document_holds_every_combination_as_its_backtest(data: Path, tmp_path: Path) -> None:
    out = tmp_path / "sweep.json"
    code = optimise(
        data, "-g", "fast_period=5:15:5", "-g", "slow_period=20,40", "-g", "sl_atr=1.5:2.5:0.5",
        "--tp-atr", "3", "--constraint", "fast_period * 3 <= slow_period",
        "--walk-forward", "rolling:1500:500", "--json", str(out),
    )  # fmt: skip
    assert code == 0
    doc = json.loads(out.read_text())
    assert set(doc) >= {"combinations", "best", "overfitting", "walk_forward"}
    rows = doc["combinations"]
    assert len(rows) == 18 and all(
        set(r) >= {"params", "settings", "stats", "skipped"} for r in rows
    )
    skipped = [r["params"] for r in rows if r["skipped"] == "breaks fast_period * 3 <= slow_period"]
    assert skipped == [{"fast_period": f, "slow_period": s} for f, s in
                       ((10, 20), (15, 20), (15, 40)) for _ in range(3)]  # fmt: skip
    bars = read_bars(data)
    row = rows[5]
    assert row["params"] == {"fast_period": 5, "slow_period": 40}
    assert row["settings"] == {
        "fill": "next_open", "tp_atr": 3.0, "commission": 0.0, "slippage_pips": 0.0,
        "on_opposite": "ignore", "initial_cash": 10_000.0, "sl_atr": 2.5,
    }  # fmt: skip
    alone = run_backtest(bars, get_strategy("ma_crossover", row["params"]),
                         resolve_instrument("EURUSD"), ExecutionSettings(**row["settings"]))  # fmt: skip
    assert row["stats"] == json.loads(json.dumps(finite(alone.stats)))
    assert {"net_profit", "trades", "sharpe", "max_drawdown_pct"} <= set(row["stats"])
    ran = [r for r in rows if r["stats"]]
    assert doc["best"]["stats"]["net_profit"] == max(r["stats"]["net_profit"] for r in ran)
    assert set(doc["overfitting"]) >= {"trials", "dsr", "dsr_p_value", "pbo"}
    assert doc["overfitting"]["trials"] == 9
    windows = doc["walk_forward"]
    assert [(w["in_start"], w["out_start"], w["out_end"]) for w in windows] == [
        ("2020-01-01T00:00:00+00:00", "2020-03-03T12:00:00+00:00", "2020-03-24T07:00:00+00:00"),
        ("2020-01-21T20:00:00+00:00", "2020-03-24T08:00:00+00:00", "2020-04-14T03:00:00+00:00"),
        ("2020-02-11T16:00:00+00:00", "2020-04-14T04:00:00+00:00", "2020-05-04T23:00:00+00:00"),
    ]  # fmt: skip
    assert all(set(w) >= {"in_end", "params", "in_stats", "out_stats"} for w in windows)


def test_same_seed_same_result(data: Path, tmp_path: Path) -> None:
    docs = []
    for name in ("one.json", "two.json"):
        args = ["-g", "fast_period=3:30:3", "-g", "slow_period=35:60:5", "--method", "random",
                "--trials", "6", "--seed", "42", "--objective", "sharpe", "--json"]  # fmt: skip
        assert optimise(data, *args, str(tmp_path / name)) == 0
        docs.append(json.loads((tmp_path / name).read_text()))
    assert docs[0] == docs[1] and len(docs[0]["combinations"]) == 6


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-g", "fast=1,2"], "--grid 'fast=1,2': unknown name 'fast' (known: atr_period, commission, fast_period"),
        (["-g", "fast_period=10:5:1"], "--grid 'fast_period=10:5:1'"),
        (["-g", "fast_period=2:200:1", "-g", "slow_period=2:200:1"],
         "the sweep holds 39,601 combinations, above the limit of 10,000 (--max-combinations)"),
        (["-g", "fast_period=5,10", "--constraint", "fast_period <"],
         "constraint 'fast_period <': it ends too early"),
        (["-g", "fast_period=5,10", "--walk-forward", "rolling:10"],
         "--walk-forward 'rolling:10': write rolling:IN_BARS:OUT_BARS"),
        (["-g", "fast_period=5,10", "--method", "random"], "--method random needs --trials"),
        (["-g", "fast_period=5,10", "--trials", "5"], "--trials applies to --method random or"),
        (["-g", "fast_period=5,10", "--method", "genetic"], "--method: Input should be 'grid'"),
        (["-g", "fast_period=5,10", "--objective", "wins"], "--objective 'wins': choose one of"),
        (["-g", "fast_period=5,10", "--executor", "spark"], "--executor 'spark': use local or dask"),
        (["-g", "fast_period=5,10", "--executor", "dask"], "--executor dask needs a scheduler"),
        (["-g", "sl_atr=1,2", "--sl-pips", "20"], "give the stop either in pips (sl_pips) or in ATR"),
        (["-g", "fast_period=5,10", "--max-drawdown", "0"], "--max-drawdown: Input should be greater than 0"),
    ],
)  # fmt: skip
def test_bad_input_exits_2_naming_the_problem(
    data: Path, args: list[str], message: str, capsys: pytest.CaptureFixture[str], monkeypatch
) -> None:
    monkeypatch.delenv("TRADELOOP_DASK_SCHEDULER", raising=False)
    assert optimise(data, *args) == 2
    assert message in capsys.readouterr().err


def test_ctrl_c_writes_the_finished_part(tmp_path: Path) -> None:
    data = tmp_path / "EURUSD_H1.csv"
    random_walk_bars(150_000, seed=2).to_csv(data, date_format="%Y-%m-%d %H:%M:%S")
    out = tmp_path / "partial.json"
    leader, follower = pty.openpty()  # a terminal, so the progress bar is drawn
    process = subprocess.Popen(
        [sys.executable, "-m", "tradeloop.cli.main", "optimize", str(data), "-s", "ma_crossover",
         "-g", "fast_period=2:40:1", "-g", "slow_period=45:60:1", "--workers", "2",
         "--json", str(out)],
        stderr=follower, stdout=subprocess.PIPE, env={**os.environ, "COLUMNS": "120"},
    )  # fmt: skip
    os.close(follower)
    seen, deadline = "", time.monotonic() + 120
    started = re.compile(r"combinations.*\s[1-9]\d*/624")  # a chunk has finished
    while not started.search(re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", seen)):
        if time.monotonic() > deadline:
            break
        if select.select([leader], [], [], 1)[0]:
            try:
                seen += os.read(leader, 4096).decode(errors="replace")
            except OSError:  # the command ended (and closed its terminal)
                break
    process.send_signal(signal.SIGINT)
    stdout, _ = process.communicate(timeout=120)
    os.close(leader)
    assert process.returncode == 130, (stdout.decode(), seen[-3000:])
    doc = json.loads(out.read_text())
    assert doc["complete"] is False
    assert 0 < len(doc["combinations"]) < 39 * 16
    assert "interrupted: " in stdout.decode() and "the partial result is in" in stdout.decode()
