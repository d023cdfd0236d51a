"""Habit analytics: mistake detectors, statistics, insights, goals (pure functions)."""
