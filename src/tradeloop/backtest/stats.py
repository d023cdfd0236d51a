"""Backtest statistics as one pure function of the trades and the equity curve.

Definitions (money in the account currency, percentages as 0–100):
- exposure_pct: share of bars on which a position was held (entry to exit bar, inclusive);
- return_pct: final / initial equity − 1; buy_hold_return_pct: last / first close − 1;
- daily returns: the equity at each day's last bar, day over day;
- return_ann_pct: the geometric mean daily return compounded over a year of ``year_days``
  (365 for instruments that trade weekends, else 252); volatility_ann_pct: the sample std of
  daily returns × √year_days; sharpe = return_ann / volatility_ann (no risk-free rate);
  sortino = return_ann / (√mean(min(r, 0)²) × √year_days); cagr_pct over calendar years;
- drawdown: 1 − equity / running peak; max and average (of each drawdown's deepest point) in
  %, with durations from the peak to recovery (or to the end) in seconds;
  calmar = return_ann / max drawdown;
- trade return %: side × (exit / entry − 1) with costs in the prices; profit_factor: gross
  wins / gross losses; expectancy: mean P&L per trade; sqn: √n × mean / std of P&L;
  kelly: win rate − loss rate / (average win / average loss).
Values that cannot be defined (no trades, no losses) are None.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd


def _ratio(a: float, b: float) -> float | None:
    return a / b if b and math.isfinite(a) and math.isfinite(a / b) else None


def _pct(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else value * 100


def finite(stats: dict[str, Any]) -> dict[str, Any]:
    """``stats`` with NaN and infinities replaced by None (JSON has no such numbers)."""
    return {
        k: None if isinstance(v, float) and not math.isfinite(v) else v for k, v in stats.items()
    }


def _compound(log_growth: float) -> float:
    """e^x − 1, saturating at infinity instead of overflowing (very short, very good runs)."""
    return math.expm1(log_growth) if log_growth < 700 else math.inf


def _cagr(growth: float, years: float) -> float | None:
    """Compound annual growth; None when it cannot be defined or is unbounded."""
    if years <= 0 or growth <= 0:
        return None
    value = _compound(math.log(growth) / years)
    return value if math.isfinite(value) else None


def drawdowns(equity: np.ndarray, times: np.ndarray) -> dict[str, float | None]:
    """Max and average drawdown (fractions) and their durations (seconds)."""
    peak = np.maximum.accumulate(equity)
    depth = 1 - equity / peak
    under = depth > 0
    if not under.any():
        return {"max": 0.0, "avg": 0.0, "max_duration": 0.0, "avg_duration": 0.0}
    edges = np.flatnonzero(np.diff(np.concatenate(([0], under.astype(np.int8), [0]))))
    starts, stops = edges[::2], edges[1::2]  # each drawdown covers bars start..stop-1
    deepest = np.maximum.reduceat(depth, starts)  # the bars between drawdowns add depth 0
    ends = np.minimum(stops, len(times) - 1)  # recovery bar, or the last bar
    durations = (times[ends] - times[np.maximum(starts - 1, 0)]) / 1e9
    return {
        "max": float(deepest.max()),
        "avg": float(deepest.mean()),
        "max_duration": float(durations.max()),
        "avg_duration": float(durations.mean()),
    }


DAY_NS = 86_400_000_000_000


def daily_returns(values: np.ndarray, times: np.ndarray) -> np.ndarray:
    """Returns from one UTC day's last equity to the next day's (times sorted, in ns)."""
    day = times // DAY_NS
    closes = values[np.append(np.flatnonzero(np.diff(day)), len(day) - 1)]
    return closes[1:] / closes[:-1] - 1


def streaks(hits: np.ndarray) -> tuple[int, int]:
    """The run of true values ending at the last one, and the longest run."""
    flags = np.asarray(hits, dtype=np.int8)
    edges = np.flatnonzero(np.diff(np.concatenate(([0], flags, [0]))))
    starts, stops = edges[::2], edges[1::2]
    if not len(starts):
        return 0, 0
    lengths = stops - starts
    return int(lengths[-1]) if stops[-1] == len(flags) else 0, int(lengths.max())


BREAKEVEN_CUSHION = 0.01


def breakeven_category(delta: float | None) -> str | None:
    """How a win rate compares with breakeven: comfortably above (≥ 2 points), just above,
    around (within 2 points below) or below."""
    if delta is None:
        return None
    if delta >= 0.02:
        return "comfortably_above"
    if delta > 0:
        return "just_above"
    if delta >= -0.02:
        return "around"
    return "below"


def trade_figures(pnl: np.ndarray) -> dict[str, Any]:
    """The statistics of a list of trade results in one unit (money or one market's points),
    defined once for backtests, the journal and the mentor.

    win rate = wins / trades (a flat trade is neither); average win and average loss are
    positive; payoff = average win / average loss; expectancy = mean result per trade;
    profit factor = gross profit / gross loss; breakeven win rate = average loss / (average
    win + average loss) + 0.01, and the category compares the win rate with it.
    """
    pnl = np.asarray(pnl, dtype=float)
    wins, losses = pnl[pnl > 0], -pnl[pnl < 0]
    n = len(pnl)
    win_rate = len(wins) / n if n else None
    avg_win = float(wins.mean()) if len(wins) else None
    avg_loss = float(losses.mean()) if len(losses) else None
    breakeven = (
        avg_loss / (avg_win + avg_loss) + BREAKEVEN_CUSHION
        if avg_win is not None and avg_loss is not None
        else None
    )
    delta = win_rate - breakeven if win_rate is not None and breakeven is not None else None
    return {
        "trades": n,
        "wins": len(wins),
        "losses": len(losses),
        "flat": int((pnl == 0).sum()),
        "win_rate": win_rate,
        "net": float(pnl.sum()),
        "gross_profit": float(wins.sum()),
        "gross_loss": float(losses.sum()),
        "avg_win": avg_win,
        "avg_loss": avg_loss,
        "payoff_ratio": avg_win / avg_loss if avg_win is not None and avg_loss else None,
        "expectancy": float(pnl.mean()) if n else None,
        "profit_factor": float(wins.sum() / losses.sum()) if len(losses) else None,
        "best": float(pnl.max()) if n else None,
        "worst": float(pnl.min()) if n else None,
        "breakeven_win_rate": breakeven,
        "category": breakeven_category(delta),
        "max_consecutive_wins": streaks(pnl > 0)[1],
        "max_consecutive_losses": streaks(pnl < 0)[1],
    }


def compute_stats(
    trades: pd.DataFrame,
    equity: pd.Series,
    close: pd.Series,
    initial_cash: float,
    year_days: int = 252,
    daily: np.ndarray | None = None,
) -> dict[str, Any]:
    """Every statistic of a run. ``trades`` has columns side, entry_price, exit_price, pnl,
    costs, entry_index, exit_index, entry_time, exit_time; ``equity`` is per bar; ``daily``:
    its ``daily_returns`` when the caller has them already."""
    values = equity.to_numpy()
    times = equity.index.as_unit("ns").asi8
    final = float(values[-1])
    if daily is None:
        daily = daily_returns(values, times)
    blown = bool((values <= 0).any())  # after a wipe-out, returns on equity mean nothing
    ann: float | None = None
    vol: float | None = None
    downside = 0.0
    if blown:
        ann = -1.0
    elif len(daily) > 1:
        ann = _compound(float(np.log1p(daily).mean()) * year_days)
        vol = float(np.std(daily, ddof=1) * math.sqrt(year_days))
        downside = math.sqrt(float(np.mean(np.minimum(daily, 0) ** 2))) * math.sqrt(year_days)
    seconds = (times[-1] - times[0]) / 1e9
    years = seconds / (365.25 * 86400)
    growth = final / initial_cash
    dd = drawdowns(values, times)

    held = np.zeros(len(values) + 1, dtype=np.int64)
    pnl = trades["pnl"].to_numpy()
    if len(trades):
        np.add.at(held, trades["entry_index"].to_numpy(dtype=np.int64), 1)
        np.add.at(held, trades["exit_index"].to_numpy(dtype=np.int64) + 1, -1)
    exposure = float((np.cumsum(held)[:-1] > 0).mean()) if len(values) else 0.0
    returns = (trades["side"] * (trades["exit_price"] / trades["entry_price"] - 1)).to_numpy()
    figures = trade_figures(pnl)
    n = len(pnl)
    win_rate, avg_win, avg_loss = figures["win_rate"], figures["avg_win"], figures["avg_loss"]
    durations = (
        (trades["exit_time"] - trades["entry_time"]).dt.total_seconds()
        if n
        else pd.Series(dtype=float)
    )
    kelly = (
        win_rate - (1 - win_rate) / (avg_win / avg_loss)
        if win_rate is not None and avg_win and avg_loss
        else None
    )
    return finite(
        {
            "start": equity.index[0].isoformat(),
            "end": equity.index[-1].isoformat(),
            "duration_seconds": seconds,
            "bars": len(values),
            "exposure_pct": exposure * 100,
            "initial_equity": initial_cash,
            "final_equity": final,
            "peak_equity": float(values.max()),
            "net_profit": final - initial_cash,
            "return_pct": (growth - 1) * 100,
            "buy_hold_return_pct": float(close.iloc[-1] / close.iloc[0] - 1) * 100,
            "return_ann_pct": _pct(ann),
            "volatility_ann_pct": _pct(vol),
            "cagr_pct": _pct(_cagr(growth, years)),
            "sharpe": None if blown or ann is None or vol is None else _ratio(ann, vol),
            "sortino": None if blown or ann is None else _ratio(ann, downside),
            "calmar": None if blown or ann is None else _ratio(ann, dd["max"]),
            "max_drawdown_pct": dd["max"] * 100,
            "avg_drawdown_pct": dd["avg"] * 100,
            "max_drawdown_duration_seconds": dd["max_duration"],
            "avg_drawdown_duration_seconds": dd["avg_duration"],
            "trades": n,
            "wins": figures["wins"],
            "losses": figures["losses"],
            "win_rate_pct": _pct(win_rate),
            "best_trade_pct": float(returns.max() * 100) if n else None,
            "worst_trade_pct": float(returns.min() * 100) if n else None,
            "avg_trade_pct": float(returns.mean() * 100) if n else None,
            "max_trade_duration_seconds": float(durations.max()) if n else None,
            "avg_trade_duration_seconds": float(durations.mean()) if n else None,
            "profit_factor": figures["profit_factor"],
            "expectancy": figures["expectancy"],
            "sqn": _ratio(math.sqrt(n) * float(pnl.mean()), float(pnl.std(ddof=1)))
            if n > 1
            else None,
            "kelly": kelly,
            "avg_win": avg_win,
            "avg_loss": avg_loss,
            "max_consecutive_losses": figures["max_consecutive_losses"],
            "total_costs": float(trades["costs"].sum()) if n else 0.0,
        }
    )
