"""MetaTrader reports: the MT5 Trade History Report (HTML or XLSX, any terminal language,
hedging or netting, with or without a Positions table), the MT5 Strategy Tester report and
the MT4 Statement / Detailed Statement.

Sections are found by the shape of their rows, not by their translated titles: a closed MT5
position is ``time, ticket, symbol, buy|sell, volume, price, S/L, T/P, time, price,
commission, swap, profit``; an order has ``filled / requested`` volumes; a deal has a
direction (in, out, in/out, out by); an MT4 trade starts with its ticket. The terminal writes
buy/sell, in/out and order states in English in every language.

Planned risk comes from the stop **set at entry**: the S/L of the order that opened the
position. The Positions (and MT4) S/L is the final, often trailed stop: it shows that a stop
existed, not where it was planned, so a position with only that stop has unknown risk.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from tradeloop.journal.frame import Imported, empty_orders, orders_frame
from tradeloop.journal.grid import Row, filled, report_rows
from tradeloop.market.errors import DataError
from tradeloop.market.tables import mapped, numbers
from tradeloop.market.times import parse_times

_TIME = re.compile(r"^\d{4}\.\d{2}\.\d{2}( \d{2}:\d{2}(:\d{2})?)?$")
_TICKET = re.compile(r"^\d{1,20}$")
_VOLUMES = re.compile(r"^[\d.,]+ / [\d.,]+$")
_NUMBER = re.compile(r"^-?[\d\s.,]+$")
_ACCOUNT = re.compile(r"^(?P<number>\d{3,20})(?:\s*\((?P<details>[^)]*)\))?$")
_PERIOD = re.compile(r"^(?P<tf>M\d+|H\d+|D1|W1|MN1?) \((?P<start>[\d.]+) - (?P<end>[\d.]+)\)$")
TRADE_TYPES = ("buy", "sell")
DIRECTIONS = ("in", "out", "in/out", "out by")
POSITION_COLUMNS = ["open_time", "position", "symbol", "type", "volume", "open_price", "sl",
                    "tp", "close_time", "close_price", "commission", "swap", "profit"]  # fmt: skip
MT4_COLUMNS = ["ticket", "open_time", "type", "volume", "symbol", "open_price", "sl", "tp",
               "close_time", "close_price", "commission", "taxes", "swap", "profit"]  # fmt: skip
# The first words of the Positions header, to name the terminal's language (sections are
# found by structure whatever the language; an unlisted language still reads).
LANGUAGES = {
    ("time", "position", "symbol", "type"): "en",
    ("heure", "position", "symbole", "type"): "fr",
    ("zeit", "position", "symbol", "typ"): "de",
    ("время", "позиция", "символ", "тип"): "ru",
    ("horário", "position", "ativo", "tipo"): "pt",
    ("時間", "ポジション情報", "銘柄", "タイプ"): "ja",
    ("时间", "持仓", "交易品种", "类型"): "zh",
    ("時間", "持倉", "交易品種", "類型"): "zh-TW",
}
ACCOUNT_LABELS = ("account", "compte", "口座", "conta", "cuenta", "konto", "счет", "账户", "帳戶")
CURRENCY_LABELS = ("currency", "devise", "通貨", "moeda", "moneda", "währung", "валюта", "货币")
NET_PROFIT_LABELS = ("total net profit", "profit total net", "総損益", "总净盈利", "總淨盈利",
                     "чистая прибыль", "beneficio neto", "lucro líquido total", "gesamtnettogewinn",
                     "closed trade p/l")  # fmt: skip


@dataclass
class Sections:
    """The rows of a report sorted by what they are."""

    positions: list[Row] = field(default_factory=list)
    open_positions: list[Row] = field(default_factory=list)
    orders: list[Row] = field(default_factory=list)
    working: list[Row] = field(default_factory=list)
    deals: list[Row] = field(default_factory=list)
    deals_have_fee: bool = True
    mt4_trades: list[Row] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)
    language: str = ""
    tester: bool = False


def _cell(row: Row, index: int) -> str:
    return row[index] if index < len(row) else ""


def _is_header(row: Row) -> bool:
    cells = filled(row)
    return len(cells) >= 8 and not any(_TIME.match(c) or _NUMBER.match(c) for c in cells)


def _kind(row: Row) -> str | None:
    """What a data row is, from its shape."""
    if len(row) < 6:
        return None
    c = [cell.lower() for cell in row[:11]] + [""] * max(0, 11 - len(row))
    if _TICKET.match(c[0]) and _TIME.match(c[1]):  # MT4: ticket first
        return "mt4" if c[2] in TRADE_TYPES and len(row) >= 13 else "mt4-other"
    if _TICKET.match(c[1]) and _TIME.match(c[2]):  # trade account report: symbol first
        return "working" if _VOLUMES.match(c[4]) else "open" if c[3] in TRADE_TYPES else None
    if not (_TIME.match(c[0]) and _TICKET.match(c[1])):
        return None
    if _VOLUMES.match(c[4]):
        return "order" if _TIME.match(c[8]) else "working"
    if c[4] in DIRECTIONS or (c[3] not in TRADE_TYPES and c[4] == "" and len(row) >= 10):
        return "deal"
    if c[3] in TRADE_TYPES:
        return "position" if _TIME.match(c[8]) else "open"
    return None


def _labels(rows: list[Row]) -> dict[str, str]:
    """``label: value`` pairs of the report's header and results blocks (lower-case labels)."""
    found: dict[str, str] = {}
    for row in rows:
        cells = filled(row)
        for label, value in zip(cells, [*cells[1:], ""], strict=False):
            if label.endswith(":") and value and not value.endswith(":"):
                found.setdefault(label[:-1].strip().lower(), value)
        if cells and ":" in cells[0] and not cells[0].endswith(":"):  # MT4 "Account: 123"
            label, _, value = cells[0].partition(":")
            found.setdefault(label.strip().lower(), value.strip())
            for cell in cells[1:]:
                if ":" in cell:
                    key, _, val = cell.partition(":")
                    found.setdefault(key.strip().lower(), val.strip())
    return found


