"""Daily reports on constructed days: the pattern, the score, and numbers only from the data."""

from __future__ import annotations

import re
from datetime import date

import pytest

from tests.journal.helpers import export, fill, stop
from tradeloop.i18n import amount, catalogue, translate
from tradeloop.mentor.daily import daily_report
from tradeloop.services.exports import load_journal

DAY = date(2024, 1, 2)
counter = iter(range(1000, 100_000))


def trade(
    start: str,
    end: str,
    side: str,
    entry: float,
    exit_: float,
    qty: int = 1,
    protect: bool = True,
    stop_price: float | None = None,
) -> list[str]:
    """A round trip on 01/02/2024, with a working stop placed at entry unless ``protect`` is off."""
    close = "Sell" if side == "Buy" else "Buy"
    rows = [fill(next(counter), start, side, qty, entry)]
    if protect:
        level = (
            stop_price if stop_price is not None else (entry - 5 if side == "Buy" else entry + 5)
        )
        rows.append(stop(next(counter), start, close, level, "Cancelled"))
    rows.append(fill(next(counter), end, close, qty, exit_, "Limit"))
    return rows


def report(
    rows: list[str],
    emotion: str = "neutral",
    language: str = "en",
    history: list[str] | None = None,
) -> dict:
    journal = load_journal(export(*(history or []), *rows))
    return daily_report(journal.analysis, DAY, emotion, language)


def history() -> list[str]:
    """A calm trailing week: one clean 1-lot trade a day, alternating +8 / -4."""
    rows = []
    for day in range(3, 10):
        stamp = f"12/{20 + day:02d}/2023"
        rows += trade(f"{stamp} 10:00:00", f"{stamp} 10:30:00", "Buy", 100, 108 if day % 2 else 96)
    return rows


def numbers(text: str) -> set[str]:
    return set(re.findall(r"-?\d{1,3}(?: \d{3})*(?:\.\d+)?", text))


def texts(rep: dict) -> str:
    p, e = rep["trading_patterns_analysis"], rep["emotional_analysis"]
    return " ".join(
        [
            p["title"],
            p["analysis"],
            p["strength"],
            p["improvement"],
            e["feedback"],
            e["tip"],
            *rep["recommendations"],
            rep["motivation_message"],
        ]
    )


def allowed(rep: dict) -> set[str]:
    """Every figure the report carries, formatted as the texts format them."""
    f = rep["trading_patterns_analysis"]["figures"]
    values = {str(v) for v in f.values() if isinstance(v, int)}
    values |= {
        f"{v:,.2f}".replace(",", " ")
        for v in (f["net"], f["avg_win"], f["usual_avg_win"])
        if v is not None
    }
    return values | {f"{f['usual_trades_per_day']:.1f}", str(rep["risk_management_score"])}


DISCIPLINED = trade("09:00:00", "09:20:00", "Buy", 100, 108) + trade(
    "11:00:00", "11:30:00", "Sell", 120, 112
)
REVENGE = (
    trade("09:00:00", "09:10:00", "Buy", 100, 95)
    + trade("09:11:00", "09:20:00", "Buy", 96, 92)
    + trade("09:21:00", "09:30:00", "Buy", 93, 89)
)
NAKED = trade("09:00:00", "09:30:00", "Buy", 100, 110) + trade(
    "10:00:00", "10:30:00", "Buy", 100, 96, protect=False
)
GREEDY = trade("09:00:00", "09:30:00", "Buy", 100, 104, qty=4) + trade(
    "11:00:00", "11:20:00", "Buy", 100, 106
)


@pytest.mark.parametrize(
    ("rows", "emotion", "pattern", "score", "alignment"),
    [
        (DISCIPLINED, "calm", "disciplined", 10, "calm_discipline"),
        (REVENGE, "frustrated", "revenge_spiral", 8, "frustration_revenge"),
        (NAKED, "neutral", "naked_trades", 9, "mismatch"),
        (GREEDY, "greedy", "oversized_risk", 9, "greed_oversize"),
        ([], "calm", "no_trades", 5, "no_trades"),
    ],
    ids=["disciplined", "revenge", "naked", "greedy", "no-trades"],
)
def test_constructed_days(rows, emotion: str, pattern: str, score: int, alignment: str) -> None:
    for language in ("id", "en"):
        rep = report(rows, emotion, language, history())
        assert rep["trading_patterns_analysis"]["pattern"] == pattern
        assert rep["risk_management_score"] == score
        assert rep["emotional_analysis"]["alignment"] == alignment
        assert 3 <= len(rep["recommendations"]) <= 5
        assert rep["language"] == language
        stray = numbers(texts(rep)) - allowed(rep)
        assert not stray, f"numbers not in the figures: {stray} ({language})"


