"""The rows of a MetaTrader report (HTML or XLSX) as lists of visible cells.

MetaTrader writes one big table whose sections (positions, orders, deals, results) follow
each other. A row becomes the list of its visible cells, one string per cell whatever its
column span: the terminal's hidden cells (``<td class="hidden">``, e.g. the comment it tucks
into every Positions row) are dropped, and in XLSX a merged range counts once. Header and data
rows then line up cell for cell in every terminal language, which is how sections are found by
structure rather than by their translated words.
"""

from __future__ import annotations

import io
import re
import warnings
import zipfile
import zlib
from collections.abc import Iterator

from lxml import etree, html

from tradeloop.market.errors import DataError
from tradeloop.market.tables import decode

Row = list[str]
MAX_ROWS = 500_000
MAX_CELLS = 100
_SPACES = re.compile(r"[\s\u00a0\u202f]+")
# what a damaged XLSX raises while it is unzipped and parsed (corrupt deflate data, offsets,
# an unknown compression method or encryption flag, cut or broken XML): a bad file
BROKEN_XLSX = (
    zipfile.BadZipFile, zlib.error, OSError, EOFError, RuntimeError, ValueError,
    NotImplementedError, KeyError, IndexError, AttributeError, TypeError, SyntaxError,
)  # fmt: skip


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))  # an XLSX cell holding a ticket or a round number
    return _SPACES.sub(" ", str(value)).strip()


def _bad_xlsx(exc: Exception) -> DataError:
    """The error for an XLSX file that cannot be opened (``exc`` names what failed)."""
    return DataError(
        f"cannot read the XLSX file: {type(exc).__name__}",
        key="journal.error.bad_xlsx",
        values={"reason": type(exc).__name__},
    )


def _html_rows(data: bytes) -> Iterator[Row]:
    text = decode(data)
    try:
        document = html.fromstring(text)
    except (etree.ParserError, ValueError) as exc:
        reason = str(exc).splitlines()[0]
        raise DataError(
            f"cannot read the report's HTML: {reason}",
            key="journal.error.bad_html",
            values={"reason": reason},
        ) from exc
    for tr in document.iter("tr"):
        cells = [
            _text(cell.text_content())
            for cell in tr
            if cell.tag in ("td", "th") and "hidden" not in (cell.get("class") or "").split()
        ]
        yield cells[:MAX_CELLS]


MAX_UNZIPPED = 64 * 1024 * 1024  # an export's sheets are a few MB
MAX_RATIO = 200  # XML compresses well, but a zip bomb far better
MAX_SHEET_ROWS = 150_000
MAX_SHEET_CELLS = 1_500_000


def _check_zip(data: bytes) -> None:
    """Refuse an XLSX that would expand beyond what a report can be, before reading it: its
    unzipped size and ratio from the zip directory, its rows and cells by one streamed scan."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except BROKEN_XLSX as exc:
        raise _bad_xlsx(exc) from exc
    unzipped = sum(m.file_size for m in members)
    if unzipped > MAX_UNZIPPED or unzipped > MAX_RATIO * max(len(data), 1):
        raise DataError(
            f"the XLSX file expands to {unzipped / 1_048_576:.0f} MB from "
            f"{len(data) / 1024:.0f} KB: not an export (at most {MAX_UNZIPPED // 1_048_576} MB, "
            f"{MAX_RATIO}× its size)",
            key="journal.error.xlsx_expands",
            values={
                "unzipped": f"{unzipped / 1_048_576:.0f}", "size": f"{len(data) / 1024:.0f}",
                "limit": MAX_UNZIPPED // 1_048_576, "ratio": MAX_RATIO,
            },
        )  # fmt: skip
    rows = cells = 0
    for member in members:
        if not member.filename.startswith("xl/worksheets/"):
            continue
        try:
            with archive.open(member) as stream:
                tail = b""
                while chunk := stream.read(1 << 20):
                    text = tail + chunk
                    rows += text.count(b"<row")
                    cells += text.count(b"<c ") + text.count(b"<c>")
                    tail = text[-4:]  # a tag cut in two is counted in the next chunk
                    rows -= tail.count(b"<row")
                    cells -= tail.count(b"<c ") + tail.count(b"<c>")
                rows += tail.count(b"<row")
                cells += tail.count(b"<c ") + tail.count(b"<c>")
        except BROKEN_XLSX as exc:
            raise _bad_xlsx(exc) from exc
        if rows > MAX_SHEET_ROWS or cells > MAX_SHEET_CELLS:
            raise DataError(
                f"the XLSX file holds more than {MAX_SHEET_ROWS:,} rows or {MAX_SHEET_CELLS:,} "
                "cells: split the export",
                key="journal.error.xlsx_too_big",
                values={"rows": f"{MAX_SHEET_ROWS:,}", "cells": f"{MAX_SHEET_CELLS:,}"},
            )


def _xlsx_rows(data: bytes) -> Iterator[Row]:
    from openpyxl import load_workbook

    _check_zip(data)
    try:
        with warnings.catch_warnings():  # "Workbook contains no default style": harmless
            warnings.simplefilter("ignore", UserWarning)
            book = load_workbook(io.BytesIO(data), read_only=False, data_only=True)
    except BROKEN_XLSX as exc:
        raise _bad_xlsx(exc) from exc
    for sheet in book.worksheets:
        covered: set[tuple[int, int]] = set()
        for merged in sheet.merged_cells.ranges:
            for row in range(merged.min_row, merged.max_row + 1):
                for col in range(merged.min_col, merged.max_col + 1):
                    if (row, col) != (merged.min_row, merged.min_col):
                        covered.add((row, col))
        for cells in sheet.iter_rows():
            kept = [c for c in cells if (c.row, c.column) not in covered]
            yield [_text(c.value) for c in kept][:MAX_CELLS]


def report_rows(data: bytes) -> list[Row]:
    """Every row of an HTML or XLSX report as its visible, trimmed cells."""
    reader = _xlsx_rows if data[:2] == b"PK" else _html_rows
    rows = []
    for row in reader(data):
        while row and row[-1] == "":  # trailing blank cells carry nothing
            row.pop()
        rows.append(row)
        if len(rows) > MAX_ROWS:
            raise DataError(
                f"the report has more than {MAX_ROWS} rows",
                key="journal.error.too_many_rows",
                values={"limit": MAX_ROWS},
            )
    if not rows:
        raise DataError(
            "the file has no table rows: expected a MetaTrader report",
            key="journal.error.no_table_rows",
        )
    return rows


def filled(row: Row) -> Row:
    """The row's non-blank cells."""
    return [cell for cell in row if cell]
