"""Journal imports as one unit of work: read the export, settle the zone its times are in,
count fills already imported once, store it and bring the mentor's days up to date.

MetaTrader reports are written in the broker server's time. The first import of an MT5/MT4
account must name that zone; it is remembered per account (and server) for the next ones.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from tradeloop.core.errors import InvalidInput
from tradeloop.journal.formats import Format
from tradeloop.market.times import DateOrder
from tradeloop.services.analyses import Journal, journal_document, load_journal, source_record
from tradeloop.services.mentor import sync_sessions
from tradeloop.services.work import run_cpu
from tradeloop.store import journal as repo
from tradeloop.store.db import pause
from tradeloop.store.models import JournalImport, User

SERVER_TIME_FORMATS = ("mt5", "mt4")


def _account_zone(
    session: Session, user: User, journal: Journal, tz: str | None
) -> tuple[str | None, bool]:
    """The zone a server-time report must be read in (None: the one it was read in is right),
    and whether the user must still be asked for it."""
    imported = journal.imported
    if imported.format not in SERVER_TIME_FORMATS or not imported.accounts:
        return None, False
    remembered = repo.account_zone(session, user.id, imported.accounts[0], imported.server)
    if tz is not None:
        return None, False
    if remembered is None:
        return None, True
    return remembered.timezone, False


def read_export(
    session: Session,
    user: User,
    data: bytes,
    fmt: Format = "auto",
    tz: str | None = None,
    date_order: DateOrder = "auto",
    currency: str = "",
) -> tuple[Journal, str]:
    """The analysed export and the zone its times were read in: ``tz`` when given, the
    remembered zone of an MT5/MT4 account, else the user's zone. A new MT5/MT4 account without
    ``tz`` is refused with a message asking for its server's zone."""
    settings = repo.get_settings(session, user.id)
    zone = tz or user.timezone
    pause(session)  # nothing is held while the file is read
    journal = run_cpu(load_journal, data, fmt, zone, settings, date_order, currency)
    remembered, must_ask = _account_zone(session, user, journal, tz)
    if must_ask:
        imported = journal.imported
        server = f" ({imported.server})" if imported.server else ""
        raise InvalidInput(
            f"account {imported.accounts[0]}{server} is new: {imported.label} times are the "
            "broker server's clock, so give its time zone once (tz; most MT5 servers run on "
            "Europe/Athens time, UTC+2/+3) and tradeloop remembers it for this account",
            [{"field": "tz", "account": imported.accounts[0], "server": imported.server}],
        )
    if remembered is not None and remembered != zone:
        zone = remembered
        pause(session)
        journal = run_cpu(load_journal, data, fmt, zone, settings, date_order, currency)
    return journal, zone


def import_export(
    session: Session,
    user: User,
    file_name: str,
    data: bytes,
    fmt: Format = "auto",
    tz: str | None = None,
    date_order: DateOrder = "auto",
    currency: str = "",
    store: bool = True,
) -> tuple[dict[str, Any], JournalImport | None]:
    """Import (or, with ``store`` false, only analyse) an export; the document says what the
    file is, its figures, and how many of its fills were already imported."""
    journal, zone = read_export(session, user, data, fmt, tz, date_order, currency)
    imported = journal.imported
    duplicates, files = repo.duplicates_of(session, user.id, imported.orders, imported.kind)
    fills = int(((imported.orders["status"] == "filled") & (imported.orders["qty"] > 0)).sum())
    if duplicates:
        journal.warnings.append(
            f"{duplicates} of its {fills} fills were already imported ({', '.join(files)}): "
            "they are counted once"
        )
    document = journal_document(journal) | {
        "stored": store,
        "timezone": zone,
        "duplicates": {"fills": duplicates, "of": fills, "files": files},
    }
    if not store:
        return document, None
    row = repo.add_import(
        session, user.id, file_name, data, journal, zone, {"date_order": date_order}
    )
    for account in imported.accounts if imported.format in SERVER_TIME_FORMATS else []:
        repo.remember_account(session, user.id, account, imported.server, zone, imported.currency)
    if imported.kind == "live":
        sync_sessions(session, user)
    return document, row


def delete_import(session: Session, user: User, import_id: int) -> None:
    """Delete an import and bring the mentor's days up to date."""
    repo.delete_import(session, user.id, import_id)
    sync_sessions(session, user)


def import_record(row: JournalImport) -> dict[str, Any]:
    """A stored import as JSON-ready data: the file, what it is, and its figures."""
    details = row.details or {}
    return {
        "id": row.id,
        "file_name": row.file_name,
        "format": row.format,
        "kind": row.kind,
        "label": details.get("label", row.format),
        "accounts": details.get("accounts", []),
        "currency": row.currency or None,
        "server": details.get("server") or None,
        "language": details.get("language") or None,
        "timezone": row.timezone,
        "date_order": details.get("date_order", "auto"),
        "stops_known": row.stops_known,
        "rows": row.rows,
        "trades": row.trades,
        "warnings": details.get("warnings", []),
        "created_at": row.created_at.isoformat() if row.created_at else None,
    }


__all__ = ["delete_import", "import_export", "import_record", "read_export", "source_record"]
