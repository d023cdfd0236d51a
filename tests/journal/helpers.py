"""Tiny hand-made Tradovate exports."""

from __future__ import annotations

import pandas as pd

from tradeloop.journal.importers import import_file

HEADER = "Order ID,Timestamp,Fill Time,B/S,Contract,filledQty,Avg Fill Price,Type,Limit Price,Stop Price,Status\n"


def export(*rows: str) -> bytes:
    """A short-layout export from rows ``id,timestamp,fill time,side,contract,qty,price,type,limit,stop,status``."""
    return (HEADER + "\n".join(rows) + "\n").encode()


def fill(
    order: int,
    when: str,
    side: str,
    qty: int,
    price: float,
    kind: str = "Market",
    contract: str = "MNQH4",
) -> str:
    """A filled order at ``when`` (``HH:MM:SS`` on 01/02/2024, or a full timestamp)."""
    stamp = when if "/" in when else f"01/02/2024 {when}"
    return f"{order},{stamp},{stamp},{side},{contract},{qty},{price},{kind},,,Filled"


def stop(
    order: int,
    when: str,
    side: str,
    price: float,
    status: str = "Cancelled",
    contract: str = "MNQH4",
) -> str:
    """A stop order (not filled) whose Timestamp is ``when``."""
    stamp = when if "/" in when else f"01/02/2024 {when}"
    return f"{order},{stamp},,{side},{contract},,,Stop,,{price},{status}"


def orders_of(data: bytes, **options: str) -> pd.DataFrame:
    """The Orders table an export is read into."""
    return import_file(data, **options).orders  # type: ignore[arg-type]
