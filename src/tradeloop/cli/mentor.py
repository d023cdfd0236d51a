"""``tradeloop mentor``: the daily report from a journal file, without an account."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from tradeloop.cli.console import json_bytes, out
from tradeloop.core.codes import Emotion
from tradeloop.core.errors import InvalidInput

if TYPE_CHECKING:
    from tradeloop.services.exports import Journal

mentor_app = typer.Typer(help="The mentor: daily reports from your journal.", no_args_is_help=True)


def _journal(path: Path, tz: str) -> Journal:
    from tradeloop.services.exports import load_journal

    if not path.is_file():
        raise InvalidInput(f"journal file {str(path)!r} does not exist")
    return load_journal(path.read_bytes(), "auto", tz)


@mentor_app.command("report")
def report_command(
    journal: Annotated[
        Path, typer.Option("--journal", help="broker export (Tradovate, MT5, generic CSV)")
    ],
    day: Annotated[str, typer.Option("--date", help="YYYY-MM-DD")],
    lang: Annotated[str, typer.Option("--lang", help="id or en")] = "id",
    emotion: Annotated[
        str, typer.Option(help="calm, greedy, fearful, frustrated, neutral, euphoric or tired")
    ] = "neutral",
    tz: Annotated[str, typer.Option("--tz", help="time zone of the export and of the day")] = "UTC",
    json_out: Annotated[
        Path | None, typer.Option("--json", help="write the report as JSON")
    ] = None,
) -> None:
    """Write the day's report: pattern, emotions, risk score, actions, motivation."""
    try:
        when = date.fromisoformat(day)
    except ValueError as exc:
        raise InvalidInput(f"--date {day!r}: use YYYY-MM-DD") from exc
    if lang not in ("id", "en"):
        raise InvalidInput(f"--lang {lang!r}: use id or en")
    if emotion not in {e.value for e in Emotion}:
        raise InvalidInput(
            f"--emotion {emotion!r}: use one of {', '.join(e.value for e in Emotion)}"
        )
    if json_out is not None and not json_out.parent.is_dir():
        raise InvalidInput(f"--json: folder {str(json_out.parent)!r} does not exist")
    from tradeloop.mentor.daily import daily_report

    report = daily_report(_journal(journal, tz).analysis, when, emotion, lang, tz)
    if json_out is not None:
        json_out.write_bytes(json_bytes(report))
    patterns = report["trading_patterns_analysis"]
    out.print(
        f"[bold]{patterns['title']}[/] · {report['date']} · {report['risk_management_score']}/10"
    )
    out.print(patterns["analysis"], highlight=False)
    out.print(report["emotional_analysis"]["feedback"], highlight=False)
    for action in report["recommendations"]:
        out.print(f"• {action}", highlight=False)
    out.print(report["motivation_message"], highlight=False)


@mentor_app.command("ask")
def ask_command(
    question: Annotated[str, typer.Argument(help="your question, in Bahasa Indonesia or English")],
    journal: Annotated[
        Path, typer.Option("--journal", help="broker export (Tradovate, MT5, generic CSV)")
    ],
    lang: Annotated[str, typer.Option("--lang", help="id or en")] = "id",
    tz: Annotated[str, typer.Option("--tz", help="time zone of the export")] = "UTC",
) -> None:
    """Ask the offline mentor about your journal."""
    if lang not in ("id", "en"):
        raise InvalidInput(f"--lang {lang!r}: use id or en")
    if not question.strip():
        raise InvalidInput('ask a question, e.g. "what is my biggest mistake?"')
    from tradeloop.mentor.offline import ask
    from tradeloop.mentor.tools import ToolContext

    ctx = ToolContext(_journal(journal, tz).analysis, tz, lang)
    out.print(ask(ctx, question).text, highlight=False)


@mentor_app.command("check-llm")
def check_llm_command(
    lang: Annotated[str, typer.Option("--lang", help="id or en")] = "en",
) -> None:
    """Check the configured language model (TRADELOOP_LLM_BASE_URL, TRADELOOP_LLM_MODEL): its
    server lists it and it answers a tool call. Exit code 1 when it is not usable."""
    if lang not in ("id", "en"):
        raise InvalidInput(f"--lang {lang!r}: use id or en")
    from tradeloop.cli.main import _settings
    from tradeloop.services.chat import check_message, model_check

    settings = _settings()
    found = model_check(settings, run=True)
    if found is None:
        raise InvalidInput(
            "no language model is configured: set TRADELOOP_LLM_BASE_URL and TRADELOOP_LLM_MODEL"
        )
    out.print(check_message(lang, settings, found), highlight=False)
    if found["problem"] is not None:
        raise typer.Exit(1)
