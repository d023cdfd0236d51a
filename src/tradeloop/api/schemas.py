"""Response models of the JSON API."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from tradeloop.services.database import Page

T = TypeVar("T")


class PageOut(BaseModel, Generic[T]):
    """A page of a list: ``items`` plus ``total``, ``limit`` and ``offset``."""

    items: list[T]
    total: int
    limit: int
    offset: int


def page_of(page: Page[Any], render: Callable[[Any], Any]) -> dict[str, Any]:
    """A storage page as ``{items, total, limit, offset}``, each item passed through ``render``."""
    return {
        "items": [render(item) for item in page.items],
        "total": page.total,
        "limit": page.limit,
        "offset": page.offset,
    }


def page_out(page: Page[Any], model: type[BaseModel]) -> dict[str, Any]:
    """Serialise a storage page with ``model`` for each item."""
    return page_of(page, model.model_validate)


class UserOut(BaseModel):
    """A user's public profile."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    email: str
    language: str
    timezone: str
    join_date: datetime | None


class TokenOut(BaseModel):
    """An OAuth2 bearer token."""

    access_token: str
    token_type: str = "bearer"  # noqa: S105 (the OAuth2 scheme name)
    expires_in: int


class BotOut(BaseModel):
    """A bot's stored configuration and status."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    market: str
    status: str
    timeframe: str
    strategy: str
    strategy_params: dict[str, Any] | None
    lot_size: float
    risk_percent: float | None
    stop_mode: str
    sl_pips: int
    tp_pips: int
    sl_atr_multiplier: float
    tp_atr_multiplier: float
    check_interval_seconds: int
    enable_strategy_switching: bool
    protections: dict[str, Any] | None = Field(
        default=None, description="the protections that pause its new entries (none when null)"
    )
    status_reason: str | None = Field(
        default=None, description="why it is in error, in plain words (null otherwise)"
    )
    feed: dict[str, Any] | None = Field(
        default=None, description="what it trades on: {dataset_id, seconds_per_bar} of a replay"
    )


class EventOut(BaseModel):
    """An entry of a bot's history or a notification."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    bot_id: int
    timestamp: datetime | None
    action: str
    details: str | None
    is_notification: bool
    is_read: bool


class HealthOut(BaseModel):
    """Liveness and database reachability."""

    status: str
    version: str
    database: bool


class JobResult(BaseModel):
    """What a finished job made: its id and where to read it."""

    id: int
    url: str


class JobOut(BaseModel):
    """A background job: state (queued, running, done, failed, cancelled, interrupted),
    progress 0–1, the error of a failed one, the result of a done one."""

    id: int
    kind: str
    state: str
    stage: str
    progress: float
    error: str | None
    cancel_requested: bool
    result: JobResult | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
