"""Execution rules shared by backtests and bots: fills, stops and targets, sizing, costs."""
