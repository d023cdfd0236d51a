"""Stored codes. Labels for each code live in the message catalogues (``tradeloop.i18n``)."""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Any


class BotStatus(StrEnum):
    """A bot's lifecycle state (shown as Dijeda / Aktif / Error in Indonesian)."""

    PAUSED = "paused"
    STARTING = "starting"  # asked to run; a supervisor has not taken it up yet
    RUNNING = "running"
    STOPPING = "stopping"  # asked to stop; its supervisor winds it down at once
    ERROR = "error"


class StopMode(StrEnum):
    """How a bot places its stop and target: fixed pips or ATR multiples."""

    PIPS = "pips"
    ATR = "atr"


class BotAction(StrEnum):
    """Events in a bot's history (``trade_history.action``)."""

    BOT_CREATED = "BOT_CREATED"
    BOT_STARTED = "BOT_STARTED"
    BOT_PAUSED = "BOT_PAUSED"
    BOT_ERROR = "BOT_ERROR"
    POSITION_OPENED = "POSITION_OPENED"
    POSITION_CLOSED = "POSITION_CLOSED"
    ORDER_REJECTED = "ORDER_REJECTED"


class EventDetail(StrEnum):
    """What a bot event's details say. ``trade_history.details`` holds the code and its values
    as JSON (``event_details``); the catalogue's ``notifications.detail_<code>`` puts them into
    words in the reader's language, with times in the reader's zone and units."""

    BOT_SAVED = "bot_saved"  # name
    POSITION_OPENED = "position_opened"  # side, lots, market, price, time
    POSITION_CLOSED = (
        "position_closed"  # side, lots, market, price, pips, pnl, currency, reason, time
    )
    ORDER_REJECTED = "order_rejected"  # side, lots, market
    BOT_FAILED = "bot_failed"  # time, reason
    KILL_SWITCH = "kill_switch"  # time
    PAUSED_LOSSES = "paused_losses"  # count, until
    PAUSED_DAILY_LOSS = "paused_daily_loss"  # loss, limit, currency, until
    PAUSED_STOP_COOLDOWN = "paused_stop_cooldown"  # until
    ACCOUNT_DAILY_LOSS = "account_daily_loss"  # account, loss, limit, time


def event_details(code: EventDetail, **values: Any) -> str:
    """The stored details of an event: its code and values (times as ISO 8601 text)."""
    shown = {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in values.items()}
    return json.dumps({"code": code.value, "values": shown}, sort_keys=True)


def read_event_details(text: str | None) -> tuple[EventDetail, dict[str, Any]] | None:
    """The code and values of stored details; None for text stored before codes (shown as
    it is) or an unknown code."""
    try:
        data = json.loads(text or "")
        return EventDetail(data["code"]), dict(data.get("values") or {})
    except (ValueError, TypeError, KeyError):
        return None


class Emotion(StrEnum):
    """How the trader felt during a session."""

    CALM = "calm"
    GREEDY = "greedy"
    FEARFUL = "fearful"
    FRUSTRATED = "frustrated"
    NEUTRAL = "neutral"
    EUPHORIC = "euphoric"
    TIRED = "tired"


class MarketCondition(StrEnum):
    """What the market was like during a session."""

    NORMAL = "normal"
    TRENDING = "trending"
    RANGING = "ranging"
    VOLATILE = "volatile"
    NEWS = "news"
