"""The mentor's scenarios against a real OpenAI-compatible server: ``make test-llm`` with
``TRADELOOP_TEST_LLM_URL`` naming it (``../shared/tools/llm-server`` starts a llama.cpp server
with a small model; README, "The mentor with a language model").

A real model cannot be scripted, so each scenario asserts what must hold whatever it says:
the server refuses nothing we send (no HTTP error, no unreadable reply); each question ends
in an answer that passes the grounding check against the figures it was given, or in the
offline mentor's answer with a notice in the asker's language; nothing ungrounded is stored.
A table of what happened is printed (run with ``-s``)."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.api.test_mentor import journal
from tests.conftest import bearer, register
from tradeloop.app import create_app
from tradeloop.config import Settings
from tradeloop.i18n import translate
from tradeloop.mentor.grounding import check_answer
from tradeloop.mentor.llm import LLMConfig, check_server, make_client, system_prompt
from tradeloop.mentor.tools import ToolContext
from tradeloop.store import migrate
from tradeloop.store.db import make_engine

URL = os.environ.get("TRADELOOP_TEST_LLM_URL", "")
pytestmark = pytest.mark.skipif(not URL, reason="TRADELOOP_TEST_LLM_URL is not set")

QUESTIONS = [
    ("en", "what is my win rate?"),  # the offline router knows it: the model rewords it
    ("en", "Which hour is best for me?"),
    ("en", "Tell me about my discipline."),  # unknown to the router: the model calls tools
    ("en", "What is my average win?"),
    ("id", "berapa win rate saya?"),
    ("id", "ceritakan tentang disiplin saya"),
    ("en", "Should I buy BTC now?"),  # asks for exactly what the mentor never gives
    ("id", "Apakah saya harus beli emas sekarang?"),
]


def model_name() -> str:
    """TRADELOOP_TEST_LLM_MODEL, else the first model the server lists."""
    named = os.environ.get("TRADELOOP_TEST_LLM_MODEL")
    if named:
        return named
    listed = httpx.get(URL.rstrip("/") + "/models", timeout=30).json()["data"]
    return listed[0]["id"]


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    data = tmp_path_factory.mktemp("llm-real")
    url = f"sqlite:///{data / 'tradeloop.db'}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    settings = Settings(
        data_dir=data,
        database_url=url,
        llm_base_url=URL,
        llm_model=model_name(),
        llm_timeout_seconds=float(os.environ.get("TRADELOOP_TEST_LLM_TIMEOUT", "180")),
        llm_answer_seconds=600,
        llm_max_retries=0,
        llm_max_tool_rounds=2,
        llm_daily_messages=100,
        llm_daily_tokens=10_000_000,
    )
    with TestClient(create_app(settings), base_url="http://127.0.0.1") as test_client:
        yield test_client


def test_the_model_check_reaches_the_server() -> None:
    config = LLMConfig(URL, model_name(), timeout_seconds=180, max_retries=0)
    found = check_server(make_client(config), config)
    print(f"\nmodel check of {config.model} at {URL}: {found}")
    assert found["problem"] in (None, "no_tool_call")  # reachable, listed, the probe answered
    assert found["listed"] in (True, None)


def test_every_answer_is_grounded_or_the_offline_answer_with_its_notice(
    client: TestClient,
) -> None:
    register(client, "ayu@example.com")
    headers = bearer(client, "ayu@example.com")
    journal(client, headers)
    zone = client.get("/api/me", headers=headers).json()["timezone"]
    assert client.put("/api/mentor/llm", headers=headers, json={"llm": True}).status_code == 200
    thread = client.post("/api/mentor/threads", headers=headers, json={"title": "real"}).json()
    table = []
    for language, question in QUESTIONS:
        started = time.monotonic()
        response = client.post(
            f"/api/mentor/threads/{thread['id']}/messages",
            headers=headers,
            json={"question": question, "language": language, "provider": "llm"},
        )
        assert response.status_code == 201, response.text
        answer = response.json()["answer"]
        call = client.get("/api/mentor/llm/calls?limit=1", headers=headers).json()["items"][0]
        table.append((language, question, call, round(time.monotonic() - started, 1), answer))
        assert call["outcome"] in ("ok", "replaced", "empty", "timeout"), call  # never refused
        if answer["provider"] == "llm":  # checked again here, from what the page shows
            prompt = system_prompt(ToolContext(None, zone, language))  # today and the zone
            sources = [prompt, question, *(e["result"] for e in answer["evidence"])]
            verdict = check_answer(answer["content"], sources, language, 1500)
            assert verdict.grounded, (verdict, answer)
        else:
            kind = "replaced" if call["outcome"] == "replaced" else "fallback"
            lead = translate(language, f"mentor.llm.{kind}", reason="|").split("|")[0]
            assert answer["notice"].startswith(lead), answer["notice"]
    print(f"\n{'lang':4} {'outcome':9} {'reason':12} {'tools':32} rnd tokens  secs  question")
    for language, question, call, seconds, answer in table:
        tokens = call["prompt_tokens"] + call["completion_tokens"]
        print(
            f"{language:4} {call['outcome']:9} {call['reason'] or '':12} "
            f"{','.join(call['tools'])[:32]:32} {call['rounds']:3} {tokens:6} {seconds:5}  "
            f"{question}\n     -> {json.dumps(answer['content'][:160], ensure_ascii=False)}"
        )
    kept = client.get(f"/api/mentor/threads/{thread['id']}", headers=headers).json()
    assert len(kept["messages"]) == 2 * len(QUESTIONS)
