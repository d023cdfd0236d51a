"""The strategy library. Each class documents its rule; parameters carry id/en labels."""

from __future__ import annotations

import numpy as np
import pandas as pd

from tradeloop.core.errors import InvalidInput
from tradeloop.strategies.base import Param, Signals, Strategy, register
from tradeloop.strategies.indicators import (
    bollinger,
    cross_above,
    cross_below,
    highest_before,
    lowest_before,
    previous,
    squeeze_breakout,
    ta,
    to_signals,
)

Arr = np.ndarray


def _p(name: str, label_id: str, label_en: str, default, lo=None, hi=None, step=None) -> Param:
    return Param(name, label_id, label_en, default, lo, hi, step)


def _period(name: str, label_id: str, label_en: str, default: int, hi: int = 500) -> Param:
    return _p(name, label_id, label_en, default, 2, hi, 1)


BB_LENGTH = _period("bb_length", "Periode Bollinger", "Bollinger length", 20)
BB_STD = _p("bb_std", "Deviasi standar Bollinger", "Bollinger std dev", 2.0, 0.5, 5.0, 0.1)
SQUEEZE_WINDOW = _period("squeeze_window", "Jendela squeeze", "Squeeze window", 10, 200)
SQUEEZE_FACTOR = _p("squeeze_factor", "Faktor squeeze", "Squeeze factor", 0.7, 0.1, 1.0, 0.05)
MACD_PARAMS = (
    _period("macd_fast", "MACD cepat", "MACD fast", 12, 100),
    _period("macd_slow", "MACD lambat", "MACD slow", 26, 200),
    _period("macd_signal", "Sinyal MACD", "MACD signal", 9, 100),
    _p("stoch_k", "Stokastik %K", "Stochastic %K", 14, 1, 100, 1),
    _p("stoch_d", "Stokastik %D", "Stochastic %D", 3, 1, 50, 1),
    _p("stoch_smooth", "Penghalusan stokastik", "Stochastic smoothing", 3, 1, 50, 1),
)
HYBRID_PARAMS = (
    _period("adx_period", "Periode ADX", "ADX period", 14, 100),
    _p("adx_threshold", "Ambang ADX", "ADX threshold", 25.0, 5.0, 60.0, 1.0),
    _period("ma_fast", "MA cepat", "Fast MA", 20),
    _period("ma_slow", "MA lambat", "Slow MA", 50),
    BB_LENGTH,
    BB_STD,
    _period("trend_filter", "Filter tren (SMA)", "Trend filter (SMA)", 200),
)


def _bands(c: Arr, length: int, std: float, middle: bool = True) -> dict[str, Arr]:
    """Bollinger bands as chart lines."""
    upper, mid, lower = bollinger(c, length, std)
    return {"bb_upper": upper, **({"bb_middle": mid} if middle else {}), "bb_lower": lower}


def _fast_below_slow(values: dict, fast: str, slow: str) -> None:
    if values[fast] >= values[slow]:
        raise InvalidInput(
            f"{fast} ({values[fast]}) must be smaller than {slow} ({values[slow]})",
            [{"field": fast}, {"field": slow}],
        )


@register
class MaCrossover(Strategy):
    """SMA(fast) crosses above SMA(slow) → long; below → short."""

    key = "ma_crossover"
    title = "MA Crossover"
    description = {
        "id": "SMA cepat memotong ke atas SMA lambat → beli; ke bawah → jual.",
        "en": "Fast SMA crosses above the slow SMA → long; below → short.",
    }
    params = (
        _period("fast_period", "Periode cepat", "Fast period", 20),
        _period("slow_period", "Periode lambat", "Slow period", 50),
    )

    def check(self) -> None:
        _fast_below_slow(self.values, "fast_period", "slow_period")

    def lines(self, o: Arr, h: Arr, low: Arr, c: Arr, v: Arr, times: pd.DatetimeIndex) -> dict:
        return {
            "sma_fast": ta.SMA(c, timeperiod=self.values["fast_period"]),
            "sma_slow": ta.SMA(c, timeperiod=self.values["slow_period"]),
        }

    def compute(self, o: Arr, h: Arr, low: Arr, c: Arr, v: Arr, times: pd.DatetimeIndex) -> Signals:
        x = self.lines(o, h, low, c, v, times)
        fast, slow = x["sma_fast"], x["sma_slow"]
        return Signals(to_signals(cross_above(fast, slow), cross_below(fast, slow)))


