"""Small MetaTrader reports of our own with the structure real terminals write: one table with
title rows, hidden cells (``<td class="hidden" colspan="8">``), translated words, UTF-16,
merged cells in XLSX. The numbers are hand-worked in the tests that use them."""

from __future__ import annotations

import io

from openpyxl import Workbook

# Section titles and headers in English, Japanese (as an OANDA Japan terminal writes them) and
# in made-up words standing for a language tradeloop has no catalogue for.
WORDS = {
    "en": {
        "title": "Trade History Report", "account": "Account:", "positions": "Positions",
        "orders": "Orders", "deals": "Deals", "open": "Open Positions", "results": "Results",
        "net": "Total Net Profit:",
        "pos": ["Time", "Position", "Symbol", "Type", "Volume", "Price", "S / L", "T / P", "Time",
                "Price", "Commission", "Swap", "Profit"],
        "ord": ["Open Time", "Order", "Symbol", "Type", "Volume", "Price", "S / L", "T / P",
                "Time", "State", "Comment"],
        "deal": ["Time", "Deal", "Symbol", "Type", "Direction", "Volume", "Price", "Order",
                 "Commission", "Fee", "Swap", "Profit", "Balance", "Comment"],
    },
    "ja": {
        "title": "取引履歴レポート", "account": "口座:", "positions": "ポジション一覧",
        "orders": "注文", "deals": "約定", "open": "ポジション", "results": "結果", "net": "総損益:",
        "pos": ["時間", "ポジション情報", "銘柄", "タイプ", "数量", "価格", "決済逆指値(S/L)",
                "決済指値(T/P)", "時間", "価格", "手数料", "スワップ", "損益"],
        "ord": ["約定時刻", "注文", "銘柄", "タイプ", "数量", "価格", "決済逆指値(S/L)",
                "決済指値(T/P)", "時間", "状況", "コメント"],
        "deal": ["時間", "約定", "銘柄", "タイプ", "新規・決済", "数量", "価格", "注文", "手数料",
                 "手数料", "スワップ", "損益", "残高", "コメント"],
    },
    "xx": {
        "title": "Lapor Riwayat Xyz", "account": "Akunx:", "positions": "Posisix",
        "orders": "Orderx", "deals": "Transaksix", "open": "Posisi Terbukax", "results": "Hasilx",
        "net": "Laba Bersih Xyz:",
        "pos": ["Waktux", "Posx", "Simbolx", "Tipex", "Volx", "Hargax", "SLx", "TPx", "Waktux",
                "Hargax", "Komisix", "Swapx", "Labax"],
        "ord": ["Bukax", "Orderx", "Simbolx", "Tipex", "Volx", "Hargax", "SLx", "TPx", "Waktux",
                "Statusx", "Komentarx"],
        "deal": ["Waktux", "Dealx", "Simbolx", "Tipex", "Arahx", "Volx", "Hargax", "Orderx",
                 "Komisix", "Biayax", "Swapx", "Labax", "Saldox", "Komentarx"],
    },
}  # fmt: skip

