"""``tradeloop db backup | restore | copy | prune`` and the modes of what tradeloop writes in
its data directory (checked on files made by real ``tradeloop`` processes)."""

from __future__ import annotations

import os
import re
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from tradeloop.cli.main import main
from tradeloop.store import migrate
from tradeloop.store.db import make_engine, scratch_database
from tradeloop.store.models import Base

TRADELOOP = Path(sys.executable).with_name("tradeloop")
CREATE = ["user", "create", "ayu@example.com", "--name", "Ayu", "--password", "long enough pw"]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def run(data: Path, *argv: str, umask: str = "000") -> subprocess.CompletedProcess[str]:
    """``tradeloop ARGV`` as its own process on the data dir ``data``, with a permissive umask
    (what tradeloop writes must be private whatever the umask)."""
    env = {**os.environ, "TRADELOOP_DATA_DIR": str(data)}
    env.pop("TRADELOOP_DATABASE_URL", None)
    command = f"umask {umask}; exec {TRADELOOP} " + " ".join(argv)
    done = subprocess.run(
        ["sh", "-c", command], env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    return done


def test_everything_in_a_new_data_dir_is_private(tmp_path: Path) -> None:
    data = tmp_path / "home" / "tradeloop"  # two folders to create
    run(data, "db", "upgrade")
    assert mode(data) == 0o700 and mode(tmp_path / "home") == 0o700
    assert mode(data / "tradeloop.db") == 0o600
    secret = subprocess.run(  # the secret key, as the app makes it on first start
        ["sh", "-c", f"umask 000; exec {sys.executable} -c 'from tradeloop.config import "
         "get_settings; get_settings().effective_secret_key'"],
        env={**os.environ, "TRADELOOP_DATA_DIR": str(data)}, check=True,
    )  # fmt: skip
    assert secret.returncode == 0
    run(data, "db", "backup", str(data / "nightly.backup"))
    engine = make_engine(f"sqlite:///{data / 'tradeloop.db'}")
    with engine.begin() as connection:  # an open writer keeps its -wal and -shm files
        connection.execute(
            text("INSERT INTO users (name, email, password_hash) VALUES ('A', 'a@x.io', 'x')")
        )
        made = {path.name: mode(path) for path in data.iterdir()}
    engine.dispose()
    assert made == {
        "tradeloop.db": 0o600, "tradeloop.db-wal": 0o600, "tradeloop.db-shm": 0o600,
        "secret_key": 0o600, "nightly.backup": 0o600,
    }  # fmt: skip


def test_an_existing_readable_database_is_made_private(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    sqlite3.connect(data / "tradeloop.db").close()
    os.chmod(data / "tradeloop.db", 0o644)  # as earlier versions left it
    run(data, "db", "upgrade")
    assert mode(data / "tradeloop.db") == 0o600 and mode(data) == 0o755  # the user's folder


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, db_url: str) -> str:
    monkeypatch.setenv("TRADELOOP_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("TRADELOOP_DATABASE_URL", db_url)
    return db_url


def emails(url: str) -> list[str]:
    engine = make_engine(url)
    with engine.connect() as connection:
        found = [row[0] for row in connection.execute(text("SELECT email FROM users ORDER BY id"))]
    engine.dispose()
    return found


def test_backup_and_restore(env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    kind = "sqlite" if env.startswith("sqlite") else "postgresql"
    backup = tmp_path / "tradeloop.backup"
    assert main(["db", "backup", str(backup)]) == 2  # nothing to back up yet
    assert capsys.readouterr().err == "error: the database is empty: nothing to back up\n"
    assert main(["db", "upgrade"]) == 0 and main(CREATE) == 0
    capsys.readouterr()
    assert main(["db", "backup", str(backup)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"{kind} backup of revision {migrate.HEAD} written to {backup} (")
    assert mode(backup) == 0o600
    assert main(["db", "backup", str(backup)]) == 2
    assert capsys.readouterr().err == f"error: '{backup}' exists: add --yes to replace it\n"
    assert main(["db", "backup", str(backup), "--yes"]) == 0
    assert main(["user", "delete", "ayu@example.com", "--force"]) == 0
    capsys.readouterr()
    assert main(["db", "restore", str(backup)]) == 2  # no terminal to ask on: --yes needed
    err = capsys.readouterr().err
    assert err.startswith("error: restoring replaces everything in ") and err.endswith(
        ": add --yes to confirm\n"
    )
    assert emails(env) == []  # nothing changed
    not_a_backup = tmp_path / "orders.csv"
    not_a_backup.write_text("Order ID,Timestamp\n1,2\n")
    assert main(["db", "restore", str(not_a_backup), "--yes"]) == 2
    assert capsys.readouterr().err == (
        f"error: '{not_a_backup}' is not a tradeloop backup (neither a SQLite file nor a "
        "pg_dump archive)\n"
    )
    assert emails(env) == []
    assert main(["db", "restore", str(backup), "--yes"]) == 0
    assert capsys.readouterr().out == f"restored {backup} (revision {migrate.HEAD})\n"
    assert emails(env) == ["ayu@example.com"]


def test_backup_of_postgresql_without_pg_dump_exits_2(
    pg_server_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys
) -> None:
    for url in scratch_database(pg_server_url, "tradeloop_cli"):
        monkeypatch.setenv("TRADELOOP_DATA_DIR", str(tmp_path / "data"))
        monkeypatch.setenv("TRADELOOP_DATABASE_URL", url)
        assert main(["db", "upgrade"]) == 0
        capsys.readouterr()
        monkeypatch.setenv("PATH", str(tmp_path))  # no pg_dump on it
        assert main(["db", "backup", str(tmp_path / "x.backup")]) == 2
        err = capsys.readouterr().err
        assert err.startswith("error: pg_dump is not installed: install the PostgreSQL client")
        assert len(err.splitlines()) == 1 and not (tmp_path / "x.backup").exists()


@pytest.fixture
def sqlite_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'data' / 'tradeloop.db'}"
    monkeypatch.setenv("TRADELOOP_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("TRADELOOP_DATABASE_URL", raising=False)
    return url


@pytest.fixture
def empty_pg(pg_server_url: str) -> Iterator[str]:
    yield from scratch_database(pg_server_url, "tradeloop_cli_copy")


def test_copy_to_postgresql(sqlite_env: str, empty_pg: str, capsys, monkeypatch) -> None:
    assert main(["db", "upgrade"]) == 0 and main(CREATE) == 0
    capsys.readouterr()
    assert main(["db", "copy", "--to", empty_pg, "--batch", "1"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"^ *users +1 +1 *$", out, re.M) and re.search(r"^ *bots +0 +0 *$", out, re.M)
    pairs = re.findall(r"^ *[a-z_]+ +(\d+) +(\d+) *$", out, re.M)
    assert len(pairs) == len(Base.metadata.tables) and all(a == b for a, b in pairs)
    total = sum(int(a) for a, _ in pairs)
    assert f"{total} rows in {len(pairs)} tables copied to " in out and "counts match" in out
    assert emails(empty_pg) == ["ayu@example.com"]
    monkeypatch.setenv("TRADELOOP_COPY_TO", empty_pg)  # the URL kept off the command line
    assert main(["db", "copy"]) == 2
    err = capsys.readouterr().err
    assert re.search(r"is not empty: users \(1\)(, [a-z_]+ \(\d+\))*; copy only into a new", err)
    assert err.count("\n") == 1


def test_copy_needs_a_target(sqlite_env: str, capsys) -> None:
    assert main(["db", "upgrade"]) == 0
    assert main(["db", "copy"]) == 2
    assert "Missing option '--to'" in capsys.readouterr().err


def test_prune(sqlite_env: str, capsys, monkeypatch) -> None:
    assert main(["db", "upgrade"]) == 0
    capsys.readouterr()
    assert main(["db", "prune", "--dry-run"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "deleted bots                   0", "deleted imports                0",
        "empty sessions                 0",
        "would delete 0 rows (trade history and backtests kept forever)",
    ]  # fmt: skip
    monkeypatch.setenv("TRADELOOP_RETAIN_TRADES_DAYS", "90")
    assert main(["db", "prune", "--backtests-days", "30"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split("  ")[0] for line in lines[:-1]] == [
        "deleted bots", "deleted imports", "bot events", "notifications", "backtests", "jobs",
        "empty sessions",
    ]  # fmt: skip
    assert lines[-1] == "deleted 0 rows"
    assert main(["db", "prune", "--trades-days", "-1"]) == 2
    assert "Invalid value for '--trades-days'" in capsys.readouterr().err
    monkeypatch.setenv("TRADELOOP_RETAIN_BACKTESTS_DAYS", "soon")
    assert main(["db", "prune"]) == 2
    assert "bad TRADELOOP_ setting: retain_backtests_days" in capsys.readouterr().err
