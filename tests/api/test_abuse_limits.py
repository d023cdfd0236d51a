"""Abuse limits, sessions and their headers: sign-in slows strangers but not the owner's
browser; hourly limits on registration, uploads, backtests and the mentor; 429 with
Retry-After and the security headers; the client address behind trusted proxies only."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from tests.conftest import PASSWORD, bearer, register
from tradeloop.app import create_app
from tradeloop.config import Settings

WRONG = {"username": "ayu@example.com", "password": "not the password"}


def _client(settings: Settings, **changes: object) -> TestClient:
    """A client of the app with ``changes`` to its settings, connecting from 127.0.0.1."""
    app = create_app(settings.model_copy(update=changes))
    return TestClient(app, base_url="http://127.0.0.1", client=("127.0.0.1", 50000))


@pytest.fixture(autouse=True)
def stopped_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """Limits count at a fixed moment: waits do not run out while a slow password check runs."""
    moment = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
    monkeypatch.setattr("tradeloop.services.limits.clock", lambda: moment)


@pytest.fixture
def proxied(settings: Settings) -> Iterator[TestClient]:
    """The app behind a trusted proxy (the test client's address) with low hourly limits."""
    with _client(
        settings,
        trusted_proxies=["127.0.0.0/8"],
        limit_registrations_per_hour=3,
        limit_uploads_per_hour=2,
        limit_address_factor=2,
    ) as client:
        yield client


def _from(address: str) -> dict[str, str]:
    return {"X-Forwarded-For": address}


def _audit(client: TestClient) -> list[tuple]:
    with client.app.state.engine.connect() as connection:
        return list(
            connection.execute(
                text("SELECT user_id, action, outcome, address FROM audit_events ORDER BY id")
            )
        )


def _browser_sign_in(client: TestClient, email: str, password: str = PASSWORD) -> object:
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    return client.post(
        "/login",
        data={"csrf_token": token, "email": email, "password": password, "next": "/"},
        follow_redirects=False,
    )


def test_strangers_wait_longer_each_time_but_the_owners_browser_signs_in(
    proxied: TestClient, settings: Settings
) -> None:
    register(proxied, "ayu@example.com")
    owner = _client(settings, trusted_proxies=["127.0.0.0/8"])
    with owner:
        owner.headers.update(_from("203.0.113.7"))
        assert _browser_sign_in(owner, "ayu@example.com").status_code == 303
        assert "tl_device" in owner.cookies
        answers = []
        for n in range(40):  # guesses from 40 addresses: the account's delay catches them
            guess = proxied.post("/api/auth/token", data=WRONG, headers=_from(f"198.51.100.{n}"))
            answers.append(guess.status_code)
            if guess.status_code == 429:
                assert int(guess.headers["Retry-After"]) >= 1
                assert guess.headers["X-Content-Type-Options"] == "nosniff"
        assert answers[:5] == [401] * 5 and answers.count(429) >= 30
        # the owner's browser (device cookie) is never held back by the strangers' failures
        owner.cookies.delete("tl_session")
        assert _browser_sign_in(owner, "ayu@example.com").status_code == 303
        # without the device cookie, the account's delay applies to anyone
        stranger = proxied.post(
            "/api/auth/token",
            data={"username": "ayu@example.com", "password": PASSWORD},
            headers=_from("192.0.2.1"),
        )
        assert stranger.status_code == 429
    failures = [row for row in _audit(proxied) if row[1] == "sign_in_failed"]
    assert len(failures) == answers.count(401)
    assert failures[0][0] is not None and failures[0][2:] == ("failed", "198.51.100.0")


def test_one_address_guessing_many_accounts_is_slowed(proxied: TestClient) -> None:
    statuses = []
    for n in range(14):  # 5 free failures x factor 2 = 10 from one address, then waits
        response = proxied.post(
            "/api/auth/token",
            data={"username": f"user{n}@example.com", "password": "nope nope nope"},
            headers=_from("198.51.100.99"),
        )
        statuses.append(response.status_code)
    assert statuses[:10] == [401] * 10 and statuses[10] == 429
    other = proxied.post("/api/auth/token", data=WRONG, headers=_from("198.51.100.98"))
    assert other.status_code == 401


def test_forwarded_for_is_ignored_unless_the_peer_is_a_trusted_proxy(client: TestClient) -> None:
    register(client, "ayu@example.com")
    for n in range(6):
        client.post("/api/auth/token", data=WRONG, headers=_from(f"198.51.100.{n}"))
    addresses = {row[3] for row in _audit(client) if row[1] == "sign_in_failed"}
    assert addresses == {"testclient"}  # the connection's address, not the header's


def test_registrations_per_address_per_hour(proxied: TestClient) -> None:
    for n in range(3):
        register_from = proxied.post(
            "/api/auth/register",
            json={"name": "A", "email": f"a{n}@example.com", "password": PASSWORD},
            headers=_from("198.51.100.5"),
        )
        assert register_from.status_code == 201
    refused = proxied.post(
        "/api/auth/register",
        json={"name": "A", "email": "a9@example.com", "password": PASSWORD},
        headers=_from("198.51.100.5"),
    )
    assert refused.status_code == 429
    assert 3590 <= int(refused.headers["Retry-After"]) <= 3600
    assert refused.headers["Content-Security-Policy"].startswith("default-src 'self'")
    assert "terlalu banyak" in refused.json()["message"]
    elsewhere = proxied.post(
        "/api/auth/register",
        json={"name": "A", "email": "a9@example.com", "password": PASSWORD},
        headers=_from("198.51.100.6"),
    )
    assert elsewhere.status_code == 201
    with proxied.app.state.engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM users")).scalar() == 4


def test_uploads_per_user_per_hour_then_429_and_nothing_stored(proxied: TestClient) -> None:
    register(proxied, "ayu@example.com")
    headers = bearer(proxied, "ayu@example.com")
    codes = []
    for n in range(3):  # three different files
        rows = f"2024-01-01 00:00,1,2,0.5,1.{n}\n2024-01-01 01:00,1,2,0.5,1.5\n"
        bars = f"time,open,high,low,close\n{rows}".encode()
        response = proxied.post(
            "/api/datasets",
            files={"file": (f"bars{n}.csv", bars, "text/csv")},
            data={"symbol": "EURUSD"},
            headers=headers,
        )
        codes.append(response.status_code)
    assert codes == [201, 201, 429]
    with proxied.app.state.engine.connect() as connection:
        stored = connection.execute(text("SELECT count(*) FROM datasets")).scalar()
    assert stored == sum(1 for code in codes if code == 201)


def test_sessions_are_rows_a_revoked_token_stops_at_once(client: TestClient) -> None:
    register(client, "ayu@example.com")
    first, second = bearer(client, "ayu@example.com"), bearer(client, "ayu@example.com")
    assert client.get("/api/me", headers=first).status_code == 200
    with client.app.state.engine.begin() as connection:
        rows = list(connection.execute(text("SELECT id, kind FROM user_sessions ORDER BY id")))
        assert [kind for _, kind in rows] == ["token", "token"]
        connection.execute(text("UPDATE user_sessions SET revoked_at = CURRENT_TIMESTAMP "
                                "WHERE id = :id"), {"id": rows[0][0]})  # fmt: skip
    assert client.get("/api/me", headers=first).status_code == 401
    assert client.get("/api/me", headers=second).status_code == 200


def test_sign_in_rotates_the_csrf_token_and_binds_it_to_the_session(client: TestClient) -> None:
    register(client, "ayu@example.com")
    client.get("/login")
    before = client.cookies["tl_csrf"]
    assert _browser_sign_in(client, "ayu@example.com").status_code == 303
    after = client.cookies["tl_csrf"]
    assert after != before
    # the token planted before sign-in no longer passes a signed-in write
    client.cookies.set("tl_csrf", before)
    planted = client.patch("/api/me", json={"name": "X"}, headers={"X-CSRF-Token": before})
    assert planted.status_code == 403
    client.cookies.set("tl_csrf", after)
    bound = client.patch("/api/me", json={"name": "Ayu"}, headers={"X-CSRF-Token": after})
    assert bound.status_code == 200


def test_oversized_body_answers_413_with_the_security_headers(client: TestClient) -> None:
    response = client.post(
        "/api/auth/register", content=b"x" * 2_000_000, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "Strict-Transport-Security" not in response.headers  # plain HTTP, cookies not Secure


def test_hsts_when_cookies_are_secure_or_the_request_came_over_https(settings: Settings) -> None:
    with _client(settings, secure_cookies=True) as client:
        assert client.get("/api/health").headers["Strict-Transport-Security"] == (
            "max-age=31536000; includeSubDomains"
        )
    with TestClient(create_app(settings), base_url="https://127.0.0.1") as client:
        response = client.get("/api/health")
        assert "Strict-Transport-Security" in response.headers
        client.get("/login")
        assert "secure" in response.headers.get("set-cookie", "secure").lower()
    with _client(settings, trusted_proxies=["127.0.0.0/8"]) as client:  # TLS ended at a proxy
        forwarded = client.get("/api/health", headers={"X-Forwarded-Proto": "https"})
        assert "Strict-Transport-Security" in forwarded.headers
    with _client(settings) as client:  # the same header from a client that is no proxy
        forwarded = client.get("/api/health", headers={"X-Forwarded-Proto": "https"})
        assert "Strict-Transport-Security" not in forwarded.headers


@pytest.mark.parametrize("origins", ["*", "null", "https://*.example.com", "example.com"])
def test_unsafe_cors_origins_are_refused_at_start(origins: str) -> None:
    with pytest.raises(ValueError, match="TRADELOOP_CORS_ORIGINS"):
        Settings(cors_origins=origins)


def test_listed_origins_only_no_reflection(settings: Settings) -> None:
    with _client(settings, cors_origins=["https://app.example.com"]) as client:
        allowed = client.get("/api/health", headers={"Origin": "https://app.example.com"})
        assert allowed.headers["access-control-allow-origin"] == "https://app.example.com"
        for origin in ("https://evil.example", "null"):
            other = client.get("/api/health", headers={"Origin": origin})
            assert "access-control-allow-origin" not in other.headers


def test_control_characters_in_a_sign_in_name_are_a_wrong_password_not_a_crash(
    client: TestClient,
) -> None:
    for name in ("ayu\x00@example.com", "x" * 320, "\x7f"):
        answer = client.post("/api/auth/token", data={"username": name, "password": "nope!"})
        assert answer.status_code == 401, answer.text
