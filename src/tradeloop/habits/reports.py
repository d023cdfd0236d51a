"""The Journal page's reports over analysed trades: stable trade keys, equity curves, a month
calendar, P&L by hour, weekday and symbol, and the R-multiple distribution. Pure functions.

Results are kept in *buckets* and never added across them: a trade's money in its currency
(``money``/``USD``) when it is known, else its points per underlying (``points``/``NQ``) — the
points of two markets, money in two currencies, or points and money do not add up.
"""

from __future__ import annotations

import calendar
import hashlib
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

R_EDGES = (-3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0)
MONTHS_SHOWN = 36


@dataclass(frozen=True)
class Bucket:
    """One unit results may be added in: ``money`` in a currency, or ``points`` of a market."""

    unit: str
    name: str

    def total(self, value: float) -> dict[str, Any]:
        """``value`` in this bucket, as the templates and the API show it."""
        return {"unit": self.unit, "name": self.name, "value": value}


def trade_keys(trades: pd.DataFrame) -> list[str]:
    """A key per trade that stays the same when the journal is rebuilt from the same fills
    (another import added or deleted, settings changed, the same file imported again): a
    position's account, symbol, position id and entry time; a first-in-first-out trade's
    account, symbol, side, entry and exit times and quantity. A second trade with the same
    facts gets ``-2`` (in exit order)."""
    entry = pd.DatetimeIndex(trades["entry_time"]).as_unit("ns").asi8
    exit_ = pd.DatetimeIndex(trades["exit_time"]).as_unit("ns").asi8
    columns = zip(
        trades["account"].astype(str), trades["symbol"].astype(str), trades["side"].astype(str),
        trades["position"].astype(str), entry, exit_, trades["qty"].astype(float), strict=True,
    )  # fmt: skip
    keys: list[str] = []
    seen: dict[str, int] = {}
    for account, symbol, side, position, start, end, qty in columns:
        facts = (
            f"p|{account}|{symbol}|{position}|{start}"
            if position
            else f"f|{account}|{symbol}|{side}|{start}|{end}|{qty:.8g}"
        )
        key = "t" + hashlib.blake2b(facts.encode(), digest_size=12).hexdigest()
        seen[key] = seen.get(key, 0) + 1
        keys.append(key if seen[key] == 1 else f"{key}-{seen[key]}")
    return keys


def buckets_of(
    trades: pd.DataFrame, unit: str, currency: str | None
) -> tuple[list[Bucket], np.ndarray, np.ndarray]:
    """The buckets, each trade's bucket number and its result in that bucket (see the
    module docstring); the journal's own unit when it is money."""
    n = len(trades)
    money = trades["pnl_money"].to_numpy(dtype=float)
    known = np.ones(n, dtype=bool) if unit == "money" else ~np.isnan(money)
    currencies = (
        np.full(n, currency or "", dtype=object)
        if unit == "money"
        else trades["currency"].astype(str).to_numpy(dtype=object)
    )
    names = np.where(
        known, "money|" + currencies,
        "points|" + trades["underlying"].astype(str).to_numpy(dtype=object),
    )  # fmt: skip
    values = np.where(known, money, trades["pnl_points"].to_numpy(dtype=float))
    labels, codes = np.unique(names.astype(str), return_inverse=True) if n else ([], np.array([]))
    found = [Bucket(*label.split("|", 1)) for label in labels]
    # money first, then points, each by name
    order = sorted(range(len(found)), key=lambda i: (found[i].unit != "money", found[i].name))
    rank = np.empty(len(order), dtype=int)
    rank[order] = np.arange(len(order))
    return [found[i] for i in order], rank[codes.astype(int)] if n else codes.astype(int), values


def _totals(buckets: list[Bucket], codes: np.ndarray, values: np.ndarray) -> list[dict[str, Any]]:
    return [
        bucket.total(float(values[codes == i].sum()))
        for i, bucket in enumerate(buckets)
        if (codes == i).any()
    ]


