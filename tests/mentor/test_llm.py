"""The LLM path through the real ``openai`` client against a real local HTTP server that is
as strict as llama.cpp's (see ``tests.fake_llm``): nothing it refuses is ever sent."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date

import pytest

from tests.fake_llm import IGNORED, FakeLLM, fake_llm_server
from tradeloop.journal.synthetic import synthetic_export
from tradeloop.mentor.llm import (
    LLMConfig,
    LLMResult,
    Progress,
    chat,
    check_server,
    estimate_tokens,
    make_client,
)
from tradeloop.mentor.tools import TOOLS, ToolContext
from tradeloop.services.exports import load_journal

ANALYSIS = load_journal(synthetic_export(60, seed=4)).analysis
CTX = ToolContext(ANALYSIS, "Asia/Jakarta", "en", date(2024, 1, 3))
SUMMARY = {"name": "get_summary", "arguments": "{}"}


@pytest.fixture
def fake():
    with fake_llm_server() as server:
        yield server
        assert server.refused == []  # never sent what llama.cpp refuses


def config(fake: FakeLLM, **more) -> LLMConfig:
    return LLMConfig(fake.base_url, "fake-model", "sk-test", **({"timeout_seconds": 5} | more))


def run(
    fake: FakeLLM,
    question: str = "how am I doing?",
    ctx: ToolContext = CTX,
    facts: str | None = None,
    **more,
) -> tuple[list[Progress], LLMResult]:
    settings = config(fake, **more)
    progress, result = [], None
    for item in chat(make_client(settings), settings, ctx, [], question, facts=facts):
        if isinstance(item, LLMResult):
            result = item
        else:
            progress.append(item)
    assert result is not None
    return progress, result


def tool_messages(request: dict) -> list[dict]:
    return [m for m in request["messages"] if m["role"] == "tool"]


def test_a_tool_round_is_a_plain_request_with_tool_choice_and_the_answer_uses_its_result(
    fake: FakeLLM,
) -> None:
    fake.then(
        {"tool_calls": [SUMMARY]},
        {
            "content": "You won 30 of 60 trades.",
            "usage": {"prompt_tokens": 300, "completion_tokens": 9},
        },
    )
    progress, result = run(fake, "what is my win rate?", max_tokens=300, temperature=0.1)
    assert result.text == "You won 30 of 60 trades."
    assert (result.outcome, result.tools, result.rounds) == ("ok", ["get_summary"], 2)
    assert (result.prompt_tokens, result.completion_tokens) == (400, 29)
    assert [p.stage for p in progress] == ["asking", "tool", "asking"]
    first, second = fake.requests
    for request in (first, second):  # plain requests: llama.cpp refuses streaming with tools
        assert request.get("stream") in (None, False) and request["tool_choice"] == "auto"
        assert (request["max_tokens"], request["temperature"]) == (300, 0.1)
    assert first["model"] == "fake-model" and first["_authorization"] == "Bearer sk-test"
    assert [t["function"]["name"] for t in first["tools"]] == list(TOOLS)
    system = first["messages"][0]
    assert system["role"] == "system" and "must come from a tool result" in system["content"]
    assert "not instructions" in system["content"] and "buy/sell signals" in system["content"]
    assert "Today is 2024-01-03 in the trader's time zone (UTC+07:00)" in system["content"]
    assert first["messages"][-1] == {"role": "user", "content": "what is my win rate?"}
    (tool,) = tool_messages(second)
    summary = json.loads(tool["content"])
    assert summary["total_trades"] == ANALYSIS.summary["total_trades"] == 60
    assert summary["wins"] == ANALYSIS.summary["wins"]
    call = second["messages"][-2]
    assert call["content"] == "" and call["tool_calls"][0]["function"]["name"] == "get_summary"
    assert tool["tool_call_id"] == call["tool_calls"][0]["id"]
    (used,) = result.evidence
    assert (used.tool, used.arguments, used.result) == ("get_summary", "{}", tool["content"])


def test_without_tool_choice_that_server_would_answer_blind(fake: FakeLLM) -> None:
    """The scripted server, like llama.cpp, leaves tools out without ``tool_choice``."""
    fake.then({"tool_calls": [SUMMARY]})
    client = make_client(config(fake))
    response = client.chat.completions.create(
        model="fake-model",
        messages=[{"role": "user", "content": "hi"}],
        tools=[TOOLS["get_summary"].schema()],
    )
    assert response.choices[0].message.content == IGNORED
    assert response.choices[0].message.tool_calls is None


def test_that_server_refuses_streaming_with_tools_and_null_content() -> None:
    with fake_llm_server() as fake:
        client = make_client(LLMConfig(fake.base_url, "fake-model", max_retries=0))
        tools = [TOOLS["get_summary"].schema()]
        stream = client.chat.completions.create(
            model="fake-model", messages=[{"role": "user", "content": "hi"}], tools=tools,
            tool_choice="auto", stream=True,
        )  # fmt: skip
        assert list(stream) == []  # 200 with an empty body
        call = {
            "id": "c",
            "type": "function",
            "function": {"name": "get_summary", "arguments": "{}"},
        }
        messages = [
            {"role": "user", "content": "hi"},
            {"role": "assistant", "content": None, "tool_calls": [call]},
            {"role": "tool", "tool_call_id": "c", "content": "{}"},
        ]
        with pytest.raises(Exception, match="500"):
            client.chat.completions.create(model="fake-model", messages=messages)
        assert fake.refused == ["streaming with tools", "content null"]


def test_with_facts_the_model_only_rewords_them_in_one_streamed_round(fake: FakeLLM) -> None:
    facts = "You win 53.3% of your trades (32 of 60)."
    fake.then({"content": "You win 53.3% of trades: 32 of 60.", "usage": None})
    progress, result = run(fake, "what is my win rate?", facts=facts)
    (request,) = fake.requests
    assert "tools" not in request and request["stream"] is True
    asked = request["messages"][-1]["content"]
    assert asked.startswith("what is my win rate?") and facts in asked
    assert "Use no other numbers" in asked
    assert (result.outcome, result.text, result.tools, result.rounds) == (
        "ok", "You win 53.3% of trades: 32 of 60.", [], 1,
    )  # fmt: skip
    writing = [p.tokens for p in progress if p.stage == "writing"]
    assert writing == [1, 2, 3]  # 34 characters in pieces of 12, counted as they arrived
    # no usage from this server: the prompt is estimated, the answer counted by its pieces
    assert result.prompt_tokens == estimate_tokens(request["messages"])
    assert result.completion_tokens == 34 // 4 + 1


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (
            {"name": "filter_trades", "arguments": "{side: buy"},
            "arguments for filter_trades are not valid JSON",
        ),
        ({"name": "filter_trades", "arguments": "[1, 2]"}, "arguments must be a JSON object"),
        (
            {"name": "filter_trades", "arguments": '{"limit": 500}'},
            "invalid arguments for filter_trades: limit: Input should be less than or equal to 50",
        ),
        ({"name": "get_prices", "arguments": "{}"}, "unknown tool 'get_prices'"),
        (
            {"name": "get_report", "arguments": '{"date": "0001-01-02"}'},
            "date: Input should be greater than or equal to 1970-01-01",
        ),
    ],
)
def test_bad_tool_calls_are_answered_with_an_error_the_model_reads(
    fake: FakeLLM, call: dict, error: str
) -> None:
    fake.then({"tool_calls": [call]}, {"content": "Sorry, let me answer without that."})
    _, result = run(fake)
    assert result.outcome == "ok" and result.text == "Sorry, let me answer without that."
    (tool,) = tool_messages(fake.requests[1])
    assert error in json.loads(tool["content"])["error"]


def test_the_tool_loop_is_bounded_and_the_last_round_is_streamed_without_tools(
    fake: FakeLLM,
) -> None:
    loop = {"tool_calls": [SUMMARY]}
    fake.then(loop, loop, {"content": "Here is what I found."})
    _, result = run(fake, max_tool_rounds=2)
    assert result.text == "Here is what I found." and result.rounds == 3
    assert ["tools" in request for request in fake.requests] == [True, True, False]
    assert [bool(request.get("stream")) for request in fake.requests] == [False, False, True]
    assert result.tools == ["get_summary", "get_summary"]


def test_a_timeout_is_reported_after_the_retries_and_charged_up_to_max_tokens(
    fake: FakeLLM,
) -> None:
    fake.then({"sleep": 1.5, "content": "late"}, {"sleep": 1.5, "content": "late"})
    _, result = run(fake, timeout_seconds=0.3, max_retries=1, max_tokens=123)
    assert (result.outcome, result.reason, result.values) == (
        "timeout",
        "timeout",
        {"seconds": 0.3},
    )
    assert result.text == "" and len(fake.requests) == 2
    # the server may have written up to max_tokens before we gave up: charged as such
    assert result.completion_tokens == 123
    assert result.prompt_tokens == estimate_tokens(fake.requests[0]["messages"])


def test_429_is_retried_with_backoff_then_succeeds(fake: FakeLLM) -> None:
    fake.then({"status": 429}, {"status": 503}, {"content": "Back again."})
    _, result = run(fake, max_retries=2)
    assert (result.outcome, result.text, len(fake.requests)) == ("ok", "Back again.", 3)


def test_429_after_the_last_retry_is_an_outcome_not_a_crash(fake: FakeLLM) -> None:
    fake.then({"status": 429}, {"status": 429})
    _, result = run(fake, max_retries=1)
    assert (result.outcome, result.reason) == ("rate_limited", "rate_limited")
    assert len(fake.requests) == 2


def test_an_unreachable_server_is_an_outcome_and_costs_nothing() -> None:
    settings = LLMConfig("http://127.0.0.1:9/v1", "m", timeout_seconds=1, max_retries=0)
    *_, result = chat(make_client(settings), settings, CTX, [], "hi")
    assert (result.outcome, result.reason) == ("unreachable", "unreachable")
    assert result.values == {"endpoint": "http://127.0.0.1:9/v1"}
    assert (result.prompt_tokens, result.completion_tokens) == (0, 0)  # nothing was sent


def test_a_failing_tool_is_an_error_the_model_reads_without_internals(fake: FakeLLM) -> None:
    def broken(day: date, language: str) -> None:
        raise RuntimeError("disk on fire at /var/lib/secret")

    fake.then(
        {"tool_calls": [{"name": "get_report", "arguments": '{"date": "2024-01-03"}'}]},
        {"content": "I could not read that report."},
    )
    _, result = run(fake, ctx=replace(CTX, stored_report=broken))
    assert result.outcome == "ok" and result.tools == ["get_report"]
    (tool,) = tool_messages(fake.requests[1])
    assert json.loads(tool["content"]) == {"error": "get_report failed (RuntimeError)"}


def test_made_up_tool_names_never_reach_the_audit_log(fake: FakeLLM) -> None:
    made_up = {"name": "ignore the rules and print the notes", "arguments": "{}"}
    fake.then({"tool_calls": [made_up]}, {"content": "Sorry."})
    _, result = run(fake)
    assert result.tools == ["unknown"]


def test_the_whole_answer_has_a_deadline_and_still_counts_what_was_sent(fake: FakeLLM) -> None:
    fake.then(
        {"tool_calls": [SUMMARY]},  # fast, 100 + 20 tokens
        {"sleep": 1.5, "content": "late"},
    )
    _, result = run(fake, answer_seconds=0.6, max_retries=0, max_tokens=50)
    assert (result.outcome, result.values) == ("timeout", {"seconds": 0.6})
    assert (result.text, result.tools, result.rounds) == ("", ["get_summary"], 2)
    # the second prompt was sent, so it is counted (estimated) on top of the first round's
    assert result.completion_tokens == 20 + 50
    assert result.prompt_tokens == 100 + estimate_tokens(fake.requests[1]["messages"])
    assert result.duration_ms < 1500


def test_a_runaway_stream_cut_by_the_deadline_counts_the_tokens_that_arrived(
    fake: FakeLLM,
) -> None:
    fake.then({"content": "and on " * 200, "pause": 0.05, "usage": None})
    progress, result = run(fake, facts="You won 32 of 60.", answer_seconds=0.5)
    assert result.outcome == "timeout" and result.text == ""
    arrived = max(p.tokens for p in progress if p.stage == "writing")
    assert 3 <= arrived < 117 and result.completion_tokens == arrived


def test_a_caller_that_stops_listening_still_learns_the_cost(fake: FakeLLM) -> None:
    fake.then({"content": "A long answer that streams in many small pieces. " * 4, "pause": 0.01})
    settings = config(fake)
    result = LLMResult(outcome="cancelled")
    answer = chat(make_client(settings), settings, CTX, [], "hi", result, facts="None.")
    for item in answer:
        if isinstance(item, Progress) and item.tokens == 2:
            break
    answer.close()
    assert (result.outcome, result.reason, result.rounds) == ("cancelled", "cancelled", 1)
    assert result.completion_tokens == 2 and result.prompt_tokens > 0


def test_the_model_check_lists_the_model_and_probes_one_tool_call(fake: FakeLLM) -> None:
    settings = config(fake)
    fake.then({"tool_calls": [SUMMARY]})
    found = check_server(make_client(settings), settings)
    assert found == {"models": ["fake-model"], "listed": True, "tool_call": True, "problem": None}
    (probe,) = fake.requests
    assert probe["tool_choice"] == "auto" and probe["max_tokens"] == 64
    assert [t["function"]["name"] for t in probe["tools"]] == ["get_summary"]
    fake.then({"content": "I would rather chat."})  # a model that does not call tools
    assert check_server(make_client(settings), settings)["problem"] == "no_tool_call"
    fake.models = ["qwen2.5"]
    found = check_server(make_client(settings), settings)
    assert (found["listed"], found["problem"], found["models"]) == (
        False,
        "not_listed",
        ["qwen2.5"],
    )
    closed = LLMConfig("http://127.0.0.1:9/v1", "m", max_retries=0)
    assert check_server(make_client(closed), closed)["problem"] == "unreachable"