@register
class RsiCrossover(Strategy):
    """Close above SMA(trend) and RSI crosses above its SMA → long; mirror for short."""

    key = "rsi_crossover"
    title = "RSI Crossover"
    description = {
        "id": "Harga di atas SMA tren dan RSI memotong ke atas rata-ratanya → beli; sebaliknya → jual.",
        "en": "Close above the trend SMA and RSI crossing above its average → long; mirror → short.",
    }
    params = (
        _period("rsi_period", "Periode RSI", "RSI period", 14, 100),
        _period("rsi_ma_period", "Periode rata-rata RSI", "RSI average period", 10, 100),
        _period("trend_filter_period", "Filter tren (SMA)", "Trend filter (SMA)", 50),
    )

    def lines(self, o: Arr, h: Arr, low: Arr, c: Arr, v: Arr, times: pd.DatetimeIndex) -> dict:
        return {"sma_trend": ta.SMA(c, timeperiod=self.values["trend_filter_period"])}

    def compute(self, o: Arr, h: Arr, low: Arr, c: Arr, v: Arr, times: pd.DatetimeIndex) -> Signals:
        rsi = ta.RSI(c, timeperiod=self.values["rsi_period"])
        rsi_ma = ta.SMA(rsi, timeperiod=self.values["rsi_ma_period"])
        trend = self.lines(o, h, low, c, v, times)["sma_trend"]
        with np.errstate(invalid="ignore"):
            return Signals(
                to_signals(
                    (c > trend) & cross_above(rsi, rsi_ma), (c < trend) & cross_below(rsi, rsi_ma)
                )
            )

    def warmup(self) -> int:
        return (
            max(
                self.values["rsi_period"] + self.values["rsi_ma_period"],
                self.values["trend_filter_period"],
            )
            + 2
        )


def bollinger_touch(
    h: Arr, low: Arr, c: Arr, length: int, std: float, trend_period: int
) -> tuple[Arr, Arr]:
    """Low touches the lower band above SMA(trend) → long; high touches the upper band below it."""
    upper, _, lower = bollinger(c, length, std)
    trend = ta.SMA(c, timeperiod=trend_period)
    with np.errstate(invalid="ignore"):
        return (c > trend) & (low <= lower), (c < trend) & (h >= upper)


@register
class BollingerReversion(Strategy):
    """Close above SMA(trend) and low touching the lower band → long; mirror → short."""

    key = "bollinger_reversion"
    title = "Bollinger Reversion"
    description = {
        "id": "Di atas SMA200 dan low menyentuh band bawah → beli; di bawah SMA200 dan high menyentuh band atas → jual.",
        "en": "Above SMA200 with the low touching the lower band → long; below it with the high touching the upper band → short.",
    }
    params = (
        BB_LENGTH,
        BB_STD,
        _period("trend_filter_period", "Filter tren (SMA)", "Trend filter (SMA)", 200),
    )

    def lines(self, o: Arr, h: Arr, low: Arr, c: Arr, v: Arr, times: pd.DatetimeIndex) -> dict:
        x = self.values
        return {
            **_bands(c, x["bb_length"], x["bb_std"]),
            "sma_trend": ta.SMA(c, timeperiod=x["trend_filter_period"]),
        }

    def compute(self, o: Arr, h: Arr, low: Arr, c: Arr, v: Arr, times: pd.DatetimeIndex) -> Signals:
        long, short = bollinger_touch(
            h,
            low,
            c,
            self.values["bb_length"],
            self.values["bb_std"],
            self.values["trend_filter_period"],
        )
        return Signals(to_signals(long, short))


