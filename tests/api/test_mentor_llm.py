"""Chat threads over the API with the LLM: consent, daily limits, audit log, streaming,
fallback, grounding, isolation. The LLM is a real HTTP server on 127.0.0.1 behind the real
client, as strict as llama.cpp's server (``tests.fake_llm``)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from tests.api.test_mentor import journal
from tests.conftest import bearer, in_english, register
from tests.fake_llm import FakeLLM, fake_llm_server
from tradeloop.app import create_app
from tradeloop.config import Settings

NOTE = "my secret diary line"
ANSWER = "You logged 3 days: keep placing stops with every entry."
UNROUTED = "Tell me about my discipline."  # a question the offline router does not answer


@pytest.fixture
def fake() -> Iterator[FakeLLM]:
    with fake_llm_server() as server:
        yield server
        assert server.refused == []  # never sent what llama.cpp refuses


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
    in_english(llm_client, headers)  # messages of the API in English; answers as asked
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


def streamed_events(
    client: TestClient, headers, thread_id: int, question: str, language: str = "en"
) -> list[dict]:
    """Ask with ``stream``: the server-sent events, after checking it is a 201 event stream."""
    with client.stream(
        "POST",
        f"/api/mentor/threads/{thread_id}/messages",
        headers=headers,
        json={"question": question, "stream": True, "language": language},
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
    response = ask(llm_client, ayu, tid, UNROUTED)
    assert response.status_code == 201, response.text
    answer = response.json()["answer"]
    assert answer["content"] == ANSWER and answer["provider"] == "llm"
    assert answer["tools"] == ["get_sessions"] and answer["notice"] is None
    (used,) = answer["evidence"]  # what the page shows under the answer
    assert used["tool"] == "get_sessions" and json.loads(used["result"])["total"] == 3
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
        "SELECT model, tools, rounds, prompt_tokens, completion_tokens, outcome, reason "
        "FROM llm_calls",
    )
    assert call[0] == "fake-model" and json.loads(call[1]) == ["get_sessions"]
    assert (call[2], call[4], call[5], call[6]) == (2, 60, "ok", None) and call[3] == 600
    audit = llm_client.get("/api/mentor/llm/calls", headers=ayu).json()["items"][0]
    assert "discipline" not in json.dumps(audit) and ANSWER not in json.dumps(audit)
    # the thread kept both messages and what the answer rests on, encrypted at rest
    kept = llm_client.get(f"/api/mentor/threads/{tid}", headers=ayu).json()["messages"]
    assert [(m["role"], m["content"], m["provider"]) for m in kept] == [
        ("user", UNROUTED, "llm"),
        ("assistant", ANSWER, "llm"),
    ]
    assert kept[1]["evidence"] == answer["evidence"] and kept[1]["notice"] is None
    stored = rows(llm_client, "SELECT content, details FROM mentor_messages")
    assert len(stored) == 2 and all(ANSWER not in c and "discipline" not in c for c, _ in stored)
    assert "get_sessions" not in stored[1][1] and stored[1][1].startswith("gAAAA")
    # the next question sends the conversation so far
    fake.then({"content": "Yes."})
    ask(llm_client, ayu, tid, "and what else?")
    assert [m["content"] for m in fake.requests[2]["messages"][1:]] == [
        UNROUTED,
        ANSWER,
        "and what else?",
    ]


def test_past_the_daily_limit_llm_answers_429_and_auto_answers_offline_with_a_notice(
    llm_client: TestClient, ayu, fake: FakeLLM
) -> None:
    consent(llm_client, ayu)
    tid = thread(llm_client, ayu)
    for _ in range(3):
        fake.then({"content": "ok"})
        assert ask(llm_client, ayu, tid, "hi").status_code == 201
    before = len(llm_client.get(f"/api/mentor/threads/{tid}", headers=ayu).json()["messages"])
    limited = ask(llm_client, ayu, tid, "hi", provider="llm")
    assert limited.status_code == 429
    message = limited.json()["message"]
    assert message.startswith("daily language-model limit reached (3 questions): it resets at ")
    assert message.endswith(" 00:00 UTC; the offline mentor still answers")
    assert 0 < int(limited.headers["Retry-After"]) <= 86_400
    after = llm_client.get(f"/api/mentor/threads/{tid}", headers=ayu).json()["messages"]
    assert len(after) == before == 6
    auto = ask(llm_client, ayu, tid, "what is my win rate?")  # as the message promises
    assert auto.status_code == 201
    answer = auto.json()["answer"]
    assert (answer["provider"], answer["intent"]) == ("offline", "win_rate")
    assert answer["notice"] == message
    bahasa = ask(llm_client, ayu, tid, "berapa win rate saya?", language="id").json()["answer"]
    assert bahasa["notice"].startswith("batas harian model bahasa tercapai (3 pertanyaan)")
    assert len(fake.requests) == 3
    status = llm_client.get("/api/mentor/llm", headers=ayu).json()
    assert status["today"] == {"questions": 3, "tokens": 360}


def test_the_token_limit_counts_too(llm_client: TestClient, ayu, fake: FakeLLM) -> None:
    consent(llm_client, ayu)
    tid = thread(llm_client, ayu)
    fake.then({"content": "long", "usage": {"prompt_tokens": 9_990, "completion_tokens": 10}})
    assert ask(llm_client, ayu, tid, "hi").status_code == 201
    limited = ask(llm_client, ayu, tid, "hi", provider="llm")
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
    assert rows(llm_client, "SELECT outcome, reason FROM llm_calls") == [("timeout", "timeout")]
    fake.then({"sleep": 1.2, "content": "late"}, {"sleep": 1.2, "content": "late"})
    bahasa = ask(llm_client, ayu, thread(llm_client, ayu), "berapa win rate saya?", language="id")
    assert bahasa.json()["answer"]["notice"] == (
        "Model bahasa tidak menjawab (tidak ada jawaban dalam 0.5 detik), jadi mentor offline "
        "yang menjawab."
    )


def test_the_answer_streams_as_server_sent_events(
    llm_client: TestClient, ayu, fake: FakeLLM
) -> None:
    consent(llm_client, ayu)
    answer = (
        "You win 53.3% of your trades, 32 of 60: that is above what you need to break even. "
        "Keep the same routine: a stop with every entry, the same size on every trade, and a "
        "pause after a loss before the next trade."
    )
    fake.then({"content": answer, "pause": 0.01})
    tid = thread(llm_client, ayu)
    events = streamed_events(llm_client, ayu, tid, "what is my win rate?")
    progress = [e for e in events if e["type"] == "progress"]
    assert progress[0]["stage"] == "asking" and progress[1] == {
        "type": "progress", "stage": "writing", "tool": None, "tokens": 1,
    }  # fmt: skip
    assert [e["tokens"] for e in progress[2:]] == [17]  # every 16 tokens, not each one
    deltas = [e["text"] for e in events if e["type"] == "delta"]
    first_delta = next(i for i, e in enumerate(events) if e["type"] == "delta")
    assert all(e["type"] != "progress" for e in events[first_delta:])  # checked, then shown
    assert len(deltas) > 1 and "".join(deltas) == answer
    assert events[-1]["type"] == "done" and events[-1]["answer"]["content"] == answer
    kept = llm_client.get(f"/api/mentor/threads/{tid}", headers=ayu).json()["messages"]
    assert [m["content"] for m in kept] == ["what is my win rate?", answer]


def test_llm_without_an_endpoint_is_a_clear_error(client: TestClient) -> None:
    register(client, "ayu@example.com")
    headers = in_english(client, bearer(client, "ayu@example.com"))
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
    fake.then({"content": "A long answer that streams in many small pieces. " * 4, "pause": 0.01})
    state = llm_client.app.state.tradeloop
    db = state.sessions()
    user = db.query(User).filter_by(email="ayu@example.com").one()
    events = chat.ask_in_thread(
        db, user, state.settings, repo.get_thread(db, user.id, tid), "what is my win rate?",
        "en", "llm", datetime.now(UTC),
    )  # fmt: skip
    assert next(events)["stage"] == "asking"
    assert next(events) == {"type": "progress", "stage": "writing", "tool": None, "tokens": 1}
    events.close()  # the page was closed
    db.rollback()
    db.close()
    ((outcome, reason, prompt_tokens, completion_tokens),) = rows(
        llm_client, "SELECT outcome, reason, prompt_tokens, completion_tokens FROM llm_calls"
    )
    assert (outcome, reason, completion_tokens) == ("cancelled", "cancelled", 1)
    assert prompt_tokens > 0
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


SUMMARY_CALL = {"tool_calls": [{"name": "get_summary", "arguments": "{}"}]}
CANT_ANSWER = {
    "en": "I can't answer that yet. Try one of these:",
    "id": "Saya belum bisa menjawab itu. Coba salah satu ini:",
}


@pytest.mark.parametrize(
    ("language", "question", "said", "reason", "notice"),
    [
        (
            "en",
            UNROUTED,
            "Your win rate is 87.5%.",
            "number",
            "The language model's answer was not kept (it gave the figure 87.5, which is in none "
            "of your journal's figures it read), so the offline mentor answered.",
        ),
        (
            "en",
            UNROUTED,
            "I'm going to tell you that you're going to buy BTC now.",
            "instruction",
            "The language model's answer was not kept (it told you to trade (“you're going to "
            "buy”), which the mentor never does), so the offline mentor answered.",
        ),
        (
            "id",
            "ceritakan tentang disiplin saya",
            "Sebaiknya Anda beli XAUUSD sekarang.",
            "instruction",
            "Jawaban model bahasa tidak disimpan (isinya menyuruh Anda bertransaksi (“Sebaiknya "
            "Anda beli”), hal yang tidak pernah dilakukan mentor), jadi mentor offline yang "
            "menjawab.",
        ),
        (
            "en",
            UNROUTED,
            "You should keep a calm routine and a journal. " * 40,
            "too_long",
            "The language model's answer was not kept (it was 1839 characters long, the limit "
            "is 1500), so the offline mentor answered.",
        ),
        (
            "en",
            UNROUTED,
            'functions.get_metric: {"name": "revenge"}',
            "tool_syntax",
            "The language model's answer was not kept (it showed tool-call syntax instead of an "
            "answer), so the offline mentor answered.",
        ),
        (
            "id",
            "ceritakan tentang disiplin saya",
            "Your discipline is good when you keep the stop and the size is small for the day.",
            "language",
            "Jawaban model bahasa tidak disimpan (jawabannya bukan dalam Bahasa Indonesia), jadi "
            "mentor offline yang menjawab.",
        ),
    ],
)
def test_an_answer_that_fails_the_check_is_replaced_never_stored(
    llm_client: TestClient, ayu, fake: FakeLLM, language, question, said, reason, notice
) -> None:
    consent(llm_client, ayu)
    fake.then(SUMMARY_CALL, {"content": said})
    tid = thread(llm_client, ayu)
    events = streamed_events(llm_client, ayu, tid, question, language)
    answer = events[-1]["answer"]
    assert (answer["provider"], answer["notice"]) == ("offline", notice)
    assert answer["content"].startswith(CANT_ANSWER[language])  # the offline mentor's answer
    shown = "".join(e["text"] for e in events if e["type"] == "delta")
    assert shown == answer["content"]  # what the model said never reached the page
    kept = llm_client.get(f"/api/mentor/threads/{tid}", headers=ayu).json()["messages"]
    assert [m["content"] for m in kept] == [question, answer["content"]]
    assert kept[1]["notice"] == notice and said not in json.dumps(kept)
    assert rows(llm_client, "SELECT outcome, reason FROM llm_calls") == [("replaced", reason)]
    audit = llm_client.get("/api/mentor/llm/calls", headers=ayu).json()["items"][0]
    assert (audit["outcome"], audit["reason"]) == ("replaced", reason)


def test_correct_answers_are_kept_in_either_language(
    llm_client: TestClient, ayu, fake: FakeLLM
) -> None:
    from tradeloop.journal.synthetic import synthetic_export
    from tradeloop.services.exports import load_journal

    summary = load_journal(synthetic_export(60, seed=3)).analysis.summary
    assert (summary["wins"], summary["total_trades"]) == (32, 60)
    average = f"{summary['avg_win']:.2f}"  # 31.90625 rounded as the model would
    consent(llm_client, ayu)
    tid = thread(llm_client, ayu)
    said = {
        "id": "Win rate Anda 53,3 % dari 60 transaksi; rata-rata menang " + average.replace(".", ",") + " USD.",
        "en": f"You win 53.3% of your 60 trades, and your average win is {average} USD.",
    }  # fmt: skip
    for language, question in (("id", "ceritakan tentang disiplin saya"), ("en", UNROUTED)):
        fake.then(SUMMARY_CALL, {"content": said[language]})
        answer = streamed_events(llm_client, ayu, tid, question, language)[-1]["answer"]
        assert (answer["content"], answer["provider"]) == (said[language], "llm")
        assert answer["notice"] is None and answer["tools"] == ["get_summary"]
    assert rows(llm_client, "SELECT outcome, reason FROM llm_calls") == [("ok", None)] * 2


def test_a_recognised_question_is_only_reworded_from_the_offline_answer(
    llm_client: TestClient, ayu, fake: FakeLLM
) -> None:
    consent(llm_client, ayu)
    tid = thread(llm_client, ayu)
    reworded = "You win 53.3% of your trades: 32 of 60."
    fake.then({"content": reworded})
    answer = ask(llm_client, ayu, tid, "what is my win rate?").json()["answer"]
    assert (answer["content"], answer["provider"], answer["intent"]) == (
        reworded,
        "llm",
        "win_rate",
    )
    (given,) = answer["evidence"]
    assert given["tool"] == "offline_mentor" and given["result"].startswith("You win 53.3%")
    assert (
        "tools" not in fake.requests[0]
        and given["result"] in fake.requests[0]["messages"][-1]["content"]
    )
    # a true figure of the journal that the offline answer does not hold is not allowed here
    fake.then({"content": "You win 53.3% of your trades and made 406.50 USD."})
    replaced = ask(llm_client, ayu, tid, "what is my win rate?").json()["answer"]
    assert replaced["provider"] == "offline" and replaced["content"].startswith("You win 53.3%")
    assert "406.50" in replaced["notice"]
    # nor is an earlier answer a source: a small model repeating it (seen with SmolLM2) fails
    fake.then({"content": reworded})
    repeated = ask(llm_client, ayu, tid, "Which hour is best for me?").json()["answer"]
    assert (repeated["provider"], repeated["intent"]) == ("offline", "best_hour")
    assert "53.3" in repeated["notice"]


def test_an_unreachable_server_charges_nothing(
    app_settings: Settings, ayu, llm_client: TestClient
) -> None:
    consent(llm_client, ayu)
    settings = llm_client.app.state.tradeloop.settings
    llm_client.app.state.tradeloop.settings = settings.model_copy(
        update={"llm_base_url": "http://127.0.0.1:9/v1", "llm_max_retries": 0}
    )
    try:
        answer = ask(llm_client, ayu, thread(llm_client, ayu), UNROUTED).json()["answer"]
    finally:
        llm_client.app.state.tradeloop.settings = settings
    assert answer["notice"] == (
        "The language model gave no answer (cannot reach http://127.0.0.1:9/v1), so the "
        "offline mentor answered."
    )
    assert rows(llm_client, "SELECT outcome, prompt_tokens, completion_tokens FROM llm_calls") == [
        ("unreachable", 0, 0)
    ]


def test_the_model_check_says_what_is_wrong_in_the_users_language(
    llm_client: TestClient, ayu, fake: FakeLLM
) -> None:
    from tradeloop.services import chat

    chat._checks.clear()
    assert llm_client.get("/api/mentor/llm", headers=ayu).json()["check"] is None
    fake.then({"content": "Hello!"})  # answers, but calls no tool
    found = llm_client.post("/api/mentor/llm/check", headers=ayu).json()
    assert (found["listed"], found["tool_call"], found["problem"]) == (True, False, "no_tool_call")
    assert found["message"].startswith("The model fake-model answered without calling a tool")
    assert (
        llm_client.get("/api/mentor/llm", headers=ayu).json()["check"]["problem"] == "no_tool_call"
    )
    again = llm_client.post("/api/mentor/llm/check", headers=ayu).json()
    assert again["checked_at"] == found["checked_at"] and len(fake.requests) == 1  # 30 s apart
    chat._checks.clear()
    fake.then(SUMMARY_CALL)
    llm_client.patch("/api/me", headers=ayu, json={"language": "id"})
    ok = llm_client.post("/api/mentor/llm/check", headers=ayu).json()
    assert ok["problem"] is None and ok["message"] == (
        "Model fake-model terdaftar di server dan memanggil alat saat diminta: model ini dapat "
        "membaca jurnal Anda."
    )
    chat._checks.clear()
