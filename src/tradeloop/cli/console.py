"""The console the commands print to, created when first used (Rich is not free to import)."""

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
