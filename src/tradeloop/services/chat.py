"""Chat in stored threads: the offline mentor by default; the LLM only when one is configured,
the user has consented, and the day's limits allow. Messages are encrypted at rest like notes;
each LLM question is written to the audit log (figures only, never content)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import closing
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from sqlalchemy.orm import Session

from tradeloop.config import Settings
from tradeloop.core.errors import Forbidden, InvalidInput, TooManyRequests
from tradeloop.i18n import translate
from tradeloop.mentor.llm import LLMConfig, LLMResult, chat, make_client
from tradeloop.mentor.notes import seal, unseal
from tradeloop.mentor.offline import ask
from tradeloop.mentor.tools import ToolContext
from tradeloop.services.mentor import cipher_for, tool_context
from tradeloop.store import mentor as repo
from tradeloop.store.models import LLMCall, MentorThread, User

HISTORY_MESSAGES = 10
Provider = Literal["auto", "offline", "llm"]


def llm_config(settings: Settings) -> LLMConfig | None:
    """The configured endpoint, or None when the mentor is offline-only."""
    if not settings.llm_enabled:
        return None
    return LLMConfig(
        base_url=str(settings.llm_base_url),
        model=str(settings.llm_model),
        api_key=settings.llm_api_key.get_secret_value() if settings.llm_api_key else None,
        timeout_seconds=settings.llm_timeout_seconds,
        max_retries=settings.llm_max_retries,
        max_tool_rounds=settings.llm_max_tool_rounds,
        answer_seconds=settings.llm_answer_seconds,
    )


def check_daily_limit(db: Session, user_id: int, settings: Settings, now: datetime) -> None:
    """429 with the reset time (next midnight UTC) once the day's questions or tokens are used."""
    day_start = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    reset = day_start + timedelta(days=1)
    count, tokens = repo.llm_usage_since(db, user_id, day_start)
    if count >= settings.llm_daily_messages:
        used = f"{settings.llm_daily_messages} questions"
    elif tokens >= settings.llm_daily_tokens:
        used = f"{settings.llm_daily_tokens} tokens"
    else:
        return
    raise TooManyRequests(
        f"daily language-model limit reached ({used}): it resets at "
        f"{reset:%Y-%m-%d %H:%M} UTC; the offline mentor still answers",
        retry_after=max(1, int((reset - now).total_seconds())),
    )


def llm_status(db: Session, user: User, settings: Settings, now: datetime) -> dict[str, Any]:
    """Whether a language model is configured and where, the user's consent, today's usage
    and the limits."""
    day_start = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    count, tokens = repo.llm_usage_since(db, user.id, day_start)
    return {
        "configured": settings.llm_enabled,
        "endpoint": settings.llm_base_url,
        "model": settings.llm_model,
        "consent": repo.llm_consent(db, user.id),
        "history_messages": HISTORY_MESSAGES,
        "today": {"questions": count, "tokens": tokens},
        "limits": {"questions": settings.llm_daily_messages, "tokens": settings.llm_daily_tokens},
    }


def choose_provider(
    db: Session, user: User, settings: Settings, requested: Provider, now: datetime
) -> str:
    """'llm' or 'offline'. Asking for the LLM explicitly without a configured endpoint or
    without consent is an error; 'auto' quietly stays offline then. Limits apply to the LLM."""
    if requested == "offline":
        return "offline"
    if not settings.llm_enabled:
        if requested == "llm":
            raise InvalidInput(
                "no language model is configured: set TRADELOOP_LLM_BASE_URL and "
                "TRADELOOP_LLM_MODEL"
            )
        return "offline"
    if not repo.llm_consent(db, user.id):
        if requested == "llm":
            raise Forbidden("nothing was sent: allow the language model on the profile page first")
        return "offline"
    check_daily_limit(db, user.id, settings, now)
    return "llm"


def thread_history(db: Session, settings: Settings, thread: MentorThread) -> list[dict[str, Any]]:
    """The thread's messages, decrypted, oldest first."""
    cipher = cipher_for(settings)
    return [
        {
            "id": m.id,
            "role": m.role,
            "content": unseal(cipher, m.content) or "",
            "provider": m.provider,
            "created_at": m.created_at.isoformat() if m.created_at else None,
        }
        for m in repo.thread_messages(db, thread)
    ]