@register
class BollingerSqueeze(Strategy):
    """After a squeeze: close above the previous upper band with RSI < 70 → long; below the
    previous lower band with RSI > 30 → short."""

    key = "bollinger_squeeze"
    title = "Bollinger Squeeze"
    description = {
        "id": "Setelah squeeze: tutup di atas band atas dengan RSI < 70 → beli; di bawah band bawah dengan RSI > 30 → jual.",
        "en": "After a squeeze: close above the upper band with RSI < 70 → long; below the lower band with RSI > 30 → short.",
    }
    params = (
        BB_LENGTH,
        BB_STD,
        SQUEEZE_WINDOW,
        SQUEEZE_FACTOR,
        _period("rsi_period", "Periode RSI", "RSI period", 14, 100),
    )

    def lines(self, o: Arr, h: Arr, low: Arr, c: Arr, v: Arr, times: pd.DatetimeIndex) -> dict:
        return _bands(c, self.values["bb_length"], self.values["bb_std"])

    def compute(self, o: Arr, h: Arr, low: Arr, c: Arr, v: Arr, times: pd.DatetimeIndex) -> Signals:
        x = self.values
        up, down = squeeze_breakout(
            h, low, c, x["bb_length"], x["bb_std"], x["squeeze_window"], x["squeeze_factor"]
        )
        rsi = ta.RSI(c, timeperiod=x["rsi_period"])
        with np.errstate(invalid="ignore"):
            return Signals(to_signals(up & (rsi < 70), down & (rsi > 30)))

    def warmup(self) -> int:
        return self.values["bb_length"] + 2 * self.values["squeeze_window"] + 2


def trend_momentum(h: Arr, low: Arr, c: Arr, trend_period: int, x: dict) -> Signals:
    """Close above SMA(trend), MACD histogram > 0 and %K crossing above %D → long; mirror."""
    trend = ta.SMA(c, timeperiod=trend_period)
    _, _, hist = ta.MACD(
        c, fastperiod=x["macd_fast"], slowperiod=x["macd_slow"], signalperiod=x["macd_signal"]
    )
    k, d = ta.STOCH(
        h,
        low,
        c,
        fastk_period=x["stoch_k"],
        slowk_period=x["stoch_smooth"],
        slowk_matype=0,
        slowd_period=x["stoch_d"],
        slowd_matype=0,
    )
    with np.errstate(invalid="ignore"):
        return Signals(
            to_signals(
                (c > trend) & (hist > 0) & cross_above(k, d),
                (c < trend) & (hist < 0) & cross_below(k, d),
            )
        )


class _MacdCheck(Strategy):
    key = "_macd"
    title = ""
    description = {}
    params = ()

    def check(self) -> None:
        _fast_below_slow(self.values, "macd_fast", "macd_slow")


@register
class MercyEdge(_MacdCheck):
    """Trend (SMA200) + MACD histogram + stochastic cross."""

    key = "mercy_edge"
    title = "Mercy Edge"
    description = {
        "id": "Di atas SMA200, histogram MACD > 0 dan %K memotong ke atas %D → beli; sebaliknya → jual.",
        "en": "Above SMA200, MACD histogram > 0 and %K crossing above %D → long; mirror → short.",
    }
    params = MACD_PARAMS

    def lines(self, o: Arr, h: Arr, low: Arr, c: Arr, v: Arr, times: pd.DatetimeIndex) -> dict:
        return {"sma_trend": ta.SMA(c, timeperiod=200)}

    def compute(self, o: Arr, h: Arr, low: Arr, c: Arr, v: Arr, times: pd.DatetimeIndex) -> Signals:
        return trend_momentum(h, low, c, 200, self.values)

    def warmup(self) -> int:
        return 202


