"""A section's figures, each with its goal, printed as a Rich table."""

from __future__ import annotations

from dataclasses import dataclass, field

from rich.console import Console
from rich.table import Table


@dataclass(frozen=True)
class Figure:
    """One measured figure; ``met`` is None for a figure shown for information only."""

    name: str
    value: str
    goal: str = ""
    met: bool | None = None


@dataclass
class Section:
    """What one audit section found: its figures and notes (reproducers, settings used)."""

    title: str
    figures: list[Figure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, name: str, value: object, goal: str = "", met: bool | None = None) -> None:
        """Append a figure (numbers shown with thousands separators)."""
        shown = f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else value
        self.figures.append(Figure(name, str(shown), goal, met))

    def at_most(self, name: str, value: int, limit: int = 0) -> None:
        """A count whose goal is ``≤ limit`` (0 by default)."""
        self.add(name, value, f"{limit:,}" if limit == 0 else f"≤ {limit:,}", value <= limit)

    def at_least(self, name: str, value: int, limit: int) -> None:
        """A count whose goal is ``≥ limit``."""
        self.add(name, value, f"≥ {limit:,}", value >= limit)

    @property
    def passed(self) -> bool:
        """No figure missed its goal."""
        return all(figure.met is not False for figure in self.figures)


def render(section: Section, console: Console | None = None) -> None:
    """Print ``section`` as a table, then its notes."""
    console = console or Console()
    table = Table(title=section.title, title_justify="left", show_lines=False)
    table.add_column("figure")
    table.add_column("value", justify="right")
    table.add_column("goal", justify="right")
    table.add_column("", justify="center")
    for figure in section.figures:
        mark = {True: "[green]ok[/]", False: "[red]MISSED[/]", None: ""}[figure.met]
        table.add_row(figure.name, figure.value, figure.goal, mark)
    console.print(table)
    for note in section.notes:
        console.print(f"  {note}", highlight=False, markup=False, soft_wrap=True)