def breakdown(
    trades: pd.DataFrame, key: np.ndarray, unit: str, currency: str | None
) -> list[dict[str, Any]]:
    """Per value of ``key`` (sorted): trades, wins (a result above zero in its bucket), win
    rate, and the net result per bucket."""
    buckets, codes, values = buckets_of(trades, unit, currency)
    key = np.asarray(key)
    rows = []
    for value in np.unique(key) if len(key) else []:
        mask = key == value
        rows.append(
            {
                "key": value.item() if isinstance(value, np.generic) else value,
                "trades": int(mask.sum()),
                "wins": int((values[mask] > 0).sum()),
                "win_rate": float((values[mask] > 0).mean()),
                "totals": _totals(buckets, codes[mask], values[mask]),
            }
        )
    return rows


def local_times(times: pd.Series, tz: str) -> pd.Series:
    """UTC times in ``tz``."""
    return times.dt.tz_convert(tz)


def offsets_text(times: pd.Series, tz: str) -> str:
    """The UTC offsets ``tz`` had at ``times``, as the pages label times: ``UTC+07:00``;
    ``UTC-05:00/-04:00`` across a daylight-saving change; ``UTC`` for no offset."""
    if not len(times):
        return "UTC"
    found = sorted(set(local_times(times, tz).dt.strftime("%z")), key=lambda z: int(z))
    labels = ["" if z == "+0000" else f"{z[:3]}:{z[3:]}" for z in found]
    return "UTC" + "/".join(labels)


def by_hour(trades: pd.DataFrame, tz: str, unit: str, currency: str | None) -> list[dict]:
    """Results by the local hour (in ``tz``) each trade was entered."""
    return breakdown(
        trades, local_times(trades["entry_time"], tz).dt.hour.to_numpy(), unit, currency
    )


def by_weekday(trades: pd.DataFrame, tz: str, unit: str, currency: str | None) -> list[dict]:
    """Results by the local weekday each trade closed on (0 Monday … 6 Sunday)."""
    days = local_times(trades["exit_time"], tz).dt.day_of_week.to_numpy()
    return breakdown(trades, days, unit, currency)


def by_symbol(trades: pd.DataFrame, unit: str, currency: str | None) -> list[dict]:
    """Results by symbol."""
    return breakdown(trades, trades["symbol"].astype(str).to_numpy(), unit, currency)


def equity_curves(
    trades: pd.DataFrame, tz: str, unit: str, currency: str | None
) -> list[dict[str, Any]]:
    """Cumulative result per bucket at each exit (local time in ``tz``, as
    ``YYYY-MM-DD HH:MM:SS``), starting from zero at the first entry."""
    buckets, codes, values = buckets_of(trades, unit, currency)
    order = np.argsort(pd.DatetimeIndex(trades["exit_time"]).asi8, kind="stable")
    exits = local_times(trades["exit_time"], tz).dt.strftime("%Y-%m-%d %H:%M:%S").to_numpy()
    entries = local_times(trades["entry_time"], tz)
    curves = []
    for i, bucket in enumerate(buckets):
        rows = order[codes[order] == i]
        start = entries.iloc[rows].min().strftime("%Y-%m-%d %H:%M:%S")
        cumulative = np.cumsum(values[rows])
        curves.append(
            {
                "unit": bucket.unit,
                "name": bucket.name,
                "x": [start, *exits[rows].tolist()],
                "y": [0.0, *cumulative.round(10).tolist()],
                "final": float(cumulative[-1]),
                "trades": len(rows),
            }
        )
    return curves


