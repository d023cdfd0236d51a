"""Text tables from the files users upload: one decoder and one CSV reader for every importer.

``decode`` turns bytes into text whatever the tool that wrote them (UTF-8 with or without a
BOM, UTF-16 from the MT5 terminal with or without a BOM, a stray trailing byte, Windows-1252
from old Excel). ``read_csv_table`` reads a delimited table in two ways: clean files (``,`` or
tab, ``.`` decimals) go through PyArrow's columnar reader, which parses numbers and ISO times
itself; locale re-saves (``;`` with decimal commas, quoted thousands) are read as strings and
cleaned column by column by ``numbers``. Both give the same values.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from tradeloop.market.errors import DataError

_BOMS = {b"\xff\xfe": "utf-16-le", b"\xfe\xff": "utf-16-be"}
# What a hostile file may cost is bounded before it is parsed: a broker export or a bar file
# has a few dozen columns, short cells and numbers of a few digits.
MAX_COLUMNS = 512
MAX_CELL = 4096
MAX_NUMBER = 64  # characters in one number or time


def shown(value: object, width: int = 60) -> str:
    """``repr(value)``, cut to ``width`` characters for a message."""
    text = repr(value)
    return text if len(text) <= width else text[: width - 5] + "…" + text[-4:]


def row_place(where: str, row: int) -> tuple[str, dict[str, object]]:
    """How a message names ``row`` of ``where`` (``row`` or ``<table> row``): the catalogue
    key's suffix (``""`` or ``"_in"``) and its values (``row``, and ``section``: the table)."""
    if where == "row":
        return "", {"row": row}
    return "_in", {"row": row, "section": where.removesuffix(" row")}


_DECIMAL_COMMA = re.compile(r"^[-+(]?[\d.\s]*\d,\d+\)?$")
_DELIMITERS = (",", ";", "\t")


def decode(data: bytes) -> str:
    """The text of an uploaded file, whichever encoding the tool that wrote it used."""
    if data[:3] == b"\xef\xbb\xbf":
        return data[3:].decode("utf-8", "replace")
    encoding = _BOMS.get(data[:2])
    head = data[:4096]
    if encoding is None and head.count(0) > len(head) // 4:  # UTF-16 without a BOM
        odd, even = head[1::2].count(0), head[0::2].count(0)
        if odd > 4 * even:
            encoding = "utf-16-le"
        elif even > 4 * odd:
            encoding = "utf-16-be"
        else:
            raise DataError("the file is binary, not a text export", key="market.error.binary_file")
    if encoding is not None:
        body = data[2:] if data[:2] in _BOMS else data
        body = body[: len(body) - len(body) % 2]  # one stray trailing byte is not text
        return body.decode(encoding, "replace").lstrip("\ufeff")
    if b"\x00" in head:
        raise DataError("the file is binary, not a text export", key="market.error.binary_file")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", "replace")


def head_lines(text: str, count: int, start: int = 0) -> list[str]:
    """The first ``count`` lines of ``text`` from ``start`` (fewer at its end), without
    copying the rest of a large file as ``split`` would."""
    lines = []
    while len(lines) < count and start < len(text):
        end = text.find("\n", start)
        end = len(text) if end < 0 else end
        lines.append(text[start:end])
        start = end + 1
    return lines


def is_blank(text: str) -> bool:
    """Only whitespace (checked without copying the text)."""
    return not text or text.isspace()


def sniff_delimiter(line: str) -> str:
    """The delimiter of a header line: whichever of ``,``, ``;`` and tab occurs most outside
    quotes."""
    unquoted = re.sub(r'"[^"]*"', "", line)
    return max(_DELIMITERS, key=unquoted.count)


_TOTAL = re.compile(r"^(sub|grand )?totals?\b", re.IGNORECASE)


def _drop_total_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """Trailing summary rows ("Total", "Grand total", "Subtotal") left out."""
    end = len(frame)
    text = [frame[c] for c in frame.columns if not _typed(frame[c])]
    while end and any(_TOTAL.match(str(col.iat[end - 1])) for col in text):
        end -= 1
    return frame.iloc[:end]


