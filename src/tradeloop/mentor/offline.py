"""The offline mentor: an intent router in Bahasa Indonesia and English over the tools.

A question's scope (period, weekday, symbol, side, hours, emotion: ``mentor.questions``) is
read first, then its topic from the rest: best and worst hour, weekday and day, symbol or
side, streaks, mistakes, revenge trades, stops, the worst loss or best trade, win rate, how to
improve, feelings, a day's report, or simply the results of the scope. Every answer is made
from the tools' results, with its unit (money or points) and times in the user's zone.
Anything else gets an honest "I can't answer that yet" with questions the router answers
(``suggestions``, one a line after "• "). No network is used.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from tradeloop.habits.insights import losses_of, pnl_text, threshold_text
from tradeloop.i18n import amount, points_by_market, time_text, translate, zone_label
from tradeloop.mentor.questions import WEEKDAYS, Period, Scope, normal, read_scope
from tradeloop.mentor.tools import TOOLS, ToolContext, run_tool

MISTAKE_WORDS = {
    "no_stop_loss": r"stop[- ]?loss|tanpa stop|no stops?\b|without a stop|naked|\bstops?\b",
    "revenge_trade": r"revenge|balas dendam",
    "outsized_loss": r"outsized|kerugian besar|rugi besar|big loss",
    "excessive_risk": r"excessive risk|risiko berlebih|too much risk|risiko terlalu",
}
MAX_LISTED = 5


@dataclass(frozen=True)
class Answer:
    """The mentor's reply, the intent it understood, the tools it used and, when it could
    not answer, questions it can."""

    text: str
    intent: str
    tools: list[str]
    suggestions: list[str] = field(default_factory=list)


# ---------------------------------------------------------------------------- wording


def _t(ctx: ToolContext, key: str, **values: Any) -> str:
    return translate(ctx.language, key, **values)


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _num(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def _zone(ctx: ToolContext) -> str:
    """The user's UTC offset today (``UTC+07:00``)."""
    return zone_label(datetime.combine(ctx.local_today(), time(12), ZoneInfo(ctx.tz)))


def _local(ctx: ToolContext, iso: str) -> str:
    """A trade's UTC time in the user's zone with its label: ``2024-01-02 14:11 UTC+07:00``."""
    return time_text(datetime.fromisoformat(iso), ctx.tz)


def _hours_text(ctx: ToolContext, low: int, high: int | None = None) -> str:
    """Local entry hours ``low`` to ``high`` (included): ``07:00–08:00 UTC+07:00``."""
    high = low if high is None else high
    return f"{low:02d}:00–{(high + 1) % 24:02d}:00 {_zone(ctx)}"


def _pnl(ctx: ToolContext, value: float | None) -> str:
    """A P&L of the journal in its unit (money where it is known)."""
    return pnl_text(ctx.journal(), value, ctx.language)


def _net(ctx: ToolContext, figures: dict[str, Any]) -> str:
    """The net of some trades with its unit; points per market when they do not add up."""
    if figures["net"] is None:
        return points_by_market(ctx.language, figures["net_points"])
    return _pnl(ctx, figures["net"])


def _trade_pnl(ctx: ToolContext, trade: dict[str, Any]) -> str:
    if ctx.journal().unit == "money":
        return _pnl(ctx, trade["pnl"])
    return amount(ctx.language, trade["pnl_points"], "points")


def _weekday(ctx: ToolContext, name: str) -> str:
    return _t(ctx, f"weekday.{name}")


def _scope_text(ctx: ToolContext, scope: Scope) -> str:
    """The scope in words: ``Last week (2026-11-23 – 2026-11-29), Fridays, XAUUSD``."""
    parts = []
    if (p := scope.period) is not None:
        parts.append(
            _t(
                ctx,
                f"mentor.chat.period.{p.kind}",
                start=p.start.isoformat(),
                end=p.end.isoformat(),
                n=p.n,
                weekday=_weekday(ctx, p.weekday) if p.weekday else "",
            )
        )
    if scope.weekday is not None:
        parts.append(_t(ctx, "mentor.chat.scope.weekday", weekday=_weekday(ctx, scope.weekday)))
    if scope.symbol is not None:
        parts.append(scope.symbol)
    if scope.side is not None:
        parts.append(_t(ctx, f"mentor.chat.scope.{scope.side}"))
    if scope.hours is not None:
        parts.append(_t(ctx, "mentor.chat.scope.hours", hours=_hours_text(ctx, *scope.hours)))
    text = ", ".join(parts) if parts else _t(ctx, "mentor.chat.scope.all")
    return text[:1].upper() + text[1:]  # it starts a sentence


