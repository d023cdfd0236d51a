"""The audit's leak detector finds another user's data planted in an answer, and only that."""

from __future__ import annotations

import io
import json
import zipfile

from audits.leaks import LeakDetector

MARKER = "mkb0123456789ab"
B = LeakDetector([MARKER, f"b-{MARKER}@example.com", "t0442c8e6fa3e727845e30db3"],
                 {"bot": {7}, "dataset": {8}, "user": {3}, "trade": {"t0442c8e6fa3e727845e30db3"}})  # fmt: skip


def body(document: object) -> bytes:
    return json.dumps(document).encode()


def test_a_marker_anywhere_in_any_answer_is_a_leak() -> None:
    found = B.scan("/api/bots", 200, body({"items": [{"id": 1, "name": f"bot {MARKER}"}]}))
    assert found == [f"body: marker {MARKER}"]
    # in an error answer too, and whatever its case
    assert B.scan("/api/bots/1", 404, f"no bot {MARKER.upper()}".encode()) == [
        f"body: marker {MARKER}"
    ]


def test_a_marker_in_a_header_or_inside_a_zip_member_is_a_leak() -> None:
    headers = {"Location": f"/api/jobs/1?name={MARKER}"}
    assert B.scan("/api/jobs", 202, b"{}", headers) == [f"header Location: marker {MARKER}"]
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("notes.json", json.dumps([{"note": f"note {MARKER}"}]))
    assert B.scan("/api/me/export", 200, packed.getvalue()) == [f"zip:notes.json: marker {MARKER}"]


def test_the_other_users_ids_in_a_successful_answer_are_a_leak() -> None:
    assert B.scan("/api/backtests/1", 200, body({"id": 1, "dataset_id": 8})) == [
        "body: dataset_id=8"
    ]
    assert B.scan("/api/bots", 200, body({"items": [{"id": 7, "name": "x"}]})) == ["body: bot id=7"]
    assert B.scan("/api/journal/trades", 200, body({"items": [{"user_id": 3}]})) == [
        "body: user_id=3"
    ]


def test_own_data_and_echoed_input_are_not_leaks() -> None:
    # A's own objects (other ids), and another kind's id that happens to be 7
    assert B.scan("/api/bots", 200, body({"items": [{"id": 2, "dataset_id": 1}]})) == []
    assert B.scan("/api/bots/2/fills", 200, body({"items": [{"id": 7}]})) == []
    # a refusal that names the id the caller sent is not the other user's data
    assert B.scan("/api/backtests", 404, body({"details": [{"dataset_id": 8}]})) == []
    assert B.scan("/api/health", 200, b"not json {") == []


def test_an_accepted_answer_is_a_job_whatever_the_route() -> None:
    # POST /api/backtests/1/rerun?background=true answers its job: job 7 is not bot 7
    job = body({"id": 7, "kind": "backtest", "state": "queued"})
    assert B.scan("/api/backtests/1/rerun", 202, job) == []
    assert B.scan("/api/bots/2", 200, body({"id": 7})) == ["body: bot id=7"]
