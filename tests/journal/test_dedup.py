"""The same fills imported twice are counted once, and only once each."""

from __future__ import annotations

import pandas as pd
import pytest

from tradeloop.journal.dedup import drop_duplicates
from tradeloop.journal.importers import import_file
from tradeloop.journal.trades import rebuild_trades

HEADER = "Date,Time,Account,Symbol,Quantity,Price,Side\n"


def orders(rows: list[str], header: str = HEADER) -> pd.DataFrame:
    return import_file((header + "\n".join(rows) + "\n").encode()).orders


def together(*parts: pd.DataFrame) -> pd.DataFrame:
    """The trades of several imports rebuilt as the journal does: duplicates out, one book."""
    kept, _ = drop_duplicates(list(parts))
    joined = pd.concat([p.assign(source=str(i)) for i, p in enumerate(kept)], ignore_index=True)
    return rebuild_trades(joined)


def test_overlapping_exports_invent_no_trade() -> None:
    # January's export ends with a long still open; February's repeats its last two rows
    january = orders(["2024-01-30,09:00:00,A,ESH4,1,5000,Buy", "2024-01-30,09:10:00,A,ESH4,1,5010,Sell",
                      "2024-01-31,15:00:00,A,ESH4,1,5100,Buy"])  # fmt: skip
    february = orders(["2024-01-30,09:10:00,A,ESH4,1,5010,Sell", "2024-01-31,15:00:00,A,ESH4,1,5100,Buy",
                       "2024-02-01,10:00:00,A,ESH4,1,5098,Sell", "2024-02-01,11:00:00,A,ESH4,1,5090,Buy",
                       "2024-02-01,11:30:00,A,ESH4,1,5091,Sell"])  # fmt: skip
    t = together(january, february)
    # +10, then the long opened in January closed in February (−2), then +1: no phantom short
    assert list(zip(t["side"], t["points"], strict=True)) == [
        ("buy", 10.0),
        ("buy", -2.0),
        ("buy", 1.0),
    ]
    assert list(t["source"]) == ["0", "1", "1"]


def test_an_account_less_file_matches_each_fill_at_most_once() -> None:
    # a file without accounts holds one round trip; a later export shows accounts A and B
    # copying the same trade: one of them is the same fills, the other is a second trade
    anonymous = orders(["2024-01-02,09:00:00,ESH4,1,5000,Buy", "2024-01-02,09:10:00,ESH4,1,5010,Sell"],
                       header="Date,Time,Symbol,Quantity,Price,Side\n")  # fmt: skip
    copied = orders(["2024-01-02,09:00:00,A,ESH4,1,5000,Buy", "2024-01-02,09:00:00,B,ESH4,1,5000,Buy",
                     "2024-01-02,09:10:00,A,ESH4,1,5010,Sell", "2024-01-02,09:10:00,B,ESH4,1,5010,Sell"])  # fmt: skip
    _, dropped = drop_duplicates([anonymous, copied])
    assert dropped == [0, 2]
    assert len(together(anonymous, copied)) == 2 == len(together(copied, anonymous))


@pytest.mark.parametrize("reverse", [False, True])
def test_two_accounts_copying_one_trade_stay_two_trades(reverse: bool) -> None:
    a = orders(["2024-01-02,09:00:00,A,ESH4,1,5000,Buy", "2024-01-02,09:10:00,A,ESH4,1,5010,Sell"])
    b = orders(["2024-01-02,09:00:00,B,ESH4,1,5000,Buy", "2024-01-02,09:10:00,B,ESH4,1,5010,Sell"])
    parts = [b, a] if reverse else [a, b]
    assert drop_duplicates(parts)[1] == [0, 0] and len(together(*parts)) == 2
