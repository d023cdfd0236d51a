"""Stored codes. Labels for each code live in the message catalogues (``tradeloop.i18n``)."""

from __future__ import annotations

from enum import StrEnum


class BotStatus(StrEnum):
    """A bot's lifecycle state (shown as Dijeda / Aktif / Error in Indonesian)."""

    PAUSED = "paused"
    RUNNING = "running"
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