@register
class PulseSync(_MacdCheck):
    """Mercy Edge with SMA(trend_period) as the trend filter."""

    key = "pulse_sync"
    title = "Pulse Sync"
    description = {
        "id": "Seperti Mercy Edge dengan SMA(trend_period) sebagai filter tren.",
        "en": "Mercy Edge with SMA(trend_period) as the trend filter.",
    }
    params = (_period("trend_period", "Periode tren", "Trend period", 100), *MACD_PARAMS)

    def lines(self, o: Arr, h: Arr, low: Arr, c: Arr, v: Arr, times: pd.DatetimeIndex) -> dict:
        return {"sma_trend": ta.SMA(c, timeperiod=self.values["trend_period"])}

    def compute(self, o: Arr, h: Arr, low: Arr, c: Arr, v: Arr, times: pd.DatetimeIndex) -> Signals:
        return trend_momentum(h, low, c, self.values["trend_period"], self.values)


@register
class QuantumVelocity(Strategy):
    """EMA regime + squeeze breakout: above EMA and breaking up after a squeeze → long."""

    key = "quantum_velocity"
    title = "Quantum Velocity"
    description = {
        "id": "Rezim EMA + breakout setelah squeeze Bollinger.",
        "en": "EMA regime + breakout after a Bollinger squeeze.",
    }
    params = (
        _period("ema_period", "Periode EMA", "EMA period", 200),
        BB_LENGTH,
        BB_STD,
        SQUEEZE_WINDOW,
        SQUEEZE_FACTOR,
    )

    def lines(self, o: Arr, h: Arr, low: Arr, c: Arr, v: Arr, times: pd.DatetimeIndex) -> dict:
        x = self.values
        return {
            "ema_trend": ta.EMA(c, timeperiod=x["ema_period"]),
            **_bands(c, x["bb_length"], x["bb_std"]),
        }

    def compute(self, o: Arr, h: Arr, low: Arr, c: Arr, v: Arr, times: pd.DatetimeIndex) -> Signals:
        x = self.values
        ema = self.lines(o, h, low, c, v, times)["ema_trend"]
        up, down = squeeze_breakout(
            h, low, c, x["bb_length"], x["bb_std"], x["squeeze_window"], x["squeeze_factor"]
        )
        with np.errstate(invalid="ignore"):
            return Signals(to_signals(up & (c > ema), down & (c < ema)))


@register
class TurtleBreakout(Strategy):
    """Close beyond the previous N-bar high/low enters; the opposite exit channel exits."""

    key = "turtle_breakout"
    title = "Turtle Breakout"
    description = {
        "id": "Tutup di atas high N bar sebelumnya → beli, di bawah low → jual; kanal keluar yang berlawanan menutup posisi.",
        "en": "Close above the previous N-bar high → long, below the low → short; the opposite exit channel closes.",
    }
    params = (
        _period("entry_period", "Periode masuk", "Entry period", 20),
        _period("exit_period", "Periode keluar", "Exit period", 10),
    )

    def lines(self, o: Arr, h: Arr, low: Arr, c: Arr, v: Arr, times: pd.DatetimeIndex) -> dict:
        n, m = self.values["entry_period"], self.values["exit_period"]
        return {
            "channel_high": highest_before(h, n),
            "channel_low": lowest_before(low, n),
            "exit_high": highest_before(h, m),
            "exit_low": lowest_before(low, m),
        }

    def compute(self, o: Arr, h: Arr, low: Arr, c: Arr, v: Arr, times: pd.DatetimeIndex) -> Signals:
        x = self.lines(o, h, low, c, v, times)
        with np.errstate(invalid="ignore"):
            entries = to_signals(c > x["channel_high"], c < x["channel_low"])
            return Signals(entries, exit_long=c < x["exit_low"], exit_short=c > x["exit_high"])


