"""Delimited exports: Tradovate (Orders, Fills, Performance), NinjaTrader 8 executions,
TradeZero/DAS executions, Interactive Brokers activity statements and the generic layout.

Each reader takes the table as strings (``read_csv_table(..., fast=False)``), the zone its
times are in and the day/month order, and returns ``Imported``. Numbers may carry currency
signs, thousands separators, ``(12.50)`` negatives or decimal commas.
"""

from __future__ import annotations

import csv
import io

import numpy as np
import pandas as pd

from tradeloop.journal.contracts import point_value, value_currency
from tradeloop.journal.frame import Imported, orders_frame, require, sides
from tradeloop.market.errors import DataError
from tradeloop.market.tables import mapped, numbers
from tradeloop.market.times import DateOrder, day_month_columns, parse_times

TRADOVATE_ORDERS = ["Order ID", "Timestamp", "Fill Time", "B/S", "Contract", "Type", "Status"]
TRADOVATE_SHORT = ["Order ID", "Timestamp", "Fill Time", "B/S", "Contract", "filledQty",
                   "Avg Fill Price", "Type", "Limit Price", "Stop Price", "Status"]  # fmt: skip
TRADOVATE_FILLS = ["Fill ID", "Order ID", "Timestamp", "B/S", "Quantity", "Price", "Contract"]
TRADOVATE_PERFORMANCE = ["symbol", "buyFillId", "sellFillId", "qty", "buyPrice", "sellPrice",
                         "pnl", "boughtTimestamp", "soldTimestamp"]  # fmt: skip
NINJATRADER = ["Instrument", "Action", "Quantity", "Price", "Time", "E/X"]
GENERIC = ["Date", "Time", "Symbol", "Quantity", "Price", "Side"]
_TYPES = {"market": "market", "limit": "limit", "stop": "stop", "stop limit": "stop_limit",
          "stoplimit": "stop_limit", "stop_limit": "stop_limit", "mit": "market",
          "trailing stop": "stop", "trailingstop": "stop"}  # fmt: skip
_STATUSES = {"filled": "filled", "canceled": "cancelled", "cancelled": "cancelled",
             "rejected": "rejected", "working": "working", "expired": "cancelled"}  # fmt: skip
_DAS_FEES = ("Comm", "SEC", "TAF", "NSCC", "Nasdaq", "ECN Remove", "ECN Add", "Fees", "Commission")


def _first(frame: pd.DataFrame, *names: str) -> str | None:
    return next((n for n in names if n in frame.columns), None)


def _money_columns(frame: pd.DataFrame, contracts: pd.Series) -> dict[str, pd.Series]:
    """Point value and currency per row: the file's Currency column, else the contract's."""
    stated = frame["Currency"].str.upper() if "Currency" in frame.columns else None
    known = mapped(contracts, value_currency)
    return {
        "multiplier": mapped(contracts, point_value).astype(float),
        "currency": stated.where(stated != "", known) if stated is not None else known,
    }


def _costs(frame: pd.DataFrame, *columns: str, signed: bool = False) -> pd.Series:
    """Commission and fees paid per row, summed over the named columns present: positive
    whatever sign the file writes, or as written when ``signed`` (a negative rebate)."""
    return sum(
        (
            values if signed else values.abs()
            for values in (numbers(frame, c).fillna(0.0) for c in columns if c in frame.columns)
        ),
        start=pd.Series(0.0, index=frame.index),
    )


def _fills(
    frame: pd.DataFrame, contract: pd.Series, side: pd.Series | np.ndarray, when: pd.Series,
    qty: str, price: str, **columns: object,
) -> pd.DataFrame:  # fmt: skip
    """One filled row per line of ``frame``: contract, side, time, quantity, price, the
    file's Account, point value and currency, and ``columns`` for the rest."""
    return orders_frame(
        {
            "account": frame["Account"] if "Account" in frame.columns else "",
            "contract": contract,
            "side": side,
            "timestamp": when,
            "fill_time": when,
            "qty": numbers(frame, qty, required=True).abs(),
            "price": numbers(frame, price, required=True),
            **_money_columns(frame, contract),
            **columns,
        }
    )


