"""A time zone name the system cannot even look up (longer than a file name may be) is an
unknown zone like any other: found by ``make audit``'s inputs section (it was an OSError, a
traceback in ``tradeloop backtest --tz``)."""

from __future__ import annotations

import pytest

from tradeloop.journal.importers import import_file
from tradeloop.market.errors import DataError
from tradeloop.market.readers import read_bars
from tradeloop.market.times import zone

LONG = "A" * 300


@pytest.mark.parametrize("name", [LONG, f"Europe/{LONG}", "UTC\x00"])
def test_a_name_the_system_cannot_look_up_is_an_unknown_zone(name: str) -> None:
    with pytest.raises(DataError, match="unknown time zone") as raised:
        zone(name)
    assert raised.value.key == "market.error.unknown_zone"


def test_readers_and_importers_refuse_it_as_user_errors() -> None:
    bars = b"time,open,high,low,close\n2024-01-01 00:00,1,2,0.5,1.5\n"
    with pytest.raises(DataError, match="unknown time zone"):
        read_bars(bars, tz=LONG)
    with pytest.raises(DataError, match="unknown time zone"):
        import_file(b"Order ID,Timestamp\n1,2024-01-01\n", tz=LONG)
