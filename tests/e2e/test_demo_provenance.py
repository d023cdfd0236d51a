"""Every row `make run` puts in the demo account points to what produced it: the import of a
generated export, a backtest of generated bars, the mentor on the days they made, a bot's
creation, or the start of the paper bot on those generated bars; nothing else is stored and
no notification tells of something that did not happen."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from tests.e2e.conftest import DEMO_AS_LOADED
from tradeloop.services.demo import DEMO_BACKTEST_PERIODS, DEMO_PAPER_BOT, JOURNAL_FILE
from tradeloop.store.models import Base

# rows made by a feature the demo runs, each checked below; every other table stays empty
PRODUCED = {
    "users",
    "bots",
    "trade_history",
    "journal_imports",
    "trading_sessions",
    "ai_mentor_reports",
    "datasets",
    "backtest_results",
    "audit_events",
}


def _rows(database: Path, table: str) -> list[dict]:
    with sqlite3.connect(database) as connection:
        connection.row_factory = sqlite3.Row
        return [dict(row) for row in connection.execute(f'SELECT * FROM "{table}"')]


def test_no_demo_row_lacks_provenance(demo_output) -> None:
    data, _, _ = demo_output
    database = data / DEMO_AS_LOADED  # before the tests sharing its server add their rows
    for table in Base.metadata.tables:
        if table not in PRODUCED:
            assert _rows(database, table) == [], f"{table} holds rows no demo feature made"

    (user,) = _rows(database, "users")
    assert user["email"] == "demo@tradeloop.app"
    audited = _rows(database, "audit_events")  # the demo's account and its paper bot's start
    assert {(e["user_id"], e["action"]) for e in audited} <= {
        (user["id"], "registered"), (user["id"], "bot_started"),
    }  # fmt: skip
    assert any(e["action"] == "bot_started" for e in audited)

    (imported,) = _rows(database, "journal_imports")
    assert (imported["file_name"], imported["kind"]) == (JOURNAL_FILE, "live")
    assert imported["trades"] == 120 and imported["rows"] > 0

    sessions = _rows(database, "trading_sessions")
    assert sessions and all(s["total_trades"] > 0 for s in sessions)  # days the import made
    assert sum(s["total_trades"] for s in sessions) == imported["trades"]
    session_ids = {s["id"] for s in sessions}
    reports = _rows(database, "ai_mentor_reports")
    assert reports and all(r["session_id"] in session_ids for r in reports)

    datasets = _rows(database, "datasets")
    results = _rows(database, "backtest_results")
    assert len(results) == len(DEMO_BACKTEST_PERIODS)
    assert {r["dataset_id"] for r in results} == {d["id"] for d in datasets}
    for result in results:
        assert result["total_trades"] == len(json.loads(result["trade_log"]))

    bots = _rows(database, "bots")
    events = _rows(database, "trade_history")
    (paper,) = [b for b in bots if b["status"] != "paused"]  # only the paper bot was started …
    assert paper["name"] == DEMO_PAPER_BOT["name"] and paper["status"] == "starting"
    assert json.loads(paper["feed"]) == {"dataset_id": datasets[0]["id"], "seconds_per_bar": 1.0}
    assert sorted((e["bot_id"], e["action"]) for e in events) == sorted(
        [(b["id"], "BOT_CREATED") for b in bots] + [(paper["id"], "BOT_STARTED")]
    )  # … and has not traded yet: no fill, no account, nothing notified
    assert [e for e in events if e["is_notification"]] == []
