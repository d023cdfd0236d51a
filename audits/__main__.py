"""Run the security audit and print its figures: ``python -m audits [section ...] [--pg]`` with
sections api, inputs, lockout, secrets, topology (all when none is named). ``--pg`` runs the
api section on PostgreSQL too. Exit code 1 when a figure misses its goal, 2 on bad usage."""

from __future__ import annotations

import os
import platform
import sys
import time
import traceback
from collections.abc import Callable
from datetime import datetime

from rich.console import Console

from audits import audit_api, audit_inputs, audit_lockout, audit_secrets, audit_topology
from audits.report import Section, render

SECTIONS: dict[str, Callable[[bool], list[Section]]] = {
    "api": lambda pg: audit_api.run(("sqlite", "postgresql") if pg else ("sqlite",)),
    "inputs": lambda pg: audit_inputs.run(),
    "lockout": lambda pg: audit_lockout.run(),
    "secrets": lambda pg: audit_secrets.run(),
    "topology": lambda pg: audit_topology.run(),
}


def main(arguments: list[str]) -> int:
    """Run the named sections (all by default); 1 when a figure missed its goal."""
    pg = "--pg" in arguments
    names = [name for name in arguments if name != "--pg"]
    unknown = [name for name in names if name not in SECTIONS]
    if unknown:
        print(f"unknown section(s) {', '.join(unknown)}: choose from {', '.join(SECTIONS)}")
        return 2
    console = Console(width=max(Console().width, 110))
    console.print(
        f"tradeloop security audit, {datetime.now().astimezone():%Y-%m-%d %H:%M %Z}, "
        f"{platform.node()} ({platform.machine()}, {_cpus()} CPUs, load {_load()})"
    )
    missed: list[str] = []
    started = time.monotonic()
    for name in names or SECTIONS:
        try:
            sections = SECTIONS[name](pg)
        except Exception as exc:  # a section that could not run misses every goal
            where = traceback.format_exc(limit=-4)
            sections = [Section(name, notes=[f"could not run: {type(exc).__name__}: {exc}", where])]
            sections[0].add("section ran", "no", "yes", False)
        for section in sections:
            render(section, console)
            console.print()
            if not section.passed:
                missed.append(section.title)
    verdict = "every figure met its goal" if not missed else f"missed: {'; '.join(missed)}"
    console.print(f"{verdict} ({time.monotonic() - started:,.0f} s in all)")
    return 1 if missed else 0


def _cpus() -> int:
    return os.cpu_count() or 1


def _load() -> str:
    try:
        return " ".join(f"{value:.1f}" for value in os.getloadavg())
    except OSError:
        return "?"


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
