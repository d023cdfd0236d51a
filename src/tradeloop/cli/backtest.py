"""``tradeloop backtest``: run a strategy over a data file and print or save the result."""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, get_type_hints

import typer

from tradeloop.cli.console import json_bytes, out
from tradeloop.core.dates import DATE_ORDERS
from tradeloop.core.errors import InvalidInput, first_problem

if TYPE_CHECKING:
    import pandas as pd

    from tradeloop.core.instruments import Instrument
    from tradeloop.execution.settings import ExecutionSettings

SHOWN = (
    "trades",
    "win_rate_pct",
    "net_profit",
    "return_pct",
    "buy_hold_return_pct",
    "max_drawdown_pct",
    "sharpe",
    "sortino",
    "profit_factor",
    "expectancy",
    "sqn",
    "exposure_pct",
    "total_costs",
)


SETTING_OPTIONS = (
    "fill", "sl_pips", "tp_pips", "sl_atr", "tp_atr", "lots", "units", "risk_percent",
    "spread_pips", "commission", "slippage_pips", "on_opposite", "conversion_rate",
)  # fmt: skip


FLAGS = {"initial_cash": "cash"}  # settings whose option has another name


def parse_params(pairs: list[str]) -> dict[str, Any]:
    """``["fast_period=10", "use_cloud_filter=false"]`` → typed values (int, float, bool)."""
    params: dict[str, Any] = {}
    for pair in pairs:
        name, sep, raw = pair.partition("=")
        if not sep or not name.strip():
            raise InvalidInput(f"--param {pair!r}: write it as name=value")
        text = raw.strip()
        if text.lower() in ("true", "false"):
            params[name.strip()] = text.lower() == "true"
        else:
            try:
                params[name.strip()] = int(text)
            except ValueError:
                try:
                    params[name.strip()] = float(text)
                except ValueError as exc:
                    raise InvalidInput(
                        f"--param {pair!r}: {text!r} is not a number or true/false"
                    ) from exc
    return params


def _settings(values: dict[str, Any]) -> ExecutionSettings:
    from pydantic import ValidationError

    from tradeloop.execution.settings import ExecutionSettings

    try:
        return ExecutionSettings(**{k: v for k, v in values.items() if v is not None})
    except ValidationError as exc:
        field, message = first_problem(exc.errors())
        option = FLAGS.get(field, field.replace("_", "-"))
        raise InvalidInput(f"--{option}: {message}" if field else message) from exc


def backtest_command(
    data: Annotated[
        Path, typer.Argument(help="CSV (MT5, tab export, Date/Open/...) or Parquet file")
    ],
    strategy: Annotated[
        str, typer.Option("--strategy", "-s", help="strategy key, e.g. ma_crossover")
    ],
    param: Annotated[
        list[str] | None, typer.Option("--param", "-p", help="name=value (repeatable)")
    ] = None,
    symbol: Annotated[str | None, typer.Option(help="symbol; default: from the file name")] = None,
    tz: Annotated[str, typer.Option("--tz", help="time zone of the file's times")] = "UTC",
    date_order: Annotated[
        str, typer.Option("--date-order", help="auto, dmy or mdy (settles 03/04/2024)")
    ] = "auto",
    keep_dominant_interval: Annotated[
        bool, typer.Option(help="drop bars of another interval")
    ] = False,
    sl_pips: Annotated[float | None, typer.Option(help="stop in pips")] = None,
    tp_pips: Annotated[float | None, typer.Option(help="target in pips")] = None,
    sl_atr: Annotated[float | None, typer.Option(help="stop in ATR(14) multiples")] = None,
    tp_atr: Annotated[float | None, typer.Option(help="target in ATR(14) multiples")] = None,
    lots: Annotated[float | None, typer.Option(help="fixed lots (default: minimum lot)")] = None,
    units: Annotated[
        float | None, typer.Option(help="units of the base asset (ignores contract size)")
    ] = None,
    risk_percent: Annotated[float | None, typer.Option(help="risk % of equity per trade")] = None,
    fill: Annotated[str, typer.Option(help="next_open or close")] = "next_open",
    spread_pips: Annotated[
        float | None, typer.Option(help="spread in pips (default: the instrument's)")
    ] = None,
    commission: Annotated[float, typer.Option(help="commission per lot per side")] = 0.0,
    slippage_pips: Annotated[float, typer.Option(help="slippage in pips per fill")] = 0.0,
    on_opposite: Annotated[str, typer.Option(help="ignore or reverse")] = "ignore",
    cash: Annotated[float, typer.Option(help="initial equity (USD)")] = 10_000.0,
    conversion_rate: Annotated[
        float | None, typer.Option(help="1 quote-currency unit in USD, for crosses")
    ] = None,
    conversion_data: Annotated[
        Path | None,
        typer.Option(
            help="bars whose close is 1 quote-currency unit in USD (e.g. GBPUSD for EURGBP)"
        ),
    ] = None,
    conversion_invert: Annotated[
        bool, typer.Option(help="use 1/close of --conversion-data (e.g. USDJPY for EURJPY)")
    ] = False,
    contract_size: Annotated[
        float | None, typer.Option(help="custom instrument: units per lot")
    ] = None,
    pip_size: Annotated[float | None, typer.Option(help="custom instrument: pip size")] = None,
    quote_currency: Annotated[
        str | None, typer.Option(help="custom instrument: quote currency")
    ] = None,
    json_out: Annotated[
        Path | None, typer.Option("--json", help="write the full result as JSON")
    ] = None,
) -> None:
    """Backtest a strategy on a data file."""
    _run(dict(locals()), replayed=False)


