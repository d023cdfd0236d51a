"""The grounding check: numbers against their sources, instructions, language, tool syntax,
length; and every answer the offline mentor gives passes it (no false alarms on our own
words)."""

from __future__ import annotations

from datetime import date

import pytest

from tradeloop.journal.synthetic import synthetic_export
from tradeloop.mentor.daily import daily_report
from tradeloop.mentor.grounding import (
    Reading,
    check_answer,
    readings,
    source_numbers,
    ungrounded_numbers,
)
from tradeloop.mentor.offline import ask, suggestions
from tradeloop.mentor.tools import ToolContext
from tradeloop.services.exports import load_journal

SUMMARY = '{"total_trades": 60, "wins": 32, "win_rate": 0.5333333, "avg_win": 61.4375}'


def verdict(answer: str, language: str = "en", sources: list | None = None) -> tuple:
    found = check_answer(answer, [SUMMARY] if sources is None else sources, language, 600)
    return found.reason, found.values


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        ("49", [[Reading(49, 0)]]),
        ("49.0", [[Reading(49.0, 1)]]),
        ("49,0", [[Reading(49.0, 1)]]),
        ("1,234", [[Reading(1.234, 3), Reading(1234, 0)]]),  # either separator
        ("1.234,50", [[Reading(1234.5, 2)]]),
        ("1,234.50", [[Reading(1234.5, 2)]]),
        ("1,234,567", [[Reading(1234567, 0)]]),
        ("1.2.3", [[Reading(1, 0)], [Reading(2, 0)], [Reading(3, 0)]]),  # each group
    ],
)
def test_numbers_are_read_with_either_decimal_separator(token: str, expected: list) -> None:
    assert readings(token) == expected


@pytest.mark.parametrize(
    ("answer", "language"),
    [
        ("Win rate Anda 53,3 % dari 60 transaksi, dengan 32 transaksi menang.", "id"),
        ("You win 53.3% of your trades: 32 of 60.", "en"),
        ("You win 53% of your 60 trades.", "en"),  # fewer decimals, still equal when rounded
        ("Your average win is 61.44 USD, and 61.4 rounded.", "en"),
        ("Rata-rata kemenangan Anda 61,44 USD dari 60 transaksi.", "id"),
        ("You won 0.53 of your trades.", "en"),
    ],
)
def test_figures_of_the_tool_results_are_kept(answer: str, language: str) -> None:
    assert verdict(answer, language) == (None, {})


@pytest.mark.parametrize(
    ("answer", "number"),
    [
        ("Your win rate is 2.0%.", "2.0"),  # the small model's invented figure
        ("You win 53.4% of your trades.", "53.4"),  # wrong in the shown decimal
        ("Your average win is 61.45 USD.", "61.45"),  # 61.4375 rounds to 61.44
        ("You made 1,000 USD on 60 trades.", "1,000"),
    ],
)
def test_a_number_in_no_source_fails_and_is_named(answer: str, number: str) -> None:
    assert verdict(answer) == ("number", {"number": number})


def test_numbers_and_dates_of_the_question_and_list_markers_are_allowed() -> None:
    question = "How did I do between 2024-01-02 and 2024-01-05 with 3 lots?"
    answer = "1. From 2024-01-02 to 2024-01-05 with 3 lots you won 32 of 60.\n2. Keep stops."
    assert verdict(answer, sources=[SUMMARY, question]) == (None, {})
    assert verdict(answer)[0] == "number"  # without the question, 2024 is invented


def test_signs_are_ignored_and_tool_strings_hold_numbers_too() -> None:
    known = source_numbers([{"net": -39.0, "entry_time": "2024-01-02T14:11:00+00:00"}])
    assert ungrounded_numbers("You lost 39.00 USD on 2024-01-02 at 14:11.", known) == []


