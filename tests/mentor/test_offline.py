"""The offline mentor answers a fixed question set in both languages with the right figures."""

from __future__ import annotations

from datetime import date

import pytest

from tests.conftest import SHARED_DATA
from tests.journal.helpers import export, fill, stop
from tradeloop.journal.synthetic import synthetic_export
from tradeloop.mentor.daily import daily_report
from tradeloop.mentor.offline import ask, suggestions
from tradeloop.mentor.questions import read_scope
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
    by_hour = t.groupby(t["entry_time"].dt.hour)["pnl_money"].agg(["sum", "count"])
    best = by_hour["sum"].idxmax()
    answer = ask(ToolContext(analysis, "UTC", "en"), "what is my best hour?")
    net = f"{by_hour.loc[best, 'sum']:,.2f}".replace(",", " ")
    assert answer.intent == "best_hour"
    assert answer.text.startswith(
        f"Your best entry hour is {best:02d}:00–{best + 1:02d}:00 UTC "
        f"({by_hour.loc[best, 'count']} trades, net {net} USD"
    )
    calendar = run_tool(ToolContext(analysis, "UTC", "en"), "get_metric", {"name": "calendar"})
    weekday = max(calendar["by_weekday"], key=lambda row: row["net_pnl"])
    both = ask(ToolContext(analysis, "UTC", "en"), "what is my best time to trade?")
    assert both.intent == "best_time" and f"best weekday is {weekday['key']}" in both.text


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


# A hand-made journal (UTC times in the export; the trader lives in Jakarta, UTC+7):
#   G Fri 2023-12-29 05:00 MNQ  -5 pt = -10 USD     C Fri 2024-01-05 07:00 MNQ  -6 pt = -12 USD
#   A Mon 2024-01-01 02:00 MNQ +10 pt = +20 USD     D Fri 2024-01-05 08:00 MNQ  -3 pt =  -6 USD
#   B Wed 2024-01-03 02:30 MNQ  +4 pt =  +8 USD     E Fri 2024-01-05 09:00 XAUUSD +0.1 = +10 USD
#   F Mon 2024-01-08 03:00 MNQ  +2 pt =  +4 USD     (MNQ is 2 USD a point, XAUUSD 100 USD a lot)
# "Today" is Wednesday 2024-01-10, so last week is 2024-01-01 – 2024-01-07.
TODAY = date(2024, 1, 10)


def _round_trip(order: int, start: str, end: str, side: str, entry: float, exit_: float,
                contract: str = "MNQH4") -> list[str]:  # fmt: skip
    close = "Sell" if side == "Buy" else "Buy"
    level = entry - 5 if side == "Buy" else entry + 5
    return [
        fill(order, start, side, 1, entry, contract=contract),
        stop(order + 1, start, close, level, contract=contract),
        fill(order + 2, end, close, 1, exit_, "Limit", contract=contract),
    ]


HAND_MADE = load_journal(
    export(
        *_round_trip(10, "12/29/2023 05:00:00", "12/29/2023 05:30:00", "Sell", 100, 105),
        *_round_trip(20, "01/01/2024 02:00:00", "01/01/2024 02:20:00", "Buy", 100, 110),
        *_round_trip(30, "01/03/2024 02:30:00", "01/03/2024 02:50:00", "Buy", 100, 104),
        *_round_trip(40, "01/05/2024 07:00:00", "01/05/2024 07:30:00", "Sell", 100, 106),
        *_round_trip(50, "01/05/2024 08:00:00", "01/05/2024 08:20:00", "Buy", 100, 97),
        *_round_trip(
            60, "01/05/2024 09:00:00", "01/05/2024 09:10:00", "Buy", 2000, 2000.1, "XAUUSD"
        ),
        *_round_trip(70, "01/08/2024 03:00:00", "01/08/2024 03:30:00", "Buy", 100, 102),
    )
).analysis


def jakarta(language: str) -> ToolContext:
    return ToolContext(HAND_MADE, "Asia/Jakarta", language, TODAY)


FRIDAY_LOSSES = {
    "en": "The losing trades lost 18.00 USD in total, 9.00 USD on average; the worst was "
    "-12.00 USD on MNQH4, entered 2024-01-05 14:00 UTC+07:00.",
    "id": "Transaksi yang rugi kehilangan total 18.00 USD, rata-rata 9.00 USD; yang terburuk "
    "-12.00 USD di MNQH4, dibuka 2024-01-05 14:00 UTC+07:00.",
}