def _lead(ctx: ToolContext, scope: Scope, sentence: str) -> str:
    """``sentence`` after its scope (``Last week: your best …``) when the scope is narrowed."""
    if not scope.narrowed():
        return sentence
    return f"{_scope_text(ctx, scope)}: {sentence[:1].lower()}{sentence[1:]}"


def _arguments(scope: Scope) -> dict[str, Any]:
    """The scope as arguments of ``filter_trades`` and ``filter_losses``."""
    args: dict[str, Any] = {}
    if scope.period is not None:
        args |= {"start": scope.period.start.isoformat(), "end": scope.period.end.isoformat()}
    if scope.weekday is not None:
        args["weekday"] = scope.weekday
    if scope.symbol is not None:
        args["symbol"] = scope.symbol
    if scope.side is not None:
        args["side"] = scope.side
    if scope.hours is not None:
        args |= {"hour_from": scope.hours[0], "hour_to": scope.hours[1]}
    return args


def _trades(ctx: ToolContext, scope: Scope, **more: Any) -> dict[str, Any]:
    return run_tool(ctx, "filter_trades", _arguments(scope) | {"limit": 1} | more)


def _losses(ctx: ToolContext, scope: Scope, **more: Any) -> dict[str, Any]:
    return run_tool(ctx, "filter_losses", _arguments(scope) | {"limit": 1} | more)


def _day_scope(day: date, like: Scope | None = None) -> Scope:
    """One local day, with the symbol, side and hours of ``like``."""
    like = like or Scope()
    return Scope(Period("day", day, day), symbol=like.symbol, side=like.side, hours=like.hours)


def _figures_text(ctx: ToolContext, key: str, figures: dict[str, Any], **values: Any) -> str:
    return _t(
        ctx,
        key,
        trades=figures["trades"],
        wins=figures["wins"],
        losses=figures["losses"],
        win_rate=_pct(figures["win_rate"]),
        net=_net(ctx, figures),
        **values,
    )


def _loss_sentence(ctx: ToolContext, losses: dict[str, Any]) -> str:
    """ " The losing trades lost … in total, … on average; the worst …" (or nothing)."""
    stats, worst = losses["stats"], losses["worst"]
    if not stats["count"] or worst is None:
        return ""
    return " " + _t(
        ctx,
        "mentor.chat.performance.losses",
        lost=_pnl(ctx, stats["total"]) if stats["total"] is not None else "—",
        avg=_pnl(ctx, stats["mean"]) if stats["mean"] is not None else "—",
        worst=_trade_pnl(ctx, worst),
        symbol=worst["symbol"],
        when=_local(ctx, worst["entry_time"]),
    )


def _nothing(ctx: ToolContext, scope: Scope, intent: str) -> Answer:
    text = _t(ctx, "mentor.chat.no_trades_in_scope", scope=_scope_text(ctx, scope))
    return Answer(text, intent, ["filter_trades"])


# ---------------------------------------------------------------------------- answers

Handler = Callable[[ToolContext, Scope], Answer]


def _performance(ctx: ToolContext, scope: Scope, intent: str = "performance") -> Answer:
    if scope.weekday is not None and scope.period is None and not scope.every_weekday:
        return _weekday_results(ctx, scope, intent)
    found = _trades(ctx, scope)
    if not found["total"]:
        return _nothing(ctx, scope, intent)
    text = _figures_text(
        ctx, "mentor.chat.performance", found["figures"], scope=_scope_text(ctx, scope)
    )
    text += _loss_sentence(ctx, _losses(ctx, scope))
    return Answer(text, intent, ["filter_trades", "filter_losses"])