def sections(rows: list[Row]) -> Sections:
    """Sort a report's rows by shape; deals say from their header whether a Fee column is
    there (newer builds) or not (2016-era and tester reports)."""
    found = Sections(labels=_labels(rows))
    header: Row = []
    for row in rows:
        if _is_header(row):
            header = row
            key = tuple(cell.lower() for cell in row[:4])
            found.language = found.language or LANGUAGES.get(key, "")  # type: ignore[call-overload]
            continue
        kind = _kind(row)
        if kind == "position":
            found.positions.append(row)
        elif kind == "open":
            found.open_positions.append(row)
        elif kind == "order":
            found.orders.append(row)
        elif kind == "working":
            found.working.append(row)
        elif kind == "deal":
            found.deals.append(row)
            found.deals_have_fee = len(header) >= 14
        elif kind == "mt4":
            found.mt4_trades.append(row)
    found.tester = any(_PERIOD.match(v) for v in found.labels.values())
    return found


def _account(labels: dict[str, str]) -> tuple[str, str, str]:
    """Account number, currency and server from ``70358000 (EUR, MetaQuotes-Demo, demo,
    Hedge)`` (MT5, any language: the value's shape tells) or ``Account: 123`` and
    ``Currency: USD`` (MT4)."""
    values = [labels[k] for k in ACCOUNT_LABELS if k in labels] + [
        v for v in labels.values() if _ACCOUNT.match(v) and "(" in v
    ]
    match = next((m for v in values if (m := _ACCOUNT.match(v)) is not None), None)
    if match is None:
        return "", "", ""
    currency = server = ""
    for part in (p.strip() for p in (match["details"] or "").split(",")):
        if re.fullmatch(r"[A-Z]{3}", part):
            currency = currency or part
        elif part and not re.fullmatch(r"1:\d+|demo|real|contest|hedge|netting", part.lower()):
            server = server or part
    stated = next((labels[k] for k in CURRENCY_LABELS if k in labels), "")
    if not currency and re.fullmatch(r"[A-Z]{3}", stated):
        currency = stated
    return match["number"], currency, server


def _net_profit(labels: dict[str, str]) -> float | None:
    for label in NET_PROFIT_LABELS:
        if label in labels:
            text = re.sub(r"[\s\u00a0]", "", labels[label]).replace(",", ".")
            try:
                return float(text)
            except ValueError:
                return None
    return None


def _table(rows: list[Row], columns: list[str]) -> pd.DataFrame:
    width = len(columns)
    return pd.DataFrame([(r + [""] * width)[:width] for r in rows], columns=columns)


def _entry_stops(orders: list[Row]) -> dict[str, float]:
    """The S/L each filled order carried when it was placed, by order ticket."""
    if not orders:
        return {}
    table = _table(orders, ["time", "order", "symbol", "type", "volume", "price", "sl"])
    sl = numbers(table, "sl", where="Orders row")
    return {o: float(s) for o, s in zip(table["order"], sl, strict=True) if s > 0}


def _money(table: pd.DataFrame, where: str, fee: bool) -> tuple[pd.Series, pd.Series]:
    """Cost (commission and fees, positive) and swap of each row."""
    cost = -numbers(table, "commission", where=where).fillna(0.0)
    if fee:
        cost -= numbers(table, "fee", where=where).fillna(0.0)
    return cost, numbers(table, "swap", where=where).fillna(0.0)


