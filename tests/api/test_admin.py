"""Roles and the audit log: the first admin comes from the CLI; admins manage accounts and read
every user's audit events and the install's health, never another user's trading data."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from tests.conftest import PASSWORD, bearer, register
from tradeloop.app import create_app
from tradeloop.cli.main import main
from tradeloop.config import Settings


@pytest.fixture
def admin_client(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> TestClient:
    """The app, with ``root@example.com`` made an admin by ``tradeloop user create --admin``."""
    monkeypatch.setenv("TRADELOOP_DATA_DIR", str(Path(settings.data_dir)))
    monkeypatch.setenv("TRADELOOP_DATABASE_URL", settings.effective_database_url)
    argv = ["user", "create", "root@example.com", "--name", "Root", "--password", PASSWORD]
    assert main([*argv, "--admin"]) == 0
    assert capsys.readouterr().out.startswith("created admin ")
    assert main(["user", "list"]) == 0
    assert "admin" in capsys.readouterr().out
    return TestClient(create_app(settings), base_url="http://127.0.0.1")


def test_admins_manage_accounts_and_read_the_audit_but_not_trading_data(
    admin_client: TestClient,
) -> None:
    with admin_client as client:
        ayu = register(client, "ayu@example.com", name="Ayu")
        ayu_headers = bearer(client, "ayu@example.com")
        client.post("/api/auth/token", data={"username": "ayu@example.com", "password": "no!"})
        admin = bearer(client, "root@example.com")
        # a user is refused every admin route
        for method, path in [
            ("GET", "/api/admin/users"),
            ("GET", "/api/admin/audit"),
            ("GET", "/api/admin/health"),
            ("DELETE", f"/api/admin/users/{ayu['id']}"),
        ]:
            refused = client.request(method, path, headers=ayu_headers)
            assert (
                refused.status_code == 403 and refused.json()["message"] == "khusus administrator"
            )
        accounts = client.get("/api/admin/users", headers=admin).json()
        assert [(a["email"], a["role"]) for a in accounts["items"]] == [
            ("root@example.com", "admin"),
            ("ayu@example.com", "user"),
        ]
        assert set(accounts["items"][1]) == {
            "id", "email", "name", "role", "language", "join_date", "two_factor",
        }  # fmt: skip
        events = client.get("/api/admin/audit", params={"user_id": ayu["id"]}, headers=admin).json()
        actions = [(e["action"], e["outcome"]) for e in events["items"]]
        assert actions == [("sign_in_failed", "failed"), ("sign_in", "ok"), ("registered", "ok")]
        failed = client.get("/api/admin/audit", params={"outcome": "failed"}, headers=admin)
        assert failed.json()["total"] == 1
        health = client.get("/api/admin/health", headers=admin).json()
        assert health["database"] is True and health["bots"]["running"] == 0
        # an admin cannot read a user's trading data through the user routes: 404 as anyone
        assert client.get("/api/journal/imports", headers=admin).json()["total"] == 0
        # roles: not one's own; then the account is deleted, which is audited
        own = client.patch(f"/api/admin/users/{accounts['items'][0]['id']}",
                           json={"role": "user"}, headers=admin)  # fmt: skip
        assert own.status_code == 422
        promoted = client.patch(
            f"/api/admin/users/{ayu['id']}", json={"role": "admin"}, headers=admin
        )
        assert promoted.json()["role"] == "admin"
        assert client.delete(f"/api/admin/users/{ayu['id']}", headers=admin).status_code == 204
        assert client.get("/api/me", headers=ayu_headers).status_code == 401
        gone = client.get("/api/admin/audit", params={"action": "account_deleted"}, headers=admin)
        assert gone.json()["items"][0]["detail"] == {"user": ayu["id"], "by": 1}
        with client.app.state.engine.connect() as connection:
            kept = connection.execute(text("SELECT count(*) FROM audit_events WHERE user_id = :u"),
                                      {"u": ayu["id"]}).scalar()  # fmt: skip
        assert kept == 0  # the deleted user's own events went with the account


def test_users_read_their_own_sign_ins_and_password_changes(client: TestClient) -> None:
    register(client, "ayu@example.com")
    register(client, "budi@example.com")
    headers = bearer(client, "ayu@example.com")
    bearer(client, "budi@example.com")
    change = client.post(
        "/api/me/password",
        json={"current_password": PASSWORD, "new_password": "another long one"},
        headers=headers,
    )
    assert change.status_code == 204
    headers = bearer(client, "ayu@example.com", "another long one")
    mine = client.get("/api/me/audit", headers=headers).json()
    assert [e["action"] for e in mine["items"]] == [
        "sign_in", "password_changed", "sign_in", "registered",
    ]  # fmt: skip
