"""Backtesting: the compiled kernel, statistics, the engine that ties them, and charts."""
