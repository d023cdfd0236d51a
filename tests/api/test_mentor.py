"""The mentor over the API: sessions, encrypted notes, reports, tools and offline chat."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from fastapi.testclient import TestClient
from sqlalchemy import text

from tests.conftest import bearer, register
from tradeloop.app import create_app
from tradeloop.i18n import catalogue, translate
from tradeloop.journal.synthetic import synthetic_export

DAY = "2024-01-03"


@pytest.fixture
def headers(client: TestClient) -> dict[str, str]:
    register(client, "ayu@example.com")
    return bearer(client, "ayu@example.com")


def journal(client: TestClient, headers: dict[str, str]) -> None:
    client.post(
        "/api/journal/imports",
        headers=headers,
        files={"file": ("o.csv", synthetic_export(60, seed=3), "text/csv")},
    )


def scalar(client: TestClient, sql: str):
    with client.app.state.engine.connect() as connection:
        return connection.execute(text(sql)).scalar()


def test_feedback_answers_and_keeps_the_note_encrypted(client: TestClient, headers) -> None:
    answer = client.post(
        "/api/mentor/feedback",
        headers=headers,
        json={"emotion": "fearful", "market": "volatile", "note": "takut rugi lagi", "date": DAY},
    )
    assert answer.status_code == 200
    body = answer.json()
    assert body["session"] | {} == body["session"] and body["session"]["note"] == "takut rugi lagi"
    assert (body["session"]["emotion"], body["session"]["market"]) == ("fearful", "volatile")
    assert body["feedback"] and body["tip"] and 1 <= len(body["actions"]) <= 3
    stored = scalar(client, "SELECT personal_notes FROM trading_sessions")
    assert "takut" not in stored and stored.startswith("gAAAA")


def test_totals_are_recomputed_from_the_days_trades(client: TestClient, headers) -> None:
    journal(client, headers)
    for _ in range(3):
        client.post("/api/mentor/feedback", headers=headers, json={"emotion": "calm", "date": DAY})
    session = client.get(f"/api/mentor/sessions/{DAY}", headers=headers).json()
    every = client.get("/api/journal/trades?limit=200", headers=headers).json()["items"]
    closed_that_day = [
        t for t in every if t["exit_time"].startswith(DAY)
    ]  # a session holds the trades it closed
    assert session["total_trades"] == len(closed_that_day) > 0
    money = sum(t["pnl_money"] for t in closed_that_day)
    assert session["total_profit_loss"] == pytest.approx(money)


def test_report_is_stored_once_per_language_and_regenerated(client: TestClient, headers) -> None:
    journal(client, headers)
    client.post(
        "/api/mentor/feedback", headers=headers, json={"emotion": "frustrated", "date": DAY}
    )
    english = client.post(
        "/api/mentor/reports", headers=headers, json={"date": DAY, "language": "en"}
    )
    assert english.status_code == 201 and english.json()["language"] == "en"
    client.post("/api/mentor/reports", headers=headers, json={"date": DAY, "language": "en"})
    indonesian = client.post(
        "/api/mentor/reports", headers=headers, json={"date": DAY, "language": "id"}
    ).json()
    assert scalar(client, "SELECT count(*) FROM ai_mentor_reports") == 2
    stored = client.get(f"/api/mentor/reports/{DAY}?language=id", headers=headers).json()
    assert (
        stored["trading_patterns_analysis"]["title"]
        == indonesian["trading_patterns_analysis"]["title"]
    )
    assert stored["risk_management_score"] == english.json()["risk_management_score"]
    assert (
        client.get(f"/api/mentor/sessions/{DAY}", headers=headers).json()["risk_score"]
        == stored["risk_management_score"]
    )
    missing = client.get("/api/mentor/reports/2024-01-04?language=en", headers=headers)
    assert missing.status_code == 404 and missing.json()["message"] == catalogue("id")[
        "mentor.error.no_report"
    ].format(language="en", day="2024-01-04")


def test_deleting_a_session_deletes_its_reports(client: TestClient, headers) -> None:
    client.post("/api/mentor/reports", headers=headers, json={"date": DAY, "language": "en"})
    assert client.delete(f"/api/mentor/sessions/{DAY}", headers=headers).status_code == 204
    assert scalar(client, "SELECT count(*) FROM ai_mentor_reports") == 0


@pytest.mark.parametrize(
    ("path", "body", "message"),
    [
        ("/api/mentor/feedback", {"emotion": "angry"}, "emotion: harus salah satu dari 'calm'"),
        (
            "/api/mentor/feedback",
            {"emotion": "calm", "date": "2024-02-30"},
            "date: harus berupa tanggal",
        ),
        (
            "/api/mentor/feedback",
            {"emotion": "calm", "note": "x" * 6000},
            "note: maksimal 5000 karakter",
        ),
        (
            "/api/mentor/reports",
            {"date": DAY, "language": "fr"},
            "Bahasa: harus salah satu dari 'id' atau 'en'",
        ),
        ("/api/mentor/ask", {"question": ""}, "question: minimal 1 karakter"),
        ("/api/mentor/tools/nope", {}, "Alat 'nope' tidak dikenal"),
        (
            "/api/mentor/tools/filter_trades",
            {"limit": 99},
            "limit: Input should be less than or equal to 50",
        ),
        ("/api/mentor/tools/get_metric", {"name": "luck"}, "name: Input should be"),
        (
            "/api/mentor/tools/get_report",
            {"date": "0001-01-02"},
            "date: Input should be greater than or equal to 1970-01-01",
        ),
        (
            "/api/mentor/reports",
            {"date": "9999-12-31"},
            "date: maksimal 2100-12-31",
        ),
        (
            "/api/mentor/feedback",
            {"emotion": "calm", "date": "1969-12-31"},
            "date: minimal 1970-01-01",
        ),
        (
            "/api/mentor/tools/filter_trades",
            {"start": "2024-02-01", "end": "2024-01-01"},
            "start (2024-02-01) is after end (2024-01-01)",
        ),
    ],
)
def test_bad_requests_name_the_problem(
    client: TestClient, headers, path: str, body: dict, message: str
) -> None:
    journal(client, headers)
    response = client.post(path, headers=headers, json=body)
    assert response.status_code in (404, 422) and message in response.json()["message"]


def test_tools_and_offline_chat_read_the_users_journal(client: TestClient, headers) -> None:
    journal(client, headers)
    names = [
        tool["function"]["name"] for tool in client.get("/api/mentor/tools", headers=headers).json()
    ]
    assert names == [
        "get_summary",
        "get_metric",
        "filter_trades",
        "filter_losses",
        "get_sessions",
        "get_report",
    ]
    summary = client.post("/api/mentor/tools/get_summary", headers=headers, json={}).json()
    answer = client.post(
        "/api/mentor/ask",
        headers=headers,
        json={"question": "what is my win rate?", "language": "en"},
    ).json()
    assert (
        answer["intent"] == "win_rate"
        and f"{summary['wins']} of {summary['total_trades']}" in answer["answer"]
    )


def test_notes_survive_a_key_rotation(app_settings) -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    from pydantic import SecretStr

    with TestClient(
        create_app(app_settings.model_copy(update={"notes_key": SecretStr(old)}))
    ) as client:
        register(client, "ayu@example.com")
        headers = bearer(client, "ayu@example.com")
        client.post(
            "/api/mentor/feedback",
            headers=headers,
            json={"emotion": "calm", "note": "catatan", "date": DAY},
        )
    from pydantic import SecretStr

    rotated = app_settings.model_copy(
        update={"notes_key": SecretStr(new), "notes_old_keys": [SecretStr(old)]}
    )
    with TestClient(create_app(rotated)) as client:
        headers = bearer(client, "ayu@example.com")
        assert (
            client.get(f"/api/mentor/sessions/{DAY}", headers=headers).json()["note"] == "catatan"
        )


def test_threads_keep_the_conversation_and_delete_one_or_all(client: TestClient, headers) -> None:
    journal(client, headers)
    first = client.post("/api/mentor/threads", headers=headers, json={"title": "Monday"}).json()
    second = client.post("/api/mentor/threads", headers=headers, json={}).json()
    assert (first["title"], second["title"], first["messages"]) == ("Monday", "Chat", [])
    reply = client.post(
        f"/api/mentor/threads/{first['id']}/messages",
        headers=headers,
        json={"question": "berapa win rate saya?"},
    )
    assert reply.status_code == 201
    answer = reply.json()["answer"]
    assert answer["provider"] == "offline" and answer["intent"] == "win_rate"
    assert answer["content"].startswith("Anda menang")  # the user's language: id
    listed = client.get("/api/mentor/threads", headers=headers).json()
    assert [t["id"] for t in listed["items"]] == [second["id"], first["id"]]
    kept = client.get(f"/api/mentor/threads/{first['id']}", headers=headers).json()
    assert [(m["role"], m["content"]) for m in kept["messages"]] == [
        ("user", "berapa win rate saya?"),
        ("assistant", answer["content"]),
    ]
    question_id = reply.json()["question"]["id"]
    one = f"/api/mentor/threads/{first['id']}/messages/{question_id}"
    assert client.delete(one, headers=headers).status_code == 204
    again = client.delete(one, headers=headers)
    assert again.status_code == 404
    assert again.json()["message"] == translate(
        "id", "mentor.error.message_not_found", message_id=question_id
    )
    kept = client.get(f"/api/mentor/threads/{first['id']}", headers=headers).json()
    assert [m["role"] for m in kept["messages"]] == ["assistant"]
    assert client.delete(f"/api/mentor/threads/{first['id']}", headers=headers).status_code == 204
    gone = client.get(f"/api/mentor/threads/{first['id']}", headers=headers)
    assert gone.status_code == 404 and gone.json()["message"] == translate(
        "id", "mentor.error.thread_not_found", thread_id=first["id"]
    )
    assert scalar(client, "SELECT count(*) FROM mentor_messages") == 0
    assert client.delete("/api/mentor/threads", headers=headers).json() == {"deleted": 1}
    assert client.get("/api/mentor/threads", headers=headers).json()["total"] == 0


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"question": ""}, "question: minimal 1 karakter"),
        (
            {"question": "hi", "provider": "gpt"},
            "provider: harus salah satu dari 'auto', 'offline'",
        ),
        ({"question": "hi", "lang": "en"}, "lang: bukan isian yang diterima di sini"),
    ],
)
def test_bad_chat_messages_are_422(client: TestClient, headers, body, message) -> None:
    tid = client.post("/api/mentor/threads", headers=headers, json={}).json()["id"]
    response = client.post(f"/api/mentor/threads/{tid}/messages", headers=headers, json=body)
    assert response.status_code == 422 and message in response.json()["message"]
    assert scalar(client, "SELECT count(*) FROM mentor_messages") == 0


def test_a_thread_title_is_checked(client: TestClient, headers) -> None:
    response = client.post("/api/mentor/threads", headers=headers, json={"title": "x" * 201})
    assert response.status_code == 422 and "title" in response.json()["message"]
    empty_journal = client.post(
        f"/api/mentor/threads/{client.post('/api/mentor/threads', headers=headers, json={}).json()['id']}/messages",
        headers=headers,
        json={"question": "win rate?"},
    )
    assert empty_journal.status_code == 422
    assert empty_journal.json()["message"] == translate("id", "mentor.error.empty_journal")
    assert scalar(client, "SELECT count(*) FROM mentor_messages") == 0


def test_sessions_follow_the_journal_and_history_reads_them(client: TestClient, headers) -> None:
    from tradeloop.services.exports import load_journal

    trades = load_journal(synthetic_export(60, seed=3)).analysis.trades
    pnl = trades["pnl_money"].fillna(trades["pnl_points"])
    by_day = pnl.groupby(trades["exit_time"].dt.date).agg(["count", "sum"])  # the user is on UTC
    imported = client.post(
        "/api/journal/imports",
        headers=headers,
        files={"file": ("o.csv", synthetic_export(60, seed=3), "text/csv")},
    ).json()
    sessions = client.get("/api/mentor/sessions?limit=200", headers=headers).json()["items"]
    assert {s["date"]: (s["total_trades"], round(s["total_profit_loss"], 6)) for s in sessions} == {
        day.isoformat(): (int(n), round(float(total), 6)) for day, (n, total) in by_day.iterrows()
    }
    last = by_day.index.max()
    hist = client.get(f"/api/mentor/history?days=366&end={last}", headers=headers).json()
    assert [d["date"] for d in hist["days"]] == [day.isoformat() for day in by_day.index]
    # days made by the import: no emotion or market until the trader gives one, real scores
    assert all(s["emotion"] is None and s["market"] is None for s in sessions)
    scores = {d["date"]: d["risk_score"] for d in hist["days"]}
    assert {s["date"]: s["risk_score"] for s in sessions} == scores
    assert min(scores.values()) < 10  # the synthetic journal has mistakes on some days
    assert sum(d["trades"] for d in hist["days"]) == 60
    week = client.get(f"/api/mentor/weekly?date={last}", headers=headers).json()
    in_week = by_day[[d >= week_start(last) for d in by_day.index]]
    assert week["trades"] == int(in_week["count"].sum())
    assert week["best_day"]["pnl"] == float(in_week["sum"].max())
    client.delete(f"/api/journal/imports/{imported['import']['id']}", headers=headers)
    emptied = client.get("/api/mentor/sessions?limit=200", headers=headers).json()
    assert (emptied["items"], emptied["total"]) == ([], 0)  # its days held nothing else: gone
    hist = client.get(f"/api/mentor/history?days=366&end={last}", headers=headers).json()
    assert sum(d["trades"] for d in hist["days"]) == 0


def week_start(day):
    from datetime import timedelta

    return day - timedelta(days=day.weekday())


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("/api/mentor/history?days=0", "days: minimal 1"),
        ("/api/mentor/history?days=400", "days: maksimal 366"),
        ("/api/mentor/history?end=yesterday", "end: harus berupa tanggal"),
        ("/api/mentor/weekly?date=2024-13-01", "date: harus berupa tanggal"),
        (
            "/api/mentor/history?end=0001-01-10",
            "end: minimal 1970-01-01",
        ),
        (
            "/api/mentor/weekly?date=9999-12-31",
            "date: maksimal 2100-12-31",
        ),
        (
            "/api/mentor/reports/9999-12-31",
            "day: maksimal 2100-12-31",
        ),
    ],
)
def test_bad_history_queries_are_422(client: TestClient, headers, query, message) -> None:
    response = client.get(query, headers=headers)
    assert response.status_code == 422 and message in response.json()["message"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("/mentor?day=9999-12-31", "day: maksimal 2100-12-31"),
        ("/mentor?lang=fr", "lang: harus salah satu dari &#39;id&#39; atau &#39;en&#39;"),
    ],
)
def test_a_bad_page_address_gets_a_page_naming_the_parameter(
    client: TestClient, headers, query, message
) -> None:
    response = client.get(query, headers=headers)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("text/html")
    assert translate("id", "error.bad_request_title") in response.text
    assert message in response.text


def test_sessions_follow_a_new_time_zone(client: TestClient, headers) -> None:
    from tradeloop.services.exports import load_journal

    exits = load_journal(synthetic_export(60, seed=3)).analysis.trades["exit_time"]
    per_day = {
        zone: {
            d.isoformat(): int(n)
            for d, n in exits.dt.tz_convert(zone).dt.date.value_counts().items()
        }
        for zone in ("UTC", "Asia/Jakarta")
    }
    assert per_day["UTC"] != per_day["Asia/Jakarta"]  # some trades close after 17:00 UTC
    journal(client, headers)
    moved = client.patch("/api/me", headers=headers, json={"timezone": "Asia/Jakarta"})
    assert moved.status_code == 200 and moved.json()["timezone"] == "Asia/Jakarta"
    sessions = client.get("/api/mentor/sessions?limit=200", headers=headers).json()["items"]
    traded = {s["date"]: s["total_trades"] for s in sessions if s["total_trades"]}
    assert traded == per_day["Asia/Jakarta"]
