"""Domain value objects shared by every layer."""
