"""Text users type: names and symbols may not carry control characters (NUL breaks PostgreSQL)."""

from __future__ import annotations

import re

PRINTABLE = r"^[^\x00-\x1f\x7f]*$"
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def has_control_characters(text: str) -> bool:
    """True when ``text`` contains a control character such as NUL or a newline."""
    return bool(_CONTROL.search(text))