def reserve_llm_call(
    db: Session, user_id: int, settings: Settings, model: str, now: datetime
) -> LLMCall:
    """Check the day's limits and hold the question's place in the audit log in one locked
    step, so concurrent questions cannot pass the limit together."""
    repo.lock_user(db, user_id)
    check_daily_limit(db, user_id, settings, now)
    return repo.add_llm_call(
        db, user_id, created_at=now, model=model, tools=[], rounds=0, prompt_tokens=0,
        completion_tokens=0, duration_ms=0, outcome="pending",
    )  # fmt: skip


def _ask_llm(
    db: Session,
    ctx: ToolContext,
    user: User,
    settings: Settings,
    history: list[dict[str, str]],
    question: str,
    now: datetime,
) -> Iterator[str | LLMResult]:
    """The LLM's answer as text deltas, then its ``LLMResult``. Commits ``db`` before calling
    the model so no transaction (SQLite's write lock) is held while it answers; the audit row
    is committed however the call ends, even when the listener goes away."""
    config = llm_config(settings)
    assert config is not None  # choose_provider checked it
    call = reserve_llm_call(db, user.id, settings, config.model, now)
    db.commit()
    result = LLMResult(outcome="cancelled")
    answer = chat(make_client(config), config, ctx, history, question, result)
    try:
        yield from answer
    finally:
        answer.close()  # a listener that left stops the model too; its cost is still counted
        repo.finish_llm_call(
            db, call, tools=result.tools, rounds=result.rounds,
            prompt_tokens=result.prompt_tokens, completion_tokens=result.completion_tokens,
            duration_ms=result.duration_ms, outcome=result.outcome,
        )  # fmt: skip
        db.commit()


def ask_in_thread(
    db: Session,
    user: User,
    settings: Settings,
    thread: MentorThread,
    question: str,
    language: str,
    provider: str,
    now: datetime,
) -> Iterator[dict[str, Any]]:
    """Answer ``question`` in ``thread``; yields ``delta`` events while the answer streams and
    one ``done`` event with both stored messages, which are written together once the answer
    is complete. An LLM failure falls back to the offline mentor with a notice saying why."""
    detached = provider == "llm"  # the model's tools must not touch the database
    ctx = replace(tool_context(db, user, detached=detached), language=language)
    offline = None if provider == "llm" else ask(ctx, question)  # an empty journal fails here
    notice, tools, intent = None, [], None
    if offline is None:
        history = [
            {"role": m["role"], "content": m["content"]}
            for m in thread_history(db, settings, thread)[-HISTORY_MESSAGES:]
        ]
        result = LLMResult()
        with closing(_ask_llm(db, ctx, user, settings, history, question, now)) as answer:
            for item in answer:  # closed at once if our listener goes away, so it is audited
                if isinstance(item, LLMResult):
                    result = item
                else:
                    yield {"type": "delta", "text": item}
        tools = result.tools
        if result.outcome == "ok":
            text = result.text
        else:
            notice = translate(language, "mentor.llm.fallback", reason=result.error or "")
            try:
                offline = ask(ctx, question)
            except InvalidInput as exc:
                text = exc.message
            provider = "offline"
    if offline is not None:
        text, tools, intent = offline.text, offline.tools, offline.intent
        yield {"type": "delta", "text": text}
    cipher = cipher_for(settings)
    thread = repo.get_thread(db, user.id, thread.id)  # still there after the wait
    asked = repo.add_message(db, thread, "user", seal(cipher, question) or "", provider)
    reply = repo.add_message(db, thread, "assistant", seal(cipher, text) or "", provider)
    yield {
        "type": "done",
        "question": {"id": asked.id, "content": question},
        "answer": {
            "id": reply.id,
            "content": text,
            "provider": provider,
            "intent": intent,
            "tools": tools,
            "notice": notice,
        },
    }