# Three closed positions, their opening orders and their deals (see test_metatrader.py):
# 1001 a buy whose S/L was trailed above the entry after it was placed at 1.07800;
# 1002 a sell that never had a stop; 1003 a buy whose only stop is the final S/L.
POSITIONS = [
    ["2024.03.01 10:00:00", "1001", "EURUSD", "buy", "0.10", "1.08000", "1.08100", "1.08400",
     "2024.03.01 11:00:00", "1.08100", "-0.70", "0.00", "10.00"],
    ["2024.03.01 11:05:00", "1002", "XAUUSD", "sell", "0.05", "2 050.00", "", "",
     "2024.03.01 12:00:00", "2 060.00", "-0.50", "0.00", "-50.00"],
    ["2024.03.01 12:10:00", "1003", "EURUSD", "buy", "0.20", "1.08100", "1.08150", "",
     "2024.03.01 12:40:00", "1.08150", "-1.40", "-0.30", "10.00"],
]  # fmt: skip
ORDERS = [
    ["2024.03.01 10:00:00", "1001", "EURUSD", "buy", "0.10 / 0.10", "1.08000", "1.07800",
     "1.08400", "2024.03.01 10:00:00", "filled", ""],
    ["2024.03.01 11:00:00", "1004", "EURUSD", "buy limit", "0.10 / 0", "1.07000", "1.06800", "",
     "2024.03.01 11:30:00", "canceled", ""],
    ["2024.03.01 11:00:00", "1005", "EURUSD", "sell", "0.10 / 0.10", "1.08100", "", "",
     "2024.03.01 11:00:00", "filled", "[sl 1.08100]"],
    ["2024.03.01 11:05:00", "1002", "XAUUSD", "sell", "0.05 / 0.05", "2 050.00", "", "",
     "2024.03.01 11:05:00", "filled", ""],
    ["2024.03.01 12:10:00", "1003", "EURUSD", "buy", "0.20 / 0.20", "1.08100", "", "",
     "2024.03.01 12:10:00", "filled", ""],
]  # fmt: skip
DEALS = [
    ["2024.03.01 09:00:00", "500", "", "balance", "", "", "", "", "0.00", "0.00", "0.00",
     "10 000.00", "10 000.00", "Deposit"],
    ["2024.03.01 10:00:00", "501", "EURUSD", "buy", "in", "0.10", "1.08000", "1001", "-0.35",
     "0.00", "0.00", "0.00", "9 999.65", ""],
    ["2024.03.01 11:00:00", "502", "EURUSD", "sell", "out", "0.10", "1.08100", "1005", "-0.35",
     "0.00", "0.00", "10.00", "10 009.30", "[sl 1.08100]"],
]  # fmt: skip
NET = "-32.90"  # 9.30 − 50.50 + 8.30


def _row(cells: list[str], hidden: str | None = None, at: int = 4) -> str:
    tds = [f"<td>{c}</td>" for c in cells]
    if hidden is not None:  # the terminal's comment cell, hidden by CSS
        tds.insert(at, f'<td class="hidden" colspan="8">{hidden}</td>')
    return "<tr>" + "".join(tds) + "</tr>"


def _title(text: str) -> str:
    return f'<tr><th colspan="14"><div><b>{text}</b></div></th></tr>'


def mt5_html(lang: str = "en", positions: list[list[str]] | None = None,
             orders: list[list[str]] | None = None, deals: list[list[str]] | None = None,
             account: str = "7001234 (USD, Demo-Server, demo, Hedge)", hidden: bool = True,
             net: str = NET) -> str:  # fmt: skip
    """An MT5 Trade History Report as the terminal writes it (before encoding)."""
    w = WORDS[lang]
    positions = POSITIONS if positions is None else positions
    orders = ORDERS if orders is None else orders
    deals = DEALS if deals is None else deals
    body = [
        _title(w["title"]),
        f'<tr><th colspan="4">{w["account"]}</th><th colspan="10">{account}</th></tr>',
        "<tr>" + "<td></td>" * 14 + "</tr>",
    ]
    if positions:
        body += [_title(w["positions"]), _row(w["pos"])]
        body += [_row(p, "comment" if hidden else None) for p in positions]
    body += ["<tr><td></td></tr>", _title(w["orders"]), _row(w["ord"]), *map(_row, orders)]
    body += ["<tr><td></td></tr>", _title(w["deals"])]
    header = [*w["deal"][:8], '<td class="hidden">Cost</td>', *w["deal"][8:]]
    body += ["<tr>" + "".join(c if c.startswith("<td") else f"<td>{c}</td>" for c in header)]
    body += [_row(d, "" if hidden else None, at=8) for d in deals]
    body += [_title(w["open"]), _row([*w["pos"][:8], "Market", "Swap", "Profit", "Comment"])]
    body += [_row(["2024.03.02 09:00:00", "1010", "EURUSD", "buy", "0.10", "1.09000", "", "",
                   "1.09100", "0.00", "10.00", ""])]  # fmt: skip
    body += [_title(w["results"]), f'<tr><td colspan="3">{w["net"]}</td><td>{net}</td></tr>']
    return "<html><body><table>" + "".join(body) + "</table></body></html>"