@register
class IchimokuCloud(Strategy):
    """Tenkan/kijun cross, filtered by the close above/below the cloud. The cloud at a bar is
    the one plotted there (spans computed ``kijun`` bars earlier), so recent bars are usable."""

    key = "ichimoku_cloud"
    title = "Ichimoku Cloud"
    description = {
        "id": "Tenkan memotong kijun, disaring harga di atas/bawah awan.",
        "en": "Tenkan/kijun cross, filtered by price above/below the cloud.",
    }
    params = (
        _period("tenkan", "Tenkan", "Tenkan", 9, 100),
        _period("kijun", "Kijun", "Kijun", 26, 200),
        _period("senkou", "Senkou B", "Senkou B", 52, 400),
        _p("use_cloud_filter", "Pakai filter awan", "Use cloud filter", True),
    )

    def lines(self, o: Arr, h: Arr, low: Arr, c: Arr, v: Arr, times: pd.DatetimeIndex) -> dict:
        x = self.values

        def mid(n: int) -> Arr:
            return (ta.MAX(h, timeperiod=n) + ta.MIN(low, timeperiod=n)) / 2

        tenkan, kijun = mid(x["tenkan"]), mid(x["kijun"])
        return {
            "tenkan": tenkan,
            "kijun": kijun,
            "span_a": previous((tenkan + kijun) / 2, x["kijun"]),
            "span_b": previous(mid(x["senkou"]), x["kijun"]),
        }

    def compute(self, o: Arr, h: Arr, low: Arr, c: Arr, v: Arr, times: pd.DatetimeIndex) -> Signals:
        x = self.values
        lines = self.lines(o, h, low, c, v, times)
        tenkan, kijun, span_a, span_b = (lines[k] for k in ("tenkan", "kijun", "span_a", "span_b"))
        long, short = cross_above(tenkan, kijun), cross_below(tenkan, kijun)
        if x["use_cloud_filter"]:
            with np.errstate(invalid="ignore"):
                long &= c > np.fmax(span_a, span_b)
                short &= c < np.fmin(span_a, span_b)
        return Signals(to_signals(long, short))

    def warmup(self) -> int:
        return self.values["senkou"] + self.values["kijun"] + 2


@register
class DynamicBreakout(Strategy):
    """Close beyond the previous Donchian band, with the EMA trend and a bar range above
    ``atr_multiplier`` × ATR."""

    key = "dynamic_breakout"
    title = "Dynamic Breakout"
    description = {
        "id": "Tutup menembus kanal Donchian sebelumnya searah tren EMA, dengan range bar > pengali × ATR.",
        "en": "Close beyond the previous Donchian band with the EMA trend and bar range > multiplier × ATR.",
    }
    params = (
        _period("donchian_period", "Periode Donchian", "Donchian period", 20),
        _period("ema_filter_period", "Filter EMA", "EMA filter", 50),
        _period("atr_period", "Periode ATR", "ATR period", 14, 100),
        _p("atr_multiplier", "Pengali ATR", "ATR multiplier", 0.8, 0.1, 5.0, 0.1),
    )

    def lines(self, o: Arr, h: Arr, low: Arr, c: Arr, v: Arr, times: pd.DatetimeIndex) -> dict:
        x = self.values
        return {
            "channel_high": highest_before(h, x["donchian_period"]),
            "channel_low": lowest_before(low, x["donchian_period"]),
            "ema_trend": ta.EMA(c, timeperiod=x["ema_filter_period"]),
        }

    def compute(self, o: Arr, h: Arr, low: Arr, c: Arr, v: Arr, times: pd.DatetimeIndex) -> Signals:
        x = self.values
        lines = self.lines(o, h, low, c, v, times)
        ema = lines["ema_trend"]
        atr = ta.ATR(h, low, c, timeperiod=x["atr_period"])
        with np.errstate(invalid="ignore"):
            wide = (h - low) > x["atr_multiplier"] * atr
            long = (c > lines["channel_high"]) & (c > ema) & wide
            short = (c < lines["channel_low"]) & (c < ema) & wide
        return Signals(to_signals(long, short))


