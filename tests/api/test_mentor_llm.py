"""Chat threads over the API with the LLM: consent, daily limits, audit log, streaming,
fallback, isolation. The LLM is a real HTTP server on 127.0.0.1 behind the real client."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from tests.api.test_mentor import journal
from tests.conftest import bearer, register
from tests.fake_llm import FakeLLM, fake_llm_server
from tradeloop.app import create_app
from tradeloop.config import Settings

NOTE = "my secret diary line"
ANSWER = "You won 30 of 60 trades: keep placing stops with every entry."


@pytest.fixture
def fake() -> Iterator[FakeLLM]:
    with fake_llm_server() as server:
        yield server


@pytest.fixture
def llm_client(app_settings: Settings, fake: FakeLLM) -> Iterator[TestClient]:
    settings = app_settings.model_copy(
        update={
            "llm_base_url": fake.base_url,
            "llm_model": "fake-model",
            "llm_timeout_seconds": 0.5,
            "llm_max_retries": 1,
            "llm_daily_messages": 3,
            "llm_daily_tokens": 10_000,
        }
    )
    with TestClient(create_app(settings), base_url="http://127.0.0.1") as client:
        yield client


@pytest.fixture
def ayu(llm_client: TestClient) -> dict[str, str]:
    register(llm_client, "ayu@example.com")
    headers = bearer(llm_client, "ayu@example.com")
    journal(llm_client, headers)
    llm_client.post(
        "/api/mentor/feedback",
        headers=headers,
        json={"emotion": "calm", "note": NOTE, "date": "2024-01-03"},
    )
    return headers


def thread(client: TestClient, headers: dict[str, str]) -> int:
    return client.post("/api/mentor/threads", headers=headers, json={"title": "t"}).json()["id"]


def ask(client: TestClient, headers, thread_id: int, question: str, **extra):
    return client.post(
        f"/api/mentor/threads/{thread_id}/messages",
        headers=headers,
        json={"question": question, "language": "en", **extra},
    )


def streamed_events(client: TestClient, headers, thread_id: int, question: str) -> list[dict]:
    """Ask with ``stream``: the server-sent events, after checking it is a 201 event stream."""
    with client.stream(
        "POST",
        f"/api/mentor/threads/{thread_id}/messages",
        headers=headers,
        json={"question": question, "stream": True},
    ) as response:
        assert response.status_code == 201
        assert response.headers["content-type"].startswith("text/event-stream")
        return [json.loads(line[len("data: ") :]) for line in response.iter_lines() if line]


def consent(client: TestClient, headers, value: bool = True) -> dict:
    response = client.put("/api/mentor/llm", headers=headers, json={"llm": value})
    assert response.status_code == 200
    return response.json()


def rows(client: TestClient, sql: str) -> list:
    with client.app.state.engine.connect() as connection:
        return connection.execute(text(sql)).all()


def test_nothing_is_sent_without_consent(llm_client: TestClient, ayu, fake: FakeLLM) -> None:
    tid = thread(llm_client, ayu)
    status = llm_client.get("/api/mentor/llm", headers=ayu).json()
    assert status["configured"] is True and status["consent"] is False
    refused = ask(llm_client, ayu, tid, "what is my win rate?", provider="llm")
    assert refused.status_code == 403
    assert refused.json()["message"] == (
        "nothing was sent: allow the language model on the profile page first"
    )
    auto = ask(llm_client, ayu, tid, "what is my win rate?")
    assert auto.status_code == 201 and auto.json()["answer"]["provider"] == "offline"
    assert auto.json()["answer"]["intent"] == "win_rate"
    consent(llm_client, ayu)
    consent(llm_client, ayu, False)  # withdrawn again
    ask(llm_client, ayu, tid, "what is my win rate?")
    assert fake.requests == [] and rows(llm_client, "SELECT * FROM llm_calls") == []


def test_with_consent_the_llm_answers_and_the_audit_log_has_no_content(
    llm_client: TestClient, ayu, fake: FakeLLM
) -> None:
    consent(llm_client, ayu)
    fake.then(
        {"tool_calls": [{"name": "get_sessions", "arguments": "{}"}]},
        {"content": ANSWER, "usage": {"prompt_tokens": 500, "completion_tokens": 40}},
    )
    tid = thread(llm_client, ayu)
    response = ask(llm_client, ayu, tid, "how was my week?")
    assert response.status_code == 201, response.text
    answer = response.json()["answer"]
    assert answer["content"] == ANSWER and answer["provider"] == "llm"
    assert answer["tools"] == ["get_sessions"] and answer["notice"] is None
    # the tool ran for Ayu, and personal notes and the email never left the machine
    sessions = json.loads(fake.requests[1]["messages"][-1]["content"])
    listed = llm_client.get("/api/mentor/sessions", headers=ayu).json()
    assert sessions["total"] == listed["total"] == 3  # two trading days and the feedback day
    assert {(d["date"], d["emotion"]) for d in sessions["sessions"]} >= {("2024-01-03", "calm")}
    assert all("note" not in d for d in sessions["sessions"])
    sent = json.dumps(fake.requests)
    assert NOTE not in sent and "ayu@example.com" not in sent
    (call,) = rows(
        llm_client,
        "SELECT model, tools, rounds, prompt_tokens, completion_tokens, outcome FROM llm_calls",
    )
    assert call[0] == "fake-model" and json.loads(call[1]) == ["get_sessions"]
    assert (call[2], call[4], call[5]) == (2, 60, "ok") and call[3] == 600
    audit = llm_client.get("/api/mentor/llm/calls", headers=ayu).json()["items"][0]
    assert "how was my week" not in json.dumps(audit) and ANSWER not in json.dumps(audit)
    # the thread kept both messages, encrypted at rest
    kept = llm_client.get(f"/api/mentor/threads/{tid}", headers=ayu).json()["messages"]
    assert [(m["role"], m["content"], m["provider"]) for m in kept] == [
        ("user", "how was my week?", "llm"),
        ("assistant", ANSWER, "llm"),
    ]
    stored = [content for (content,) in rows(llm_client, "SELECT content FROM mentor_messages")]
    assert len(stored) == 2 and all(ANSWER not in c and "week" not in c for c in stored)
    # the next question sends the conversation so far
    fake.then({"content": "Yes."})
    ask(llm_client, ayu, tid, "and today?")
    assert [m["content"] for m in fake.requests[2]["messages"][1:]] == [
        "how was my week?",
        ANSWER,
        "and today?",
    ]


def test_the_daily_limit_answers_429_with_the_reset_time(
    llm_client: TestClient, ayu, fake: FakeLLM
) -> None:
    consent(llm_client, ayu)
    tid = thread(llm_client, ayu)
    for _ in range(3):
        fake.then({"content": "ok"})
        assert ask(llm_client, ayu, tid, "hi").status_code == 201
    before = len(llm_client.get(f"/api/mentor/threads/{tid}", headers=ayu).json()["messages"])
    limited = ask(llm_client, ayu, tid, "hi")
    assert limited.status_code == 429
    message = limited.json()["message"]
    assert message.startswith("daily language-model limit reached (3 questions): it resets at ")
    assert message.endswith(" 00:00 UTC; the offline mentor still answers")
    assert 0 < int(limited.headers["Retry-After"]) <= 86_400
    assert len(fake.requests) == 3
    after = llm_client.get(f"/api/mentor/threads/{tid}", headers=ayu).json()["messages"]
    assert len(after) == before == 6
    offline = ask(llm_client, ayu, tid, "what is my win rate?", provider="offline")
    assert offline.status_code == 201 and offline.json()["answer"]["provider"] == "offline"
    status = llm_client.get("/api/mentor/llm", headers=ayu).json()
    assert status["today"] == {"questions": 3, "tokens": 360}


def test_the_token_limit_counts_too(llm_client: TestClient, ayu, fake: FakeLLM) -> None:
    consent(llm_client, ayu)
    tid = thread(llm_client, ayu)
    fake.then({"content": "long", "usage": {"prompt_tokens": 9_990, "completion_tokens": 10}})
    assert ask(llm_client, ayu, tid, "hi").status_code == 201
    limited = ask(llm_client, ayu, tid, "hi")
    assert limited.status_code == 429 and "(10000 tokens)" in limited.json()["message"]


def test_a_timeout_falls_back_to_the_offline_mentor_with_a_notice(
    llm_client: TestClient, ayu, fake: FakeLLM
) -> None:
    consent(llm_client, ayu)
    fake.then({"sleep": 1.2, "content": "late"}, {"sleep": 1.2, "content": "late"})
    response = ask(llm_client, ayu, thread(llm_client, ayu), "what is my win rate?")
    answer = response.json()["answer"]
    assert response.status_code == 201 and answer["provider"] == "offline"
    assert answer["intent"] == "win_rate" and answer["content"].startswith("You win ")
    assert answer["notice"] == (
        "The language model gave no answer (no answer within 0.5 s), so the offline mentor "
        "answered."
    )
    assert rows(llm_client, "SELECT outcome FROM llm_calls") == [("timeout",)]


def test_the_answer_streams_as_server_sent_events(
    llm_client: TestClient, ayu, fake: FakeLLM
) -> None:
    consent(llm_client, ayu)
    fake.then({"content": ANSWER})
    tid = thread(llm_client, ayu)
    events = streamed_events(llm_client, ayu, tid, "hi")
    deltas = [e["text"] for e in events if e["type"] == "delta"]
    assert len(deltas) > 1 and "".join(deltas) == ANSWER
    assert events[-1]["type"] == "done" and events[-1]["answer"]["content"] == ANSWER
    kept = llm_client.get(f"/api/mentor/threads/{tid}", headers=ayu).json()["messages"]
    assert [m["content"] for m in kept] == ["hi", ANSWER]


def test_llm_without_an_endpoint_is_a_clear_error(client: TestClient) -> None:
    register(client, "ayu@example.com")
    headers = bearer(client, "ayu@example.com")
    journal(client, headers)
    tid = thread(client, headers)
    response = ask(client, headers, tid, "hi", provider="llm")
    assert response.status_code == 422 and response.json()["message"] == (
        "no language model is configured: set TRADELOOP_LLM_BASE_URL and TRADELOOP_LLM_MODEL"
    )
    assert client.get("/api/mentor/llm", headers=headers).json()["configured"] is False


def test_the_llm_tools_see_only_the_askers_data(llm_client: TestClient, ayu, fake: FakeLLM) -> None:
    register(llm_client, "budi@example.com")
    budi = bearer(llm_client, "budi@example.com")
    consent(llm_client, budi)
    fake.then(
        {
            "tool_calls": [
                {"name": "get_sessions", "arguments": "{}"},
                {"name": "get_summary", "arguments": "{}"},
                {"name": "get_report", "arguments": '{"date": "2024-01-03"}'},
            ]
        },
        {"content": "Nothing yet."},
    )
    ask(llm_client, budi, thread(llm_client, budi), "what about Ayu's trades?")
    results = [
        json.loads(m["content"]) for m in fake.requests[1]["messages"] if m["role"] == "tool"
    ]
    assert results[0] == {"total": 0, "sessions": []}
    assert results[1] == {"error": "the journal is empty: import a broker export first"}
    assert results[2]["stored"] is False and results[2]["risk_management_score"] == 5
    assert NOTE not in json.dumps(fake.requests)


def write_now(client: TestClient, sql: str) -> str:
    """Run one write at once, waiting at most 0.2 s for locks: 'written' or the error."""
    engine = client.app.state.engine
    try:
        with engine.begin() as connection:
            if engine.dialect.name == "sqlite":
                connection.exec_driver_sql("PRAGMA busy_timeout = 200")
            else:
                connection.exec_driver_sql("SET LOCAL lock_timeout = '200ms'")
            connection.execute(text(sql))
        return "written"
    except Exception as exc:  # the lock was held
        return type(exc).__name__


@pytest.mark.parametrize("streamed", [False, True])
def test_other_writes_go_on_while_the_model_answers(
    llm_client: TestClient, ayu, fake: FakeLLM, streamed: bool
) -> None:
    consent(llm_client, ayu)
    outcome: list[str] = []
    update = "UPDATE users SET name = 'Ayu W' WHERE email = 'ayu@example.com'"
    fake.then({"during": lambda: outcome.append(write_now(llm_client, update)), "content": "Ok."})
    tid = thread(llm_client, ayu)
    response = ask(llm_client, ayu, tid, "hi", stream=streamed)
    assert response.status_code == 201 and outcome == ["written"]
    assert rows(llm_client, "SELECT name FROM users") == [("Ayu W",)]
    kept = llm_client.get(f"/api/mentor/threads/{tid}", headers=ayu).json()["messages"]
    assert [m["content"] for m in kept] == ["hi", "Ok."]


def test_a_listener_that_leaves_mid_answer_is_audited_and_counted(
    llm_client: TestClient, ayu, fake: FakeLLM
) -> None:
    from tradeloop.services import chat
    from tradeloop.store import mentor as repo
    from tradeloop.store.models import User

    consent(llm_client, ayu)
    tid = thread(llm_client, ayu)
    fake.then({"content": "A long answer that streams in many small pieces. " * 4})
    state = llm_client.app.state.tradeloop
    db = state.sessions()
    user = db.query(User).filter_by(email="ayu@example.com").one()
    events = chat.ask_in_thread(
        db, user, state.settings, repo.get_thread(db, user.id, tid), "hi", "en", "llm",
        datetime.now(UTC),
    )  # fmt: skip
    assert next(events) == {"type": "delta", "text": "A long answe"}
    events.close()  # the page was closed
    db.rollback()
    db.close()
    ((outcome, prompt_tokens),) = rows(llm_client, "SELECT outcome, prompt_tokens FROM llm_calls")
    assert outcome == "cancelled" and prompt_tokens > 0
    assert rows(llm_client, "SELECT count(*) FROM mentor_messages") == [(0,)]
    status = llm_client.get("/api/mentor/llm", headers=ayu).json()
    assert status["today"]["questions"] == 1


def test_a_thread_deleted_while_the_model_answers_ends_the_stream_with_an_error(
    llm_client: TestClient, ayu, fake: FakeLLM
) -> None:
    consent(llm_client, ayu)
    tid = thread(llm_client, ayu)
    delete = f"DELETE FROM mentor_threads WHERE id = {tid}"
    fake.then({"during": lambda: write_now(llm_client, delete), "content": "Ok."})
    events = streamed_events(llm_client, ayu, tid, "hi")
    assert events[-1] == {"type": "error", "status": 404, "message": f"thread {tid} not found"}
    assert rows(llm_client, "SELECT count(*) FROM mentor_messages") == [(0,)]
    assert rows(llm_client, "SELECT outcome FROM llm_calls") == [("ok",)]
