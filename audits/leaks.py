"""Does a response to one user hold another user's data? Their marker strings (in any answer,
headers included, zip members unpacked), or the ids of their objects in a successful answer:
under a key that names the kind (``bot_id``…) or as the ``id`` of the objects a route lists."""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

# keys whose value is the id of one kind of object, wherever they appear
ID_KEYS = {
    "bot_id": "bot",
    "dataset_id": "dataset",
    "import_id": "import",
    "thread_id": "thread",
    "goal_id": "goal",
    "user_id": "user",
    "message_id": "message",
    "trade_key": "trade",
}
# routes whose answer is an object of one kind, or a list of them (``items``)
ROUTE_KINDS = [
    (re.compile(r"^/api/bots(/\d+)?/?$"), "bot"),
    (re.compile(r"^/api/datasets(/\d+)?/?$"), "dataset"),
    (re.compile(r"^/api/backtests(/\d+)?(/rerun)?/?$"), "backtest"),
    (re.compile(r"^/api/journal/imports(/\d+)?(/restore)?/?$"), "import"),
    (re.compile(r"^/api/mentor/threads(/\d+)?/?$"), "thread"),
    (re.compile(r"^/api/journal/goals(/\d+)?/?$"), "goal"),
    (re.compile(r"^/api/jobs(/\d+)?/?$"), "job"),
    (re.compile(r"^/api/me/sessions/?$"), "session"),
    (re.compile(r"^/api/me/?$"), "user"),
]
MAX_UNZIPPED = 50 * 1_048_576  # bytes read from one zip answer


def _texts(body: bytes) -> Iterator[tuple[str, bytes]]:
    """The body, and each member of it when it is a zip (an export)."""
    yield "body", body
    if body[:2] != b"PK":
        return
    try:
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            total = 0
            for info in archive.infolist():
                total += info.file_size
                if total > MAX_UNZIPPED:
                    yield f"zip:{info.filename}", b"(too large to check)"
                    return
                yield f"zip:{info.filename}", archive.read(info)
    except (zipfile.BadZipFile, OSError, ValueError):
        return


def _walk(value: Any) -> Iterator[dict[str, Any]]:
    """Every JSON object inside ``value``."""
    if isinstance(value, dict):
        yield value
        for item in value.values():
            yield from _walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from _walk(item)


def _listed(document: Any) -> Iterator[dict[str, Any]]:
    """The object a route answers with, or those it lists (a list, or ``items``)."""
    if isinstance(document, dict):
        yield document
        items = document.get("items")
        if isinstance(items, list):
            yield from (item for item in items if isinstance(item, dict))
    elif isinstance(document, list):
        yield from (item for item in document if isinstance(item, dict))


class LeakDetector:
    """Finds another user's markers and object ids in responses."""

    def __init__(self, markers: Iterable[str], ids: Mapping[str, Iterable[Any]]) -> None:
        self.markers = sorted({m.lower().encode() for m in markers if len(m) >= 8})
        self.ids = {kind: set(values) for kind, values in ids.items()}

    def scan(
        self,
        path: str,
        status: int,
        body: bytes,
        headers: Mapping[str, str] | None = None,
    ) -> list[str]:
        """What of the other user the answer to ``path`` shows (empty: nothing)."""
        found: list[str] = []
        for name, value in (headers or {}).items():
            lowered = f"{name}: {value}".lower().encode()
            found += [f"header {name}: marker {m.decode()}" for m in self.markers if m in lowered]
        for where, text in _texts(body):
            lowered = text.lower()
            found += [f"{where}: marker {m.decode()}" for m in self.markers if m in lowered]
            if 200 <= status < 300:
                found += [f"{where}: {leak}" for leak in self._ids_in(path, status, text)]
        return found

    def _ids_in(self, path: str, status: int, text: bytes) -> list[str]:
        stripped = text.lstrip()
        if stripped[:1] not in (b"{", b"["):
            return []
        try:
            document = json.loads(text)
        except ValueError:
            return []
        found = []
        for item in _walk(document):
            for key, kind in ID_KEYS.items():
                value = item.get(key)
                if isinstance(value, int | str) and not isinstance(value, bool):
                    found += [f"{key}={value!r}"] if value in self.ids.get(kind, ()) else []
        route_kind = next((kind for pattern, kind in ROUTE_KINDS if pattern.match(path)), None)
        if status == 202:  # accepted: the answer is the job started, whatever the route
            route_kind = "job"
        if route_kind is not None:
            for item in _listed(document):
                value = item.get("id")
                if isinstance(value, int) and value in self.ids.get(route_kind, ()):
                    found.append(f"{route_kind} id={value}")
        return found