def _weekday_results(ctx: ToolContext, scope: Scope, intent: str) -> Answer:
    """A weekday said once without a period: its latest day with trades, then all of them."""
    name = _weekday(ctx, scope.weekday or "")
    every = _trades(ctx, scope, group_by="day")
    if not every["total"]:
        return Answer(_t(ctx, "mentor.chat.weekday_none", weekday=name), intent, ["filter_trades"])
    today = ctx.local_today().isoformat()
    days = [g["key"] for g in every["groups"] if g["key"] <= today] or [every["groups"][-1]["key"]]
    latest = _day_scope(date.fromisoformat(days[-1]), scope)
    text = _figures_text(
        ctx,
        "mentor.chat.weekday_latest",
        _trades(ctx, latest)["figures"],
        weekday=name,
        day=days[-1],
    )
    text += _loss_sentence(ctx, _losses(ctx, latest))
    if len(every["groups"]) > 1:
        text += " " + _figures_text(
            ctx,
            "mentor.chat.weekday_all",
            every["figures"],
            weekday=name,
            days=len(every["groups"]),
        )
    narrowed = Scope(symbol=scope.symbol, side=scope.side, hours=scope.hours)
    return Answer(_lead(ctx, narrowed, text), intent, ["filter_trades", "filter_losses"])


def _ranked(groups: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], bool]:
    """Groups best first: by net when every group's adds up, else by win rate."""
    by_net = all(g["net_pnl"] is not None for g in groups)
    return sorted(
        groups, key=lambda g: g["net_pnl" if by_net else "win_rate"], reverse=True
    ), by_net


def _group_text(ctx: ToolContext, group: dict[str, Any]) -> str:
    return _t(
        ctx,
        "mentor.chat.group",
        trades=group["trades"],
        net=_pnl(ctx, group["net_pnl"]) if group["net_pnl"] is not None else "—",
        win_rate=_pct(group["win_rate"]),
    )


def _ranking(
    ctx: ToolContext, scope: Scope, by: str, worst: bool, label: Callable[[Any], str]
) -> Answer:
    """The best (or worst) group of ``by`` and the other end, e.g. entry hours."""
    intent = f"{'worst' if worst else 'best'}_{by}"
    found = _trades(ctx, scope, group_by=by)
    if not found["total"]:
        return _nothing(ctx, scope, intent)
    ranked, by_net = _ranked(found["groups"])
    first, last = (ranked[-1], ranked[0]) if worst else (ranked[0], ranked[-1])
    text = _t(
        ctx,
        f"mentor.chat.only_{by}" if len(ranked) == 1 else f"mentor.chat.{intent}",
        first=label(first["key"]),
        first_figures=_group_text(ctx, first),
        other=label(last["key"]),
        other_figures=_group_text(ctx, last),
    )
    if not by_net:
        text += " " + _t(ctx, "mentor.chat.by_win_rate")
    return Answer(_lead(ctx, scope, text), intent, ["filter_trades"])


def _hour_ranking(worst: bool) -> Handler:
    return lambda ctx, scope: _ranking(ctx, scope, "hour", worst, lambda h: _hours_text(ctx, h))


def _day_ranking(worst: bool) -> Handler:
    def answer(ctx: ToolContext, scope: Scope) -> Answer:
        weekdays = _ranking(ctx, scope, "weekday", worst, lambda name: _weekday(ctx, name))
        days = _trades(ctx, scope, group_by="day")
        if not days["total"]:
            return weekdays
        ranked, _ = _ranked(days["groups"])
        pick = ranked[-1] if worst else ranked[0]
        extra = _t(
            ctx,
            f"mentor.chat.{'worst' if worst else 'best'}_date",
            day=pick["key"],
            figures=_group_text(ctx, pick),
        )
        return Answer(f"{weekdays.text} {extra}", weekdays.intent, weekdays.tools)

    return answer


def _symbol_ranking(worst: bool) -> Handler:
    return lambda ctx, scope: _ranking(ctx, scope, "symbol", worst, str)


