"""``tradeloop mentor report`` and ``ask`` on a journal file, without an account."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tradeloop.cli.main import main
from tradeloop.journal.synthetic import synthetic_export


@pytest.fixture
def journal(tmp_path: Path) -> Path:
    path = tmp_path / "orders.csv"
    path.write_bytes(synthetic_export(60, seed=3))
    return path


def test_report_json_has_the_five_parts_score_and_language(journal: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    assert (
        main(
            [
                "mentor",
                "report",
                "--journal",
                str(journal),
                "--date",
                "2024-01-03",
                "--lang",
                "en",
                "--emotion",
                "calm",
                "--json",
                str(out),
            ]
        )
        == 0
    )
    report = json.loads(out.read_text())
    assert set(report) >= {
        "trading_patterns_analysis",
        "emotional_analysis",
        "risk_management_score",
        "recommendations",
        "motivation_message",
        "language",
    }
    assert report["language"] == "en" and 1 <= report["risk_management_score"] <= 10
    assert report["trading_patterns_analysis"]["figures"]["trades"] > 0


def test_ask_prints_the_offline_answer(journal: Path, capsys) -> None:
    assert (
        main(["mentor", "ask", "--journal", str(journal), "--lang", "en", "what is my win rate?"])
        == 0
    )
    assert "You win" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["report", "--date", "2024-13-01"], "--date '2024-13-01': use YYYY-MM-DD"),
        (["report", "--date", "2024-01-03", "--lang", "fr"], "--lang 'fr': use id or en"),
        (
            ["report", "--date", "2024-01-03", "--emotion", "angry"],
            "--emotion 'angry': use one of calm",
        ),
        (["ask", "--lang", "de", "hello"], "--lang 'de': use id or en"),
        (["ask", "   "], "ask a question"),
    ],
)
def test_bad_arguments_exit_2(journal: Path, args: list[str], message: str, capsys) -> None:
    command, *rest = args
    assert main(["mentor", command, "--journal", str(journal), *rest]) == 2
    assert message in capsys.readouterr().err


def test_missing_journal_exits_2(tmp_path: Path, capsys) -> None:
    assert main(["mentor", "ask", "--journal", str(tmp_path / "none.csv"), "hi"]) == 2
    assert "does not exist" in capsys.readouterr().err