@pytest.mark.parametrize(
    ("answer", "language", "words"),
    [
        ("I'm going to tell you that you're going to buy BTC now.", "en", "you're going to buy"),
        ("You should sell EURUSD before the news.", "en", "You should sell"),
        ("Buy gold at 2,000.", "en", "Buy"),
        ("It is time to go long on the Nasdaq.", "en", "It is time to go long"),
        ("Sebaiknya Anda beli XAUUSD sekarang.", "id", "Sebaiknya Anda beli"),
        ("Segera jual emas Anda!", "id", "Segera jual"),
        ("Jual EURUSD besok pagi.", "id", "Jual EURUSD besok"),
    ],
)
def test_an_instruction_to_trade_fails_in_either_language(
    answer: str, language: str, words: str
) -> None:
    assert verdict(answer, language, [SUMMARY, answer]) == ("instruction", {"words": words})


@pytest.mark.parametrize(
    ("answer", "language"),
    [
        ("Your sell trades today lost more than your buy trades.", "en"),
        ("Long (buy) trades won more often; short (sell) trades lost.", "en"),
        ("Transaksi sell Anda hari ini rugi lebih besar dari transaksi buy.", "id"),
    ],
)
def test_describing_buy_and_sell_trades_is_not_an_instruction(answer: str, language: str) -> None:
    assert verdict(answer, language, []) == (None, {})


def test_the_answer_must_be_in_the_users_language() -> None:
    english = "Your trades are good when you keep the stop and the size is small for the day."
    indonesian = "Transaksi Anda bagus jika Anda memakai stop dan ukurannya kecil untuk hari ini."
    assert verdict(english, "id", [])[0] == "language"
    assert verdict(indonesian, "en", [])[0] == "language"
    assert verdict(english, "en", []) == verdict(indonesian, "id", []) == (None, {})
    gibberish = " ".join(["Kamulah sentosa bergembira menari-nari tiada tara"] * 4)
    assert verdict(gibberish, "id", [])[0] == "language"


@pytest.mark.parametrize(
    "answer",
    [
        'functions.get_metric: {"name": "revenge"}',
        '<tool_call>{"name": "get_summary", "arguments": {}}</tool_call>',
        "Let me call get_summary first.",
    ],
)
def test_tool_call_syntax_is_not_an_answer(answer: str) -> None:
    assert verdict(answer, "en", [])[0] == "tool_syntax"


def test_empty_and_runaway_answers_fail() -> None:
    assert verdict("  \n", "en") == ("empty", {})
    runaway = "You keep trading and trading. " * 30
    assert verdict(runaway, "en", []) == ("too_long", {"chars": len(runaway.strip()), "limit": 600})


ANALYSIS = load_journal(synthetic_export(120, seed=4)).analysis
QUESTIONS = {
    "en": ["how am I doing?", "what does revenge trading mean?", "how did I do on Friday?",
           "how much did I lose last month?", "best symbol?", "worst day?", "buy or sell better?",
           "what is my best trade?", "how did I feel?"],
    "id": ["bagaimana hasil saya?", "apa itu revenge trading?", "berapa kerugian saya hari Jumat?",
           "simbol terbaik?", "hari terburuk?", "buy atau sell lebih baik?", "trade terbaik saya?"],
}  # fmt: skip


@pytest.mark.parametrize("language", ["en", "id"])
def test_every_offline_answer_and_report_passes_the_check(language: str) -> None:
    ctx = ToolContext(ANALYSIS, "Asia/Jakarta", language, date(2024, 1, 3))
    for question in suggestions(ctx) + QUESTIONS[language]:
        answer = ask(ctx, question)
        assert answer.intent != "unknown", question
        assert check_answer(answer.text, [answer.text], language, 5000).grounded, answer.text
    for day in range(1, 29):
        report = daily_report(ANALYSIS, date(2023, 12, day), "frustrated", language, ctx.tz)
        text = "\n".join(
            [
                report["trading_patterns_analysis"]["analysis"],
                *report["recommendations"],
                report["motivation_message"],
                report["emotional_analysis"]["feedback"],
            ]
        )
        assert check_answer(text, [text], language, 50_000).grounded, text