def _drop_blank_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows whose every cell is empty (trailing blank lines, ',,,,' rows) left out."""
    if frame.empty:
        return frame
    blank = np.ones(len(frame), dtype=bool)
    for name in frame.columns:
        column = frame[name]
        empty = column.isna() if _typed(column) else column == ""
        blank &= empty.to_numpy()
        if not blank.any():
            return frame
    return frame[~blank].reset_index(drop=True)


def _unique_names(names: list[str]) -> list[str]:
    """Header names trimmed; a repeated name keeps its place with a number (``Time.1``)."""
    seen: dict[str, int] = {}
    result = []
    for name in names:
        clean = re.sub(r"^Unnamed: \d+$", "", str(name).strip())
        if clean in seen:
            seen[clean] += 1
            clean = f"{clean}.{seen[clean]}"
        else:
            seen[clean] = 0
        result.append(clean)
    return result


def repeated_names(header: str, delimiter: str) -> list[str]:
    """Non-blank header names that occur more than once, ignoring case."""
    names = [n.strip().strip('"').strip().lower() for n in header.split(delimiter)]
    return sorted({n for n in names if n and names.count(n) > 1})


# left to PyArrow's number parsing: decimals and short integers (long digit runs are ids,
# epoch times or compact dates, read as text)
_PLAIN_NUMBER = re.compile(r"^\s*-?(\d{1,7}|\d{1,15}\.\d+)([eE][-+]?\d{1,3})?\s*$")
# ISO local times (``2024-01-31 13:00:00``, ``2024-01-31T13:00``) are left to PyArrow's
# timestamp parser; a row it cannot read sends the file to the tolerant path, which names it
_ISO_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?$")


def _fast(text: str, delimiter: str, typed: bool) -> pd.DataFrame | None:
    """PyArrow's reader for clean files (None when the file needs the tolerant path). When
    ``typed``, columns whose first value is a plain number are left to PyArrow's number
    parsing, and those whose first value is an ISO local time to its timestamp parser; the
    rest (other times, symbols, ids), and every column when not ``typed``, stay text exactly
    as written."""
    lines = head_lines(text, 2)
    if len(lines) < 2:
        return None
    try:
        header, first = (next(csv.reader([line], delimiter=delimiter)) for line in lines)
    except csv.Error:  # a cell beyond the csv module's limit: the tolerant path says so
        return None
    if len(header) != len(first) or len(set(header)) != len(header):
        return None
    kept_as_text = {
        name: pa.timestamp("ns") if typed and _ISO_TIME.match(value.strip()) else pa.string()
        for name, value in zip(header, first, strict=True)
        if not (typed and _PLAIN_NUMBER.match(value))
    }
    try:
        table = pa_csv.read_csv(
            io.BytesIO(text.encode("utf-8")),
            parse_options=pa_csv.ParseOptions(delimiter=delimiter),
            convert_options=pa_csv.ConvertOptions(
                column_types=kept_as_text,
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    frame = table.to_pandas()
    for name in frame.columns:
        if not _typed(frame[name]):
            frame[name] = frame[name].astype(str)
    return frame


def _typed(column: pd.Series) -> bool:
    """Numbers or times (not text)."""
    return pd.api.types.is_numeric_dtype(column) or pd.api.types.is_datetime64_any_dtype(column)


def read_csv_table(text: str, fast: bool = True) -> pd.DataFrame:
    """A delimited table: string columns trimmed, numbers as floats where PyArrow could read
    them (every column text when not ``fast``), blank rows dropped. ``attrs['delimiter']``
    names the delimiter."""
    text = text.lstrip("\r\n")
    if is_blank(text):
        raise DataError(
            "the file is empty: expected a header line and rows", key="market.error.empty_rows"
        )
    header = head_lines(text, 1)[0]
    delimiter = sniff_delimiter(header[:65536])
    if header.count(delimiter) >= MAX_COLUMNS:
        raise DataError(
            f"the header has {header.count(delimiter) + 1} columns: an export has at most "
            f"{MAX_COLUMNS}",
            key="market.error.too_many_columns",
            values={"count": header.count(delimiter) + 1, "limit": MAX_COLUMNS},
        )
    first = head_lines(text[:1_000_000], 2000)
    longest = max(map(len, first), default=0)
    if longest > MAX_COLUMNS * MAX_CELL:
        raise DataError(
            f"a line holds {longest} characters: too long for an export",
            key="market.error.line_too_long",
            values={"length": longest},
        )
    fields = [line.count(delimiter) + 1 for line in first[1:]]
    if fields and max(fields) > MAX_COLUMNS:
        row = int(np.argmax(fields)) + 1
        raise DataError(
            f"row {row} has {max(fields)} fields: an export has at most {MAX_COLUMNS}",
            [{"row": row}],
            key="market.error.too_many_fields",
            values={"row": row, "count": max(fields), "limit": MAX_COLUMNS},
        )
    frame = None
    if delimiter != ";" and (fast or '"' not in text):  # quotes: pandas' reader, as written
        frame = _fast(text, delimiter, typed=fast)
    if frame is None:
        try:
            frame = pd.read_csv(
                io.StringIO(text),
                dtype=str,
                keep_default_na=False,
                skipinitialspace=True,
                quoting=csv.QUOTE_MINIMAL,
                sep=delimiter,
                skip_blank_lines=True,
            )
        except (pd.errors.ParserError, csv.Error, ValueError) as exc:
            reason = str(exc).splitlines()[0][:200]
            raise DataError(
                f"cannot read the file as CSV: {reason}",
                key="market.error.bad_csv",
                values={"reason": reason},
            ) from exc
    frame.columns = _unique_names(list(frame.columns))
    for name in frame.columns:
        if not _typed(frame[name]):
            frame[name] = frame[name].astype(str).str.strip()
            width = frame[name].str.len()
            if len(width) and int(width.max()) > MAX_CELL:
                row = int(np.argmax(width.to_numpy()))
                raise DataError(
                    f"row {row + 1}: {name} holds {int(width.max())} characters: a cell of an "
                    f"export has at most {MAX_CELL}",
                    [{"row": row + 1, "column": name}],
                    key="market.error.cell_too_long",
                    values={
                        "row": row + 1, "column": name, "length": int(width.max()),
                        "limit": MAX_CELL,
                    },
                )  # fmt: skip
    frame = _drop_total_rows(_drop_blank_rows(frame))
    frame.attrs["delimiter"] = delimiter
    frame.attrs["repeated"] = repeated_names(header.strip("\r"), delimiter)
    return frame


def _clean_numbers(raw: pd.Series, semicolons: bool) -> pd.Series:
    """Strings as numbers: currency signs, spaces and thousands separators removed; ``(12.50)``
    is −12.50. In a ``;``-separated file (Excel where the decimal mark is a comma) a comma is
    the decimal mark (``150,123`` is 150.123, ``1.234,5`` is 1234.5); elsewhere a comma is a
    thousands separator unless every value reads as a decimal comma (``5 000,25``)."""
    text = raw.str.replace(r"[$€£¥\s\u00a0\u202f]", "", regex=True)
    negative = text.str.startswith("(") & text.str.endswith(")")
    text = text.str.strip("()")
    sample = text[text != ""]
    comma_decimals = semicolons or (
        bool(len(sample))
        and bool(sample.str.match(_DECIMAL_COMMA.pattern).all())
        and not sample.str.fullmatch(r"-?\d{1,3}(,\d{3})+").all()
    )
    if comma_decimals:  # dots are then thousands separators, but only beside a comma
        has_comma = text.str.contains(",", regex=False)
        text = text.where(~has_comma, text.str.replace(".", "", regex=False))
        text = text.str.replace(",", ".", regex=False)
    else:
        text = text.str.replace(",", "", regex=False)
    numbers = pd.to_numeric(text.where(text != ""), errors="coerce")
    return numbers.where(~negative, -numbers)


def mapped(values: pd.Series, mapping: Mapping[Any, Any] | Callable[[Any], Any]) -> pd.Series:
    """``values.map(mapping)`` worked out once per distinct value (a long column of a few
    symbols or words); missing keys and blanks give None."""
    codes, uniques = pd.factorize(values)
    get = mapping.get if isinstance(mapping, Mapping) else mapping
    table = np.array([*(get(u) for u in uniques), None], dtype=object)
    return pd.Series(table[codes], index=values.index)


def plain_floats(text: pd.Series) -> pd.Series | None:
    """Trimmed strings that are all plain numbers or blank, as floats (NaN for blanks) by
    PyArrow's strict cast; None when any value needs pandas' reading (or is not a number)."""
    array = pa.array(text, pa.string())
    try:
        parsed = pc.if_else(pc.equal(array, ""), None, array).cast(pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    return pd.Series(parsed.to_numpy(zero_copy_only=False), index=text.index)


def numbers(
    frame: pd.DataFrame, column: str, required: bool = False, where: str = "row"
) -> pd.Series:
    """Column ``column`` as floats (NaN for blanks); a value that is not a number, or a blank
    when ``required``, raises a DataError naming the row and the value."""
    raw = frame[column]
    if pd.api.types.is_numeric_dtype(raw):
        values = raw.astype(float)
        text = pd.Series("", index=raw.index)
        bad = pd.Series(False, index=raw.index)
    else:
        text = raw.astype(str).str.strip()
        too_long = text.str.len() > MAX_NUMBER
        if too_long.any():
            row = int(np.argmax(too_long.to_numpy()))
            suffix, place = row_place(where, row + 1)
            raise DataError(
                f"{where} {row + 1}: {column} {shown(text.iloc[row])} is not a number",
                [{"row": row + 1, "column": column}],
                key=f"market.error.not_a_number{suffix}",
                values={**place, "column": column, "value": shown(text.iloc[row])},
            )
        values = plain_floats(text)
        if values is None:
            values = pd.to_numeric(text.where(text != ""), errors="coerce").astype(float)
        if (values.isna() & (text != "")).any():  # currency signs, separators, decimal commas
            values = _clean_numbers(text, frame.attrs.get("delimiter") == ";").astype(float)
        bad = values.isna() & (text != "")
    bad |= values.abs() > 1e12
    if bad.any():
        row = int(np.argmax(bad.to_numpy()))
        value = shown(text.iloc[row] or float(raw.iloc[row]))
        suffix, place = row_place(where, row + 1)
        raise DataError(
            f"{where} {row + 1}: {column} {value} is not a number",
            [{"row": row + 1, "column": column}],
            key=f"market.error.not_a_number{suffix}",
            values={**place, "column": column, "value": value},
        )
    if required and values.isna().any():
        row = int(np.argmax(values.isna().to_numpy()))
        suffix, place = row_place(where, row + 1)
        raise DataError(
            f"{where} {row + 1}: {column} is missing",
            [{"row": row + 1, "column": column}],
            key=f"market.error.number_missing{suffix}",
            values={**place, "column": column},
        )
    return values
