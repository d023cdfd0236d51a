"""A bot's latest analysis: on its last closed bar, what the strategy said, what the bot did
about it and the indicator values behind it, in words in the reader's language."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from tradeloop.execution.step import ENTRY_I, PENDING_EXIT, PENDING_SIDE, SIDE, SIZE
from tradeloop.i18n import number_text, time_text, translate

OUTCOMES = ("warming_up", "paused", "entry_ordered", "exit_ordered", "holding", "closed", "idle")


@dataclass(frozen=True)
class Analysis:
    """The last closed bar: its time and close, the strategy's signal (+1 buy, -1 sell, 0
    none), what the bot did (``OUTCOMES``) with its values, and the strategy's indicator
    values at that bar (those still warming up are left out)."""

    time: pd.Timestamp
    close: float
    signal: int
    outcome: str
    values: dict[str, Any] = field(default_factory=dict)
    lines: dict[str, float] = field(default_factory=dict)


def analysis_json(analysis: Analysis) -> dict[str, Any]:
    """``analysis`` as JSON can hold it (times as ISO 8601 text)."""
    values = {k: v.isoformat() if isinstance(v, pd.Timestamp) else v
              for k, v in analysis.values.items()}  # fmt: skip
    return {
        "time": analysis.time.isoformat(), "close": analysis.close, "signal": analysis.signal,
        "outcome": analysis.outcome, "values": values, "lines": analysis.lines,
    }  # fmt: skip


def analysis_from_json(data: dict[str, Any]) -> Analysis:
    """The analysis ``analysis_json`` stored."""
    values = {k: pd.Timestamp(v) if k in ("until", "since") else v
              for k, v in data["values"].items()}  # fmt: skip
    return Analysis(
        pd.Timestamp(data["time"]), float(data["close"]), int(data["signal"]), data["outcome"],
        values, {k: float(v) for k, v in data["lines"].items()},
    )  # fmt: skip


def analyse(runner: Any) -> Analysis | None:
    """The analysis of ``runner``'s last bar (a ``BotRunner``); None before its first bar."""
    tape, broker = runner.tape, runner.broker
    i = tape.size - 1
    if i < 0:
        return None
    first = 0 if runner.window is None else max(0, i + 1 - runner.window)
    arrays = [tape.seen(n)[first:] for n in ("open", "high", "low", "close", "volume")]
    lines = {
        name: float(values[-1])
        for name, values in runner.strategy.lines(*arrays, tape.index()[first:]).items()
        if len(values) and not math.isnan(values[-1])
    }
    time, close = tape.times[i], float(tape.seen("close")[i])
    signal = int(tape.seen("entries")[i])
    raw = int(runner.last_signal)
    st = getattr(broker, "state", None)
    if st is not None:  # the paper broker: its execution step's state
        pending, exiting, side = st[PENDING_SIDE], st[PENDING_EXIT], st[SIDE]
        lots = float(st[SIZE]) / runner.instrument.contract_size
        opened = tape.times[int(st[ENTRY_I])] if side else None
    else:  # a real broker: orders fill at once; the position its fills tell
        held = broker.holding
        pending = exiting = 0
        side = 0 if held is None else held.side.sign
        lots = 0.0 if held is None else held.quantity / runner.instrument.contract_size
        opened = None if held is None else pd.Timestamp(held.time)
    if i + 1 < runner.warmup:
        outcome, values = "warming_up", {"bars": i + 1, "needed": runner.warmup}
    elif raw and not signal and runner.paused(time):
        outcome, values = "paused", {"until": runner.paused_until}
    elif pending != 0:
        outcome, values = "entry_ordered", {"side": _side(pending)}
    elif exiting != 0:
        outcome, values = "exit_ordered", {}
    elif side != 0:
        outcome, values = "holding", {"side": _side(side), "lots": lots, "since": opened}
    elif runner.closed and runner.closed[-1].exit_time == time:
        outcome, values = "closed", {"reason": runner.closed[-1].reason}
    else:
        outcome, values = "idle", {}
    return Analysis(time, close, raw, outcome, values, lines)


def _side(sign: float) -> str:
    return "buy" if sign > 0 else "sell"


def analysis_text(language: str, zone: str, analysis: Analysis, digits: int = 5) -> str:
    """The analysis in words: when, the signal, what the bot did, the indicators."""
    values = dict(analysis.values)
    for name in ("until", "since"):
        if name in values:
            values[name] = time_text(values[name].to_pydatetime(), zone)
    if "side" in values:
        values["side"] = translate(language, f"common.{values['side']}").lower()
    if "lots" in values:
        values["lots"] = (
            f"{number_text(language, values['lots'])} {translate(language, 'unit.lots')}"
        )
    if "reason" in values:
        values["reason"] = translate(language, f"reason.{values['reason']}")
    signal = {1: "buy", -1: "sell"}.get(int(np.sign(analysis.signal)), "none")
    parts = [
        translate(
            language,
            "bots.analysis.bar",
            time=time_text(analysis.time.to_pydatetime(), zone),
            close=number_text(language, analysis.close, digits),
        ),
        translate(language, f"bots.analysis.signal_{signal}"),
        translate(language, f"bots.analysis.{analysis.outcome}", **values),
    ]
    text = "; ".join(parts) + "."
    if analysis.lines:
        shown = ", ".join(
            f"{translate(language, f'strategy.line.{name}')} {number_text(language, value, digits)}"
            for name, value in analysis.lines.items()
        )
        text += f" {shown}."
    return text