def _sides(ctx: ToolContext, scope: Scope) -> Answer:
    groups = {g["key"]: g for g in _trades(ctx, scope, group_by="side")["groups"]}
    if not groups:
        return _nothing(ctx, scope, "sides")
    text = " ".join(
        _t(ctx, f"mentor.chat.side.{side}", figures=_group_text(ctx, groups[side]))
        for side in ("buy", "sell")
        if side in groups
    )
    return Answer(_lead(ctx, scope, text), "sides", ["filter_trades"])


def _best_time(ctx: ToolContext, scope: Scope) -> Answer:
    hours = _trades(ctx, scope, group_by="hour")
    if not hours["total"]:
        return _nothing(ctx, scope, "best_time")
    weekdays = _trades(ctx, scope, group_by="weekday")
    hour, weekday = _ranked(hours["groups"])[0][0], _ranked(weekdays["groups"])[0][0]
    text = _t(
        ctx,
        "mentor.chat.best_time",
        hour=_hours_text(ctx, hour["key"]),
        hour_net=_group_text(ctx, hour),
        weekday=_weekday(ctx, weekday["key"]),
        weekday_net=_group_text(ctx, weekday),
    )
    return Answer(_lead(ctx, scope, text), "best_time", ["filter_trades"])


def _streaks(ctx: ToolContext, scope: Scope) -> Answer:
    s = run_tool(ctx, "get_summary", {})
    text = _t(
        ctx,
        "mentor.chat.streak",
        current=s["streak_current"],
        best=s["streak_best"],
        losses=s["max_consecutive_losses"],
    )
    return Answer(text, "streak", ["get_summary"])


def _biggest_mistake(ctx: ToolContext, scope: Scope) -> Answer:
    if scope.narrowed():
        return _mistakes_in(ctx, scope)
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


def _mistakes_in(ctx: ToolContext, scope: Scope) -> Answer:
    """Each mistake's count among the scope's trades."""
    total = _trades(ctx, scope)["total"]
    if not total:
        return _nothing(ctx, scope, "biggest_mistake")
    flagged = _trades(ctx, scope, clean=False)["total"]
    counts = {code: _trades(ctx, scope, mistakes=[code])["total"] for code in MISTAKE_WORDS}
    listed = ", ".join(
        f"{_t(ctx, f'mistake.{code}')} {count}"
        for code, count in sorted(counts.items(), key=lambda item: -item[1])
        if count
    )
    text = _t(
        ctx,
        "mentor.chat.mistakes_scope" if flagged else "mentor.chat.no_mistakes_scope",
        scope=_scope_text(ctx, scope),
        flagged=flagged,
        total=total,
        listed=listed,
    )
    return Answer(text, "biggest_mistake", ["filter_trades"])


def _win_rate(ctx: ToolContext, scope: Scope) -> Answer:
    if scope.narrowed():
        return _performance(ctx, scope, "win_rate")
    s = ctx.journal().summary
    text = _t(
        ctx,
        "mentor.chat.win_rate",
        win_rate=_pct(s["win_rate"]),
        wins=s["wins"],
        total=s["total_trades"],
        payoff=_num(s["payoff_ratio"]),
        expectancy=_pnl(ctx, s["expectancy"]),
        breakeven=_pct(s["breakeven_win_rate"]),
    )
    return Answer(text, "win_rate", ["get_summary"])


def _first_times(ctx: ToolContext, scope: Scope, code: str) -> str:
    listed = _trades(ctx, scope, mistakes=[code], limit=MAX_LISTED)["trades"]
    return ", ".join(_local(ctx, t["entry_time"]) for t in listed) or "—"


def _revenge(ctx: ToolContext, scope: Scope) -> Answer:
    first = _first_times(ctx, scope, "revenge_trade")
    if scope.narrowed():
        found = _trades(ctx, scope, mistakes=["revenge_trade"])
        text = _figures_text(
            ctx,
            "mentor.chat.revenge_scope",
            found["figures"],
            scope=_scope_text(ctx, scope),
            count=found["total"],
            first=first,
        )
        return Answer(text, "revenge", ["filter_trades"])
    r = run_tool(ctx, "get_metric", {"name": "revenge"})
    text = _t(
        ctx,
        "mentor.chat.revenge",
        count=r["count"],
        win_rate=_pct(r["win_rate"]),
        net=_pnl(ctx, r["net_pnl"]),
        minutes=f"{r['window_seconds'] / 60:.1f}",
        first=first,
    )
    return Answer(text, "revenge", ["get_metric", "filter_trades"])