def _exit_type(price: pd.Series, sl: pd.Series, tp: pd.Series, comment: pd.Series) -> np.ndarray:
    """'stop' for an exit at the stop (or an ``sl`` comment), 'limit' at the target (or
    ``tp``), 'stop_out' for a margin stop-out (``so``: the broker closed it, no stop did)."""
    tolerance = np.maximum(price.abs() * 1e-9, 1e-12)
    said = comment.str.lower().str.lstrip("[")
    at_stop = ((sl > 0) & ((price - sl).abs() <= tolerance)) | said.str.match(r"sl\b")
    at_target = ((tp > 0) & ((price - tp).abs() <= tolerance)) | said.str.match(r"tp\b")
    kind = np.where(at_stop, "stop", np.where(at_target, "limit", "market"))
    return np.where(said.str.match(r"so\b"), "stop_out", kind)


def _position_orders(
    p: pd.DataFrame, account: str, currency: str, tz: str, entry_sl: dict[str, float],
    where: str,
) -> pd.DataFrame:  # fmt: skip
    """An entry fill, an exit fill carrying the stated money, and the position's stop for each
    closed position (MT5 Positions rows or MT4 trades)."""
    kind = p["type"].str.lower()
    volume = numbers(p, "volume", required=True, where=where)
    open_price = numbers(p, "open_price", required=True, where=where)
    close_price = numbers(p, "close_price", required=True, where=where)
    final_sl = numbers(p, "sl", where=where).fillna(0.0)
    tp = numbers(p, "tp", where=where).fillna(0.0)
    profit = numbers(p, "profit", required=True, where=where)
    cost, swap = _money(p, where, fee=False)
    if "taxes" in p:
        cost -= numbers(p, "taxes", where=where).fillna(0.0)
    opened = parse_times(p["open_time"], tz, "open time", "auto")
    closed = parse_times(p["close_time"], tz, "close time", "auto")
    other = np.where(kind == "buy", "sell", "buy")
    common = {"account": account, "contract": p["symbol"].str.upper(), "position": p["position"],
              "currency": currency}  # fmt: skip
    ticket = f"{account}:" + p["position"]  # tickets are unique per trade server only
    entries = orders_frame(
        {
            **common,
            "order_id": ticket,
            "fill_id": ticket + ":in",
            "side": kind,
            "timestamp": opened,
            "fill_time": opened,
            "qty": volume,
            "price": open_price,
            "effect": "open",
        }
    )
    exits = orders_frame(
        {
            **common,
            "order_id": ticket + ":out",
            "fill_id": ticket + ":out",
            "side": other,
            "type": _exit_type(close_price, final_sl, tp, pd.Series("", index=p.index)),
            "timestamp": closed,
            "fill_time": closed,
            "qty": volume,
            "price": close_price,
            "commission": cost,
            "swap": swap,
            "money": profit,
            "effect": "close",
        }
    )
    planned = p["position"].map(entry_sl).astype(float)
    has_plan = planned.notna().to_numpy()
    only_final = ~has_plan & (final_sl > 0).to_numpy()  # a stop existed; its plan is unknown
    stops = orders_frame(
        {
            **common,
            "order_id": ticket + ":sl",
            "side": other,
            "type": "stop",
            "status": "working",
            "timestamp": np.where(has_plan, opened, closed),
            "qty": 0.0,
            "price": np.nan,
            "stop_price": planned,
        }
    )[has_plan | only_final]
    return pd.concat([entries, stops, exits], ignore_index=True)


