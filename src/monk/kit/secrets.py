"""Secrets at rest, sealed with the server's key (``MONK_SECRET_KEY``, a Fernet key: AES-128-CBC
with HMAC-SHA256, from ``cryptography``). A sealed value is opaque text; only the same key opens it."""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken


class SecretKeyMissing(Exception):
    """The server has no ``MONK_SECRET_KEY`` (or an invalid one): secrets cannot be stored."""


class Sealer:
    """Seals and opens secrets with one Fernet key."""

    def __init__(self, key: str) -> None:
        """``key``: a Fernet key (``new_key()``). Raises ``SecretKeyMissing`` when empty or malformed."""
        if not key:
            raise SecretKeyMissing("MONK_SECRET_KEY is not set: the server cannot store secrets "
                                   "(`monk secret-key` prints a new key)")
        try:
            self._fernet = Fernet(key.encode())
        except ValueError:
            raise SecretKeyMissing("MONK_SECRET_KEY is not a Fernet key (32 url-safe base64-encoded bytes; "
                                   "`monk secret-key` prints one)") from None

    def seal(self, secret: str) -> str:
        """``secret`` sealed (opaque ASCII text)."""
        return self._fernet.encrypt(secret.encode()).decode()

    def open(self, sealed: str) -> str:
        """The secret in ``sealed``. Raises ``SecretKeyMissing`` when it was sealed with another key."""
        try:
            return self._fernet.decrypt(sealed.encode()).decode()
        except InvalidToken:
            raise SecretKeyMissing("a stored secret was sealed with another MONK_SECRET_KEY") from None


def new_key() -> str:
    """A new random key for ``MONK_SECRET_KEY``."""
    return Fernet.generate_key().decode()
