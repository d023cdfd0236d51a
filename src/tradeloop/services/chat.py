"""Chat in stored threads: the offline mentor by default; the LLM only when one is configured,
the user has consented, and the day's limits allow. Messages are encrypted at rest like notes;
each LLM question is written to the audit log (figures only, never content)."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from contextlib import closing
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from sqlalchemy.orm import Session

from tradeloop.config import Settings
from tradeloop.core.errors import Forbidden, InvalidInput, TooManyRequests, UserError
from tradeloop.i18n import translate
from tradeloop.mentor.grounding import check_answer
from tradeloop.mentor.llm import (
    LLMConfig,
    LLMResult,
    Progress,
    chat,
    check_server,
    make_client,
    system_prompt,
)
from tradeloop.mentor.notes import seal, unseal
from tradeloop.mentor.offline import Answer, ask
from tradeloop.mentor.tools import ToolContext
from tradeloop.services.mentor import cipher_for, tool_context
from tradeloop.store import mentor as repo
from tradeloop.store.models import LLMCall, MentorThread, User
from tradeloop.store.users import lock_user

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
        max_tokens=settings.llm_max_tokens,
        temperature=settings.llm_temperature,
    )


def check_daily_limit(db: Session, user_id: int, settings: Settings, now: datetime) -> None:
    """429 with the reset time (next midnight UTC) once the day's questions or tokens are used."""
    day_start = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    reset = day_start + timedelta(days=1)
    count, tokens = repo.llm_usage_since(db, user_id, day_start)
    if count >= settings.llm_daily_messages:
        kind, used = "questions", settings.llm_daily_messages
    elif tokens >= settings.llm_daily_tokens:
        kind, used = "tokens", settings.llm_daily_tokens
    else:
        return
    reset_text = f"{reset:%Y-%m-%d %H:%M} UTC"
    raise TooManyRequests(
        f"daily language-model limit reached ({used} {kind}): it resets at {reset_text}; "
        "the offline mentor still answers",
        retry_after=max(1, int((reset - now).total_seconds())),
        key=f"mentor.llm.limit_{kind}",
        values={"n": used, "reset": reset_text},
    )


def llm_status(db: Session, user: User, settings: Settings, now: datetime) -> dict[str, Any]:
    """Whether a language model is configured and where, the user's consent, today's usage,
    the limits and the last check of the model (None before the first)."""
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
        "check": model_check(settings),
    }


def choose_provider(
    db: Session, user: User, settings: Settings, requested: Provider, now: datetime
) -> tuple[str, UserError | None]:
    """'llm' or 'offline', and why ``auto`` stayed offline when a limit stopped it. Asking for
    the LLM explicitly without a configured endpoint, without consent or past a limit is an
    error; 'auto' quietly stays offline without endpoint or consent, and past a daily limit
    answers offline with that limit as its notice."""
    if requested == "offline":
        return "offline", None
    if not settings.llm_enabled:
        if requested == "llm":
            raise InvalidInput(
                "no language model is configured: set TRADELOOP_LLM_BASE_URL and "
                "TRADELOOP_LLM_MODEL",
                key="mentor.error.no_llm",
            )
        return "offline", None
    if not repo.llm_consent(db, user.id):
        if requested == "llm":
            raise Forbidden(
                "nothing was sent: allow the language model on the profile page first",
                key="mentor.error.no_consent",
            )
        return "offline", None
    try:
        check_daily_limit(db, user.id, settings, now)
    except TooManyRequests as exc:
        if requested == "llm":
            raise
        return "offline", exc
    return "llm", None


def thread_history(db: Session, settings: Settings, thread: MentorThread) -> list[dict[str, Any]]:
    """The thread's messages, decrypted, oldest first; an answer keeps its notice and the
    journal figures it rests on (``evidence``)."""
    cipher = cipher_for(settings)
    messages = []
    for m in repo.thread_messages(db, thread):
        details = json.loads(unseal(cipher, m.details) or "{}") if m.details else {}
        messages.append(
            {
                "id": m.id,
                "role": m.role,
                "content": unseal(cipher, m.content) or "",
                "provider": m.provider,
                "created_at": m.created_at.isoformat() if m.created_at else None,
                "notice": details.get("notice"),
                "evidence": details.get("evidence", []),
            }
        )
    return messages