def tradovate_orders(frame: pd.DataFrame, tz: str, date_order: DateOrder) -> Imported:
    """A Tradovate / NinjaTrader web "Orders" export (the 11-, 29- and 32-column layouts)."""
    require(frame, TRADOVATE_ORDERS, "Tradovate Orders")
    qty_col = _first(frame, "filledQty", "Filled Qty")
    price_col = _first(frame, "Avg Fill Price", "avgPrice")
    if qty_col is None or price_col is None:
        raise DataError(
            "Tradovate Orders export is missing column(s): filledQty, Avg Fill Price",
            key="journal.error.missing_columns",
            values={"kind": "Tradovate Orders", "missing": "filledQty, Avg Fill Price"},
        )
    contract = frame["Contract"].str.upper()
    kind = frame["Type"].str.lower()
    status = frame["Status"].str.lower()
    order = day_month_columns(frame, ["Timestamp", "Fill Time"], date_order, "mdy")
    orders = orders_frame(
        {
            "order_id": frame["Order ID"],
            "account": frame["Account"] if "Account" in frame.columns else "",
            "contract": contract,
            "side": sides(frame["B/S"], "B/S"),
            "type": mapped(kind, _TYPES).fillna(kind),
            "status": mapped(status, _STATUSES).fillna(status),
            "timestamp": parse_times(frame["Timestamp"], tz, "Timestamp", order, "mdy"),
            "fill_time": parse_times(frame["Fill Time"], tz, "Fill Time", order, required=False),
            "qty": numbers(frame, qty_col).fillna(0.0),
            "price": numbers(frame, price_col),
            "limit_price": numbers(frame, "Limit Price") if "Limit Price" in frame else np.nan,
            "stop_price": numbers(frame, "Stop Price") if "Stop Price" in frame else np.nan,
            **_money_columns(frame, contract),
        }
    )
    return Imported(orders, "tradovate", label="Tradovate Orders")


def tradovate_fills(frame: pd.DataFrame, tz: str, date_order: DateOrder) -> Imported:
    """A Tradovate "Fills" export: one row per fill, with its commission. The ``_timestamp``
    column is UTC; without it ``Timestamp`` is read in ``tz``."""
    require(frame, TRADOVATE_FILLS, "Tradovate Fills")
    contract = frame["Contract"].str.upper()
    when = (
        parse_times(frame["_timestamp"], "UTC", "_timestamp")
        if "_timestamp" in frame.columns
        else parse_times(frame["Timestamp"], tz, "Timestamp", date_order, "mdy")
    )
    orders = _fills(
        frame, contract, sides(frame["B/S"], "B/S"), when, "Quantity", "Price",
        order_id=frame["Order ID"], fill_id=frame["Fill ID"],
        commission=_costs(frame, "commission", "Commission"),
    )  # fmt: skip
    return Imported(orders, "tradovate-fills", label="Tradovate Fills", stops_known=False)


