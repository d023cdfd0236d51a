"""What the metrics endpoint reads from the database at scrape time, and the depth of the work
queue: the same answer from every server process, since it comes from the shared database."""

from __future__ import annotations

from tradeloop.services.database import Database
from tradeloop.services.work import WorkSlots
from tradeloop.store.monitoring import Counts, counts

__all__ = ["Counts", "queue_depth", "tally"]


def tally(database: Database) -> Counts:
    """Jobs by state, bots by status, bot orders filled, LLM tokens used (read-only)."""
    with database.readers() as session:
        return counts(session)


def queue_depth(slots: WorkSlots) -> int:
    """Admitted CPU-heavy requests and jobs waiting for a worker in this process."""
    with slots._lock:  # WorkSlots keeps the count private; read under its lock
        return slots._waiting
