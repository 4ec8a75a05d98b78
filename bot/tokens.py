"""Bot tokens at rest: encrypted with a key from the environment (``STEWARD_TOKEN_KEY``), never logged.

The key is one or more Fernet keys (`cryptography`'s authenticated encryption: AES-128-CBC with an
HMAC-SHA256, https://cryptography.io/en/latest/fernet/), separated by commas. The first encrypts; every
one decrypts, so a key is rotated by putting the new one first and dropping the old one once every
process has re-stored its token (each process stores its own at start). Make a key with
``python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"``.
"""

from __future__ import annotations

import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


class TokenKeyError(ValueError):
    """STEWARD_TOKEN_KEY holds something that is not one or more Fernet keys."""


def parse_keys(raw: str) -> list[Fernet]:
    """The Fernet keys in ``raw`` (comma separated, each 32 url-safe base64-encoded bytes), first one first.

    Raises TokenKeyError naming which key (by position, never its value) is malformed."""
    parts = [p.strip() for p in raw.split(",") if p.strip()]
    if not parts:
        raise TokenKeyError("is empty; give one Fernet key (or several, comma separated, the newest first)")
    keys = []
    for position, part in enumerate(parts, 1):
        try:
            keys.append(Fernet(part.encode()))
        except (ValueError, TypeError):
            raise TokenKeyError(f"key {position} is not a Fernet key (32 url-safe base64-encoded bytes); make one with "
                                "python -c \"from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())\"") from None
    return keys


class TokenBox:
    """Encrypts and decrypts bot tokens with the keys of ``STEWARD_TOKEN_KEY`` (see the module docstring)."""

    def __init__(self, raw_keys: str) -> None:
        self._fernet = MultiFernet(parse_keys(raw_keys))

    def seal(self, token: str) -> str:
        """The token encrypted with the first key (a Fernet token: url-safe base64 text, random per call)."""
        return self._fernet.encrypt(token.encode()).decode()

    def open(self, sealed: str) -> str | None:
        """The token, or None when no key decrypts ``sealed`` (another key sealed it, or it was altered)."""
        try:
            return self._fernet.decrypt(sealed.encode()).decode()
        except (InvalidToken, ValueError):
            return None


def fingerprint(token: str) -> str:
    """A short, non-reversible label for a token (12 hex digits of its SHA-256): enough to tell two tokens
    apart in a log or in `steward doctor`, useless for calling Slack."""
    return hashlib.sha256(token.encode()).hexdigest()[:12]
