"""Units of work: load, call the pure layers, store, commit (see ARCHITECTURE.md)."""