def mt5_xlsx(lang: str = "en", positions: list[list[str]] | None = None,
             orders: list[list[str]] | None = None) -> bytes:  # fmt: skip
    """The same report saved as XLSX, with merged title cells and a merged Profit header."""
    w = WORDS[lang]
    book = Workbook()
    sheet = book.active

    def merged_title(text: str) -> None:
        sheet.append([text])
        sheet.merge_cells(
            start_row=sheet.max_row, start_column=1, end_row=sheet.max_row, end_column=15
        )

    merged_title(w["title"])
    sheet.append([w["account"], None, None, "7001234 (USD, Demo-Server, demo, Hedge)"])
    sheet.merge_cells(start_row=2, start_column=1, end_row=2, end_column=3)
    merged_title(w["positions"])
    sheet.append(w["pos"])
    sheet.merge_cells(
        start_row=sheet.max_row, start_column=13, end_row=sheet.max_row, end_column=15
    )
    for p in POSITIONS if positions is None else positions:
        sheet.append([float(c.replace(" ", "")) if c[:1].isdigit() and "." in c and ":" not in c
                      else c for c in p])  # fmt: skip
    merged_title(w["orders"])
    sheet.append(w["ord"])
    for o in ORDERS if orders is None else orders:
        sheet.append(o)
    merged_title(w["results"])
    sheet.append([w["net"], None, None, float(NET)])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def deals_only_html(tester: bool = False) -> str:
    """A 2016-era report (Orders and Deals, no Positions, no Fee column), or a Strategy Tester
    report with the same tables. A hedged USDCHF session: two buys, a sell opened against them
    (with an S/L of 0.98200 on its order), then each closed."""
    orders = [
        ["2016.08.05 04:43:02", "11", "USDCHF", "buy", "1.00 / 1.00", "0.97430", "", "",
         "2016.08.05 04:43:02", "filled", ""],
        ["2016.08.05 05:44:47", "12", "USDCHF", "buy", "1.00 / 1.00", "0.97394", "", "",
         "2016.08.05 05:44:47", "filled", ""],
        ["2016.08.08 10:41:17", "13", "USDCHF", "sell", "1.00 / 1.00", "0.98059", "0.98200", "",
         "2016.08.08 10:41:17", "filled", ""],
    ]  # fmt: skip
    deals = [
        ["2016.08.05 04:36:05", "90", "", "balance", "", "", "", "", "0.00", "0.00", "10 000.00",
         "10 000.00", ""],
        ["2016.08.05 04:43:02", "91", "USDCHF", "buy", "in", "1.00", "0.97430", "11", "0.00",
         "0.00", "0.00", "10 000.00", ""],
        ["2016.08.05 05:44:47", "92", "USDCHF", "buy", "in", "1.00", "0.97394", "12", "0.00",
         "0.00", "0.00", "10 000.00", ""],
        ["2016.08.08 10:41:17", "93", "USDCHF", "sell", "in", "1.00", "0.98059", "13", "0.00",
         "0.00", "0.00", "10 000.00", ""],
        ["2016.08.08 10:41:25", "94", "USDCHF", "sell", "out", "1.00", "0.98062", "14", "0.00",
         "0.10", "644.49", "10 644.59", ""],
        ["2016.08.08 10:41:26", "95", "USDCHF", "sell", "out", "1.00", "0.98062", "15", "0.00",
         "0.10", "681.20", "11 325.89", ""],
        ["2016.08.08 10:41:28", "96", "USDCHF", "buy", "out", "1.00", "0.98073", "16", "0.00",
         "0.00", "-14.28", "11 311.61", "[sl 0.98073]"],
    ]  # fmt: skip
    head = (
        [_title("Strategy Tester Report"), _title("Settings"),
         '<tr><td colspan="3">Expert:</td><td colspan="10">Crossing EA</td></tr>',
         '<tr><td colspan="3">Symbol:</td><td colspan="10">USDCHF</td></tr>',
         '<tr><td colspan="3">Period:</td><td colspan="10">H1 (2016.08.01 - 2016.08.09)</td></tr>',
         '<tr><td colspan="3">Currency:</td><td colspan="10">USD</td></tr>']
        if tester
        else [_title("Trade History Report"),
              '<tr><th colspan="3">Account:</th><th colspan="10">3873474 (USD, 1:100, Demo, demo)</th></tr>']
    )  # fmt: skip
    body = [
        *head,
        _title("Orders"),
        _row(WORDS["en"]["ord"]),
        *map(_row, orders),
        _title("Deals"),
        _row([c for c in WORDS["en"]["deal"] if c != "Fee"]),
        *map(_row, deals),
        _title("Results"),
        '<tr><td colspan="3">Total Net Profit:</td><td>1 311.61</td></tr>',
    ]
    return "<html><body><table>" + "".join(body) + "</table></body></html>"


