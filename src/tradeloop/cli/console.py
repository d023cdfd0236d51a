"""The console the commands print to, created when first used (Rich is not free to import),
and JSON output written with orjson."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any


class LazyConsole:
    """A Rich console made on first use."""

    def __init__(self) -> None:
        self._console: Any = None

    def print(self, *objects: Any, **options: Any) -> None:
        """Print as ``rich.console.Console.print`` does."""
        if self._console is None:
            from rich.console import Console

            self._console = Console()
        self._console.print(*objects, **options)


out = LazyConsole()


def write_json(path: Path, document: dict[str, Any], key: str, rows: Iterable[list[Any]]) -> None:
    """``document`` with ``key`` holding ``rows`` (given in chunks) written to ``path``
    chunk by chunk, so a large list is never held twice in memory as objects and text."""
    head = json_bytes(document)
    with path.open("wb") as out_file:
        out_file.write(head[: head.rindex(b"}")].rstrip() + b',\n  "' + key.encode() + b'": [')
        separator = b"\n"
        for chunk in rows:
            if chunk:
                out_file.write(separator + json_bytes(chunk).strip()[1:-1].strip(b"\n"))
                separator = b",\n"
        out_file.write(b"\n  ]\n}")


def json_bytes(document: Any) -> bytes:
    """``document`` as indented UTF-8 JSON: NumPy values as numbers, NaN as null, times as ISO
    8601, anything else by its text."""
    import orjson

    return orjson.dumps(
        document,
        default=str,
        option=orjson.OPT_INDENT_2 | orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS,
    )
