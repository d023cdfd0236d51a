"""The offline mentor answers a fixed question set in both languages with the right figures."""

from __future__ import annotations

from datetime import date

import pytest

from tests.conftest import SHARED_DATA
from tradeloop.journal.synthetic import synthetic_export
from tradeloop.mentor.daily import daily_report
from tradeloop.mentor.offline import ask
from tradeloop.mentor.tools import ToolContext, run_tool
from tradeloop.services.exports import load_journal

SHARED = SHARED_DATA / "journal"


@pytest.fixture(scope="module")
def reference():
    path = SHARED / "synthetic_314_trades_orders.csv"
    if not path.exists():
        pytest.skip("../shared/data is not here")
    return load_journal(path.read_bytes()).analysis


@pytest.mark.parametrize(
    ("question", "language", "intent", "must_contain"),
    [
        (
            "How many revenge trades did I take?",
            "en",
            "revenge",
            ["10 revenge trades", "40.0%", "-14.50 USD"],  # -7.25 MNQ points at 2 USD
        ),
        (
            "berapa transaksi balas dendam saya?",
            "id",
            "revenge",
            ["10 transaksi balas dendam", "40.0%", "-14.50 USD"],
        ),
        (
            "Which trades had no stop loss?",
            "en",
            "no_stop",
            ["1 of 314 trades had no stop-loss", "2024-01-02 07:11"],
        ),
        ("transaksi mana yang tanpa stop?", "id", "no_stop", ["1 dari 314 transaksi"]),
        ("What was my worst loss?", "en", "worst_loss", ["-45.00 USD on MNQH4"]),
        ("berapa kerugian terbesar saya?", "id", "worst_loss", ["-45.00 USD di MNQH4"]),
        (
            "What is my win rate and payoff?",
            "en",
            "win_rate",
            ["49.0%", "154 of 314", "Payoff ratio 1.23", "expectancy 2.66 USD per trade"],
        ),
        ("berapa win rate saya?", "id", "win_rate", ["49.0%", "154 dari 314", "payoff 1.23"]),
        ("What is my biggest mistake?", "en", "biggest_mistake", ["Excessive risk: 34 of 314"]),
        ("apa kesalahan terbesar saya?", "id", "biggest_mistake", ["Risiko berlebih: 34 dari 314"]),
        (
            "what is a revenge trade?",
            "en",
            "explain_revenge_trade",
            ["within 5.2 minutes", "You have 10"],
        ),
        ("apa itu outsized loss?", "id", "explain_outsized_loss", ["18.11 poin", "Anda punya 31"]),
        ("How can I improve?", "en", "improve", ["31 losses were bigger than 18.11 points"]),
        (
            "bagaimana saya memperbaiki trading?",
            "id",
            "improve",
            ["31 kerugian lebih dari 18.11 poin"],
        ),
    ],
)
def test_fixed_questions_on_the_reference_export(
    reference, question: str, language: str, intent: str, must_contain: list[str]
) -> None:
    answer = ask(ToolContext(reference, "UTC", language), question)
    assert answer.intent == intent
    for part in must_contain:
        assert part in answer.text, answer.text


def test_best_hour_and_day_come_from_the_calendar() -> None:
    analysis = load_journal(synthetic_export(200, seed=9)).analysis
    t = analysis.trades
    by_hour = t.groupby(t["entry_time"].dt.hour)["pnl_money"].sum()
    answer = ask(ToolContext(analysis, "UTC", "en"), "what is my best hour?")
    assert (
        answer.intent == "best_time"
        and f"{by_hour.idxmax()}:00 ({by_hour.max():,.2f} USD)".replace(",", " ") in answer.text
    )


@pytest.mark.parametrize(
    ("question", "language"), [("tell me a joke", "en"), ("siapa presiden?", "id")]
)
def test_unknown_questions_get_an_honest_answer_with_suggestions(
    question: str, language: str
) -> None:
    answer = ask(
        ToolContext(load_journal(synthetic_export(30)).analysis, "UTC", language), question
    )
    assert answer.intent == "unknown" and answer.tools == []
    assert answer.text.startswith(
        {"en": "I can't answer that yet.", "id": "Saya belum bisa menjawab itu."}[language]
    )


@pytest.mark.parametrize(
    ("question", "language", "today", "day"),
    [
        ("show today's report", "en", date(2024, 1, 2), date(2024, 1, 2)),
        ("tampilkan laporan hari ini", "id", date(2024, 1, 2), date(2024, 1, 2)),
        ("what did yesterday's report say?", "en", date(2024, 1, 3), date(2024, 1, 2)),
        ("laporan kemarin?", "id", date(2024, 1, 3), date(2024, 1, 2)),
    ],
)
def test_todays_and_yesterdays_report(reference, question, language, today, day) -> None:
    ctx = ToolContext(reference, "UTC", language, today)
    expected = daily_report(reference, day, "neutral", language, "UTC")
    answer = ask(ctx, question)
    assert answer.intent == "report" and answer.tools == ["get_report"]
    assert day.isoformat() in answer.text
    assert expected["trading_patterns_analysis"]["title"] in answer.text
    assert f"{expected['risk_management_score']}/10" in answer.text
    assert expected["recommendations"][0] in answer.text


def test_get_report_prefers_the_stored_report_and_get_sessions_hides_notes(reference) -> None:
    stored = {"risk_management_score": 9, "language": "en", "date": "2024-01-02"}
    days = [
        {"date": "2024-01-03", "emotion": "calm", "total_trades": 4, "total_profit_loss": 2.5},
        {"date": "2024-01-02", "emotion": "greedy", "total_trades": 9, "total_profit_loss": -8.0},
    ]
    ctx = ToolContext(
        reference,
        "UTC",
        "en",
        date(2024, 1, 3),
        lambda start, end: [
            d
            for d in days
            if (start is None or d["date"] >= str(start)) and (end is None or d["date"] <= str(end))
        ],
        lambda day, lang: stored if (day, lang) == (date(2024, 1, 2), "en") else None,
    )
    assert run_tool(ctx, "get_report", {"date": "2024-01-02"}) == stored | {"stored": True}
    fresh = run_tool(ctx, "get_report", {})
    assert fresh["stored"] is False and fresh["date"] == "2024-01-03"
    assert fresh["emotion"] == "calm"  # the day's recorded emotion is used
    assert run_tool(ctx, "get_sessions", {"emotion": "greedy"}) == {
        "total": 1,
        "sessions": [days[1]],
    }
    with pytest.raises(Exception, match="emotion: Input should be"):
        run_tool(ctx, "get_sessions", {"emotion": "angry"})
