"""Personal notes are encrypted at rest (Fernet). The key is TRADELOOP_NOTES_KEY, or one derived
from the secret key. To rotate: set the new key in TRADELOOP_NOTES_KEY and the old one in
TRADELOOP_NOTES_OLD_KEYS; notes are read with any listed key and re-written with the new one."""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


def derived_key(secret: str) -> bytes:
    """A notes key derived from the app's secret key (when no notes key is set)."""
    return base64.urlsafe_b64encode(hashlib.sha256(b"tradeloop notes:" + secret.encode()).digest())


def notes_cipher(current: bytes, earlier: list[bytes]) -> MultiFernet:
    """The cipher: the current key first, then earlier keys for reading only."""
    return MultiFernet([Fernet(key) for key in (current, *earlier)])


def seal(cipher: MultiFernet, note: str | None) -> str | None:
    """The note encrypted (None stays None)."""
    return None if note is None else cipher.encrypt(note.encode()).decode()


def unseal(cipher: MultiFernet, stored: str | None) -> str | None:
    """The note decrypted; a note no listed key can read is reported as such, not raised."""
    if stored is None:
        return None
    try:
        return cipher.decrypt(stored.encode()).decode()
    except InvalidToken:
        return None


def reseal(cipher: MultiFernet, stored: str | None) -> str | None:
    """The note re-encrypted with the current key (for key rotation)."""
    return None if stored is None else cipher.rotate(stored.encode()).decode()