def hybrid_signals(h: Arr, low: Arr, c: Arr, x: dict) -> tuple[Arr, Arr, Arr]:
    """(long, short, trending): ADX above threshold → MA cross with the trend filter; otherwise
    a Bollinger touch with the trend filter."""
    adx = ta.ADX(h, low, c, timeperiod=x["adx_period"])
    fast, slow = ta.SMA(c, timeperiod=x["ma_fast"]), ta.SMA(c, timeperiod=x["ma_slow"])
    trend = ta.SMA(c, timeperiod=x["trend_filter"])
    touch_long, touch_short = bollinger_touch(
        h, low, c, x["bb_length"], x["bb_std"], x["trend_filter"]
    )
    with np.errstate(invalid="ignore"):
        trending = adx > x["adx_threshold"]
        long = np.where(trending, cross_above(fast, slow) & (c > trend), touch_long)
        short = np.where(trending, cross_below(fast, slow) & (c < trend), touch_short)
    return long, short, trending


@register
class HybridRegime(Strategy):
    """Trend-following when ADX says trend, mean reversion otherwise."""

    key = "hybrid_regime"
    title = "Hybrid Regime"
    description = {
        "id": "ADX di atas ambang → persilangan MA dengan filter tren; selain itu → sentuhan Bollinger dengan filter tren.",
        "en": "ADX above threshold → MA cross with trend filter; otherwise → Bollinger touch with trend filter.",
    }
    params = HYBRID_PARAMS

    def check(self) -> None:
        _fast_below_slow(self.values, "ma_fast", "ma_slow")

    def lines(self, o: Arr, h: Arr, low: Arr, c: Arr, v: Arr, times: pd.DatetimeIndex) -> dict:
        x = self.values
        return {
            "sma_fast": ta.SMA(c, timeperiod=x["ma_fast"]),
            "sma_slow": ta.SMA(c, timeperiod=x["ma_slow"]),
            "sma_trend": ta.SMA(c, timeperiod=x["trend_filter"]),
            **_bands(c, x["bb_length"], x["bb_std"], middle=False),
        }

    def compute(self, o: Arr, h: Arr, low: Arr, c: Arr, v: Arr, times: pd.DatetimeIndex) -> Signals:
        long, short, _ = hybrid_signals(h, low, c, self.values)
        return Signals(to_signals(long, short))


@register
class CryptoRegime(HybridRegime):
    """Hybrid regime with RSI gates, a volatility filter and weekend handling.

    Volatility is the coefficient of variation of the close over 24 bars (std / mean); above
    ``max_volatility`` no signal is taken. With ``weekend_mode``, Saturday and Sunday (UTC)
    keep only trend (ADX) signals: the weaker mean-reversion signals are dropped.
    """

    key = "crypto_regime"
    title = "Crypto Regime"
    description = {
        "id": "Hybrid regime + gerbang RSI, filter volatilitas (std/mean harga 24 bar) dan sinyal akhir pekan yang lemah dibuang.",
        "en": "Hybrid regime + RSI gates, a volatility filter (24-bar std/mean of price) and weak weekend signals dropped.",
    }
    params = (
        *HYBRID_PARAMS,
        _period("rsi_period", "Periode RSI", "RSI period", 14, 100),
        _p("rsi_overbought", "RSI jenuh beli", "RSI overbought", 75.0, 50.0, 95.0, 1.0),
        _p("rsi_oversold", "RSI jenuh jual", "RSI oversold", 25.0, 5.0, 50.0, 1.0),
        _p("max_volatility", "Volatilitas maksimum", "Max volatility", 0.05, 0.001, 1.0, 0.005),
        _p("weekend_mode", "Mode akhir pekan", "Weekend mode", True),
    )

    def compute(self, o: Arr, h: Arr, low: Arr, c: Arr, v: Arr, times: pd.DatetimeIndex) -> Signals:
        x = self.values
        long, short, trending = hybrid_signals(h, low, c, x)
        rsi = ta.RSI(c, timeperiod=x["rsi_period"])
        with np.errstate(invalid="ignore", divide="ignore"):
            calm = (
                ta.STDDEV(c, timeperiod=24, nbdev=1) / ta.SMA(c, timeperiod=24)
                <= x["max_volatility"]
            )
            long &= (rsi < x["rsi_overbought"]) & calm
            short &= (rsi > x["rsi_oversold"]) & calm
        if x["weekend_mode"]:
            weekday = np.asarray(times.day_of_week)
            weak_weekend = (weekday >= 5) & ~trending
            long &= ~weak_weekend
            short &= ~weak_weekend
        return Signals(to_signals(long, short))


