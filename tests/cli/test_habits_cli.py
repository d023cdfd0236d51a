"""``tradeloop habits analyze``: the JSON document and exit code 2 on bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tradeloop.cli.main import main
from tradeloop.journal.synthetic import synthetic_export


@pytest.fixture
def export(tmp_path: Path) -> Path:
    path = tmp_path / "orders.csv"
    path.write_bytes(synthetic_export(80, seed=2))
    return path


def test_json_document_has_the_documented_shape(export: Path, tmp_path: Path) -> None:
    out = tmp_path / "a.json"
    assert (
        main(
            [
                "habits",
                "analyze",
                str(export),
                "--json",
                str(out),
                "--sigma-loss",
                "1.5",
                "--k",
                "2",
            ]
        )
        == 0
    )
    doc = json.loads(out.read_text())
    assert set(doc) >= {
        "settings",
        "rows",
        "trades",
        "summary",
        "thresholds",
        "risk_sizing",
        "revenge",
        "goals",
    }
    assert doc["settings"] == {"sigma_loss": 1.5, "sigma_risk": 1.5, "k": 2.0, "vr": 0.35}
    assert set(doc["summary"]) >= {
        "total_trades",
        "wins",
        "losses",
        "win_rate",
        "avg_win",
        "avg_loss",
        "payoff_ratio",
        "expectancy",
        "breakeven_win_rate",
        "category",
        "clean_trade_rate",
        "flagged_trades",
        "mistake_counts",
        "streak_current",
        "streak_best",
    }
    assert set(doc["thresholds"]) == {
        "outsized_loss_points",
        "excessive_risk_points",
        "revenge_window_seconds",
        "by_underlying",
    }
    assert set(doc["risk_sizing"]) == {
        "count", "mean", "std", "variation_ratio", "consistent", "by_underlying",
    }  # fmt: skip
    assert set(doc["revenge"]) == {"count", "win_rate", "net_pnl"}
    assert (doc["format"], doc["kind"], doc["currency"]) == ("tradovate", "live", "USD")
    assert (doc["summary"]["unit"], doc["summary"]["currency"]) == ("money", "USD")
    trade = doc["trades"][0]
    assert set(trade) >= {
        "symbol",
        "side",
        "entry_time",
        "exit_time",
        "entry_price",
        "exit_price",
        "qty",
        "points",
        "pnl_points",
        "pnl_money",
        "risk_points",
        "r_multiple",
        "mistakes",
    }
    assert trade["side"] in ("buy", "sell")
    exits = [t["exit_time"] for t in doc["trades"]]
    assert exits == sorted(exits) and len(exits) == doc["summary"]["total_trades"] == 80
    assert {m for t in doc["trades"] for m in t["mistakes"]} <= {
        "no_stop_loss",
        "excessive_risk",
        "outsized_loss",
        "revenge_trade",
    }


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--sigma-loss", "9"], "--sigma-loss: Input should be less than or equal to 5"),
        (["--k", "0"], "--k: Input should be greater than or equal to 0.1"),
        (["--format", "excel"], "--format 'excel': use auto, tradovate, tradovate-fills, "),
        (["--date-order", "ymd"], "--date-order 'ymd': use auto, dmy or mdy"),
        (["--currency", "dollars"], "--currency 'dollars': use a 3-letter code such as USD"),
        (["--tz", "Nowhere/Town"], "unknown time zone 'Nowhere/Town'"),
        (["--json", "/no/dir/out.json"], "--json: folder '/no/dir' does not exist"),
    ],
)
def test_bad_arguments_exit_2(export: Path, args: list[str], message: str, capsys) -> None:
    assert main(["habits", "analyze", str(export), *args]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1


def test_missing_and_broken_files_exit_2(tmp_path: Path, capsys) -> None:
    assert main(["habits", "analyze", str(tmp_path / "none.csv")]) == 2
    broken = tmp_path / "broken.csv"
    broken.write_text("a,b\n1,2\n")
    assert main(["habits", "analyze", str(broken)]) == 2
    assert "cannot tell the export's format" in capsys.readouterr().err


def test_streamed_json_is_one_document_whatever_the_chunks(tmp_path: Path) -> None:
    from tradeloop.cli.console import write_json

    out = tmp_path / "s.json"
    chunks = [[{"i": 0}, {"i": 1, "t": "a,b"}], [], [{"i": 2, "x": None}]]
    write_json(out, {"summary": {"n": 3}}, "trades", iter(chunks))
    assert json.loads(out.read_text()) == {
        "summary": {"n": 3},
        "trades": [{"i": 0}, {"i": 1, "t": "a,b"}, {"i": 2, "x": None}],
    }
    write_json(out, {"summary": {}}, "trades", iter([]))
    assert json.loads(out.read_text()) == {"summary": {}, "trades": []}