def _deal_orders(
    s: Sections, account: str, currency: str, tz: str, entry_sl: dict[str, float]
) -> pd.DataFrame:
    """Fills from the Deals table (reports without Positions, and tester reports): in-deals
    open, out-deals close first in, first out per direction, each carrying its money."""
    columns = ["time", "deal", "symbol", "type", "direction", "volume", "price", "order",
               "commission", *(["fee"] if s.deals_have_fee else []), "swap", "profit",
               "balance", "comment"]  # fmt: skip
    table = _table(s.deals, columns)
    table = table[table["type"].str.lower().isin(TRADE_TYPES)].reset_index(drop=True)
    if table.empty:
        return empty_orders()
    where = "Deals row"
    when = parse_times(table["time"], tz, "deal time", "auto")
    direction = table["direction"].str.lower()
    closing = direction.isin(["out", "out by"]).to_numpy()
    cost, swap = _money(table, where, s.deals_have_fee)
    price = numbers(table, "price", required=True, where=where)
    nothing = pd.Series(0.0, index=table.index)
    fills = orders_frame(
        {
            "order_id": f"{account}:" + table["order"],
            "fill_id": f"{account}:" + table["deal"],
            "account": account,
            "contract": table["symbol"].str.upper(),
            "side": table["type"].str.lower(),
            "type": np.where(
                closing, _exit_type(price, nothing, nothing, table["comment"]), "market"
            ),
            "timestamp": when,
            "fill_time": when,
            "qty": numbers(table, "volume", required=True, where=where),
            "price": price,
            "commission": cost,
            "swap": swap,
            "money": np.where(
                closing | (direction == "in/out").to_numpy(),
                numbers(table, "profit", where=where).fillna(0.0),
                np.nan,
            ),
            "effect": mapped(direction, {"in": "open", "out": "close", "out by": "close"}).fillna(
                ""
            ),
            "currency": currency,
        }
    )
    planned = table["order"].map(entry_sl).astype(float)
    has = (planned.notna() & (direction == "in")).to_numpy()
    stops = fills[has].assign(
        order_id=lambda f: f["order_id"] + ":sl", fill_id="", type="stop", status="working",
        fill_time=pd.NaT, qty=0.0, price=np.nan, stop_price=planned[has].to_numpy(),
        commission=0.0, swap=0.0, money=np.nan, effect="",
        side=np.where(fills["side"][has] == "buy", "sell", "buy"),
    )  # fmt: skip
    return pd.concat([fills, stops], ignore_index=True)


def _tester_label(labels: dict[str, str]) -> tuple[str, str]:
    """'Strategy Tester: <expert>, <symbol> <period>' and the currency the tester reports in."""
    period = next((v for v in labels.values() if _PERIOD.match(v)), "")
    values = list(labels.values())
    at = values.index(period) if period in values else 0
    symbol = values[at - 1] if at >= 1 else ""
    expert = values[at - 2] if at >= 2 else ""
    stated = labels.get("currency", "")
    currency = (
        "pips" if "pip" in stated.lower() else stated if re.fullmatch(r"[A-Z]{3}", stated) else ""
    )
    return f"Strategy Tester: {expert}, {symbol} {period}".strip(", "), currency


def read_metatrader(data: bytes, tz: str, fmt: str = "auto", currency: str = "") -> Imported:
    """Orders from an MT5 or MT4 report; refuses a report without closed trades, naming it."""
    s = sections(report_rows(data))
    account, stated_currency, server = _account(s.labels)
    money_currency = stated_currency or currency
    net = _net_profit(s.labels)
    stated = {"net_profit": net} if net is not None else {}
    if s.mt4_trades and not (s.positions or s.deals):
        p = _table(s.mt4_trades, MT4_COLUMNS).rename(columns={"ticket": "position"})
        p = p[p["close_time"] != ""].reset_index(drop=True)  # open trades are not trades yet
        if p.empty:
            raise DataError(
                "the MT4 statement has no closed trades", key="journal.error.mt4_no_trades"
            )
        orders = _position_orders(p, account, money_currency, tz, {}, "Closed Transactions row")
        return Imported(orders, "mt4", label="MT4 Statement", currency=money_currency,
                        server=server, stated=stated)  # fmt: skip
    entry_sl = _entry_stops(s.orders)
    if s.tester or fmt == "mt5-tester":
        if not s.deals:
            raise DataError(
                "the Strategy Tester report has no Deals table", key="journal.error.tester_no_deals"
            )
        label, tester_currency = _tester_label(s.labels)
        orders = _deal_orders(
            s, account or "tester", tester_currency or money_currency, tz, entry_sl
        )
        return Imported(orders, "mt5-tester", kind="tested", label=label,
                        currency=tester_currency or money_currency, language=s.language,
                        stated=stated)  # fmt: skip
    if s.positions:
        p = _table(s.positions, POSITION_COLUMNS)
        orders = _position_orders(p, account, money_currency, tz, entry_sl, "Positions row")
        label = "MT5 Trade History Report"
    elif s.deals:
        orders = _deal_orders(s, account, money_currency, tz, entry_sl)
        label = "MT5 Trade History Report (orders and deals)"
    elif s.open_positions or s.working:
        raise DataError(
            f"this MT5 report lists {len(s.open_positions)} open position(s) and "
            f"{len(s.working)} working order(s) but no closed trades: export the account "
            "history instead (History tab → right-click → Report)",
            key="journal.error.only_open_positions",
            values={"positions": len(s.open_positions), "orders": len(s.working)},
        )
    else:
        raise DataError(
            "the file is not a MetaTrader trade history: no closed positions, deals or MT4 "
            "trades were found in its tables (another broker's spreadsheet can be saved as CSV)",
            key="journal.error.not_metatrader",
        )
    return Imported(orders, "mt5", label=label, currency=money_currency, server=server,
                    language=s.language, stated=stated)  # fmt: skip
