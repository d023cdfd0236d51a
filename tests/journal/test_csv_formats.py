"""Delimited exports of our own in the layouts brokers write; every figure worked by hand."""

from __future__ import annotations

import pandas as pd
import pytest

from tradeloop.market.errors import DataError
from tradeloop.services.exports import load_journal

ORDERS_32 = (
    "orderId,Account,Order ID,B/S,Contract,Product,Product Description,avgPrice,filledQty,"
    "Fill Time,lastCommandId,Status,_priceFormat,_priceFormatType,_tickSize,spreadDefinitionId,"
    "Version ID,Timestamp,Date,Quantity,Text,Type,Limit Price,Stop Price,decimalLimit,decimalStop,"
    "Filled Qty,Avg Fill Price,decimalFillAvg,Venue,Notional Value,Currency\n"
    '11,ACC1,11, Sell,NQH6,NQ,E-Mini NASDAQ 100,25271.0,1,02/11/2026 15:34:46,11, Filled,-2,0,'
    '0.25,,11,02/11/2026 15:30:36,2/11/26,1,DOM, Stop,,25271.00,,25271.0,1,25271.00,25271.0,,'
    '"505,420.00",USD\n'
    '12,ACC1,12, Buy,NQH6,NQ,E-Mini NASDAQ 100,25266.0,1,02/11/2026 16:10:55,12, Filled,-2,0,'
    '0.25,,12,02/11/2026 15:35:04,2/11/26,1,DOM, Limit,25266.00,,25266.0,,1,25266.00,25266.0,,'
    '"505,320.00",USD\n'
    '13,ACC1,13, Buy,NQH6,NQ,E-Mini NASDAQ 100,,,,13, Canceled,-2,0,0.25,,13,02/11/2026 16:10:55,'
    '2/11/26,1,DOM, Stop,,25290.00,,25290.0,,,,,"0.00",USD\n'
)  # fmt: skip
FILLS = (
    "_id,_orderId,_contractId,_timestamp,_tradeDate,_action,_qty,_price,_active,_accountId,"
    "Fill ID,Order ID,Timestamp,Date,Account,B/S,Quantity,Price,_priceFormat,_priceFormatType,"
    "_tickSize,Contract,Product,Product Description,commission\n"
    "21,11,1,2026-02-11 06:34:46.772Z,2026-02-11,1,1,25271.0,true,9,21,11,02/11/2026 15:34:46,"
    "2/11/26,ACC1, Sell,1,25271.00,-2,0,0.25,NQH6,NQ,E-Mini NASDAQ 100,0.79\n"
    "22,12,1,2026-02-11 07:10:55.153Z,2026-02-11,0,1,25266.0,true,9,22,12,02/11/2026 16:10:55,"
    "2/11/26,ACC1, Buy,1,25266.00,-2,0,0.25,NQH6,NQ,E-Mini NASDAQ 100,0.79\n"
)  # fmt: skip
PERFORMANCE = (
    "symbol,_priceFormat,_priceFormatType,_tickSize,buyFillId,sellFillId,qty,buyPrice,"
    "sellPrice,pnl,boughtTimestamp,soldTimestamp,duration\n"
    "MNQZ4,-2,0,0.25,31,41,3,21540.00,21530.25,$(58.50),12/10/2024 09:50:11,12/10/2024 09:53:10,"
    "2min 58sec\n"
    "MNQZ4,-2,0,0.25,32,41,1,21534.25,21531.00,$(6.50),12/10/2024 09:50:11,12/10/2024 09:53:10,"
    "2min 58sec\n"
    "NQH6,-2,0,0.25,22,21,1,25266.00,25271.00,$100.00,02/11/2026 16:10:55,02/11/2026 15:34:46,"
    "36min 8sec\n"
)  # fmt: skip


def test_tradovate_orders_32_columns_with_quoted_thousands_and_currency() -> None:
    journal = load_journal(ORDERS_32.encode(), tz="Asia/Tokyo")
    (trade,) = journal.analysis.trades.itertuples()
    # sold 25 271 at 15:34:46 Tokyo, bought back 25 266: +5 NQ points × 20 USD
    assert (trade.side, trade.points, trade.pnl_money, trade.currency) == (
        "sell",
        5.0,
        100.0,
        "USD",
    )
    assert trade.entry_time == pd.Timestamp("2026-02-11 06:34:46", tz="UTC")
    assert journal.imported.accounts == ["ACC1"] and journal.format == "tradovate"


