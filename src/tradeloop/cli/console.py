"""The console the commands print to, created when first used (Rich is not free to import),
and JSON output written with orjson."""

from __future__ import annotations

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


def json_bytes(document: Any) -> bytes:
    """``document`` as indented UTF-8 JSON: NumPy values as numbers, NaN as null, times as ISO
    8601, anything else by its text."""
    import orjson

    return orjson.dumps(
        document,
        default=str,
        option=orjson.OPT_INDENT_2 | orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS,
    )
