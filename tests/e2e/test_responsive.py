"""A real server stays responsive while uploads are parsed and backtested: another client's
requests complete before a long upload does (by the order of answers, not by a clock), hostile
files are refused by a parser limit, and a user's excess work is answered 429."""

from __future__ import annotations

import os
import subprocess
import threading
from pathlib import Path

import httpx
import numpy as np
import pandas as pd
import pytest

from tests.e2e.conftest import CLI, children, server_process
from tests.journal.helpers import export, fill
from tests.journal.test_hostile_files import xlsx_with_rows

PASSWORD = "correct horse battery"


@pytest.fixture
def running(tmp_path: Path) -> tuple[str, dict[str, str]]:
    env = {**os.environ, "TRADELOOP_DATA_DIR": str(tmp_path), "TRADELOOP_USER_JOBS": "1",
           "TRADELOOP_WORKERS": "1"}  # fmt: skip
    env.pop("TRADELOOP_DATABASE_URL", None)
    subprocess.run([*CLI, "db", "upgrade"], env=env, check=True, capture_output=True)
    with server_process(tmp_path, env) as (base, process):
        with httpx.Client(base_url=base) as http:
            http.post(
                "/api/auth/register",
                json={"name": "R", "email": "r@example.com", "password": PASSWORD},
            )
            token = http.post(
                "/api/auth/token", data={"username": "r@example.com", "password": PASSWORD}
            )
        yield base, {"Authorization": f"Bearer {token.json()['access_token']}"}, process.pid


def bars_csv(rows: int) -> bytes:
    times = pd.date_range("2000-01-03", periods=rows, freq="h")
    close = (1.1 + np.cumsum(np.random.default_rng(1).normal(0, 0.0005, rows))).round(5)
    frame = pd.DataFrame({"time": times.strftime("%Y.%m.%d %H:%M"), "open": close, "high": close + 0.001,
                          "low": close - 0.001, "close": close, "volume": 100})  # fmt: skip
    return frame.to_csv(index=False).encode()


def test_other_requests_are_answered_while_a_long_upload_runs(running) -> None:
    base, headers, _ = running
    answers: list[str] = []
    data = bars_csv(300_000)

    def upload() -> None:
        response = httpx.post(f"{base}/api/backtests", headers=headers, timeout=120,
                              files={"file": ("EURUSD_H1.csv", data, "text/csv")},
                              data={"strategy": "ma_crossover", "settings": '{"sl_atr": 2, "tp_atr": 3}'})  # fmt: skip
        answers.append(f"upload {response.status_code}")

    worker = threading.Thread(target=upload)
    worker.start()
    while worker.is_alive() and not any(a.startswith("upload") for a in answers):
        status = httpx.get(f"{base}/api/health", timeout=30).status_code
        answers.append(f"health {status}")
        if sum(a.startswith("health") for a in answers) >= 3:
            break
    worker.join(timeout=120)
    assert answers[:3] == ["health 200"] * 3, answers  # three answers before the upload's
    assert answers[-1] == "upload 201", answers


def test_a_users_excess_work_is_answered_429_and_hostile_files_a_limit(running) -> None:
    base, headers, _ = running  # this server lets a user run one import or backtest at a time
    data, answers = bars_csv(300_000), []

    def upload() -> None:
        answers.append(httpx.post(f"{base}/api/backtests", headers=headers, timeout=120,
                                  files={"file": ("EURUSD_H1.csv", data, "text/csv")},
                                  data={"strategy": "ma_crossover"}))  # fmt: skip

    uploads = [threading.Thread(target=upload) for _ in range(3)]
    for thread in uploads:
        thread.start()
    for thread in uploads:
        thread.join(timeout=120)
    statuses = sorted(a.status_code for a in answers)
    assert statuses[0] == 201 and statuses[-1] == 429, statuses
    busy = next(a for a in answers if a.status_code == 429)
    assert busy.headers["Retry-After"] == "5" and "impor atau backtest" in busy.json()["message"]
    wide = ",".join(f"c{i}" for i in range(20_000)) + "\n"
    refused = httpx.post(f"{base}/api/journal/imports", headers=headers,
                         files={"file": ("wide.csv", wide.encode(), "text/csv")})  # fmt: skip
    assert refused.status_code == 422 and refused.json()["message"].startswith(
        "Baris judul punya 20000 kolom"
    )


