"""Calendar days a user may ask about: 1970–2100, the range every importer accepts. Outside it
date arithmetic (weeks, trailing windows) would overflow, so such input is refused with 422."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from annotated_types import Ge, Le

FIRST_DAY = date(1970, 1, 1)
LAST_DAY = date(2100, 12, 31)
CalendarDay = Annotated[date, Ge(FIRST_DAY), Le(LAST_DAY)]

DateOrder = Literal["auto", "dmy", "mdy"]
DATE_ORDERS: tuple[str, ...] = ("auto", "dmy", "mdy")  # how 03/04/2024 is read: decided, or given
