"""Chat in stored threads: the offline mentor by default; the LLM only when one is configured,
the user has consented, and the day's limits allow. Messages are encrypted at rest like notes;
each LLM question is written to the audit log (figures only, never content)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from sqlalchemy.orm import Session

from tradeloop.config import Settings
from tradeloop.core.errors import Forbidden, InvalidInput, TooManyRequests
from tradeloop.i18n import translate
from tradeloop.mentor.llm import LLMConfig, LLMResult, chat, make_client
from tradeloop.mentor.notes import notes_cipher, seal, unseal
from tradeloop.mentor.offline import ask
from tradeloop.mentor.service import tool_context
from tradeloop.store import mentor as repo
from tradeloop.store.models import MentorThread, User

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
    cipher = notes_cipher(settings)
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
    one ``done`` event with both stored messages. An LLM failure falls back to the offline
    mentor with a notice saying why."""
    ctx = replace(tool_context(db, user), language=language)
    cipher = notes_cipher(settings)
    offline = None if provider == "llm" else ask(ctx, question)  # an empty journal fails here
    history = [
        {"role": m["role"], "content": m["content"]}
        for m in thread_history(db, settings, thread)[-HISTORY_MESSAGES:]
    ]
    asked = repo.add_message(db, thread, "user", seal(cipher, question) or "", provider)
    notice, tools, intent = None, [], None
    if offline is None:
        config = llm_config(settings)
        assert config is not None  # choose_provider checked it
        result = LLMResult()
        for item in chat(make_client(config), config, ctx, history, question):
            if isinstance(item, LLMResult):
                result = item
            else:
                yield {"type": "delta", "text": item}
        repo.add_llm_call(
            db,
            user.id,
            created_at=now,
            model=config.model,
            tools=result.tools,
            rounds=result.rounds,
            prompt_tokens=result.prompt_tokens,
            completion_tokens=result.completion_tokens,
            duration_ms=result.duration_ms,
            outcome=result.outcome,
        )
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
