"""Market data: OHLC readers and validation, the instrument registry, synthetic data."""
