"""The command line: database, users, demo data, configuration; exit code 2 on bad input."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from sqlalchemy import text

from tradeloop.cli.main import main
from tradeloop.store import migrate
from tradeloop.store.db import make_engine


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, db_url: str) -> str:
    monkeypatch.setenv("TRADELOOP_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("TRADELOOP_DATABASE_URL", db_url)
    return db_url


def tables(url: str) -> set[str]:
    from sqlalchemy import inspect

    return set(inspect(make_engine(url)).get_table_names())


def rows(url: str, sql: str) -> list:
    with make_engine(url).connect() as connection:
        return list(connection.execute(text(sql)))


def test_db_upgrade_downgrade_and_reset(env: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["db", "upgrade"]) == 0
    assert f"database at revision {migrate.HEAD}" in capsys.readouterr().out
    assert "trading_sessions" in tables(env)
    assert (
        main(["user", "create", "ayu@example.com", "--name", "Ayu", "--password", "long enough pw"])
        == 0
    )
    assert main(["db", "reset"]) == 2
    assert "add --force to confirm" in capsys.readouterr().err
    assert rows(env, "SELECT email FROM users") == [("ayu@example.com",)]
    assert main(["db", "reset", "--force"]) == 0
    assert rows(env, "SELECT email FROM users") == []
    assert main(["db", "downgrade", "base"]) == 0
    assert tables(env) <= {"alembic_version"}
    assert main(["db", "current"]) == 0
    assert "base (empty)" in capsys.readouterr().out


def test_demo_load_prints_a_private_random_password_once(env: str, tmp_path: Path, capsys) -> None:
    main(["db", "upgrade"])
    assert main(["demo", "load"]) == 0
    out = capsys.readouterr().out
    password_file = tmp_path / "data" / "demo_password"
    password = password_file.read_text().strip()
    assert stat.S_IMODE(password_file.stat().st_mode) == 0o600
    assert len(password) >= 16 and f"password: {password}" in out and "demo@tradeloop.app" in out
    assert main(["demo", "load"]) == 0
    assert "already there" in capsys.readouterr().out
    assert rows(env, "SELECT count(*) FROM users")[0][0] == 1
    assert rows(env, "SELECT name, status FROM bots ORDER BY id") == [
        ("EURUSD Trend", "paused"), ("Gold Breakout", "paused"),
        ("EURUSD paper (synthetic replay)", "starting"),  # the served app's supervisor runs it
    ]  # fmt: skip


def test_user_create_list_delete(env: str, capsys) -> None:
    main(["db", "upgrade"])
    assert (
        main(["user", "create", "ayu@example.com", "--name", "Ayu", "--password", "long enough pw"])
        == 0
    )
    assert (
        main(["user", "create", "AYU@example.com", "--name", "Dup", "--password", "long enough pw"])
        == 2
    )
    assert capsys.readouterr().err.strip() == "error: an account with this email already exists"
    assert main(["user", "list"]) == 0
    assert "ayu@example.com" in capsys.readouterr().out
    assert main(["user", "delete", "ayu@example.com"]) == 2
    assert main(["user", "delete", "ayu@example.com", "--force"]) == 0
    assert main(["user", "delete", "ayu@example.com", "--force"]) == 2
    assert "no user with email ayu@example.com" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["serve", "--port", "abc"], "Invalid value for '--port'"),
        (["serve", "--port", "70000"], "Invalid value for '--port'"),
        (["frobnicate"], "No such command 'frobnicate'"),
        (
            ["user", "create", "not-an-email", "--name", "A", "--password", "long enough pw"],
            "email: value is not a valid email",
        ),
        (
            ["user", "create", "a@example.com", "--name", "A", "--password", "short"],
            "password: String should have at least 10",
        ),
        (["user", "list", "--limit", "0"], "Invalid value for '--limit'"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(argv, message, capsys, monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("TRADELOOP_DATA_DIR", str(tmp_path))
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1 and err.startswith("error: ")


def test_bad_environment_setting_exits_2(monkeypatch, tmp_path, capsys) -> None:
    monkeypatch.setenv("TRADELOOP_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("TRADELOOP_MAX_REQUEST_BYTES", "lots")
    assert main(["config", "show"]) == 2
    assert "bad TRADELOOP_ setting: max_request_bytes" in capsys.readouterr().err


def test_config_show_masks_secrets(monkeypatch, tmp_path, capsys) -> None:
    monkeypatch.setenv("TRADELOOP_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("TRADELOOP_SECRET_KEY", "z" * 40)
    monkeypatch.setenv("TRADELOOP_DATABASE_URL", "postgresql+psycopg://u:sekrit-pass@h/db")
    assert main(["config", "show"]) == 0
    out = capsys.readouterr().out
    assert "z" * 40 not in out and "sekrit-pass" not in out and "********" in out


def test_version_and_help(capsys) -> None:
    assert main(["version"]) == 0
    assert capsys.readouterr().out.strip() == "0.1.0"
    for command in (
        ["--help"],
        ["db", "--help"],
        ["user", "create", "--help"],
        ["serve", "--help"],
    ):
        assert main(command) == 0
        assert "Usage:" in capsys.readouterr().out


@pytest.mark.parametrize("command", [["user", "list"], ["demo", "load"], ["serve"],
                                     ["user", "delete", "ayu@example.com", "--force"]])  # fmt: skip
def test_commands_on_an_empty_database_say_to_upgrade_it(
    env: str, capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    assert main(command) == 2
    err = capsys.readouterr().err
    assert err == (
        f"error: the database is empty and this version needs revision {migrate.HEAD}: "
        "run `tradeloop db upgrade` first\n"
    )
    assert tables(env) == set()  # nothing was created behind the user's back


def test_demo_load_prints_the_address_it_will_be_served_at(env: str, capsys) -> None:
    main(["db", "upgrade"])
    assert main(["demo", "load", "--port", "8123", "--host", "192.168.1.5"]) == 0
    assert "Sign in at http://192.168.1.5:8123 with" in capsys.readouterr().out