@register
class IndexMomentum(Strategy):
    """RSI 50–70 with a positive return and volume ≥ multiplier × average → long; RSI 30–50
    with a negative return → short. Opening gaps beyond ``gap_threshold`` % are followed."""

    key = "index_momentum"
    title = "Index Momentum"
    description = {
        "id": "RSI 50–70, return positif dan volume ≥ pengali × rata-rata → beli; kebalikannya → jual; gap di atas ambang diikuti.",
        "en": "RSI 50–70, positive return and volume ≥ multiplier × average → long; mirror → short; gaps above the threshold are followed.",
    }
    params = (
        _period("momentum_period", "Periode momentum", "Momentum period", 14, 100),
        _period("volume_period", "Periode volume", "Volume period", 20),
        _p("volume_multiplier", "Pengali volume", "Volume multiplier", 1.3, 0.1, 10.0, 0.1),
        _p("gap_threshold", "Ambang gap (%)", "Gap threshold (%)", 0.5, 0.05, 10.0, 0.05),
    )

    def compute(self, o: Arr, h: Arr, low: Arr, c: Arr, v: Arr, times: pd.DatetimeIndex) -> Signals:
        x = self.values
        rsi = ta.RSI(c, timeperiod=x["momentum_period"])
        prev_close = previous(c)
        with np.errstate(invalid="ignore", divide="ignore"):
            change = c - prev_close
            busy = (v > 0) & (
                v >= x["volume_multiplier"] * ta.SMA(v, timeperiod=x["volume_period"])
            )
            gap = (o - prev_close) / prev_close * 100
            long = ((rsi > 50) & (rsi < 70) & (change > 0) & busy) | (gap > x["gap_threshold"])
            short = ((rsi < 50) & (rsi > 30) & (change < 0) & busy) | (gap < -x["gap_threshold"])
        return Signals(to_signals(long, short))


@register
class IndexBreakout(Strategy):
    """Close beyond the previous N-bar high/low with a volume surge and the EMA trend."""

    key = "index_breakout"
    title = "Index Breakout"
    description = {
        "id": "Tutup menembus high/low N bar sebelumnya dengan lonjakan volume dan searah tren EMA.",
        "en": "Close beyond the previous N-bar high/low with a volume surge and the EMA trend.",
    }
    params = (
        _period("breakout_period", "Periode breakout", "Breakout period", 20),
        _p(
            "volume_surge_multiplier",
            "Pengali lonjakan volume",
            "Volume surge multiplier",
            1.5,
            0.1,
            10.0,
            0.1,
        ),
        _period("trend_filter_period", "Filter tren (EMA)", "Trend filter (EMA)", 50),
    )

    def lines(self, o: Arr, h: Arr, low: Arr, c: Arr, v: Arr, times: pd.DatetimeIndex) -> dict:
        x = self.values
        return {
            "channel_high": highest_before(h, x["breakout_period"]),
            "channel_low": lowest_before(low, x["breakout_period"]),
            "ema_trend": ta.EMA(c, timeperiod=x["trend_filter_period"]),
        }

    def compute(self, o: Arr, h: Arr, low: Arr, c: Arr, v: Arr, times: pd.DatetimeIndex) -> Signals:
        x = self.values
        n = x["breakout_period"]
        lines = self.lines(o, h, low, c, v, times)
        ema = lines["ema_trend"]
        with np.errstate(invalid="ignore"):
            surge = v > x["volume_surge_multiplier"] * previous(ta.SMA(v, timeperiod=n))
            long = (c > lines["channel_high"]) & surge & (c > ema)
            short = (c < lines["channel_low"]) & surge & (c < ema)
        return Signals(to_signals(long, short))