def test_tradovate_fills_carry_commission_and_a_utc_timestamp() -> None:
    journal = load_journal(FILLS.encode(), tz="America/New_York")  # _timestamp states UTC
    (trade,) = journal.analysis.trades.itertuples()
    assert journal.format == "tradovate-fills"
    assert trade.entry_time == pd.Timestamp("2026-02-11 06:34:46.772", tz="UTC")
    assert (trade.gross_money, trade.commission, trade.pnl_money) == (100.0, 1.58, 98.42)
    assert trade.mistakes == [] and journal.analysis.summary["mistake_counts"]["no_stop_loss"] == 0


def test_tradovate_performance_rows_are_one_trade_each() -> None:
    journal = load_journal(PERFORMANCE.encode())
    t = journal.analysis.trades
    assert journal.format == "tradovate-performance" and len(t) == 3
    assert list(t["pnl_money"]) == [-58.50, -6.50, 100.00]  # $(58.50) is negative
    short = t.iloc[2]  # sold at 15:34:46 before buying back at 16:10:55
    assert (short.side, short.entry_price, short.exit_price) == ("sell", 25271.0, 25266.0)
    assert journal.imported.stated == {"rows": 3, "pnl": 35.0}


NINJATRADER = (
    "Instrument,Action,Quantity,Price,Time,ID,E/X,Position,Order ID,Name,Commission,Rate,"
    "Account,Connection,\n"
    "MNQ MAR25,Buy,9,100.00,1/28/2025 10:59:52 AM,a1,Entry,9 L,o1,n,$0.00,1,Sim101,C,\n"
    "MNQ MAR25,Buy,1,100.25,1/28/2025 10:59:52 AM,a2,Entry,10 L,o1,n,$0.00,1,Sim101,C,\n"
    "MNQ MAR25,Sell,6,99.00,1/28/2025 1:01:29 PM,a3,Exit,4 L,o2,n,$0.00,1,Sim101,C,\n"
    "MNQ MAR25,Sell,4,98.75,1/28/2025 1:01:29 PM,a4,Exit,-,o2,n,$0.00,1,Sim101,C,\n"
    "NQ MAR25,Buy,1,100.00,1/28/2025 10:59:51 AM,b1,Entry,-,,,$1.55,1,APEX1,C,\n"
    "NQ MAR25,Sell,1,101.00,1/28/2025 11:01:29 AM,b2,Exit,-,,,$1.55,1,APEX1,C,\n"
)  # fmt: skip


def test_ninjatrader_executions_per_account_with_contract_names_and_pm_times() -> None:
    journal = load_journal(NINJATRADER.encode())
    t = journal.analysis.trades.set_index(["account", "exit_price"])
    assert journal.format == "ninjatrader" and journal.imported.accounts == ["Sim101", "APEX1"]
    # Sell 6 closes 6 of the 9 at 100: −1 point × 6 × 2 USD = −12
    assert (t.loc[("Sim101", 99.0), "pnl_money"], t.loc[("Sim101", 99.0), "lots"]) == (-12.0, 1)
    # Sell 4 closes the other 3 at 100 and the 1 at 100.25: −5.25 points × 2 = −10.50
    assert (t.loc[("Sim101", 98.75), "pnl_money"], t.loc[("Sim101", 98.75), "lots"]) == (-10.5, 2)
    assert t.loc[("Sim101", 99.0), "exit_time"] == pd.Timestamp("2025-01-28 13:01:29", tz="UTC")
    # NQ: +1 point × 20 = 20, less 2 × 1.55 commission
    assert t.loc[("APEX1", 101.0), "pnl_money"] == pytest.approx(16.90)


