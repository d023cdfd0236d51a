"""The offline mentor: an intent router in Bahasa Indonesia and English over the tools.

It answers the common questions from the journal's figures; anything else gets an honest
"I can't answer that yet" with questions it can answer. No network is used.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from tradeloop.habits.insights import losses_of, pnl_text, threshold_text
from tradeloop.i18n import amount, translate
from tradeloop.mentor.tools import (
    TOOLS,
    ToolContext,
    ToolTradeFilter,
    filter_losses,
    filter_trades,
    run_tool,
)

MISTAKE_WORDS = {
    "no_stop_loss": r"stop[- ]?loss|tanpa stop|no stop|without a stop|naked",
    "revenge_trade": r"revenge|balas dendam",
    "outsized_loss": r"outsized|kerugian besar|rugi besar|big loss",
    "excessive_risk": r"excessive risk|risiko berlebih|too much risk|risiko terlalu",
}


@dataclass(frozen=True)
class Answer:
    """The mentor's reply, the intent it understood and the tools it used."""

    text: str
    intent: str
    tools: list[str]


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _num(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def _local(ctx: ToolContext, iso: str) -> str:
    """A trade's UTC time as the user's local ``YYYY-MM-DD HH:MM``."""
    return datetime.fromisoformat(iso).astimezone(ZoneInfo(ctx.tz)).strftime("%Y-%m-%d %H:%M")


def _pnl(ctx: ToolContext, value: float | None) -> str:
    """A P&L of the journal in its unit (money where it is known)."""
    return pnl_text(ctx.journal(), value, ctx.language)


def _biggest_mistake(ctx: ToolContext) -> Answer:
    a, lang = ctx.journal(), ctx.language
    counts = a.summary["mistake_counts"]
    code, count = max(counts.items(), key=lambda item: item[1])
    if count == 0:
        return Answer(
            translate(lang, "mentor.chat.no_mistakes", total=a.summary["total_trades"]),
            "biggest_mistake",
            ["get_summary"],
        )
    cost = losses_of(a.trades, code) if a.adds_up else None
    text = translate(
        lang,
        "mentor.chat.biggest_mistake",
        mistake=translate(lang, f"mistake.{code}"),
        count=count,
        total=a.summary["total_trades"],
        cost=_pnl(ctx, cost),
    )
    return Answer(text, "biggest_mistake", ["get_summary", "filter_trades"])


def _win_rate(ctx: ToolContext) -> Answer:
    a, lang = ctx.journal(), ctx.language
    s = a.summary
    text = translate(
        lang,
        "mentor.chat.win_rate",
        win_rate=_pct(s["win_rate"]),
        wins=s["wins"],
        total=s["total_trades"],
        payoff=_num(s["payoff_ratio"]),
        expectancy=_pnl(ctx, s["expectancy"]),
        breakeven=_pct(s["breakeven_win_rate"]),
    )
    return Answer(text, "win_rate", ["get_summary"])


def _revenge(ctx: ToolContext) -> Answer:
    a, lang = ctx.journal(), ctx.language
    r = a.revenge
    listed = filter_trades(a, ToolTradeFilter(mistakes=["revenge_trade"], limit=5))["trades"]
    times = ", ".join(_local(ctx, t["entry_time"]) for t in listed)
    text = translate(
        lang,
        "mentor.chat.revenge",
        count=r["count"],
        win_rate=_pct(r["win_rate"]),
        net=_pnl(ctx, r["net_pnl"]),
        minutes=f"{r['window_seconds'] / 60:.1f}",
        first=times or "—",
    )
    return Answer(text, "revenge", ["get_metric", "filter_trades"])


def _worst_loss(ctx: ToolContext) -> Answer:
    a, lang = ctx.journal(), ctx.language
    worst = filter_losses(a, ToolTradeFilter(limit=1))["worst"]
    if worst is None:
        return Answer(translate(lang, "mentor.chat.no_losses"), "worst_loss", ["filter_losses"])
    text = translate(
        lang,
        "mentor.chat.worst_loss",
        amount=_pnl(ctx, worst["pnl"])
        if a.unit == "money"
        else amount(lang, worst["pnl_points"], "points"),
        symbol=worst["symbol"],
        side=worst["side"],
        when=_local(ctx, worst["entry_time"]),
        mistakes=", ".join(translate(lang, f"mistake.{m}") for m in worst["mistakes"]) or "—",
    )
    return Answer(text, "worst_loss", ["filter_losses"])


def _no_stop(ctx: ToolContext) -> Answer:
    a, lang = ctx.journal(), ctx.language
    count = a.summary["mistake_counts"]["no_stop_loss"]
    listed = filter_trades(a, ToolTradeFilter(mistakes=["no_stop_loss"], limit=5))["trades"]
    times = ", ".join(_local(ctx, t["entry_time"]) for t in listed)
    text = translate(
        lang,
        "mentor.chat.no_stop",
        count=count,
        total=a.summary["total_trades"],
        first=times or "—",
    )
    return Answer(text, "no_stop", ["get_summary", "filter_trades"])


def _best_time(ctx: ToolContext) -> Answer:
    lang = ctx.language
    calendar = run_tool(ctx, "get_metric", {"name": "calendar"})
    net = lambda row: row["net_pnl"] if row["net_pnl"] is not None else row["win_rate"]  # noqa: E731
    hour = max(calendar["by_hour"], key=net)
    weekday = max(calendar["by_weekday"], key=net)
    text = translate(
        lang,
        "mentor.chat.best_time",
        hour=f"{hour['key']}:00",
        hour_net=_pnl(ctx, hour["net_pnl"]),
        weekday=translate(lang, f"weekday.{weekday['key']}"),
        weekday_net=_pnl(ctx, weekday["net_pnl"]),
    )
    return Answer(text, "best_time", ["get_metric"])


def _improve(ctx: ToolContext) -> Answer:
    lang = ctx.language
    items = run_tool(ctx, "get_metric", {"name": "insights"})[:3]
    text = (
        translate(lang, "mentor.chat.improve")
        + " "
        + " ".join(f"{i + 1}) {item['text']}" for i, item in enumerate(items))
    )
    return Answer(text, "improve", ["get_metric"])


def _explain(code: str) -> Callable[[ToolContext], Answer]:
    def explain(ctx: ToolContext) -> Answer:
        a, lang = ctx.journal(), ctx.language
        values: dict[str, Any] = {"count": a.summary["mistake_counts"][code]}
        key = "outsized_loss_points" if code == "outsized_loss" else "excessive_risk_points"
        values |= {
            "threshold": threshold_text(a, key, lang),
            "minutes": f"{a.thresholds['revenge_window_seconds'] / 60:.1f}",
        }
        return Answer(
            translate(lang, f"mentor.chat.explain.{code}", **values),
            f"explain_{code}",
            ["get_summary"],
        )

    return explain


EXPLAIN = re.compile(
    r"(what is|what's|what does|explain|apa itu|apa arti|maksud|artinya).*("
    + "|".join(MISTAKE_WORDS.values())
    + ")"
)
INTENTS: list[tuple[str, str, Callable[[ToolContext], Answer]]] = [
    (
        "biggest_mistake",
        r"biggest mistake|worst habit|main mistake|kesalahan (terbesar|paling|utama)"
        r"|kebiasaan (terburuk|buruk)",
        _biggest_mistake,
    ),
    ("revenge", MISTAKE_WORDS["revenge_trade"], _revenge),
    ("no_stop", MISTAKE_WORDS["no_stop_loss"], _no_stop),
    (
        "worst_loss",
        r"worst loss|biggest loss|largest loss"
        r"|(rugi|kerugian|loss) (terbesar|terburuk|paling besar)",
        _worst_loss,
    ),
    (
        "win_rate",
        r"win ?rate|payoff|expectancy|persentase menang|tingkat menang|ekspektansi|rasio",
        _win_rate,
    ),
    ("best_time", r"best (hour|day|time)|(jam|hari|waktu) (terbaik|paling bagus)", _best_time),
    (
        "improve",
        r"improve|get better|what should i|work on|perbaiki|memperbaiki|lebih baik"
        r"|tingkatkan|saran",
        _improve,
    ),
]


REPORT_DAY = re.compile(
    r"(today|hari ini|yesterday|kemarin).*(report|laporan)"
    r"|(report|laporan).*(today|hari ini|yesterday|kemarin)"
)


def _report(ctx: ToolContext, yesterday: bool) -> Answer:
    day = ctx.local_today() - timedelta(days=1 if yesterday else 0)
    report = run_tool(ctx, "get_report", {"date": day.isoformat()})
    patterns = report["trading_patterns_analysis"]
    actions = report["recommendations"]
    text = translate(
        ctx.language,
        "mentor.chat.report",
        day=day.isoformat(),
        title=patterns["title"],
        analysis=patterns["analysis"],
        score=f"{report['risk_management_score']}/10",
        action=actions[0] if actions else "—",
    )
    return Answer(text, "report", ["get_report"])


def ask(ctx: ToolContext, question: str) -> Answer:
    """The offline mentor's answer to ``question`` in the context's language."""
    text = question.lower()
    if match := REPORT_DAY.search(text):
        return _report(ctx, yesterday=bool(re.search("yesterday|kemarin", match.group(0))))
    if EXPLAIN.search(text):
        code = next(code for code, words in MISTAKE_WORDS.items() if re.search(words, text))
        return _explain(code)(ctx)
    for _, pattern, handler in INTENTS:
        if re.search(pattern, text):
            return handler(ctx)
    return Answer(translate(ctx.language, "mentor.chat.unknown"), "unknown", [])


def tool_names() -> list[str]:
    """Every tool an LLM may call."""
    return list(TOOLS)


__all__ = ["Answer", "ask", "tool_names"]
