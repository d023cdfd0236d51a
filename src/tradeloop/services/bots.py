"""Bots and their notifications: the user-scoped storage calls are the units of work, the
dashboard's counts, and what a bot and its events look like in the reader's language."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from tradeloop.core.codes import BotStatus, EventDetail, read_event_details
from tradeloop.core.errors import InvalidInput
from tradeloop.i18n import amount, catalogue, number_text, time_text, translate
from tradeloop.store import audit, users
from tradeloop.store import bots as repo
from tradeloop.store import journal as journal_repo
from tradeloop.store.bots import (
    bot_history,
    get_bot,
    last_event_id,
    list_bots,
    mark_notifications_read,
    notifications,
)
from tradeloop.store.db import transaction
from tradeloop.store.models import BacktestResult, Bot, TradingSession
from tradeloop.strategies.base import all_strategies, get_strategy

__all__ = [
    "add_bot", "bot_history", "bot_row", "check_strategy", "dashboard_counts", "delete_bot",
    "event_text", "get_bot", "last_event_id", "list_bots", "mark_notifications_read",
    "notifications", "restore_bot", "strategy_choices", "update_bot",
]  # fmt: skip


def check_strategy(strategy: str, params: dict[str, Any] | None) -> None:
    """The bot's strategy exists and takes ``params``; InvalidInput naming the problem."""
    keys = [s.key for s in all_strategies()]
    if strategy not in keys:
        raise InvalidInput(
            f"unknown strategy {strategy!r}: choose one of {', '.join(keys)}",
            [{"field": "strategy", "value": strategy}],
            key="bots.error.unknown_strategy",
            values={"strategy": strategy, "choices": ", ".join(keys)},
        )
    try:
        get_strategy(strategy, params or {})
    except InvalidInput as exc:
        fields = ", ".join(str(d.get("field", "")) for d in exc.details or []) or "strategy_params"
        raise InvalidInput(
            exc.message,
            exc.details,
            key="bots.error.bad_params",
            values={"strategy": strategy, "fields": fields},
        ) from exc


def add_bot(session: Session, user_id: int, fields: dict[str, Any]) -> Bot:
    """Save a new bot (paused) whose strategy and parameters are valid."""
    check_strategy(fields["strategy"], fields.get("strategy_params"))
    return repo.add_bot(session, user_id, fields)


def update_bot(session: Session, user_id: int, bot_id: int, fields: dict[str, Any]) -> Bot:
    """Change some settings; a new strategy without parameters starts from its defaults."""
    bot = get_bot(session, user_id, bot_id)
    if "strategy" in fields and "strategy_params" not in fields:
        fields = fields | {"strategy_params": {}}
    check_strategy(
        fields.get("strategy", bot.strategy), fields.get("strategy_params", bot.strategy_params)
    )
    return repo.update_bot(session, user_id, bot_id, fields)


def delete_bot(session: Session, user_id: int, bot_id: int) -> None:
    """Delete the user's bot, stopped at once if it runs: it leaves every list and count,
    its notifications and its trades leave the journal (and the days only they filled, the
    mentor's), until ``restore_bot`` or the purge after the undo days."""
    get_bot(session, user_id, bot_id)  # 404 before any work
    audit.record(session, user_id, "bot_deleted", detail={"bot": bot_id})
    trades = journal_repo.bot_import(session, user_id, bot_id)
    now = datetime.now(UTC)

    def delete() -> None:
        repo.delete_bot(session, user_id, bot_id, now)  # the row locked: no supervisor runs it
        held = journal_repo.bot_import(session, user_id, bot_id)  # a trade closed meanwhile
        if held is not None and held.deleted_at is None:
            journal_repo.trash_import(session, user_id, held.id, now)  # same time: undone with it

    user = users.get(session, user_id)
    if trades is None or trades.deleted_at is not None or user is None:
        delete()
        return
    from tradeloop.services.journal import change_journal  # the journal's stack, when needed

    change_journal(session, user, delete, without=trades.id)