def reserve_llm_call(
    db: Session, user_id: int, settings: Settings, model: str, now: datetime
) -> LLMCall:
    """Check the day's limits and hold the question's place in the audit log in one locked
    step, so concurrent questions cannot pass the limit together."""
    lock_user(db, user_id)
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
    question: str,
    history: list[dict[str, str]],
    routed: Answer | None,
    now: datetime,
    result: LLMResult,
) -> Iterator[Progress]:
    """Ask the model, yielding its ``Progress``, and check its answer (``result``, filled in
    place: outcome ``replaced`` with the grounding check's reason when it fails). Commits
    ``db`` before calling the model so no transaction (SQLite's write lock) is held while it
    answers; the audit row is committed however the call ends, even when the listener goes
    away. A recognised question (``routed``) is only reworded from the offline answer."""
    config = llm_config(settings)
    assert config is not None  # choose_provider checked it
    call = reserve_llm_call(db, user.id, settings, config.model, now)
    db.commit()
    facts = routed.text if routed is not None else None
    answer = chat(make_client(config), config, ctx, history, question, result, facts)
    try:
        for item in answer:
            if isinstance(item, Progress):
                yield item
        if result.outcome == "ok":
            # this question's own figures only: earlier answers are no source (a model
            # repeating one is not answering), and a recognised question only the offline one
            sources = [system_prompt(ctx), question]
            sources += [facts] if facts is not None else [use.result for use in result.evidence]
            verdict = check_answer(result.text, sources, ctx.language, settings.llm_answer_chars)
            if not verdict.grounded:
                result.outcome, result.reason, result.values = (
                    "replaced",
                    verdict.reason,
                    (verdict.values),
                )
    finally:
        answer.close()  # a listener that left stops the model too; its cost is still counted
        repo.finish_llm_call(
            db, call, tools=result.tools, rounds=result.rounds,
            prompt_tokens=result.prompt_tokens, completion_tokens=result.completion_tokens,
            duration_ms=result.duration_ms, outcome=result.outcome, reason=result.reason,
        )  # fmt: skip
        db.commit()


def llm_notice(language: str, result: LLMResult) -> str:
    """Why the offline mentor answered instead of the model, in ``language``."""
    if result.outcome == "replaced":
        why = translate(language, f"mentor.grounding.{result.reason}", **result.values)
        return translate(language, "mentor.llm.replaced", reason=why)
    why = translate(language, f"mentor.llm.reason.{result.reason or 'empty'}", **result.values)
    return translate(language, "mentor.llm.fallback", reason=why)


def _offline_answer(ctx: ToolContext, question: str) -> Answer | None:
    """The offline mentor's answer, None on an empty journal."""
    try:
        return ask(ctx, question)
    except InvalidInput:
        return None


def _evidence(result: LLMResult, routed: Answer | None) -> list[dict[str, str]]:
    """What a model's answer rests on: the offline answer it reworded, or its tool results."""
    if routed is not None:
        return [{"tool": "offline_mentor", "arguments": "", "result": routed.text}]
    return [{"tool": u.tool, "arguments": u.arguments, "result": u.result} for u in result.evidence]


def _progress_event(item: Progress, last: dict[str, Any] | None) -> dict[str, Any] | None:
    """A ``progress`` event for the page; writing is reported every 16 tokens."""
    event = {"type": "progress", "stage": item.stage, "tool": item.tool, "tokens": item.tokens}
    same_stage = last is not None and last["stage"] == item.stage == "writing"
    if same_stage and item.tokens - last["tokens"] < 16:
        return None
    return event


def _pieces(text: str, words: int = 4) -> Iterator[str]:
    """``text`` a few words at a time (how a checked answer arrives on the page)."""
    parts = re.split(r"(\s+)", text)
    step = 2 * words
    for start in range(0, len(parts), step):
        yield "".join(parts[start : start + step])