def _peak_memory_kib(pids: set[int]) -> int:
    """The sum of the peak resident memory (VmHWM) of ``pids``."""
    total = 0
    for pid in pids:
        status = Path(f"/proc/{pid}/status").read_text()
        total += int(
            next(line for line in status.splitlines() if line.startswith("VmHWM")).split()[1]
        )
    return total


def _held_upload(name: str, data: bytes, sent: threading.Event, release: threading.Event):
    """A multipart body that stops before its last bytes until ``release`` is set."""
    head = (b"--hostile\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" + name.encode()
            + b"\"\r\nContent-Type: application/octet-stream\r\n\r\n")  # fmt: skip
    body = head + data + b"\r\n--hostile--\r\n"

    def chunks():
        yield body[:-12]
        sent.set()
        release.wait(30)
        yield body[-12:]

    return chunks()


HOSTILE = [
    ("journal/imports", "wide.csv", b"a,b\n" + b",".join([b"1"] * 20_000) + b"\n",
     "Baris 1 punya 20000 kolom: ekspor paling banyak punya 512"),
    ("journal/imports", "report.html",
     b'<html><table><tr><td colspan="2000">x</td></tr>' * 50 + b"</table></html>",
     "File ini bukan riwayat transaksi MetaTrader"),
    ("journal/imports", "report.xlsx", xlsx_with_rows(300_000, repeat=True),
     "File XLSX ini membesar menjadi"),
    ("datasets", "EURUSD_H1.csv", b"time,open,high,low,close\n" + b"2" * 1_000_000 + b",1,2,0.5,1.5\n",
     "Baris 1: time berisi 1000000 karakter"),
]  # fmt: skip


@pytest.mark.parametrize(("route", "name", "data", "message"), HOSTILE, ids=[h[1] for h in HOSTILE])
def test_a_hostile_file_is_refused_by_a_limit_with_bounded_memory_while_others_are_served(
    running, route: str, name: str, data: bytes, message: str
) -> None:
    base, headers, pid = running
    with httpx.Client(base_url=base, headers=headers, timeout=60) as warm:  # code loaded
        warm.post("/api/datasets", files={"file": ("EURUSD_H1.csv", bars_csv(500))})
        warm.post("/api/journal/imports", data={"tz": "UTC"},
                  files={"file": ("o.csv", export(fill(1, "09:00:00", "Buy", 1, 100)))})  # fmt: skip
    pids = {pid, *children(pid)}
    before = _peak_memory_kib(pids)
    sent, release, answers = threading.Event(), threading.Event(), []

    def upload() -> None:
        response = httpx.post(
            f"{base}/api/{route}", timeout=60,
            headers={**headers, "Content-Type": "multipart/form-data; boundary=hostile"},
            content=_held_upload(name, data, sent, release),
        )  # fmt: skip
        answers.append(("upload", response))

    uploading = threading.Thread(target=upload)
    uploading.start()
    assert sent.wait(30)
    with httpx.Client(base_url=base, headers=headers, timeout=30) as other:
        for path in ("/api/health", "/api/me", "/api/backtests"):
            answers.append((path, other.get(path)))
    release.set()
    uploading.join(60)
    assert [who for who, _ in answers] == ["/api/health", "/api/me", "/api/backtests", "upload"]
    assert all(response.status_code == 200 for who, response in answers[:3])
    refused = answers[-1][1]
    assert refused.status_code == 422, refused.text
    assert refused.json()["message"].startswith(message) and len(refused.json()["message"]) < 400
    grown = _peak_memory_kib(pids) - before
    assert grown < 200 * 1024, f"peak memory grew by {grown // 1024} MiB"