def _no_stop(ctx: ToolContext, scope: Scope) -> Answer:
    text = _t(
        ctx,
        "mentor.chat.no_stop",
        count=_trades(ctx, scope, mistakes=["no_stop_loss"])["total"],
        total=_trades(ctx, scope)["total"],
        first=_first_times(ctx, scope, "no_stop_loss"),
    )
    tools = ["filter_trades"]
    if not scope.narrowed():
        stops = run_tool(ctx, "get_metric", {"name": "stop-loss"})
        tools.append("get_metric")
        if stops["avg_loss_with_stop"] is not None and stops["avg_loss_without_stop"] is not None:
            text += " " + _t(
                ctx,
                "mentor.chat.stop_losses",
                with_stop=_pnl(ctx, stops["avg_loss_with_stop"]),
                without_stop=_pnl(ctx, stops["avg_loss_without_stop"]),
            )
        if stops["stops_unknown"]:
            text += " " + _t(ctx, "mentor.chat.stops_unknown", count=stops["stops_unknown"])
    return Answer(_lead(ctx, scope, text), "no_stop", tools)


def _mistake_count(code: str) -> Handler:
    def count(ctx: ToolContext, scope: Scope) -> Answer:
        lost = _losses(ctx, scope, mistakes=[code])["stats"]["total"]
        text = _t(
            ctx,
            "mentor.chat.mistake_count",
            mistake=_t(ctx, f"mistake.{code}"),
            count=_trades(ctx, scope, mistakes=[code])["total"],
            total=_trades(ctx, scope)["total"],
            lost=_pnl(ctx, lost) if lost is not None else "—",
        )
        return Answer(_lead(ctx, scope, text), f"count_{code}", ["filter_trades", "filter_losses"])

    return count


def _worst_loss(ctx: ToolContext, scope: Scope) -> Answer:
    worst = _losses(ctx, scope)["worst"]
    if worst is None:
        return Answer(
            _lead(ctx, scope, _t(ctx, "mentor.chat.no_losses")), "worst_loss", ["filter_losses"]
        )
    text = _t(
        ctx,
        "mentor.chat.worst_loss",
        amount=_trade_pnl(ctx, worst),
        symbol=worst["symbol"],
        side=_t(ctx, f"common.{worst['side']}"),
        when=_local(ctx, worst["entry_time"]),
        mistakes=", ".join(_t(ctx, f"mistake.{m}") for m in worst["mistakes"]) or "—",
    )
    return Answer(_lead(ctx, scope, text), "worst_loss", ["filter_losses"])


def _best_trade(ctx: ToolContext, scope: Scope) -> Answer:
    sort = "-pnl" if ctx.journal().unit == "money" else "-pnl_points"
    found = _trades(ctx, scope, result="win", sort=sort)["trades"]
    if not found:
        return Answer(
            _lead(ctx, scope, _t(ctx, "mentor.chat.no_wins")), "best_trade", ["filter_trades"]
        )
    text = _t(
        ctx,
        "mentor.chat.best_trade",
        amount=_trade_pnl(ctx, found[0]),
        symbol=found[0]["symbol"],
        side=_t(ctx, f"common.{found[0]['side']}"),
        when=_local(ctx, found[0]["entry_time"]),
    )
    return Answer(_lead(ctx, scope, text), "best_trade", ["filter_trades"])


def _improve(ctx: ToolContext, scope: Scope) -> Answer:
    items = run_tool(ctx, "get_metric", {"name": "insights"})[:3]
    text = (
        _t(ctx, "mentor.chat.improve")
        + " "
        + " ".join(f"{i + 1}) {item['text']}" for i, item in enumerate(items))
    )
    return Answer(text, "improve", ["get_metric"])