def r_distribution(trades: pd.DataFrame) -> dict[str, Any]:
    """How many trades ended in each R band (below −3, −3 to −2, …, 3 and above; a band holds
    its lower edge), over trades whose planned risk is known; and how many are not."""
    r = trades["r_multiple"].to_numpy(dtype=float)
    known = r[~np.isnan(r)]
    edges = (-np.inf, *R_EDGES, np.inf)
    index = np.searchsorted(np.array(R_EDGES), known, side="right")
    counts = np.bincount(index, minlength=len(edges) - 1)
    return {
        "known": len(known),
        "unknown": int(len(r) - len(known)),
        "mean": float(known.mean()) if len(known) else None,
        "bins": [
            {
                "low": None if np.isinf(low) else low,
                "high": None if np.isinf(high) else high,
                "count": int(count),
            }
            for low, high, count in zip(edges[:-1], edges[1:], counts, strict=True)
        ],
    }


def parse_month(text: str | None) -> tuple[int, int] | None:
    """``2024-05`` as (2024, 5); None for anything else."""
    if not text or len(text) != 7 or text[4] != "-":
        return None
    try:
        year, month = int(text[:4]), int(text[5:])
    except ValueError:
        return None
    return (year, month) if 1970 <= year <= 2100 and 1 <= month <= 12 else None


def shift_month(year: int, month: int, by: int) -> tuple[int, int]:
    """The month ``by`` months after (before, when negative) ``year``-``month``."""
    index = year * 12 + month - 1 + by
    return index // 12, index % 12 + 1


def month_calendar(
    trades: pd.DataFrame, tz: str, year: int, month: int, unit: str, currency: str | None
) -> dict[str, Any]:
    """A Monday-first grid of the month: each week is 7 cells, None outside the month, else
    the day with its trade count and result per bucket (a trade belongs to the local day it
    closed); and the month's totals."""
    buckets, codes, values = buckets_of(trades, unit, currency)
    days = local_times(trades["exit_time"], tz).dt.date.to_numpy()
    first = date(year, month, 1)
    last = date(year, month, calendar.monthrange(year, month)[1])
    in_month = (days >= first) & (days <= last) if len(days) else np.zeros(0, dtype=bool)
    weeks = []
    for week in calendar.Calendar(firstweekday=0).monthdatescalendar(year, month):
        cells = []
        for day in week:
            if day.month != month:
                cells.append(None)
                continue
            mask = days == day
            cells.append(
                {
                    "date": day.isoformat(),
                    "day": day.day,
                    "trades": int(mask.sum()),
                    "totals": _totals(buckets, codes[mask], values[mask]),
                }
            )
        weeks.append(cells)
    return {
        "month": f"{year:04d}-{month:02d}",
        "year": year,
        "number": month,
        "weeks": weeks,
        "trades": int(in_month.sum()),
        "days_traded": len(set(days[in_month])),
        "totals": _totals(buckets, codes[in_month], values[in_month]),
    }


def month_totals(
    trades: pd.DataFrame, tz: str, unit: str, currency: str | None, limit: int = MONTHS_SHOWN
) -> list[dict[str, Any]]:
    """Every month from the first trade's to the last's (the latest ``limit``), empty months
    included so gaps show: its trade count and result per bucket."""
    if not len(trades):
        return []
    buckets, codes, values = buckets_of(trades, unit, currency)
    local = local_times(trades["exit_time"], tz)
    keys = (local.dt.year * 12 + local.dt.month - 1).to_numpy()
    rows = []
    for index in range(max(int(keys.min()), int(keys.max()) - limit + 1), int(keys.max()) + 1):
        mask = keys == index
        rows.append(
            {
                "month": f"{index // 12:04d}-{index % 12 + 1:02d}",
                "trades": int(mask.sum()),
                "totals": _totals(buckets, codes[mask], values[mask]),
            }
        )
    return rows


def latest_month(trades: pd.DataFrame, tz: str) -> tuple[int, int] | None:
    """The local month of the last exit (None without trades)."""
    if not len(trades):
        return None
    last = local_times(trades["exit_time"], tz).max()
    return last.year, last.month