TRADEZERO = (
    "Account,T/D,S/D,Currency,Type,Side,Symbol,Qty,Price,Exec Time,Comm,SEC,TAF,NSCC,Nasdaq,"
    "ECN Remove,ECN Add,Gross Proceeds,Net Proceeds,Clr Broker,Liq,Note\n"
    "XY1,08/08/2022,08/10/2022,USD,3,SS,RBLX,50,49.88,09:47:59,0,0.06,0.01,0,0,0,0,2494,2493.93,"
    "SIM,,\n"
    "XY1,08/08/2022,08/10/2022,USD,3,BC,RBLX,25,49.65,09:48:22,0,0,0,0,0,0,0,-1241.25,-1241.25,"
    "SIM,,\n"
    "XY1,08/08/2022,08/10/2022,USD,3,BC,RBLX,25,49.89,09:48:45,0,0,0,0,0,0,0,-1247.25,-1247.25,"
    "SIM,,\n"
    "XY1,08/08/2022,08/10/2022,USD,3,B,AAPL,10,150.00,10:00:00,1,0,0,0,0,0,0,-1500,-1501,SIM,,\n"
    "XY1,08/08/2022,08/10/2022,USD,3,S,AAPL,10,151.50,10:30:00,1,0,0,0,0,0,0,1515,1514,SIM,,\n"
)  # fmt: skip


def test_tradezero_das_short_sales_and_covers_with_fees() -> None:
    journal = load_journal(TRADEZERO.encode(), tz="America/New_York")
    t = journal.analysis.trades
    assert journal.format == "das" and list(t["side"]) == ["sell", "sell", "buy"]
    # short 50 at 49.88 (fees 0.07 = gross − net proceeds), covered 25 at 49.65 and 25 at 49.89
    assert [round(v, 4) for v in t["gross_money"]] == [5.75, -0.25, 15.0]
    assert [round(v, 4) for v in t["commission"]] == [0.035, 0.035, 2.0]
    assert round(journal.analysis.summary["net_pnl"], 4) == round(5.715 - 0.285 + 13.0, 4)
    assert t.iloc[0].entry_time == pd.Timestamp("2022-08-08 13:47:59", tz="UTC")  # EDT


IBKR = (
    "Statement,Header,Field Name,Field Value\n"
    "Statement,Data,BrokerName,Interactive Brokers LLC\n"
    "Trades,Header,DataDiscriminator,Asset Category,Currency,Symbol,Date/Time,Quantity,T. Price,"
    ",Proceeds,Comm in USD,,,MTM in USD,Code\n"
    'Trades,Data,Order,Stocks,USD,RXRX,"2024-06-06, 09:32:06",324,9.07,9.01,-2938.68,'
    "-0.51923349,2939.19923349,0,-19.44,O;P\n"
    'Trades,Data,Order,Stocks,USD,RXRX,"2024-06-06, 10:06:10",-324,8.875,9.01,2875.5,'
    "-1.33335639,-2939.199233,-65.032589,-43.74,C\n"
    "Trades,SubTotal,,Stocks,USD,,,\n"
    "Trades,Total,,,,,,\n"
)  # fmt: skip


def test_interactive_brokers_activity_statement_trades() -> None:
    journal = load_journal(IBKR.encode())
    (trade,) = journal.analysis.trades.itertuples()
    # (8.875 − 9.07) × 324 = −63.18; commission 0.51923349 + 1.33335639: IBKR's −65.032589
    assert journal.format == "ibkr" and trade.gross_money == pytest.approx(-63.18)
    assert trade.pnl_money == pytest.approx(-65.03258988)


