"""Whole-install counts for the operator's metrics: jobs by state, bots by status, bot orders
filled and LLM tokens used. Aggregates over every user (numbers only, never a row), each one
small query."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tradeloop.core.codes import BotStatus
from tradeloop.store.jobs import ACTIVE, FINAL
from tradeloop.store.models import Bot, BotFill, Job, LLMCall

JOB_STATES = (*ACTIVE, *FINAL)


@dataclass(frozen=True)
class Counts:
    """The counts at one moment; every known state and status is present (0 when none)."""

    jobs: dict[str, int]
    bots: dict[str, int]
    bot_orders: int
    llm_tokens: int


def counts(session: Session) -> Counts:
    """Jobs by state, bots (not deleted) by status, bot fills, LLM tokens (prompt and
    completion) of every recorded call."""
    jobs = dict.fromkeys(JOB_STATES, 0)
    for state, number in session.execute(select(Job.state, func.count()).group_by(Job.state)).all():
        jobs[str(state)] = int(number)
    bots = dict.fromkeys((status.value for status in BotStatus), 0)
    for status, number in session.execute(
        select(Bot.status, func.count()).where(Bot.deleted_at.is_(None)).group_by(Bot.status)
    ).all():
        bots[BotStatus(status).value] = int(number)
    orders = session.scalar(select(func.count()).select_from(BotFill)) or 0
    tokens = session.scalar(
        select(func.coalesce(func.sum(LLMCall.prompt_tokens + LLMCall.completion_tokens), 0))
    )
    return Counts(jobs=jobs, bots=bots, bot_orders=int(orders), llm_tokens=int(tokens or 0))
