"""Strategies: one vectorised ``signals(bars)`` each, shared by backtests and bots."""