def _explain(ctx: ToolContext, code: str) -> Answer:
    a = ctx.journal()
    key = "outsized_loss_points" if code == "outsized_loss" else "excessive_risk_points"
    text = _t(
        ctx,
        f"mentor.chat.explain.{code}",
        count=a.summary["mistake_counts"][code],
        threshold=threshold_text(a, key, ctx.language),
        minutes=f"{a.thresholds['revenge_window_seconds'] / 60:.1f}",
    )
    return Answer(text, f"explain_{code}", ["get_summary"])


def _feelings(ctx: ToolContext, scope: Scope) -> Answer:
    """The days' stated emotions; with an emotion, its days and their trades."""
    args: dict[str, Any] = {"limit": 50}
    if scope.period is not None:
        args |= {"start": scope.period.start.isoformat(), "end": scope.period.end.isoformat()}
    if scope.emotion is not None:
        args["emotion"] = scope.emotion
    rows = [r for r in run_tool(ctx, "get_sessions", args)["sessions"] if r["emotion"]]
    where = _scope_text(ctx, Scope(period=scope.period))
    if scope.emotion is None:
        if not rows:
            return Answer(
                _t(ctx, "mentor.chat.no_feelings", scope=where), "feelings", ["get_sessions"]
            )
        listed = "; ".join(
            _t(
                ctx,
                "mentor.chat.feeling_day",
                day=r["date"],
                emotion=_t(ctx, f"emotion.{r['emotion']}"),
                trades=r["total_trades"],
                score=r["risk_score"] if r["risk_score"] is not None else "—",
            )
            for r in rows[:MAX_LISTED]
        )
        text = _t(ctx, "mentor.chat.feelings", scope=where, listed=listed, count=len(rows))
        return Answer(text, "feelings", ["get_sessions"])
    feeling = _t(ctx, f"emotion.{scope.emotion}")
    if not rows:
        text = _t(ctx, "mentor.chat.feeling_none", emotion=feeling, scope=where)
        return Answer(text, "feelings", ["get_sessions"])
    days = sorted(r["date"] for r in rows)
    per_day = [_trades(ctx, _day_scope(date.fromisoformat(d)))["figures"] for d in days]
    trades, wins = sum(f["trades"] for f in per_day), sum(f["wins"] for f in per_day)
    points: dict[str, float] = {}
    for f in per_day:
        for market, value in f["net_points"].items():
            points[market] = points.get(market, 0.0) + value
    summed = {
        "trades": trades,
        "wins": wins,
        "losses": sum(f["losses"] for f in per_day),
        "win_rate": wins / trades if trades else None,
        "net": sum(f["net"] for f in per_day)
        if all(f["net"] is not None for f in per_day)
        else None,
        "net_points": points,
    }
    text = _figures_text(
        ctx,
        "mentor.chat.feeling_days",
        summed,
        emotion=feeling,
        count=len(days),
        days=", ".join(days[-MAX_LISTED:]),
    )
    return Answer(text, "feelings", ["get_sessions", "filter_trades"])


def _report(ctx: ToolContext, scope: Scope) -> Answer:
    """The report of the day the question names (the last of a range), else today's."""
    today = ctx.local_today()
    day = scope.period.end if scope.period is not None else today
    if scope.period is None and scope.weekday is not None:
        day = today - timedelta(days=(today.weekday() - WEEKDAYS.index(scope.weekday)) % 7)
    day = min(day, today)
    report = run_tool(ctx, "get_report", {"date": day.isoformat()})
    patterns, actions = report["trading_patterns_analysis"], report["recommendations"]
    text = _t(
        ctx,
        "mentor.chat.report_today" if day == today else "mentor.chat.report",
        day=day.isoformat(),
        title=patterns["title"],
        analysis=patterns["analysis"],
        score=f"{report['risk_management_score']}/10",
        action=actions[0] if actions else "—",
    )
    return Answer(text, "report", ["get_report"])


def _missing_symbol(ctx: ToolContext, scope: Scope) -> Answer:
    text = _t(
        ctx,
        "mentor.chat.no_symbol",
        symbol=scope.missing_symbol,
        symbols=", ".join(_symbols(ctx)[0][:10]),
    )
    return Answer(text, "no_symbol", ["filter_trades"])


