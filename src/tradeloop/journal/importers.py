"""Import a broker export: find its layout from its content, read it, or refuse it with a
message that says what the file is.

Format keys (CLI ``--format``, API ``format``): ``auto``, ``tradovate`` (Orders),
``tradovate-fills``, ``tradovate-performance``, ``ninjatrader``, ``mt5``, ``mt5-tester``,
``mt4``, ``das``, ``ibkr``, ``generic``.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pandas as pd

from tradeloop.journal import csv_formats as csv
from tradeloop.journal.formats import FORMATS, Format
from tradeloop.journal.frame import ORDER_COLUMNS, Imported
from tradeloop.journal.metatrader import read_metatrader
from tradeloop.market.errors import DataError
from tradeloop.market.tables import decode, read_csv_table
from tradeloop.market.times import DATE_ORDERS, DateOrder, zone

REPORTS = ("mt5", "mt5-tester", "mt4")
Reader = Callable[[pd.DataFrame, str, DateOrder], Imported]
READERS: dict[str, Reader] = {
    "tradovate": csv.tradovate_orders,
    "tradovate-fills": csv.tradovate_fills,
    "tradovate-performance": csv.tradovate_performance,
    "ninjatrader": csv.ninjatrader,
    "das": csv.das,
    "ibkr": csv.ibkr,
    "generic": csv.generic,
}
# (format, columns that all must be present) in the order they are tried
LAYOUTS: list[tuple[str, set[str]]] = [
    ("tradovate-performance", {"buyFillId", "sellFillId", "pnl"}),
    ("tradovate-fills", {"Fill ID", "B/S", "Contract"}),
    ("tradovate", {"B/S", "Contract", "Status"}),
    ("ninjatrader", {"Instrument", "Action", "E/X"}),
    ("das", {"Side", "Symbol", "Exec Time"}),
    ("das", {"Side", "Symb", "Qty"}),
    ("generic", set(csv.GENERIC)),
]
NEAR_MISSES: list[tuple[str, list[str]]] = [
    ("tradovate-performance", csv.TRADOVATE_PERFORMANCE),
    ("tradovate-fills", csv.TRADOVATE_FILLS),
    ("tradovate", csv.TRADOVATE_ORDERS),
    ("ninjatrader", csv.NINJATRADER),
    ("generic", csv.GENERIC),
]
LABELS = {"tradovate-performance": "Tradovate Performance", "tradovate-fills": "Tradovate Fills",
          "tradovate": "Tradovate Orders", "ninjatrader": "NinjaTrader executions",
          "generic": "generic executions"}  # fmt: skip
# Files that are not trade histories, recognised so the refusal can say what they are.
NOT_TRADES: list[tuple[set[str], str, str]] = [
    ({"Trade Date", "Total Amount", "Total Realized PNL"},
     "a daily account balance history (Tradovate), not trades: export Orders, Fills or "
     "Performance from Tradovate's Reports instead", "journal.error.is_balance_history"),
    ({"open", "high", "low", "close"},
     "price bars (time, open, high, low, close), not trades: upload it as market data for "
     "a backtest", "journal.error.is_price_bars"),
    ({"Pair", "Lot Size", "Margin Mode", "Status"},
     "a prop-firm web platform's order history (Pair, Lot Size, Margin Mode, Status); it is "
     "not a Tradovate export and tradeloop does not read this layout yet",
     "journal.error.is_prop_firm_history"),
]  # fmt: skip


def detect(frame: pd.DataFrame) -> str:
    """The format of a delimited export from its header; a DataError that names what the file
    is (or what was expected) otherwise."""
    names = set(frame.columns)
    for key, needed in LAYOUTS:
        if needed <= names:
            return key
    lower = {n.strip("<>").lower() for n in names}
    for needed, what, key in NOT_TRADES:
        if needed <= names or {n.lower() for n in needed} <= lower:
            raise DataError(f"this file is {what}", key=key)
    for key, columns in NEAR_MISSES:  # most of a layout's columns: say which ones are missing
        missing = [c for c in columns if c not in names]
        if len(missing) <= len(columns) // 3:
            raise DataError(
                f"{LABELS[key]} export is missing column(s): {', '.join(missing)}",
                [{"missing": c} for c in missing],
                key="journal.error.missing_columns",
                values={"kind": LABELS[key], "missing": ", ".join(missing)},
            )
    raise DataError(
        "cannot tell the export's format from its header: expected a Tradovate Orders, Fills "
        "or Performance export, a NinjaTrader 8 executions grid, TradeZero/DAS executions, an "
        "Interactive Brokers activity statement, an MT5/MT4 report (HTML or XLSX) or a "
        f"generic executions CSV ({', '.join(csv.GENERIC)})",
        [{"found": sorted(names)}],
        key="journal.error.unknown_layout",
        values={"columns": ", ".join(csv.GENERIC)},
    )


_HTML = re.compile(r"\s*<(?:!doctype|html|head|body|table|meta|\?xml)", re.IGNORECASE)


_UTF16 = {b"\xff\xfe": "utf-16-le", b"\xfe\xff": "utf-16-be"}


def _check_utf16(data: bytes) -> None:
    """A file whose byte-order mark says UTF-16 must be UTF-16 throughout (one stray trailing
    byte aside, as MetaTrader sometimes writes): a DataError naming the first bad byte."""
    encoding = _UTF16.get(data[:2])
    if encoding is None:
        return
    try:
        data[2 : len(data) - len(data) % 2].decode(encoding)
    except UnicodeDecodeError as exc:
        offset = exc.start + 2
        raise DataError(
            f"the file says it is UTF-16 text (its byte-order mark) but is not: byte {offset} "
            "starts an invalid character; save the export again as UTF-8 or UTF-16",
            [{"field": "file", "offset": offset}],
            key="journal.error.bad_utf16",
            values={"offset": offset},
        ) from exc


def _is_report(data: bytes, text: str | None) -> bool:
    """XLSX (a zip) or HTML; a tab export whose header is ``<DATE>`` is not HTML."""
    return data[:2] == b"PK" or (text is not None and _HTML.match(text[:200]) is not None)


def import_file(
    data: bytes,
    fmt: Format = "auto",
    tz: str = "UTC",
    date_order: DateOrder = "auto",
    currency: str = "",
) -> Imported:
    """Read an export's bytes as ``fmt`` (``auto``: from its content). Times without a zone
    are in ``tz``; ``currency`` is the account's when the file does not say."""
    zone(tz)
    given_currency = currency.strip().upper()
    if fmt not in FORMATS:
        raise DataError(
            f"unknown format {fmt!r}: use {', '.join(FORMATS)}",
            key="journal.error.unknown_format",
            values={"format": repr(fmt), "formats": ", ".join(FORMATS)},
        )
    if date_order not in DATE_ORDERS:
        raise DataError(
            f"unknown date order {date_order!r}: use auto, dmy or mdy",
            key="journal.error.unknown_date_order",
            values={"order": repr(date_order)},
        )
    if not data.strip():
        raise DataError(
            "the file is empty: expected a header line and rows", key="market.error.empty_rows"
        )
    _check_utf16(data)
    text = None if data[:2] == b"PK" else decode(data)
    if _is_report(data, text):
        if fmt not in ("auto", *REPORTS):
            raise DataError(
                f"the file is an HTML/XLSX report, not a {fmt} CSV export",
                key="journal.error.report_not_csv",
                values={"format": fmt},
            )
        imported = read_metatrader(data, tz, fmt, given_currency)
        if fmt != "auto" and fmt != imported.format and fmt != "mt5-tester":
            raise DataError(
                f"the file is a {imported.label}, not {fmt}",
                key="journal.error.other_report",
                values={"label": imported.label, "format": fmt},
            )
    else:
        assert text is not None
        if fmt in REPORTS:
            raise DataError(
                f"the file is a CSV export, not an {fmt} report (HTML or XLSX)",
                key="journal.error.csv_not_report",
                values={"format": fmt},
            )
        if text.lstrip("\ufeff").startswith("Account Statement for"):
            raise DataError(
                "this file is a TD Ameritrade account statement; tradeloop does not read it "
                "yet (its trades can be saved as a generic executions CSV)",
                key="journal.error.td_statement",
            )
        if text.startswith("Statement,") or "\nTrades,Header," in text:
            frame, chosen = csv.ibkr_table(text), "ibkr"
        else:
            frame = read_csv_table(text, fast=False)
            chosen = detect(frame) if fmt == "auto" else fmt
        if fmt not in ("auto", chosen) and fmt == "ibkr":
            raise DataError(
                "the file is not an Interactive Brokers activity statement",
                key="journal.error.not_ibkr",
            )
        imported = READERS[fmt if fmt != "auto" else chosen](frame, tz, date_order)
    orders = imported.orders
    known = [c for c in orders["currency"].unique() if c]
    imported.currency = imported.currency or (known[0] if len(known) == 1 else "")
    if given_currency and (orders["currency"] == "").any():  # money the file does not label
        orders.loc[orders["currency"] == "", "currency"] = given_currency
        imported.currency = imported.currency or given_currency
    if given_currency and imported.currency and given_currency != imported.currency:
        imported.warnings.append(
            f"the file states its money in {imported.currency}, not {given_currency}: "
            f"{imported.currency} is kept"
        )
    imported.orders = orders[ORDER_COLUMNS].reset_index(drop=True)
    return imported
