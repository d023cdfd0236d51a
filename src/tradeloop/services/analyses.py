"""A user's whole journal analysed: computed once per state of their imports and settings and
kept in memory while that state lasts. Never served stale: the key holds the journal's stamp,
which every change of its imports or settings replaces in the same transaction."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pandas as pd
from sqlalchemy.orm import Session

from tradeloop.habits.analysis import Analysis, analyze
from tradeloop.habits.settings import HabitSettings
from tradeloop.journal.trades import rebuild_trades
from tradeloop.services.work import run_cpu
from tradeloop.store import journal as repo
from tradeloop.store.db import READ_ONLY, pause, reading
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
        self._making: dict[tuple, threading.Event] = {}

    def get_or_make(self, key: tuple, make: Callable[[], Analysis | None]) -> Analysis | None:
        """The analysis under ``key``, made by ``make`` when missing; requests that miss the
        same key together wait for one of them to make it instead of all making it."""
        found = self.get(key)
        if found is not None:
            return found
        with self._lock:
            waiting = self._making.get(key)
            if waiting is None:
                self._making[key] = threading.Event()
        if waiting is not None:
            waiting.wait()
            found = self.get(key)
            return found if found is not None else make()  # the maker failed: try here
        try:
            made = make()
            if made is not None:
                self.put(key, made)
            return made
        finally:
            with self._lock:
                self._making.pop(key).set()

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


@contextmanager
def _reader(session: Session) -> Iterator[Session]:
    """``session`` when a transaction of it is open (its own changes must be seen), else a
    read-only session on the same database: the caller holds no lock while the analysis is
    computed from what was read."""
    if session.in_transaction():
        yield session
        return
    reader = Session(session.get_bind().execution_options(**{READ_ONLY: True}))
    try:
        yield reader
        reader.commit()
    finally:
        reader.close()


def _key(session: Session, user_id: int, kind: str) -> tuple:
    with _reader(session) as reader:
        return (str(session.get_bind().url), user_id, kind, repo.journal_stamp(reader, user_id))


def keep_analysis(
    session: Session, user_id: int, analysis: Analysis | None, kind: str = "live"
) -> None:
    """Keep ``analysis`` as the one of the journal ``session`` has just changed (its new
    stamp): the first reader finds it made. Harmless if the change is rolled back, as no one
    else draws that stamp."""
    if analysis is not None:
        cache.put(_key(session, user_id, kind), analysis)


def user_analysis(session: Session, user_id: int, kind: str = "live") -> Analysis | None:
    """The analysis of all the user's imports of ``kind`` with their settings (None when
    there is no import), from the cache while their journal's stamp is unchanged, else
    computed in a worker process. Tested imports (strategy tester deals) are not the trader's
    habits: they are analysed apart, with ``kind='tested'``."""
    key = _key(session, user_id, kind)

    def make() -> Analysis | None:
        with _reader(session) as reader:
            parts = repo.stored_orders(reader, user_id, kind)
            settings = repo.get_settings(reader, user_id)
        return run_cpu(analyse_stored, parts, settings) if parts else None

    return cache.get_or_make(key, make)


@dataclass(frozen=True)
class Upcoming:
    """The analysis a journal will have after a change, made before the change is written
    (so no write transaction waits for a worker), and the stamp it was made from."""

    analysis: Analysis | None
    stamp: int

    def still_valid(self, session: Session, user_id: int) -> bool:
        """True when nothing changed the journal since (checked in the writing transaction,
        before the change itself)."""
        return repo.stored_stamp(session, user_id) == self.stamp


def analysis_after(
    session: Session, user_id: int, added: tuple[pd.DataFrame, bool] | None = None,
    without: int | None = None, settings: HabitSettings | None = None,
    restored: int | None = None,
) -> Upcoming:  # fmt: skip
    """The live journal's analysis once ``added`` is imported, ``without`` deleted,
    ``restored`` brought back or ``settings`` saved; read in a transaction that takes no write
    lock, computed with none held."""
    pause(session)
    reading(session)
    stamp = repo.stored_stamp(session, user_id)
    parts = repo.stored_orders(session, user_id, "live", added, without, restored)
    settings = settings or repo.get_settings(session, user_id)
    pause(session)
    return Upcoming(run_cpu(analyse_stored, parts, settings) if parts else None, stamp)
