"""A user's whole journal analysed: computed once per state of their imports and settings and
kept in memory while that state lasts. Never served stale: the key holds the journal's stamp,
which every change of its imports replaces, and the settings."""

from __future__ import annotations

import threading
from collections import OrderedDict

import pandas as pd
from sqlalchemy.orm import Session

from tradeloop.habits.analysis import Analysis, analyze
from tradeloop.habits.settings import HabitSettings
from tradeloop.journal.trades import rebuild_trades
from tradeloop.services.work import run_cpu
from tradeloop.store import journal as repo
from tradeloop.store.journal import StoredOrders


def analyse_stored(parts: list[StoredOrders], settings: HabitSettings) -> Analysis:
    """The analysis of stored imports together: their fills (each counted once) rebuilt per
    account, so a position opened in one export and closed in the next is one trade."""
    orders = pd.concat(
        [part.orders.assign(source=str(part.import_id)) for part in parts], ignore_index=True
    )
    trades = rebuild_trades(orders)
    knows_stops = {str(part.import_id): part.stops_known for part in parts}
    trades["stops_known"] = trades["source"].map(knows_stops).fillna(True).astype(bool)
    return analyze(trades, orders, settings)


class AnalysisCache:
    """The most recently used analyses, by (database, user, kind, journal stamp, settings)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[tuple, Analysis] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple) -> Analysis | None:
        """The analysis kept under ``key``, if any."""
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return found

    def put(self, key: tuple, analysis: Analysis) -> None:
        """Keep ``analysis`` under ``key``, forgetting the least recently used past the size."""
        with self._lock:
            self._items[key] = analysis
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        """Forget every analysis."""
        with self._lock:
            self._items.clear()


cache = AnalysisCache(64)


def user_analysis(
    session: Session, user_id: int, settings: HabitSettings | None = None, kind: str = "live"
) -> Analysis | None:
    """The analysis of all the user's imports of ``kind`` (None when there is none), from the
    cache when their journal and settings are as they were, else computed in a worker
    process. Tested imports (strategy tester deals) are not the trader's habits: they are
    analysed apart, with ``kind='tested'``."""
    chosen = settings or repo.get_settings(session, user_id)
    stamp = repo.journal_stamp(session, user_id)
    key = (str(session.get_bind().url), user_id, kind, stamp, chosen.model_dump_json())
    found = cache.get(key)
    if found is not None:
        return found
    parts = repo.stored_orders(session, user_id, kind)
    if not parts:
        return None
    analysis = run_cpu(analyse_stored, parts, chosen)
    cache.put(key, analysis)
    return analysis