def test_texts_come_from_each_languages_catalogue() -> None:
    english, indonesian = (
        report(REVENGE, "frustrated", "en", history()),
        report(REVENGE, "frustrated", "id", history()),
    )
    assert (
        english["trading_patterns_analysis"]["title"]
        == catalogue("en")["mentor.pattern.revenge_spiral.title"]
    )
    assert (
        indonesian["trading_patterns_analysis"]["title"]
        == catalogue("id")["mentor.pattern.revenge_spiral.title"]
    )
    assert english["recommendations"][0].startswith("2 trades followed a loss")


def test_ten_good_trades_score_like_one_and_one_naked_trade_lowers_it() -> None:
    one = report(trade("09:00:00", "09:10:00", "Buy", 100, 104), history=history())
    ten_rows = [
        row for i in range(10) for row in trade(f"{9 + i}:00:00", f"{9 + i}:10:00", "Buy", 100, 104)
    ]
    ten = report(ten_rows, history=history())
    naked = report(
        ten_rows + trade("20:00:00", "20:10:00", "Buy", 100, 104, protect=False), history=history()
    )
    assert one["risk_management_score"] == ten["risk_management_score"] == 10
    assert naked["risk_management_score"] < 10


def test_catalogue_texts_hold_no_literal_numbers() -> None:
    for language in ("id", "en"):
        for key, text in catalogue(language).items():
            if key.startswith("mentor."):
                assert not re.search(r"\d", re.sub(r"\{\w+\}", "", text)), key


def test_the_report_speaks_money_when_money_is_known_in_both_languages() -> None:
    for language, word in (("en", "A winning day of 32.00 USD"), ("id", "Hari profit 32.00 USD")):
        rep = report(DISCIPLINED, "calm", language, history())  # +8 and +8 MNQ points at 2 USD
        assert rep["trading_patterns_analysis"]["figures"]["unit"] == "money"
        assert rep["motivation_message"].startswith(word)
        assert "32.00 USD" in rep["trading_patterns_analysis"]["analysis"]


def test_an_export_without_stop_orders_is_never_said_to_have_had_stops() -> None:
    from tests.journal.test_csv_formats import PERFORMANCE

    analysis = load_journal(PERFORMANCE.encode()).analysis
    for language in ("en", "id"):
        rep = daily_report(analysis, date(2026, 2, 11), "calm", language)
        p = rep["trading_patterns_analysis"]
        assert p["pattern"] == "disciplined" and p["figures"]["stops_unknown"] == 1
        assert p["analysis"] == translate(
            language, "mentor.pattern.disciplined.analysis_stops_unknown",
            trades="1", wins="1", losses="0", net=amount(language, 100.0, "money", "USD"),
        )  # fmt: skip
        assert p["strength"] != translate(language, "mentor.strength.stops")
        assert rep["risk_management_score"] == 10  # the four rules it can judge were kept


@pytest.mark.parametrize("language", ["en", "id"])
def test_a_stated_emotion_is_always_addressed(language: str) -> None:
    """Frustrated without trades is not "no emotional pressure"; with trades, the feedback
    names the feeling whatever the day shows."""
    word = translate(language, "emotion.frustrated")
    no_pressure = translate(language, "mentor.emotion.no_trades.feedback")
    expected = {
        (): "no_trades_feeling",
        tuple(DISCIPLINED): "feeling_held",
        tuple(NAKED): "feeling_mismatch",
        tuple(REVENGE): "frustration_revenge",
    }
    for rows, alignment in expected.items():
        emotional = report(list(rows), "frustrated", language, history())["emotional_analysis"]
        assert emotional["emotion"] == "frustrated" and emotional["alignment"] == alignment
        assert word in emotional["feedback"], emotional["feedback"]
        assert emotional["feedback"] != no_pressure
    quiet = report([], "frustrated", language, history())["emotional_analysis"]
    assert quiet["feedback"] == translate(
        language, "mentor.emotion.no_trades_feeling.feedback", emotion=word
    )
    assert word in quiet["tip"]
    naked = report(NAKED, "frustrated", language, history())["emotional_analysis"]
    title = translate(language, "mentor.pattern.naked_trades.title")
    assert naked["feedback"].endswith(f"{title[:1].lower()}{title[1:]}.")
    # a calm day without trades keeps the plain reading
    calm = report([], "calm", language, history())["emotional_analysis"]
    assert calm["feedback"] == no_pressure
    for emotion in ("greedy", "fearful", "euphoric", "tired"):
        for rows in ([], DISCIPLINED, NAKED, GREEDY, REVENGE):
            feedback = report(rows, emotion, language, history())["emotional_analysis"]["feedback"]
            assert translate(language, f"emotion.{emotion}") in feedback, (emotion, feedback)