def ask_in_thread(
    db: Session,
    user: User,
    settings: Settings,
    thread: MentorThread,
    question: str,
    language: str,
    provider: str,
    now: datetime,
    stopped: UserError | None = None,
) -> Iterator[dict[str, Any]]:
    """Answer ``question`` in ``thread``; yields ``progress`` events while the model works,
    ``delta`` events with the checked answer, and one ``done`` event with both stored
    messages, which are written together once the answer is complete. A model's answer that
    fails or fails the grounding check is replaced by the offline mentor's, with a notice
    saying why; ``stopped`` (a daily limit) is the notice when ``auto`` stayed offline."""
    detached = provider == "llm"  # the model's tools must not touch the database
    ctx = replace(tool_context(db, user, detached=detached), language=language)
    offline = _offline_answer(ctx, question) if provider == "llm" else ask(ctx, question)
    notice = None if stopped is None else translate(language, stopped.key, **stopped.values)
    evidence: list[dict[str, str]] = []
    text, tools, intent = "", [], None
    if provider == "llm":
        routed = offline if offline is not None and offline.intent != "unknown" else None
        history = [
            {"role": m["role"], "content": m["content"]}
            for m in thread_history(db, settings, thread)[-HISTORY_MESSAGES:]
        ]
        result, last = LLMResult(outcome="cancelled", reason="cancelled"), None
        steps = _ask_llm(db, ctx, user, settings, question, history, routed, now, result)
        with closing(steps):  # closed at once if our listener goes away, so it is audited
            for item in steps:
                event = _progress_event(item, last)
                if event is not None:
                    last = event
                    yield event
        tools = result.tools
        if result.outcome == "ok":
            text, evidence = result.text, _evidence(result, routed)
            intent = routed.intent if routed is not None else None
        else:
            notice = llm_notice(language, result)
            provider = "offline"
            if offline is None:
                text = translate(language, "mentor.error.empty_journal")
    if provider == "offline" and offline is not None:
        text, tools, intent = offline.text, offline.tools, offline.intent
    for piece in _pieces(text):
        yield {"type": "delta", "text": piece}
    cipher = cipher_for(settings)
    thread = repo.get_thread(db, user.id, thread.id)  # still there after the wait
    details = json.dumps({"notice": notice, "evidence": evidence}, ensure_ascii=False)
    asked = repo.add_message(db, thread, "user", seal(cipher, question) or "", provider)
    reply = repo.add_message(
        db, thread, "assistant", seal(cipher, text) or "", provider, seal(cipher, details)
    )
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
            "evidence": evidence,
        },
    }


CHECK_AGAIN_SECONDS = 30
_checks: dict[tuple[str, str], tuple[float, dict[str, Any]]] = {}


def model_check(settings: Settings, run: bool = False) -> dict[str, Any] | None:
    """The last check of the configured model (``GET /models`` and a probe with one tool),
    run now when ``run`` and the last is older than 30 s; None when never run or no model
    is configured. ``problem`` names a ``mentor.llm.check`` message, None when usable."""
    config = llm_config(settings)
    if config is None:
        return None
    key = (config.base_url, config.model)
    last = _checks.get(key)
    if run and (last is None or time.monotonic() - last[0] >= CHECK_AGAIN_SECONDS):
        found = check_server(make_client(replace(config, max_retries=0)), config)
        checked = datetime.now(UTC).isoformat(timespec="seconds")
        last = _checks[key] = (time.monotonic(), found | {"checked_at": checked})
    return None if last is None else last[1]


def check_message(language: str, settings: Settings, found: dict[str, Any]) -> str:
    """What a model check found, in ``language``."""
    values = {
        "model": settings.llm_model,
        "endpoint": settings.llm_base_url,
        "models": ", ".join(found.get("models", [])[:10]) or "—",
        "status": found.get("status", ""),
    }
    return translate(language, f"mentor.llm.check.{found.get('problem') or 'ok'}", **values)