def restore_bot(session: Session, user_id: int, bot_id: int, undo_days: float) -> Bot:
    """Bring back the user's bot deleted in the last ``undo_days`` days, paused, with its
    trades in the journal again when they were deleted with it; 404 when there is none."""
    since = datetime.now(UTC) - timedelta(days=undo_days)
    deleted_at = repo.deleted_bot(session, user_id, bot_id, since).deleted_at  # 404 first
    audit.record(session, user_id, "bot_restored", detail={"bot": bot_id})
    trades = journal_repo.bot_import(session, user_id, bot_id)
    user = users.get(session, user_id)
    if trades is None or trades.deleted_at != deleted_at or user is None:  # none, or their own
        repo.restore_bot(session, user_id, bot_id, since)
        return get_bot(session, user_id, bot_id)

    def restore() -> None:
        repo.restore_bot(session, user_id, bot_id, since)
        journal_repo.restore_import(session, user_id, trades.id, since)

    from tradeloop.services.journal import change_journal  # the journal's stack, when needed

    change_journal(session, user, restore, restored=trades.id)
    return get_bot(session, user_id, bot_id)


def changes_since(
    session: Session, user_id: int, after: int, language: str, zone: str, limit: int = 50
) -> dict[str, Any]:
    """What the user's live pages need since event ``after``: the newer events of their bots
    (oldest first, in words), each bot's status, and the unread count."""
    rows = repo.events_after(session, user_id, after, limit)
    return {
        "events": [
            {
                "id": row.id,
                "bot_id": row.bot_id,
                "action": row.action,
                "notification": row.is_notification,
                "text": event_text(language, zone, row.details),
            }
            for row in rows
        ],
        "statuses": repo.statuses(session, user_id),
        "unread": notifications(session, user_id, True, 1, 0).total,
    }


def live_changes(
    readers: sessionmaker[Session], user_id: int, after: int, language: str, zone: str
) -> dict[str, Any]:
    """``changes_since`` read in a transaction of its own (``after`` below 0: from now on);
    ``after`` in the answer is where the next read starts."""
    with transaction(readers) as session:
        if after < 0:
            after = last_event_id(session, user_id)
        return changes_since(session, user_id, after, language, zone) | {"after": after}


def _count(session: Session, *where: object) -> int:
    return session.scalar(select(func.count()).where(*where)) or 0  # type: ignore[arg-type]


def dashboard_counts(session: Session, user_id: int) -> dict[str, int]:
    """Bots (all and running), unread notifications, saved backtests and journal days."""
    return {
        "bots_total": _count(session, Bot.user_id == user_id, repo.LIVE),
        "bots_running": _count(
            session, Bot.user_id == user_id, repo.LIVE, Bot.status == BotStatus.RUNNING
        ),
        "unread": notifications(session, user_id, True, 1, 0).total,
        "backtests": _count(session, BacktestResult.user_id == user_id),
        "sessions": _count(session, TradingSession.user_id == user_id),
    }


def strategy_choices(language: str) -> list[dict[str, Any]]:
    """Every registered strategy with its title (``strategy.<key>`` in the catalogues),
    description and parameters labelled in ``language`` (the labels each strategy's
    parameters carry): for the bot form and table."""
    return [
        {
            "key": cls.key,
            "title": translate(language, f"strategy.{cls.key}")
            if f"strategy.{cls.key}" in catalogue(language)
            else cls.title,
            "description": cls.description.get(language, ""),
            "params": [
                {
                    "name": p.name,
                    "label": p.label_id if language == "id" else p.label_en,
                    "default": p.default,
                }
                for p in cls.params
            ],
        }
        for cls in all_strategies()
        if cls.title
    ]


