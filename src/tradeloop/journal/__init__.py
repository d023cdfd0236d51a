"""The trade journal: broker-export importers and fills → trades reconstruction."""