# ---------------------------------------------------------------------------- routing

BEST = (
    r"\b(best|better|most profitable|most profit|strongest|top|good|make (?:the )?most"
    r"|made (?:the )?most|most money|terbaik|paling (?:bagus|baik|untung|menguntungkan|cuan"
    r"|profit)|bagus|untung|cuan)\b"
)
WORST = (
    r"\b(worst|worse|least profitable|weakest|bad|avoid|lose (?:the )?most|lost (?:the )?most"
    r"|most loss|terburuk|terjelek|paling (?:buruk|jelek|rugi|parah)|buruk|jelek|hindari"
    r"|dihindari|rugi)\b"
)
HOUR = r"\b(hours?|time of (?:the )?day|what time|which time|jam|pukul)\b"
DAY = r"\b(days?|weekdays?|day of (?:the )?week|hari)\b"
SYMBOL = (
    r"\b(symbols?|instruments?|markets?|pairs?|contracts?|tickers?|simbol|instrumen|pasar"
    r"|kontrak)\b"
)
SIDES = (
    r"\b(long|longs|buys?|beli)\s+(or|vs\.?|versus|atau|dan|and)\s+(short|shorts|sells?|jual)\b"
    r"|\b(short|shorts|sells?|jual)\s+(or|vs\.?|versus|atau|dan|and)\s+(long|longs|buys?|beli)\b"
    r"|\b(side|sides|direction|arah)\b"
)
TIME = r"\b(time|times|waktu|kapan)\b"
STREAK = r"\b(streaks?|in a row|run of|winning run|losing run|berturut|beruntun|rentetan|runtun)"
MISTAKES = r"\b(biggest mistake|worst habit|main mistake|mistakes?|errors?|kesalahan|kebiasaan)\b"
WORST_LOSS = (
    r"\b(worst|biggest|largest|heaviest) (loss|losing trade|trade)\b"
    r"|\b(rugi|kerugian|loss) (terbesar|terburuk|paling besar)\b|\btransaksi terburuk\b"
)
BEST_TRADE = (
    r"\b(best|biggest|largest) (trade|win|winner|winning trade)\b"
    r"|\b(profit|untung|kemenangan|menang) (terbesar|terbaik|paling besar)\b"
    r"|\btransaksi terbaik\b"
)
WIN_RATE = r"win ?rate|payoff|expectancy|persentase menang|tingkat menang|ekspektansi|rasio"
IMPROVE = (
    r"improve|get better|what should i|work on|perbaiki|memperbaiki|lebih baik|tingkatkan"
    r"|saran|advice|\btips?\b"
)
FEEL = (
    r"\b(feel|felt|feeling|feelings|mood|emotions?|emotional|perasaan|merasa|emosi"
    r"|suasana hati)\b"
)
PERFORMANCE = (
    r"\b(how did i do|how am i doing|how was|how did|how's|perform|performance|results?|p&l"
    r"|pnl|p/l|l/r|profits?|loss|losses|lose|lost|make|made|earn|earned|net|total|how much"
    r"|how many|trades?|trading|hasil|performa|kinerja|untung|rugi|laba|cuan|transaksi"
    r"|berapa|bagaimana|gimana)\b"
)
EXPLAIN = (
    r"\b(what is|what's|what are|what does|what do you mean|explain|define|definition"
    r"|meaning of|apa itu|apa arti|apa maksud|apa yang dimaksud|artinya|maksudnya|jelaskan"
    r"|pengertian)\b"
)
PERSONAL = r"\b(my|i|me|saya|aku|gue|ku)\b"
REPORT = r"\b(reports?|laporan)\b"


