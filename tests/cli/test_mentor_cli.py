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


def test_check_llm_says_whether_the_model_is_usable_with_its_exit_code(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.fake_llm import fake_llm_server
    from tradeloop.services import chat

    monkeypatch.setenv("TRADELOOP_DATA_DIR", str(tmp_path / "data"))
    assert main(["mentor", "check-llm"]) == 2
    assert capsys.readouterr().err == (
        "error: no language model is configured: set TRADELOOP_LLM_BASE_URL and "
        "TRADELOOP_LLM_MODEL\n"
    )
    with fake_llm_server() as fake:
        monkeypatch.setenv("TRADELOOP_LLM_BASE_URL", fake.base_url)
        monkeypatch.setenv("TRADELOOP_LLM_MODEL", "fake-model")
        chat._checks.clear()
        fake.then({"tool_calls": [{"name": "get_summary", "arguments": "{}"}]})
        assert main(["mentor", "check-llm"]) == 0
        assert "is listed by the server and called a tool" in capsys.readouterr().out
        monkeypatch.setenv("TRADELOOP_LLM_MODEL", "llama3")
        assert main(["mentor", "check-llm", "--lang", "id"]) == 1
        printed = " ".join(capsys.readouterr().out.split())
        assert printed == "Server tidak mencantumkan model llama3; yang tercantum: fake-model."
    chat._checks.clear()