@pytest.mark.parametrize(
    ("language", "question", "intent", "expected"),
    [
        (
            "en",
            "Which hour is best for me?",
            "best_hour",
            "Your best entry hour is 09:00–10:00 UTC+07:00 (2 trades, net 28.00 USD, win rate "
            "100.0%); your worst is 14:00–15:00 UTC+07:00 (1 trades, net -12.00 USD, win rate "
            "0.0%).",
        ),
        (
            "id",
            "jam terbaik saya?",
            "best_hour",
            "Jam entry terbaik Anda 09:00–10:00 UTC+07:00 (2 transaksi, bersih 28.00 USD, win "
            "rate 100.0%); yang terburuk 14:00–15:00 UTC+07:00 (1 transaksi, bersih -12.00 USD, "
            "win rate 0.0%).",
        ),
        (
            "en",
            "How much did I lose on Friday?",
            "performance",
            "On Friday 2024-01-05: 3 trades, 1 won and 2 lost, net -8.00 USD. "
            + FRIDAY_LOSSES["en"]
            + " Over all 2 Fridays with trades: 4 trades, net -18.00 USD (win rate 25.0%).",
        ),
        (
            "id",
            "berapa rugi saya hari Jumat?",
            "performance",
            "Pada hari Jumat 2024-01-05: 3 transaksi, 1 menang dan 2 kalah, bersih -8.00 USD. "
            + FRIDAY_LOSSES["id"]
            + " Dari semua 2 hari Jumat dengan transaksi: 4 transaksi, bersih -18.00 USD (win "
            "rate 25.0%).",
        ),
        (
            "en",
            "how did I do on XAUUSD?",
            "performance",
            "XAUUSD: 1 trades, 1 won and 0 lost (win rate 100.0%), net 10.00 USD.",
        ),
        (
            "id",
            "bagaimana hasil saya di emas",
            "performance",
            "XAUUSD: 1 transaksi, 1 menang dan 0 kalah (win rate 100.0%), bersih 10.00 USD.",
        ),
        (
            "id",
            "bagaimana hasil saya di EURUSD",
            "no_symbol",
            "Tidak ada transaksi EURUSD di jurnal ini. Simbol Anda: MNQH4, XAUUSD.",
        ),
        (
            "en",
            "How did I do last week?",
            "performance",
            "Last week (2024-01-01 – 2024-01-07): 5 trades, 3 won and 2 lost (win rate 60.0%), "
            "net 20.00 USD. " + FRIDAY_LOSSES["en"],
        ),
        (
            "id",
            "bagaimana hasil saya minggu lalu?",
            "performance",
            "Minggu lalu (2024-01-01 – 2024-01-07): 5 transaksi, 3 menang dan 2 kalah (win rate "
            "60.0%), bersih 20.00 USD. " + FRIDAY_LOSSES["id"],
        ),
        ("en", "what about yesterday?", "performance", "Yesterday (2024-01-09): no trades."),
        ("id", "kemarin gimana?", "performance", "Kemarin (2024-01-09): tidak ada transaksi."),
        (
            "en",
            "what mistakes did I make on Friday last week?",
            "biggest_mistake",
            "Last week (2024-01-01 – 2024-01-07), Fridays: 1 of 3 trades had a mistake "
            "(Outsized loss 1).",
        ),
        (
            "en",
            "long or short?",
            "sides",
            "Long (buy) trades: 5 trades, net 36.00 USD, win rate 80.0%. Short (sell) trades: "
            "2 trades, net -22.00 USD, win rate 0.0%.",
        ),
    ],
)
def test_exact_answers_on_a_hand_made_journal(language, question, intent, expected) -> None:
    answer = ask(jakarta(language), question)
    assert (answer.intent, answer.text) == (intent, expected)


def test_the_best_hour_is_an_hour_of_the_users_zone() -> None:
    utc = ask(ToolContext(HAND_MADE, "UTC", "en", TODAY), "which hour is best for me?")
    assert utc.text.startswith("Your best entry hour is 02:00–03:00 UTC (2 trades")
    assert ask(jakarta("en"), "which hour is best for me?").text.startswith(
        "Your best entry hour is 09:00–10:00 UTC+07:00 (2 trades"
    )