def _topic(text: str, scope: Scope) -> Handler | None:
    """The handler of the question's topic (``text``: the question without its scope)."""
    worst = bool(re.search(WORST, text))
    ranked = worst or bool(re.search(BEST, text))
    rules: list[tuple[bool, Handler]] = [
        (bool(re.search(STREAK, text)), _streaks),
        (ranked and bool(re.search(HOUR, text)), _hour_ranking(worst)),
        (ranked and scope.weekday is None and bool(re.search(DAY, text)), _day_ranking(worst)),
        (ranked and scope.symbol is None and bool(re.search(SYMBOL, text)), _symbol_ranking(worst)),
        (bool(re.search(SIDES, text)), _sides),
        (ranked and bool(re.search(TIME, text)), _best_time),
        (bool(re.search(MISTAKE_WORDS["revenge_trade"], text)), _revenge),
        (bool(re.search(WORST_LOSS, text)), _worst_loss),
        (bool(re.search(BEST_TRADE, text)), _best_trade),
        (bool(re.search(MISTAKES, text)), _biggest_mistake),
        (bool(re.search(MISTAKE_WORDS["no_stop_loss"], text)), _no_stop),
        (bool(re.search(MISTAKE_WORDS["outsized_loss"], text)), _mistake_count("outsized_loss")),
        (bool(re.search(MISTAKE_WORDS["excessive_risk"], text)), _mistake_count("excessive_risk")),
        (bool(re.search(WIN_RATE, text)), _win_rate),
        (bool(re.search(IMPROVE, text)), _improve),
        (bool(re.search(FEEL, text)) or scope.emotion is not None, _feelings),
        (bool(re.search(PERFORMANCE, text)) or scope.narrowed(), _performance),
    ]
    return next((handler for applies, handler in rules if applies), None)


def _symbols(ctx: ToolContext) -> tuple[list[str], set[str]]:
    """The journal's symbols, most traded first, and its markets."""
    if ctx.analysis is None or not len(ctx.analysis.trades):
        return [], set()
    trades = ctx.analysis.trades
    counts = trades["symbol"].astype(str).str.upper().value_counts(sort=True)
    ordered = sorted(counts.index, key=lambda s: (-counts[s], s))
    return ordered, {str(u).upper() for u in trades["underlying"].unique()}


def ask(ctx: ToolContext, question: str) -> Answer:
    """The offline mentor's answer to ``question`` in the context's language."""
    text = normal(question)
    if re.search(EXPLAIN, text) and not re.search(PERSONAL, text):
        for code, words in MISTAKE_WORDS.items():
            if re.search(words, text):
                return _explain(ctx, code)
    symbols, markets = _symbols(ctx)
    scope = read_scope(question, ctx.local_today(), ctx.language, symbols, markets)
    if re.search(REPORT, scope.rest):
        return _report(ctx, scope)
    handler = _topic(scope.rest, scope)
    if handler is None:
        return unknown(ctx)
    if scope.missing_symbol is not None and scope.symbol is None:
        return _missing_symbol(ctx, scope)
    return handler(ctx, scope)


# ---------------------------------------------------------------------------- suggestions

SUGGESTIONS = (
    "best_hour", "weekday_loss", "last_week", "symbol", "biggest_mistake", "win_rate",
    "revenge", "no_stop", "worst_loss", "streak", "improve", "today_report",
)  # fmt: skip
UNKNOWN_SUGGESTIONS = ("best_hour", "weekday_loss", "last_week", "symbol", "biggest_mistake")


def suggestions(ctx: ToolContext, keys: tuple[str, ...] = SUGGESTIONS) -> list[str]:
    """Questions the router answers, in the context's language (the symbol one names the
    journal's most traded symbol and is left out without trades)."""
    symbols, _ = _symbols(ctx)
    return [
        _t(ctx, f"mentor.suggest.{key}", symbol=symbols[0] if symbols else "")
        for key in keys
        if key != "symbol" or symbols
    ]


def unknown(ctx: ToolContext) -> Answer:
    """'I can't answer that yet' with questions the router does answer, one a line."""
    asked = suggestions(ctx, UNKNOWN_SUGGESTIONS)
    text = _t(ctx, "mentor.chat.unknown") + "".join(f"\n• {q}" for q in asked)
    return Answer(text, "unknown", [], asked)


def tool_names() -> list[str]:
    """Every tool an LLM may call."""
    return list(TOOLS)


__all__ = ["Answer", "ask", "suggestions", "tool_names", "unknown"]