def bot_row(language: str, strategies: list[dict[str, Any]], bot: Bot) -> dict[str, Any]:
    """A bot as its table row shows it: the strategy's title and its parameters by their
    labels (``Periode cepat 20, Periode lambat 50``), the size in lots or risk %, stop and
    target in pips or ATR multiples. ``strategies`` is ``strategy_choices(language)``."""
    strategy = next((s for s in strategies if s["key"] == bot.strategy), None)
    params = bot.strategy_params or {}
    if strategy is None:  # saved through the API under a key no strategy has
        title, shown = bot.strategy, [f"{name} {value}" for name, value in params.items()]
    else:
        title = strategy["title"]
        shown = [f"{p['label']} {params.get(p['name'], p['default'])}" for p in strategy["params"]]
    if bot.risk_percent:
        risk = number_text(language, bot.risk_percent, 1)
        size = translate(language, "bots.risk_size", risk=risk)
    else:
        size = f"{number_text(language, bot.lot_size)} {translate(language, 'unit.lots')}"
    if bot.stop_mode == "atr":
        unit = translate(language, "unit.atr_multiple")
        stop = f"{number_text(language, bot.sl_atr_multiplier, 1)} {unit}"
        target = f"{number_text(language, bot.tp_atr_multiplier, 1)} {unit}"
    else:
        unit = translate(language, "unit.pips")
        stop, target = f"{bot.sl_pips} {unit}", f"{bot.tp_pips} {unit}"
    return {
        "bot": bot,
        "strategy": title,
        "params": ", ".join(shown),
        "size": size,
        "stop": stop,
        "target": target,
    }


def protections_text(language: str, protections: dict[str, Any] | None) -> str:
    """The bot's protections in words ("" when it has none)."""
    p = protections or {}
    parts = []
    if p.get("losing_streak"):
        hours = number_text(language, float(p.get("streak_pause_hours", 24.0)), 1)
        parts.append(translate(language, "bots.protection_streak", count=p["losing_streak"],
                               hours=hours))  # fmt: skip
    if p.get("daily_loss_limit"):
        limit = amount(language, float(p["daily_loss_limit"]), "money", "USD")
        parts.append(translate(language, "bots.protection_daily", limit=limit))
    if p.get("stop_cooldown_hours"):
        hours = number_text(language, float(p["stop_cooldown_hours"]), 1)
        parts.append(translate(language, "bots.protection_cooldown", hours=hours))
    return "; ".join(parts)


def _value_text(language: str, zone: str, name: str, value: Any, values: dict[str, Any]) -> str:
    """One value of an event's details as read: side, lots, pips, money, a time with its zone."""
    if value is None:
        return "—"
    if name in ("time", "until"):
        return time_text(datetime.fromisoformat(str(value)), zone)
    if name == "side":
        return translate(language, f"common.{value}") if value in ("buy", "sell") else str(value)
    if name == "lots":
        return f"{number_text(language, float(value))} {translate(language, 'unit.lots')}"
    if name == "pips":
        return f"{number_text(language, float(value), 1)} {translate(language, 'unit.pips')}"
    if name in ("pnl", "loss", "limit"):
        return amount(language, float(value), "money", values.get("currency"))
    if name == "price":
        return number_text(language, float(value), 5 if abs(float(value)) < 50 else 2)
    if name == "reason" and f"reason.{value}" in catalogue(language):
        return translate(language, f"reason.{value}")
    return str(value)


def event_text(language: str, zone: str, details: str | None) -> str:
    """An event's details in ``language`` from their code and values (times in ``zone`` with
    its label, units named); details stored as plain text are shown as they are."""
    read = read_event_details(details)
    if read is None:
        return details or ""
    code, values = read
    key = f"notifications.detail_{code.value}"
    shown = {name: _value_text(language, zone, name, v, values) for name, v in values.items()}
    try:
        return translate(language, key, **shown)
    except KeyError:  # a value the text needs is missing
        return translate(language, f"action.{_ACTIONS.get(code, 'BOT_CREATED')}")


_ACTIONS = {
    EventDetail.BOT_SAVED: "BOT_CREATED",
    EventDetail.POSITION_OPENED: "POSITION_OPENED",
    EventDetail.POSITION_CLOSED: "POSITION_CLOSED",
    EventDetail.ORDER_REJECTED: "ORDER_REJECTED",
    EventDetail.BOT_FAILED: "BOT_ERROR",
    EventDetail.PAUSED_LOSSES: "BOT_PAUSED",
    EventDetail.PAUSED_DAILY_LOSS: "BOT_PAUSED",
    EventDetail.PAUSED_STOP_COOLDOWN: "BOT_PAUSED",
    EventDetail.ACCOUNT_DAILY_LOSS: "BOT_PAUSED",
}