@pytest.mark.parametrize(
    ("question", "language", "period"),
    [
        ("how did I do last week?", "en", ("last_week", "2024-01-01", "2024-01-07")),
        ("minggu lalu", "id", ("last_week", "2024-01-01", "2024-01-07")),
        ("pekan ini", "id", ("this_week", "2024-01-08", "2024-01-10")),
        ("this month", "en", ("this_month", "2024-01-01", "2024-01-10")),
        ("bulan lalu", "id", ("last_month", "2023-12-01", "2023-12-31")),
        ("yesterday", "en", ("yesterday", "2024-01-09", "2024-01-09")),
        ("kemarin", "id", ("yesterday", "2024-01-09", "2024-01-09")),
        ("today", "en", ("today", "2024-01-10", "2024-01-10")),
        ("the last 7 days", "en", ("last_days", "2024-01-04", "2024-01-10")),
        ("7 hari terakhir", "id", ("last_days", "2024-01-04", "2024-01-10")),
        ("past two weeks", "en", ("last_weeks", "2023-12-28", "2024-01-10")),
        ("3 hari yang lalu", "id", ("day", "2024-01-07", "2024-01-07")),
        ("on 2024-01-05", "en", ("day", "2024-01-05", "2024-01-05")),
        ("5/1/2024", "id", ("day", "2024-01-05", "2024-01-05")),
        ("1/5/2024", "en", ("day", "2024-01-05", "2024-01-05")),
        ("28 Desember", "id", ("day", "2023-12-28", "2023-12-28")),
        ("Dec 28, 2023", "en", ("day", "2023-12-28", "2023-12-28")),
        ("from 2024-01-02 to 2024-01-05", "en", ("range", "2024-01-02", "2024-01-05")),
        ("dari 2 Januari sampai 5 Januari", "id", ("range", "2024-01-02", "2024-01-05")),
        ("in December", "en", ("range", "2023-12-01", "2023-12-31")),
        ("last Friday", "en", ("weekday_day", "2024-01-05", "2024-01-05")),
        ("Jumat lalu", "id", ("weekday_day", "2024-01-05", "2024-01-05")),
        ("hari minggu lalu", "id", ("weekday_day", "2024-01-07", "2024-01-07")),
    ],
)
def test_periods_in_both_languages(question, language, period) -> None:
    found = read_scope(question, TODAY, language)
    assert found.period is not None, question
    assert (found.period.kind, str(found.period.start), str(found.period.end)) == period


def test_weekdays_symbols_sides_and_hours_are_read() -> None:
    symbols, markets = ["MNQH4", "XAUUSD"], ["NQ", "XAUUSD"]
    scope = read_scope("berapa rugi saya hari Minggu?", TODAY, "id")
    assert (scope.weekday, scope.period) == ("Sunday", None)  # "minggu" alone is a week
    assert read_scope("every friday", TODAY, "en").every_weekday
    assert read_scope("how did I do on MNQ?", TODAY, "en", symbols, markets).symbol == "MNQH4"
    assert read_scope("how did gold do", TODAY, "en", symbols, markets).symbol == "XAUUSD"
    missing = read_scope("how did I do on EURUSD?", TODAY, "en", symbols, markets)
    assert (missing.symbol, missing.missing_symbol) == (None, "EURUSD")
    assert read_scope("my longs", TODAY, "en").side == "buy"
    assert read_scope("how long do I hold?", TODAY, "en").side is None
    assert read_scope("antara jam 22 dan 2", TODAY, "id").hours == (22, 1)
    assert read_scope("at 9am", TODAY, "en").hours == (9, 9)


@pytest.mark.parametrize("language", ["en", "id"])
@pytest.mark.parametrize("journal", ["hand-made", "synthetic"])
def test_every_suggestion_is_answered(language: str, journal: str) -> None:
    analysis = HAND_MADE if journal == "hand-made" else load_journal(synthetic_export(80)).analysis
    ctx = ToolContext(analysis, "Asia/Jakarta", language, TODAY)
    offered = suggestions(ctx)
    assert len(offered) == 12 and any("MNQH4" in q for q in offered)
    for question in offered:
        answer = ask(ctx, question)
        assert answer.intent not in ("unknown", "no_symbol"), (question, answer.text)
        assert answer.tools, question
    refused = ask(ctx, "tell me a joke" if language == "en" else "siapa presiden?")
    assert refused.intent == "unknown" and refused.suggestions
    assert set(refused.suggestions) <= set(offered)
    assert refused.text.splitlines()[1:] == [f"• {q}" for q in refused.suggestions]


def test_streaks_best_trade_and_feelings() -> None:
    ctx = ToolContext(
        HAND_MADE,
        "Asia/Jakarta",
        "en",
        TODAY,
        lambda start, end: [
            {"date": "2024-01-05", "emotion": "frustrated", "total_trades": 3, "risk_score": 8}
        ],
    )
    assert ask(ctx, "what is my current streak?").intent == "streak"
    assert ask(ctx, "what was my best trade?").text == (
        "Your best trade was 20.00 USD on MNQH4 (Buy), entered 2024-01-01 09:00 UTC+07:00."
    )
    assert ask(ctx, "how did I do when I was frustrated?").text == (
        "You felt frustrated on 1 days (the latest: 2024-01-05). On those days: 3 trades, 1 won "
        "and 2 lost, net -8.00 USD."
    )
