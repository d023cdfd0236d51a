"""The audit's own checks can fail: the partial-write counter sees a planted row and file, a
section that misses a goal fails ``python -m audits``, the importers' check counts a crash."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine

from audits import __main__ as audit_main
from audits.audit_inputs import MUTATIONS, Tally, _direct, fixtures
from audits.report import Section
from audits.writes import Counter, partial_writes
from tests.conftest import PASSWORD, bearer, register
from tradeloop.app import create_app
from tradeloop.config import Settings
from tradeloop.market.errors import DataError
from tradeloop.store import migrate
from tradeloop.store.db import make_engine


def test_partial_write_checker_finds_a_planted_row_and_file(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    engine = make_engine(settings.effective_database_url)
    migrate.upgrade(engine)
    engine.dispose()
    with TestClient(create_app(settings)) as client:
        register(client, "ayu@example.com")
        counter = Counter(create_engine(settings.effective_database_url), settings.data_dir)
        before = counter.snapshot()
        # a refused sign-in writes only what it may (limits, audit log): no partial write
        client.post("/api/auth/token", data={"username": "ayu@example.com", "password": "x"})
        assert partial_writes(before, counter.snapshot()) == []
        headers = bearer(client, "ayu@example.com", PASSWORD)
        created = client.post(
            "/api/journal/goals",
            headers=headers,
            json={"name": "Stops", "mistakes": ["no_stop_loss"], "target": 3},
        )
        assert created.status_code == 201
        (settings.data_dir / "upload-leftover.csv").write_bytes(b"x")
        assert partial_writes(before, counter.snapshot()) == [
            "habit_goals: 0 → 1 rows",
            "new file upload-leftover.csv",
        ]
        counter.engine.dispose()


def test_a_missed_goal_fails_the_audit_and_a_met_one_passes(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def section(errors: int) -> list[Section]:
        found = Section("planted")
        found.at_least("requests sent", 10_000, 10_000)
        found.at_most("server errors (5xx)", errors)
        return [found]

    monkeypatch.setattr(audit_main, "SECTIONS", {"ok": lambda pg: section(0),
                                                 "bad": lambda pg: section(1)})  # fmt: skip
    assert audit_main.main(["ok"]) == 0
    assert audit_main.main(["ok", "bad"]) == 1
    assert "missed: planted" in capsys.readouterr().out
    assert audit_main.main(["nonsense"]) == 2


def test_a_section_that_cannot_run_misses_its_goal(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(pg: bool) -> list[Section]:
        raise RuntimeError("server did not start")

    monkeypatch.setattr(audit_main, "SECTIONS", {"broken": broken})
    assert audit_main.main([]) == 1


def test_the_importers_check_counts_crashes_not_user_errors() -> None:
    tally = Tally()

    def reader(data: bytes) -> None:
        if data == b"refused":
            raise DataError("not bars")
        if data == b"crash":
            raise KeyError("column")

    check = _direct("reader", reader, tally)
    for data in (b"fine", b"refused", b"crash"):
        check(("fixture.csv", data, "cut"))
    assert (tally.tried, dict(tally.statuses)) == (3, {"read": 1, "refused": 1, "crash": 1})
    assert len(tally.errors) == 1 and tally.errors[0].startswith("reader: KeyError")


def test_fixtures_come_from_the_tests_and_mutations_change_them() -> None:
    files = fixtures(None)
    assert len(files["journal"]) == 14 and len(files["bars"]) == 2
    assert all(data for _, data in files["journal"] + files["bars"])
    assert {m.__name__ for m in MUTATIONS} >= {"_cut", "_flip", "_bom", "_utf16", "_nul",
                                               "_huge", "_formula"}  # fmt: skip
