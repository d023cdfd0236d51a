"""``tradeloop habits analyze``: the behavioural mistakes in a broker export."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tradeloop.cli.console import out, write_json
from tradeloop.core.dates import DATE_ORDERS
from tradeloop.core.errors import InvalidInput
from tradeloop.journal.formats import FORMATS

habits_app = typer.Typer(help="Habit analytics on broker exports.", no_args_is_help=True)


@habits_app.command("analyze")
def analyze_command(
    file: Annotated[
        Path,
        typer.Argument(
            help="a broker export: Tradovate, NinjaTrader, MT5/MT4 report, TradeZero/DAS, IBKR "
            "or an executions CSV"
        ),
    ],
    fmt: Annotated[str, typer.Option("--format", help=", ".join(FORMATS))] = "auto",
    tz: Annotated[
        str | None,
        typer.Option("--tz", help="zone of the export's times (MT5/MT4: the server's; UTC)"),
    ] = None,
    date_order: Annotated[
        str, typer.Option("--date-order", help="auto, dmy or mdy (settles 03/04/2024)")
    ] = "auto",
    currency: Annotated[
        str, typer.Option("--currency", help="the account's currency when the file omits it")
    ] = "",
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
    if fmt not in FORMATS:
        raise InvalidInput(f"--format {fmt!r}: use {', '.join(FORMATS)}")
    if date_order not in DATE_ORDERS:
        raise InvalidInput(f"--date-order {date_order!r}: use auto, dmy or mdy")
    if currency and not (len(currency) == 3 and currency.isalpha()):
        raise InvalidInput(f"--currency {currency!r}: use a 3-letter code such as USD")
    if json_out is not None and not json_out.parent.is_dir():
        raise InvalidInput(f"--json: folder {str(json_out.parent)!r} does not exist")
    from pydantic import ValidationError
    from rich.table import Table

    from tradeloop.habits.analysis import trade_chunks
    from tradeloop.habits.settings import HabitSettings
    from tradeloop.i18n import amount
    from tradeloop.services.exports import journal_document, load_journal

    try:
        settings = HabitSettings(sigma_loss=sigma_loss, sigma_risk=sigma_risk, k=k, vr=vr)
    except ValidationError as exc:
        err = exc.errors()[0]
        raise InvalidInput(f"--{str(err['loc'][0]).replace('_', '-')}: {err['msg']}") from exc
    journal = load_journal(file.read_bytes(), fmt, tz or "UTC", settings, date_order, currency)  # type: ignore[arg-type]
    if tz is None and journal.format in ("mt5", "mt4"):
        journal.warnings.append(
            "MetaTrader reports are in the broker server's time: read as UTC here; give "
            "--tz with the server's zone (often Europe/Athens) for local times"
        )
    document = journal_document(journal, with_trades=False)
    if json_out is not None:
        write_json(json_out, document, "trades", trade_chunks(journal.analysis))
    s = document["summary"]
    money = lambda v: amount("en", v, s["unit"], s["currency"])  # noqa: E731
    accounts = ", ".join(document["accounts"]) or "—"
    table = Table(
        "figure",
        "value",
        title=f"{file.name}: {document['label']} ({document['kind']}), {s['total_trades']} trades",
    )
    rows = [
        ("accounts", accounts),
        ("currency", document["currency"] or "—"),
        ("wins / losses", f"{s['wins']} / {s['losses']}"),
        ("win rate", f"{s['win_rate']:.2%}"),
        ("net P&L", money(s["net_pnl"])),
        ("payoff ratio", "—" if s["payoff_ratio"] is None else f"{s['payoff_ratio']:.2f}"),
        ("expectancy per trade", money(s["expectancy"])),
        ("clean-trade rate", f"{s['clean_trade_rate']:.0%}"),
    ]
    if len(s["by_underlying"]) > 1:
        rows += [
            (f"net points: {name}", f"{f['net']:.6g}") for name, f in s["by_underlying"].items()
        ]
    rows += [(f"mistake: {code}", str(count)) for code, count in s["mistake_counts"].items()]
    for name, value in rows:
        table.add_row(name, value)
    out.print(table)
    for warning in document["warnings"]:
        out.print(f"[yellow]warning:[/] {warning}")
