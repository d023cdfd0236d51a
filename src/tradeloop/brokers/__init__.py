"""Brokers: the ``Broker`` protocol bots speak, and the embedded paper broker."""