def mt4_html() -> str:
    """An MT4 Statement: account line, Closed Transactions with a balance row and a cancelled
    pending order, one open trade, the summary."""
    rows = [
        ["6001", "2015.10.26 07:15:54", "sell", "0.08", "usdcad", "1.31657", "1.31900",
         "0.00000", "2015.10.26 14:05:18", "1.31420", "0.00", "0.00", "0.00", "14.43"],
        ["6002", "2015.10.26 08:10:02", "buy", "0.06", "eurjpy", "133.630", "0.000", "0.000",
         "2015.10.27 11:10:34", "133.517", "-0.30", "0.00", "-0.04", "-5.61"],
        ["6003", "2015.10.27 09:00:00", "buy limit", "0.10", "eurusd", "1.10000", "1.09800",
         "1.10500", "2015.10.28 09:00:00", "1.10400", "cancelled"],
    ]  # fmt: skip
    body = [
        "<tr><td colspan=2>Account: 25810419</td><td colspan=5>Name: Demo</td>"
        "<td colspan=2>Currency: USD</td><td colspan=2>Leverage: 1:100</td>"
        "<td colspan=3>2015 October 28, 09:02</td></tr>",
        _title("Closed Transactions:"),
        _row(
            [
                "Ticket",
                "Open Time",
                "Type",
                "Size",
                "Item",
                "Price",
                "S / L",
                "T / P",
                "Close Time",
                "Price",
                "Commission",
                "Taxes",
                "Swap",
                "Profit",
            ]
        ),
        _row(["5999", "2015.10.19 07:53:51", "balance", "Deposit", "10 000.00"]),
        *map(_row, rows),
        _row(["", "", "", "", "", "", "", "", "", "", "-0.30", "0.00", "-0.04", "8.82"]),
        '<tr><td colspan="12">Closed P/L:</td><td colspan="2">8.48</td></tr>',
        _title("Open Trades:"),
        _row(
            [
                "6004",
                "2015.10.28 08:00:00",
                "sell",
                "0.06",
                "usdcad",
                "1.32000",
                "0.00000",
                "0.00000",
                "",
                "1.32100",
                "0.00",
                "0.00",
                "0.00",
                "-4.54",
            ]
        ),
        _title("Summary:"),
        "<tr><td colspan=2>Closed Trade P/L:</td><td colspan=2>8.48</td></tr>",
    ]
    return "<html><body><table>" + "".join(body) + "</table></body></html>"


def trade_account_html() -> str:
    """MT5's "Trade account report": open positions and working orders only (symbol first)."""
    body = [
        _title("取引口座レポート"),
        '<tr><th colspan="3">口座:</th><th colspan="10">400078005 (JPY, Demo, demo, Hedge)</th></tr>',
        _title("ポジション一覧"),
        _row(
            [
                "銘柄",
                "ポジション情報",
                "時間",
                "タイプ",
                "数量",
                "価格",
                "S/L",
                "T/P",
                "市場価格",
                "スワップ",
                "損益",
                "コメント",
            ]
        ),
        _row(
            [
                "EURUSD",
                "7636803",
                "2025.07.31 13:27:22",
                "sell",
                "0.01",
                "1.14310",
                "1.14393",
                "1.14206",
                "1.14332",
                "0",
                "-33",
                "",
            ]
        ),
    ]
    return "<html><body><table>" + "".join(body) + "</table></body></html>"