@dataclass
class Inputs:
    """What a backtest-like command read from its options."""

    bars: pd.DataFrame
    timeframe: str
    rates: pd.Series | None
    instrument: Instrument


def check_options(o: dict[str, Any]) -> None:
    """Refuse missing files, a --json folder that does not exist, an unknown date order."""
    for given in (o["data"], o["conversion_data"]):
        if given is not None and not given.is_file():
            raise InvalidInput(f"data file {str(given)!r} does not exist")
    json_out = o["json_out"]
    if json_out is not None and not json_out.parent.is_dir():
        raise InvalidInput(f"--json: folder {str(json_out.parent)!r} does not exist")
    if o["date_order"] not in DATE_ORDERS:
        raise InvalidInput(f"--date-order {o['date_order']!r}: use auto, dmy or mdy")


def setting_values(o: dict[str, Any]) -> dict[str, Any]:
    """The execution settings given as options (unset ones left out)."""
    values = {name: o[name] for name in SETTING_OPTIONS} | {"initial_cash": o["cash"]}
    return {k: v for k, v in values.items() if v is not None}


def read_inputs(o: dict[str, Any]) -> Inputs:
    """The bars, conversion rates and instrument the options name."""
    from tradeloop.services.runs import InstrumentChoice, load_bars, symbol_from_filename

    data, conversion_data = o["data"], o["conversion_data"]
    choice = InstrumentChoice(
        o["symbol"] or symbol_from_filename(data.name),
        o["contract_size"],
        o["pip_size"],
        o["quote_currency"],
    )
    instrument = choice.resolve()
    bars, timeframe = load_bars(data, o["tz"], o["keep_dominant_interval"], o["date_order"])
    rates = None
    if conversion_data is not None:
        rates = load_bars(conversion_data, o["tz"], True, o["date_order"])[0]["close"]
        rates = 1 / rates if o["conversion_invert"] else rates
    return Inputs(bars, timeframe, rates, instrument)


def _run(options: dict[str, Any], replayed: bool) -> None:
    """A backtest, or a paper bot replaying the file (``replayed``), from the command's
    options; the same table and JSON either way."""
    o = options
    data, json_out, strategy = o["data"], o["json_out"], o["strategy"]
    check_options(o)
    settings = _settings(setting_values(o))
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn
    from rich.table import Table

    from tradeloop.services.runs import backtest, run_summary
    from tradeloop.strategies.base import get_strategy

    chosen = get_strategy(strategy, parse_params(o["param"] or []))
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        console=Console(stderr=True),
        transient=True,
    ) as progress:
        task = progress.add_task(f"reading {data.name}")
        read = read_inputs(o)
        bars, timeframe, instrument = read.bars, read.timeframe, read.instrument
        doing = "replaying a paper bot of" if replayed else "backtesting"
        progress.update(task, description=f"{doing} {strategy} on {len(bars):,} {timeframe} bars")
        run = backtest(bars, chosen, instrument, settings, read.rates, replayed)
    summary = run_summary(run, bars)
    if json_out is not None:
        json_out.write_bytes(json_bytes(summary))
    table = Table(
        "statistic",
        "value",
        title=f"{strategy} on {instrument.symbol} {timeframe}, "
        f"{summary['start'][:10]} → {summary['end'][:10]}",
    )
    for name in SHOWN:
        value = run.stats[name]
        table.add_row(
            name,
            "—" if value is None else f"{value:,.4g}" if isinstance(value, float) else str(value),
        )
    out.print(table)


def replay_command(**options: Any) -> None:
    """Run a paper bot over a data file, bar by bar as a replay feed gives them (the options
    of ``tradeloop backtest``); the same table and JSON shape as a backtest."""
    _run(options, replayed=True)


# the replay takes exactly the backtest's options
replay_command.__signature__ = inspect.signature(backtest_command, eval_str=True)  # type: ignore[attr-defined]
replay_command.__annotations__ = get_type_hints(backtest_command, include_extras=True)
