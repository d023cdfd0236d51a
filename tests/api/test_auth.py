"""Accounts over the API: register, tokens, profile, password, deletion, and bad input."""

from __future__ import annotations

import jwt
import pytest
from fastapi.testclient import TestClient

from tests.conftest import PASSWORD, bearer, register
from tradeloop.security import verify_password


def users_in_db(client: TestClient) -> list[str]:
    from sqlalchemy import text

    with client.app.state.engine.connect() as connection:
        return [row[0] for row in connection.execute(text("SELECT email FROM users ORDER BY id"))]


def assert_envelope(response, status: int, message_part: str) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["status"] == "error"
    assert message_part in body["message"], body["message"]
    assert isinstance(body["details"], list)
    return body


def test_register_creates_an_argon2id_account_with_normalised_email(client: TestClient) -> None:
    user = register(client, "  Ayu@Example.COM ", name="Ayu")
    assert user["email"] == "ayu@example.com"
    assert user["language"] == "id" and user["timezone"] == "UTC"
    assert "password" not in str(user) and "hash" not in str(user)
    from sqlalchemy import text

    with client.app.state.engine.connect() as connection:
        stored = connection.execute(text("SELECT password_hash FROM users")).scalar()
    assert stored.startswith("$argon2id$") and verify_password(stored, PASSWORD)


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        (
            {"name": "A", "email": "not-an-email", "password": PASSWORD},
            422,
            "Email: bukan alamat email yang valid",
        ),
        (
            {"name": "A", "email": "a@example.com", "password": "short9char"[:9]},
            422,
            "Kata sandi: minimal 10 karakter",
        ),
        ({"email": "a@example.com", "password": PASSWORD}, 422, "Nama: wajib diisi"),
        (
            {"name": "   ", "email": "a@example.com", "password": PASSWORD},
            422,
            "Nama: minimal 1 karakter",
        ),
        (
            {"name": "A", "email": "a@example.com", "password": PASSWORD, "timezone": "Mars/Base"},
            422,
            "Zona waktu: zona waktu 'Mars/Base' tidak dikenal",
        ),
        (
            {"name": "A", "email": "a@example.com", "password": PASSWORD, "language": "fr"},
            422,
            "Bahasa: harus salah satu dari 'id' atau 'en'",
        ),
        (
            {"name": "A", "email": "a@example.com", "password": PASSWORD, "is_admin": True},
            422,
            "is_admin: bukan isian yang diterima di sini",
        ),
    ],
)
def test_bad_registrations_get_the_envelope_and_write_nothing(
    client: TestClient, body: dict, status: int, message: str
) -> None:
    result = assert_envelope(client.post("/api/auth/register", json=body), status, message)
    assert result["details"] and "field" in result["details"][0]
    assert users_in_db(client) == []


def test_duplicate_email_is_409_and_keeps_the_first_account(client: TestClient) -> None:
    register(client, "ayu@example.com", name="First")
    body = {"name": "Second", "email": "AYU@example.com", "password": "another password"}
    assert_envelope(client.post("/api/auth/register", json=body), 409, "sudah ada akun")
    assert users_in_db(client) == ["ayu@example.com"]
    assert (
        client.get("/api/me", headers=bearer(client, "ayu@example.com")).json()["name"] == "First"
    )


def test_malformed_json_body_is_422(client: TestClient) -> None:
    response = client.post(
        "/api/auth/register", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert_envelope(response, 422, "isian tidak valid: bukan JSON yang valid")
    assert users_in_db(client) == []


def test_oversized_body_is_413_before_anything_is_written(client: TestClient) -> None:
    body = {"name": "A" * 2_000_000, "email": "a@example.com", "password": PASSWORD}
    result = assert_envelope(
        client.post("/api/auth/register", json=body), 413, "terlalu besar: batasnya 1.0 MB"
    )
    assert result["details"] == [{"limit_bytes": 1_048_576}]
    assert users_in_db(client) == []


def test_token_works_for_the_api_and_expires_in_thirty_minutes(client: TestClient) -> None:
    register(client, "ayu@example.com")
    response = client.post(
        "/api/auth/token", data={"username": "ayu@example.com", "password": PASSWORD}
    )
    token = response.json()
    assert token["token_type"] == "bearer" and token["expires_in"] == 1800
    claims = jwt.decode(token["access_token"], options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == 1800
    me = client.get("/api/me", headers={"Authorization": f"Bearer {token['access_token']}"})
    assert me.json()["email"] == "ayu@example.com"


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("Bearer not.a.jwt", "token keliru atau tidak valid"),
        ("Bearer ", "header Authorization keliru"),
        ("Basic dXNlcjpwYXNz", "header Authorization keliru"),
        (
            "Bearer "
            + jwt.encode({"sub": "1", "kind": "access", "exp": 9999999999}, "guessed-secret-" * 4),
            "token keliru atau tidak valid",
        ),
        (
            "Bearer " + jwt.encode({"sub": "1", "kind": "access", "exp": 1}, "x" * 32),
            "tidak valid",
        ),
    ],
)
def test_bad_tokens_are_401(client: TestClient, header: str, message: str) -> None:
    register(client, "ayu@example.com")
    assert_envelope(client.get("/api/me", headers={"Authorization": header}), 401, message)


def test_no_credentials_is_401(client: TestClient) -> None:
    assert_envelope(client.get("/api/me"), 401, "belum masuk")