def tradovate_performance(frame: pd.DataFrame, tz: str, date_order: DateOrder) -> Imported:
    """A Tradovate "Performance" export: each row one closed buy/sell pair with its P&L. A row
    becomes one trade (its two fills share a position id)."""
    require(frame, TRADOVATE_PERFORMANCE, "Tradovate Performance")
    contract = frame["symbol"].str.upper()
    order = day_month_columns(frame, ["boughtTimestamp", "soldTimestamp"], date_order, "mdy")
    bought = parse_times(frame["boughtTimestamp"], tz, "boughtTimestamp", order)
    sold = parse_times(frame["soldTimestamp"], tz, "soldTimestamp", order)
    qty = numbers(frame, "qty", required=True).abs()
    pnl = numbers(frame, "pnl", required=True)
    pair = frame["buyFillId"] + "-" + frame["sellFillId"]
    long = (bought <= sold).to_numpy()
    money = _money_columns(frame, contract)

    def leg(side: str, fill: str, when: pd.Series, price: str, closing: np.ndarray) -> dict:
        return {
            "order_id": frame[fill],
            "fill_id": frame[fill],
            "contract": contract,
            "side": side,
            "timestamp": when,
            "fill_time": when,
            "qty": qty,
            "price": numbers(frame, price, required=True),
            "money": np.where(closing, pnl, np.nan),
            "position": pair,
            "effect": np.where(closing, "close", "open"),
            **money,
        }

    buys = orders_frame(leg("buy", "buyFillId", bought, "buyPrice", ~long))
    sells = orders_frame(leg("sell", "sellFillId", sold, "sellPrice", long))
    orders = pd.concat([buys, sells], ignore_index=True)
    return Imported(
        orders,
        "tradovate-performance",
        label="Tradovate Performance",
        stops_known=False,
        stated={"rows": len(frame), "pnl": round(float(pnl.sum()), 2)},
    )


def ninjatrader(frame: pd.DataFrame, tz: str, date_order: DateOrder) -> Imported:
    """NinjaTrader 8's Executions grid exported as CSV: "MNQ MAR25" contracts, Entry/Exit,
    commission per execution, one FIFO book per account."""
    require(frame, NINJATRADER, "NinjaTrader executions")
    contract = frame["Instrument"].str.upper().str.replace(r"\s+", " ", regex=True)
    when = parse_times(frame["Time"], tz, "Time", date_order, "mdy")
    effect = mapped(frame["E/X"].str.lower(), {"entry": "open", "exit": "close"}).fillna("")
    orders = _fills(
        frame, contract, sides(frame["Action"], "Action"), when, "Quantity", "Price",
        order_id=frame["Order ID"] if "Order ID" in frame.columns else "",
        fill_id=frame["ID"] if "ID" in frame.columns else "",
        commission=_costs(frame, "Commission"), effect=effect,
    )  # fmt: skip
    return Imported(orders, "ninjatrader", label="NinjaTrader 8 executions", stops_known=False)


def das(frame: pd.DataFrame, tz: str, date_order: DateOrder) -> Imported:
    """TradeZero / DAS Trader executions: sides B, S, SS (sell short) and BC (buy to cover),
    quantities in shares, fees from the fee columns (or gross − net proceeds)."""
    date_col, time_col = (
        _first(frame, "T/D", "Date", "Trade Date"),
        _first(frame, "Exec Time", "Time"),
    )
    symbol_col, qty_col = (
        _first(frame, "Symbol", "Symb"),
        _first(frame, "Qty", "Quantity", "Shares"),
    )
    if None in (date_col, time_col, symbol_col, qty_col):
        raise DataError(
            "TradeZero/DAS export needs a date (T/D or Date), a time (Exec Time or Time), "
            "Symbol, Side, Qty and Price columns",
            key="journal.error.das_columns",
        )
    require(frame, ["Side", "Price"], "TradeZero/DAS")
    when = parse_times(frame[date_col] + " " + frame[time_col], tz, f"{date_col}/{time_col}",
                       date_order, "mdy")  # fmt: skip
    side_words = frame["Side"].str.upper().str.strip()
    if {"Gross Proceeds", "Net Proceeds"} <= set(frame.columns):
        fees = (numbers(frame, "Gross Proceeds") - numbers(frame, "Net Proceeds")).fillna(0.0)
    else:
        fees = _costs(frame, *_DAS_FEES, signed=True)  # ECN Add is a rebate when negative
    orders = _fills(
        frame, frame[symbol_col].str.upper(), sides(frame["Side"], "Side"), when, qty_col,
        "Price", commission=fees.round(6),
        effect=mapped(side_words, {"SS": "open", "BC": "close"}).fillna(""), multiplier=1.0,
        currency=frame["Currency"].str.upper() if "Currency" in frame.columns else "",
    )  # fmt: skip
    return Imported(orders, "das", label="TradeZero/DAS executions", stops_known=False)