def test_generic_executions_with_an_account_keep_one_book_per_account() -> None:
    data = (
        "Date,Time,Account,Symbol,Quantity,Price,Side\n"
        "2024-01-02,09:00:00,A,ESH4,1,5000,Buy\n"
        "2024-01-02,09:01:00,B,ESH4,1,5002,Sell\n"
        "2024-01-02,09:05:00,A,ESH4,1,5004,Sell\n"
        "2024-01-02,09:06:00,B,ESH4,1,5001,Buy\n"
    )
    t = load_journal(data.encode()).analysis.trades
    # without the account column these would net against each other
    assert list(zip(t["account"], t["points"], strict=True)) == [("A", 4.0), ("B", 1.0)]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("Account ID,Account Name,Trade Date,Total Amount,Total Realized PNL\n1,A,2026-01-30,"
         '"51,413.38","1,413.38"\n', "this file is a daily account balance history (Tradovate)"),
        ("time,open,high,low,close\n2024-01-02,1,2,0.5,1.5\n", "this file is price bars"),
        ("<DATE>\t<TIME>\t<OPEN>\t<HIGH>\t<LOW>\t<CLOSE>\n2021.01.04\t00:00:00\t1\t2\t0.5\t1.5\n",
         "this file is price bars"),  # an MT5 History Center export starts with '<' too
        ('Date,Order ID,Pair,Type,Side,Lot Size,Price,Margin Mode,Status\n"2026-03-20T17:37:15Z",'
         '"1","XAU/USD","market","buy","0.2","4558","cross","filled"\n',
         "prop-firm web platform's order history"),
        ("\ufeffAccount Statement for 00*****XX since 11/12/22 through 11/12/22,,,\n,,,\n",
         "TD Ameritrade account statement"),
        ("Order ID,Timestamp,Fill Time,B/S,Contract,filledQty,Avg Fill Price,Type,Limit Price,"
         "Stop Price,Status\n1,03/04/2024 09:00:00,03/04/2024 09:00:00,Buy,MNQH4,1,100,Market,,,"
         "Filled\n2,03/04/2024 09:05:00,03/04/2024 09:05:00,Sell,MNQH4,1,101,Market,,,Filled\n"
         "3,03/04/2024 09:07:00,03/04/2024 09:07:00,Buy,MNQH4,1,101,Market,,,Filled\n",
         None),  # Tradovate writes month first: no question to ask
    ],
)  # fmt: skip
def test_files_that_are_not_trades_say_what_they_are(data: str, message: str | None) -> None:
    if message is None:
        assert load_journal(data.encode() + b"4,03/04/2024 09:09:00,03/04/2024 09:09:00,Sell,"
                            b"MNQH4,1,102,Market,,,Filled\n").analysis.trades.iloc[0].entry_time.month == 3  # fmt: skip
        return
    with pytest.raises(DataError) as raised:
        load_journal(data.encode())
    assert message in raised.value.message


def test_blank_lines_and_trailing_total_rows_are_not_trades() -> None:
    data = (
        b"Date,Time,Symbol,Quantity,Price,Side,Commission\r\n"
        b"2024-01-02,09:00:00,ESH4,1,5000,Buy,1\r\n\r\n"
        b"2024-01-02,09:10:00,ESH4,1,5010,Sell,1\r\n,,,,,,\r\nTotal,,,2,,,2\r\n"
    )
    (trade,) = load_journal(data).analysis.trades.itertuples()
    assert (trade.points, trade.gross_money, trade.pnl_money) == (10.0, 500.0, 498.0)


def test_money_in_two_currencies_is_shown_apart_never_added() -> None:
    from tests.journal import metatrader_fixtures as fx
    from tradeloop.habits.analysis import analyze
    from tradeloop.journal.importers import import_file
    from tradeloop.services.exports import trades_of

    usd = import_file(fx.mt5_html().encode())
    eur = import_file(fx.mt5_html(account="7009999 (EUR, Demo-Server, demo, Hedge)").encode())
    orders = pd.concat([usd.orders, eur.orders.assign(account="eur")], ignore_index=True)
    trades = pd.concat([trades_of(usd), trades_of(eur).assign(account="eur")], ignore_index=True)
    s = analyze(trades, orders).summary
    assert (s["unit"], s["currency"], s["net_pnl"]) == ("points", None, None)  # EURUSD and XAUUSD
    assert {k: round(v["net"], 2) for k, v in s["by_currency"].items()} == {
        "EUR": -32.9,
        "USD": -32.9,
    }
    assert set(s["by_underlying"]) == {"EURUSD", "XAUUSD"}


def test_the_forms_currency_labels_only_money_the_file_does_not() -> None:
    journal = load_journal(ORDERS_32.encode(), currency="eur")  # the file says USD
    assert journal.imported.currency == "USD"
    assert journal.warnings[0] == "the file states its money in USD, not EUR: USD is kept"
    unlabelled = load_journal(TRADEZERO.replace(",USD,", ",,").encode(), currency="eur")
    assert (unlabelled.imported.currency, unlabelled.analysis.currency) == ("EUR", "EUR")
