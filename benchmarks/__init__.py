"""Reproducible speed benchmarks: ``make bench`` runs them all and prints figures."""