def generic(frame: pd.DataFrame, tz: str, date_order: DateOrder) -> Imported:
    """``Date,Time,Symbol,Quantity,Price,Side`` (+ Account, Commission, Fees, StopPrice,
    Currency). Each row is a fill; a ``StopPrice`` records the protective stop the trader had
    at that moment, as a working stop order on the other side. Registry symbols are in lots."""
    require(frame, GENERIC, "generic executions")
    when = parse_times(frame["Date"] + " " + frame["Time"], tz, "Date/Time", date_order)
    contract = frame["Symbol"].str.upper()
    side = sides(frame["Side"], "Side")
    fills = _fills(
        frame, contract, side, when, "Quantity", "Price",
        commission=_costs(frame, "Commission", "Fees"),
    )  # fmt: skip
    imported = Imported(fills, "generic", label="executions CSV")
    if "StopPrice" not in frame.columns:
        imported.stops_known = False
        return imported
    stop = numbers(frame, "StopPrice")
    has = stop.notna().to_numpy()
    stops = fills[has].assign(
        order_id=[f"row{i + 1}-stop" for i in np.flatnonzero(has)],
        type="stop",
        status="working",
        fill_time=pd.NaT,
        qty=0.0,
        price=np.nan,
        stop_price=stop[has].to_numpy(),
        commission=0.0,
        side=np.where(side[has] == "buy", "sell", "buy"),
    )
    imported.orders = pd.concat([fills, stops], ignore_index=True)
    return imported


def ibkr_table(text: str) -> pd.DataFrame:
    """The Trades section of an Interactive Brokers activity statement as a table of strings
    (blank header names keep their place as ``col<N>``)."""
    header: list[str] | None = None
    rows = []
    for cells in csv.reader(io.StringIO(text)):
        if len(cells) < 3 or cells[0] != "Trades":
            continue
        if cells[1] == "Header":
            header = [name.strip() or f"col{i}" for i, name in enumerate(cells[2:])]
        elif cells[1] == "Data" and header is not None and cells[2] in ("Order", "Trade"):
            values = [c.strip() for c in cells[2:]]
            rows.append(values[: len(header)] + [""] * (len(header) - len(values)))
    if header is None or not rows:
        raise DataError(
            "the Interactive Brokers statement has no Trades rows: include the Trades section",
            key="journal.error.ibkr_no_trades",
        )
    return pd.DataFrame(rows, columns=header)


def ibkr(frame: pd.DataFrame, tz: str, date_order: DateOrder) -> Imported:
    """An Interactive Brokers activity statement's Trades: signed quantities, ``Comm`` per row,
    the Code column's O (open) and C (close)."""
    require(frame, ["Asset Category", "Symbol", "Date/Time", "Quantity", "T. Price"], "IBKR Trades")
    comm = _first(frame, "Comm/Fee", "Comm in USD", "Commission")
    qty = numbers(frame, "Quantity", required=True)
    when = parse_times(frame["Date/Time"], tz, "Date/Time", date_order)
    code = (
        frame["Code"].str.upper() if "Code" in frame.columns else pd.Series("", index=frame.index)
    )
    stocks = frame["Asset Category"].str.lower().str.startswith("stock")
    contract = frame["Symbol"].str.upper()
    effect = np.where(code.str.contains("C"), "close", np.where(code.str.contains("O"), "open", ""))
    orders = _fills(
        frame, contract, np.where(qty > 0, "buy", "sell"), when, "Quantity", "T. Price",
        commission=_costs(frame, *([comm] if comm else [])), effect=effect,
        multiplier=np.where(stocks, 1.0, mapped(contract, point_value).astype(float)),
        currency=frame["Currency"].str.upper() if "Currency" in frame.columns else "",
    )  # fmt: skip
    return Imported(
        orders, "ibkr", label="Interactive Brokers activity statement", stops_known=False
    )
