"""tradeloop: a self-hosted trading workstation."""

__version__ = "0.1.0"
