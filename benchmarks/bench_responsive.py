"""A server stays responsive while it works: 20 users each start a backtest on a 39k-bar file
at the same moment and four hostile files are uploaded (a CSV row of 20,000 fields, an HTML
report of colspan 2000 cells, a 70 KB XLSX zip bomb, a 1 MB digit-only timestamp);
meanwhile a probe asks for ``/api/health`` every 50 ms. Health latency percentiles, how
each upload ended, how long each hostile file took to be refused, and the server's peak
memory (its worker processes included), on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from collections import Counter
from pathlib import Path

import httpx

from benchmarks.processes import database, percentiles, postgres_available, server, sign_in
from tradeloop.market.synthetic import random_walk_bars

USERS = 20
BARS = 39_000


def _bar_csv() -> bytes:
    bars = random_walk_bars(BARS, seed=3)
    bars.index = bars.index.tz_localize(None)
    return bars.rename(columns=str.capitalize).to_csv(float_format="%.5f").encode()


def _xlsx_bomb(rows: int = 300_000) -> bytes:
    """An XLSX whose one sheet repeats the same row ``rows`` times (compresses ~1000×)."""
    from openpyxl import Workbook

    book, plain, out = Workbook(), io.BytesIO(), io.BytesIO()
    book.active.append(["x"])
    book.save(plain)
    source = zipfile.ZipFile(io.BytesIO(plain.getvalue()))
    row = b'<row r="2"><c r="A2" t="inlineStr"><is><t>x</t></is></c></row>'
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"</sheetData>", row * rows + b"</sheetData>")
            target.writestr(info, data)
    return out.getvalue()


def hostile_files() -> dict[str, tuple[str, str, bytes]]:
    """name → (route, file name, bytes) of each hostile upload."""
    return {
        "20,000-field row": ("/api/datasets", "EURUSD_H1.csv",
                             b"time,open,high,low,close\n" + b",".join([b"1"] * 20_000) + b"\n"),
        "HTML colspan 2000": ("/api/journal/imports", "report.html",
                              b'<html><table><tr><td colspan="2000">x</td></tr>' * 50
                              + b"</table></html>"),
        "XLSX bomb": ("/api/journal/imports", "report.xlsx", _xlsx_bomb()),
        "1 MB digit timestamp": ("/api/datasets", "EURUSD_H1.csv",
                                 b"time,open,high,low,close\n" + b"2" * 1_000_000
                                 + b",1,2,0.5,1.5\n"),
    }  # fmt: skip


def _peak_memory_mib(pid: int) -> float:
    """Peak resident memory (VmHWM) of ``pid`` and its children, in MiB."""
    total = 0
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in text.splitlines() if ":" in line)
        if int(fields["Pid"]) == pid or int(fields["PPid"]) == pid:
            total += int(fields.get("VmHWM", "0 kB").split()[0])
    return total / 1024


def _one(kind: str) -> dict[str, float]:
    data, hostile = _bar_csv(), hostile_files()
    with (
        tempfile.TemporaryDirectory() as name,
        database(kind, Path(name)) as url,
        server(url, Path(name)) as base,
    ):
        headers = [sign_in(base, f"user{i}@example.com") for i in range(USERS + len(hostile))]
        outcomes: Counter[str] = Counter()
        refused: dict[str, tuple[int, float]] = {}

        def backtest(who: dict[str, str]) -> None:
            form = {"strategy": "ma_crossover", "settings": '{"sl_atr": 2, "tp_atr": 4}'}
            with httpx.Client(base_url=base, headers=who, timeout=600) as http:
                answer = http.post("/api/backtests", files={"file": ("EURUSD_H1.csv", data)},
                                   data=form)  # fmt: skip
            outcomes[f"backtest {answer.status_code}"] += 1

        def upload(who: dict[str, str], label: str) -> None:
            route, file_name, body = hostile[label]
            start = time.perf_counter()
            with httpx.Client(base_url=base, headers=who, timeout=600) as http:
                answer = http.post(route, files={"file": (file_name, body)})
            refused[label] = (answer.status_code, time.perf_counter() - start)

        watcher = subprocess.Popen(  # its own process: the uploading threads do not slow it
            [sys.executable, "-m", "benchmarks.bench_responsive", base],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        time.sleep(1.0)
        started = time.perf_counter()
        work = [threading.Thread(target=backtest, args=(headers[i],)) for i in range(USERS)]
        work += [threading.Thread(target=upload, args=(headers[USERS + n], label))
                 for n, label in enumerate(hostile)]  # fmt: skip
        for thread in work:
            thread.start()
        for thread in work:
            thread.join()
        elapsed = time.perf_counter() - started
        health = [float(line) for line in watcher.communicate("stop\n", timeout=60)[0].split()]
        server_pid = _server_pid(base)
        memory = _peak_memory_mib(server_pid) if server_pid else float("nan")
    during = health[10:]
    print(f"  {kind:<10} all done in {elapsed:.1f} s; peak memory of the server and its "
          f"workers {memory:.0f} MiB")  # fmt: skip
    print(f"    /api/health  {percentiles(during)}  max {max(during) * 1000:.1f} ms  "
          f"({len(during)} probes)")  # fmt: skip
    print("    backtests    " + ", ".join(f"{k}: {v}" for k, v in sorted(outcomes.items())))
    for label, (status, seconds) in refused.items():
        print(f"    {label:<22} answered {status} in {seconds:.2f} s")
    return {f"{kind}_health_max_ms": max(during) * 1000, f"{kind}_memory_mib": memory}


def _server_pid(base: str) -> int | None:
    """The pid listening on ``base``'s port (from /proc/net/tcp), or None."""
    port = int(base.rsplit(":", 1)[1])
    inode = None
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if int(fields[1].split(":")[1], 16) == port and fields[3] == "0A":
            inode = fields[9]
    if inode is None:
        return None
    for fd in Path("/proc").glob("[0-9]*/fd/*"):
        try:
            if fd.readlink().name == f"socket:[{inode}]":
                return int(fd.parts[2])
        except OSError:
            continue
    return None


def probe(base: str) -> None:
    """Ask ``base`` for /api/health every 50 ms until a line arrives on stdin; print each
    answer's seconds, one per line."""
    done = threading.Event()
    threading.Thread(target=lambda: (sys.stdin.readline(), done.set()), daemon=True).start()
    with httpx.Client(base_url=base, timeout=30) as http:
        while not done.is_set():
            start = time.perf_counter()
            http.get("/api/health")
            print(time.perf_counter() - start)
            time.sleep(0.05)


def run() -> dict[str, float]:
    """Print and return health latency (max ms) and peak memory per database."""
    kinds = ["sqlite", "postgresql"] if postgres_available() else ["sqlite"]
    print(f"responsiveness: {USERS} backtests of {BARS:,} bars at once + 4 hostile uploads "
          "(goal: all backtests succeed, health < 100 ms meanwhile, each hostile file refused "
          "in < 2 s with bounded memory)")  # fmt: skip
    figures: dict[str, float] = {}
    for kind in kinds:
        figures |= _one(kind)
    return figures


if __name__ == "__main__":
    probe(sys.argv[1])
