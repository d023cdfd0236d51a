"""``tradeloop habits analyze``: the behavioural mistakes in a broker export."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from tradeloop.core.errors import InvalidInput
from tradeloop.habits.settings import HabitSettings
from tradeloop.journal.service import journal_document, load_journal

habits_app = typer.Typer(help="Habit analytics on broker exports.", no_args_is_help=True)
out = Console()


@habits_app.command("analyze")
def analyze_command(
    file: Annotated[
        Path, typer.Argument(help="Tradovate/NinjaTrader Orders CSV, MT5 report, or executions CSV")
    ],
    fmt: Annotated[str, typer.Option("--format", help="auto, tradovate, mt5 or generic")] = "auto",
    tz: Annotated[str, typer.Option("--tz", help="time zone of the export's times")] = "UTC",
    sigma_loss: Annotated[float, typer.Option(help="outsized loss σ (0.1–5)")] = 1.0,
    sigma_risk: Annotated[float, typer.Option(help="excessive risk σ (0.1–5)")] = 1.5,
    k: Annotated[float, typer.Option(help="revenge window = median hold × k (0.1–10)")] = 1.0,
    vr: Annotated[float, typer.Option(help="risk variation ratio limit (0.05–2)")] = 0.35,
    json_out: Annotated[
        Path | None, typer.Option("--json", help="write the analysis as JSON")
    ] = None,
) -> None:
    """Rebuild the trades of an export and find the mistakes that cost money."""
    if not file.is_file():
        raise InvalidInput(f"file {str(file)!r} does not exist")
    if fmt not in ("auto", "tradovate", "mt5", "generic"):
        raise InvalidInput(f"--format {fmt!r}: use auto, tradovate, mt5 or generic")
    if json_out is not None and not json_out.parent.is_dir():
        raise InvalidInput(f"--json: folder {str(json_out.parent)!r} does not exist")
    try:
        settings = HabitSettings(sigma_loss=sigma_loss, sigma_risk=sigma_risk, k=k, vr=vr)
    except ValidationError as exc:
        err = exc.errors()[0]
        raise InvalidInput(f"--{str(err['loc'][0]).replace('_', '-')}: {err['msg']}") from exc
    document = journal_document(load_journal(file.read_bytes(), fmt, tz, settings))  # type: ignore[arg-type]
    if json_out is not None:
        json_out.write_text(json.dumps(document, indent=1))
    s = document["summary"]
    table = Table("figure", "value", title=f"{file.name}: {s['total_trades']} trades")
    rows = [
        ("wins / losses", f"{s['wins']} / {s['losses']}"),
        ("win rate", f"{s['win_rate']:.2%}"),
        ("payoff ratio", "—" if s["payoff_ratio"] is None else f"{s['payoff_ratio']:.2f}"),
        ("expectancy (points)", f"{s['expectancy']:.2f}"),
        ("clean-trade rate", f"{s['clean_trade_rate']:.0%}"),
    ]
    rows += [(f"mistake: {code}", str(count)) for code, count in s["mistake_counts"].items()]
    for name, value in rows:
        table.add_row(name, value)
    out.print(table)
    for warning in document["warnings"]:
        out.print(f"[yellow]warning:[/] {warning}")
