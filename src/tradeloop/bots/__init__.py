"""Bots: configuration, lifecycle and (later) the runner."""
