"""Account security over the API with two users: each sees and revokes only their own sessions
and audit events (a revoked token answers 401), two-factor set-up, sign-in with a code, new
recovery codes and turning it off, and code attempts limited per user."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pyotp
from fastapi.testclient import TestClient
from sqlalchemy import select, text, update

from tests.conftest import PASSWORD, bearer, in_english, register
from tradeloop.store.models import Throttle


def tokens(client: TestClient, email: str, password: str = PASSWORD, otp: str = "") -> str:
    """A new bearer token (a new session row) for ``email``."""
    data = {"username": email, "password": password} | ({"otp": otp} if otp else {})
    response = client.post("/api/auth/token", data=data)
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def actions(client: TestClient, headers: dict[str, str]) -> list[str]:
    response = client.get("/api/me/audit", headers=headers)
    assert response.status_code == 200, response.text
    return [event["action"] for event in response.json()["items"]]


def test_each_user_lists_and_revokes_only_their_sessions_and_a_revoked_token_is_401(
    client: TestClient,
) -> None:
    register(client, "ayu@example.com")
    register(client, "budi@example.com")
    ayu_first, ayu_second = tokens(client, "ayu@example.com"), tokens(client, "ayu@example.com")
    budi = tokens(client, "budi@example.com")

    listed = client.get("/api/me/sessions", headers=auth(ayu_first)).json()
    assert listed["total"] == 2 and [s["kind"] for s in listed["items"]] == ["token", "token"]
    assert [s["current"] for s in listed["items"]] == [False, True]  # newest first
    assert {s["address"] for s in listed["items"]} == {"testclient"}
    assert all(s["agent"] == "testclient" for s in listed["items"])
    second_id = listed["items"][0]["id"]
    budi_sessions = client.get("/api/me/sessions", headers=auth(budi)).json()
    assert budi_sessions["total"] == 1 and budi_sessions["items"][0]["current"] is True
    budi_id = budi_sessions["items"][0]["id"]
    assert budi_id not in {s["id"] for s in listed["items"]}

    other = client.delete(f"/api/me/sessions/{budi_id}", headers=auth(ayu_first))
    assert other.status_code == 404 and other.json()["message"] == "tidak ada sesi aktif " + str(
        budi_id
    )
    assert client.get("/api/me", headers=auth(budi)).status_code == 200

    assert client.get("/api/me", headers=auth(ayu_second)).status_code == 200
    revoked = client.delete(f"/api/me/sessions/{second_id}", headers=auth(ayu_first))
    assert revoked.status_code == 204
    after = client.get("/api/me", headers=auth(ayu_second))
    assert after.status_code == 401 and after.json()["status"] == "error"
    assert client.get("/api/me", headers=auth(ayu_first)).status_code == 200
    assert client.get("/api/me/sessions", headers=auth(ayu_first)).json()["total"] == 1
    again = client.delete(f"/api/me/sessions/{second_id}", headers=auth(ayu_first))
    assert again.status_code == 404

    assert actions(client, auth(ayu_first)) == [
        "session_revoked",
        "sign_in",
        "sign_in",
        "registered",
    ]
    event = client.get("/api/me/audit?limit=1", headers=auth(ayu_first)).json()
    assert event["total"] == 4 and event["limit"] == 1
    assert event["items"][0]["detail"] == {"session": second_id}
    assert event["items"][0]["outcome"] == "ok" and event["items"][0]["address"] == "testclient"
    assert actions(client, auth(budi)) == ["sign_in", "registered"]


def test_two_factor_on_sign_in_with_a_code_new_codes_and_off(client: TestClient) -> None:
    register(client, "ayu@example.com")
    headers = in_english(client, bearer(client, "ayu@example.com"))
    status = client.get("/api/me/two-factor", headers=headers).json()
    assert status == {"enabled": False, "enabled_at": None, "recovery_codes_left": 0}
    begun = client.post("/api/me/two-factor", headers=headers).json()
    assert begun["uri"].startswith("otpauth://totp/tradeloop:ayu%40example.com?secret=")
    totp = pyotp.TOTP(begun["secret"])

    wrong = client.post("/api/me/two-factor/confirm", json={"code": "000000"}, headers=headers)
    assert wrong.status_code == 422
    assert wrong.json()["message"] == "wrong or already used two-factor code"
    assert wrong.json()["details"] == [{"field": "code"}]
    confirmed = client.post(
        "/api/me/two-factor/confirm", json={"code": totp.now()}, headers=headers
    )
    assert confirmed.status_code == 200, confirmed.text
    codes = confirmed.json()["recovery_codes"]
    assert len(codes) == 10
    assert client.get("/api/me/two-factor", headers=headers).json()["recovery_codes_left"] == 10
    twice = client.post("/api/me/two-factor", headers=headers)
    assert (
        twice.status_code == 409 and twice.json()["message"] == "two-factor sign-in is already on"
    )

    without = client.post(
        "/api/auth/token", data={"username": "ayu@example.com", "password": PASSWORD}
    )
    assert without.status_code == 401
    with_code = tokens(client, "ayu@example.com", otp=totp.at(time.time() + 30))
    assert client.get("/api/me", headers=auth(with_code)).status_code == 200
    with_recovery = tokens(client, "ayu@example.com", otp=codes[0])
    assert client.get("/api/me", headers=auth(with_recovery)).status_code == 200
    reused = client.post(
        "/api/auth/token",
        data={"username": "ayu@example.com", "password": PASSWORD, "otp": codes[0]},
    )
    assert reused.status_code == 401

    renewed = client.post(
        "/api/me/two-factor/recovery-codes", json={"code": codes[1]}, headers=headers
    )
    assert renewed.status_code == 200 and len(renewed.json()["recovery_codes"]) == 10
    new = renewed.json()["recovery_codes"]
    off = {"password": "not the password", "code": new[0]}
    refused = client.request("DELETE", "/api/me/two-factor", json=off, headers=headers)
    assert refused.status_code == 422 and refused.json()["details"] == [{"field": "password"}]
    off = {"password": PASSWORD, "code": new[0]}
    assert (
        client.request("DELETE", "/api/me/two-factor", json=off, headers=headers).status_code == 204
    )
    assert client.get("/api/me/two-factor", headers=headers).json()["enabled"] is False
    assert tokens(client, "ayu@example.com")  # the password alone again
    assert actions(client, headers)[:5] == [
        "sign_in",
        "two_factor_disabled",
        "recovery_codes_renewed",
        "two_factor_failed",  # the reused recovery code
        "sign_in",
    ]
    assert "two_factor_enabled" in actions(client, headers)
    with client.app.state.engine.connect() as connection:
        row = connection.execute(text("SELECT totp_secret FROM users")).one()
        assert row[0] is None


def test_wrong_codes_are_limited_per_user(client: TestClient) -> None:
    register(client, "ayu@example.com")
    register(client, "budi@example.com")
    ayu = in_english(client, bearer(client, "ayu@example.com"))
    budi = bearer(client, "budi@example.com")
    ayu_id, budi_id = (client.get("/api/me", headers=h).json()["id"] for h in (ayu, budi))
    secret = client.post("/api/me/two-factor", headers=ayu).json()["secret"]
    client.post("/api/me/two-factor", headers=budi)
    for _ in range(5):
        response = client.post("/api/me/two-factor/confirm", json={"code": "000000"}, headers=ayu)
        assert response.status_code == 422
    key = f"two-factor:user:{ayu_id}"
    query = select(Throttle.hits, Throttle.window_start, Throttle.blocked_until)
    with client.app.state.engine.begin() as connection:
        hits, last, blocked = connection.execute(query.where(Throttle.key == key)).one()
        assert hits == 5 and blocked - last == timedelta(seconds=1)  # then 2 s, 4 s …
        later = datetime.now(UTC) + timedelta(seconds=60)  # as after the 11th wrong code
        connection.execute(update(Throttle).where(Throttle.key == key).values(blocked_until=later))
    right = pyotp.TOTP(secret).now()
    limited = client.post("/api/me/two-factor/confirm", json={"code": right}, headers=ayu)
    assert limited.status_code == 429, limited.text  # a right code waits too
    assert limited.headers["retry-after"] == "60"
    assert limited.json()["message"] == "too many two-factor codes tried: try again in 60 s"
    other = client.post("/api/me/two-factor/confirm", json={"code": "000000"}, headers=budi)
    assert other.status_code == 422  # another user is not held up
    with client.app.state.engine.begin() as connection:
        connection.execute(update(Throttle).where(Throttle.key == key).values(blocked_until=None))
    confirmed = client.post("/api/me/two-factor/confirm", json={"code": right}, headers=ayu)
    assert confirmed.status_code == 200
    with client.app.state.engine.connect() as connection:
        keys = connection.execute(text("SELECT key FROM throttles ORDER BY key")).scalars().all()
    assert [k for k in keys if k.startswith("two-factor:")] == [f"two-factor:user:{budi_id}"]


def test_token_route_limits_and_audits_wrong_codes(client: TestClient) -> None:
    register(client, "ayu@example.com")
    ayu = in_english(client, bearer(client, "ayu@example.com"))
    ayu_id = client.get("/api/me", headers=ayu).json()["id"]
    secret = client.post("/api/me/two-factor", headers=ayu).json()["secret"]
    confirm = {"code": pyotp.TOTP(secret).now()}
    assert client.post("/api/me/two-factor/confirm", json=confirm, headers=ayu).status_code == 200
    guess = {"username": "ayu@example.com", "password": PASSWORD, "otp": "000000"}
    for _ in range(5):  # the password is right: only the code is guessed
        assert client.post("/api/auth/token", data=guess).status_code == 401
    key = f"two-factor:user:{ayu_id}"
    later = datetime.now(UTC) + timedelta(seconds=60)
    with client.app.state.engine.begin() as connection:
        hits = connection.execute(select(Throttle.hits).where(Throttle.key == key)).scalar()
        connection.execute(update(Throttle).where(Throttle.key == key).values(blocked_until=later))
    assert hits == 5
    right = {**guess, "otp": pyotp.TOTP(secret).at(time.time() + 30)}
    limited = client.post("/api/auth/token", data=right)
    assert limited.status_code == 429 and 58 <= int(limited.headers["retry-after"]) <= 60
    assert actions(client, ayu).count("two_factor_failed") == 5