def test_wrong_password_is_401_and_five_failures_in_a_minute_are_429(client: TestClient) -> None:
    register(client, "ayu@example.com")
    register(client, "budi@example.com")
    for _ in range(5):
        response = client.post(
            "/api/auth/token", data={"username": "ayu@example.com", "password": "wrong one!"}
        )
        assert_envelope(response, 401, "email atau kata sandi salah")
    limited = client.post(
        "/api/auth/token", data={"username": "AYU@example.com", "password": PASSWORD}
    )
    assert_envelope(limited, 429, "terlalu banyak percobaan masuk yang gagal")
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
    bearer(client, "budi@example.com")  # other emails are unaffected


def test_unknown_email_is_the_same_401(client: TestClient) -> None:
    response = client.post(
        "/api/auth/token", data={"username": "ghost@example.com", "password": PASSWORD}
    )
    assert_envelope(response, 401, "email atau kata sandi salah")


def test_token_form_needs_both_fields(client: TestClient) -> None:
    assert_envelope(
        client.post("/api/auth/token", data={"username": "a@example.com"}),
        422,
        "Kata sandi: wajib diisi",
    )


def test_profile_update_and_bad_values(client: TestClient) -> None:
    register(client, "ayu@example.com")
    headers = bearer(client, "ayu@example.com")
    changed = client.patch(
        "/api/me",
        json={"name": "Ayu S.", "language": "en", "timezone": "Asia/Jakarta"},
        headers=headers,
    )
    assert changed.status_code == 200
    assert {k: changed.json()[k] for k in ("name", "language", "timezone")} == {
        "name": "Ayu S.",
        "language": "en",
        "timezone": "Asia/Jakarta",
    }
    assert_envelope(
        client.patch("/api/me", json={"timezone": "Nowhere"}, headers=headers),
        422,
        "unknown time zone 'Nowhere'",  # the user chose English just before
    )
    assert_envelope(
        client.patch("/api/me", json={"email": "x@example.com"}, headers=headers),
        422,
        "Email: is not a field this form accepts",
    )
    assert client.get("/api/me", headers=headers).json()["timezone"] == "Asia/Jakarta"


def test_password_change_revokes_earlier_tokens(client: TestClient) -> None:
    register(client, "ayu@example.com")
    old = bearer(client, "ayu@example.com")
    wrong = client.post(
        "/api/me/password",
        json={"current_password": "nope nope nope", "new_password": "brand new password"},
        headers=old,
    )
    assert_envelope(wrong, 422, "kata sandi sekarang salah")
    short = client.post(
        "/api/me/password",
        json={"current_password": PASSWORD, "new_password": "short"},
        headers=old,
    )
    assert_envelope(short, 422, "Kata sandi baru: minimal 10 karakter")
    ok = client.post(
        "/api/me/password",
        json={"current_password": PASSWORD, "new_password": "brand new password"},
        headers=old,
    )
    assert ok.status_code == 204
    assert_envelope(client.get("/api/me", headers=old), 401, "sesi tidak berlaku lagi")
    new = bearer(client, "ayu@example.com", "brand new password")
    assert client.get("/api/me", headers=new).status_code == 200


def test_account_deletion_needs_the_password_and_removes_all_data(client: TestClient) -> None:
    register(client, "ayu@example.com")
    register(client, "budi@example.com")
    headers = bearer(client, "ayu@example.com")
    client.post(
        "/api/bots",
        json={"name": "b", "market": "EURUSD", "strategy": "ma_crossover"},
        headers=headers,
    )
    assert_envelope(
        client.request("DELETE", "/api/me", json={"password": "wrong password"}, headers=headers),
        422,
        "akun tidak dihapus",
    )
    assert users_in_db(client) == ["ayu@example.com", "budi@example.com"]
    assert (
        client.request(
            "DELETE", "/api/me", json={"password": PASSWORD}, headers=headers
        ).status_code
        == 204
    )
    assert users_in_db(client) == ["budi@example.com"]
    from sqlalchemy import text

    with client.app.state.engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM bots")).scalar() == 0
        assert connection.execute(text("SELECT count(*) FROM trade_history")).scalar() == 0
    assert_envelope(client.get("/api/me", headers=headers), 401, "sesi tidak berlaku lagi")


def test_health_needs_no_auth_and_reports_the_database(client: TestClient) -> None:
    response = client.get("/api/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "version": "0.1.0", "database": True}


def test_unknown_api_path_and_method_get_the_envelope(client: TestClient) -> None:
    assert_envelope(client.get("/api/nothing-here"), 404, "tidak ditemukan: /api/nothing-here")
    assert_envelope(client.put("/api/health"), 405, "metode PUT tidak diizinkan")
    english = {"Accept-Language": "en-GB,en;q=0.9,id;q=0.5"}  # nobody signed in, no cookie
    assert_envelope(client.get("/api/nothing", headers=english), 404, "not found: /api/nothing")


def test_openapi_docs_are_served_without_a_cdn(client: TestClient) -> None:
    docs = client.get("/api/docs")
    assert docs.status_code == 200
    assert "/api/docs-assets/swagger-ui-bundle.js" in docs.text and "cdn." not in docs.text
    assert client.get("/api/docs-assets/swagger-ui-bundle.js").status_code == 200
    spec = client.get("/api/openapi.json").json()
    assert "/api/auth/token" in spec["paths"] and "/api/bots/{bot_id}" in spec["paths"]


def test_an_overlong_time_zone_is_422_not_500(client: TestClient) -> None:
    body = {"name": "Z", "email": "zone@example.com", "password": PASSWORD, "timezone": "A/" * 200}
    response = client.post("/api/auth/register", json=body)
    assert response.status_code == 422
    assert "zona waktu 'A/A/" in response.json()["message"]
    assert len(response.json()["message"]) < 300  # the value is cut, not echoed whole
