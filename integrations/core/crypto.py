"""Encryption of tokens and provider secrets at rest (Fernet, several keys for rotation).

The first key encrypts; every key decrypts. To rotate: put a new key first, run
`python -m integrations keys rotate` (re-encrypts every stored secret), then drop the old key.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from db.engine import private_directory
from integrations.config import DEMO_KEY_FILE, AppEnv, Settings

log = logging.getLogger(__name__)


class DecryptionError(Exception):
    """A stored secret could not be read with any configured key (key removed too early?)."""


class TokenCipher:
    """Encrypts with the newest key, decrypts with any; never logs or reprs a key."""

    def __init__(self, keys: list[str]) -> None:
        if not keys:
            raise ValueError("at least one encryption key is needed")
        self._fernet = MultiFernet([Fernet(key) for key in keys])
        self._newest = keys[0]
        self.key_count = len(keys)

    def __repr__(self) -> str:
        return f"TokenCipher(keys={self.key_count})"

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode("utf-8")).decode("ascii")

    def decrypt(self, ciphertext: str) -> str:
        try:
            return self._fernet.decrypt(ciphertext.encode("ascii")).decode("utf-8")
        except InvalidToken:
            raise DecryptionError(
                "a stored secret cannot be decrypted with the configured TOKEN_ENCRYPTION_KEYS"
            ) from None

    def newest_only(self) -> TokenCipher:
        """The cipher that remains once the older keys are dropped: what rotation must satisfy."""
        return TokenCipher([self._newest])

    def rotate(self, ciphertext: str) -> str:
        """Re-encrypt under the newest key (a no-op in meaning, a change in bytes)."""
        try:
            return self._fernet.rotate(ciphertext.encode("ascii")).decode("ascii")
        except InvalidToken:
            raise DecryptionError(
                "a stored secret cannot be decrypted with the configured TOKEN_ENCRYPTION_KEYS"
            ) from None


def generate_key() -> str:
    return Fernet.generate_key().decode("ascii")


def _demo_key(data_dir: Path) -> str:
    path = data_dir / DEMO_KEY_FILE
    if path.exists():
        return path.read_text(encoding="ascii").strip()
    private_directory(data_dir)
    key = generate_key()
    # O_EXCL: when two processes start at once, one writes and the other reads the winner's key.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="ascii").strip()
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key + "\n")
    log.warning(
        "TOKEN_ENCRYPTION_KEYS is not set: generated a demo key in %s. "
        "Set TOKEN_ENCRYPTION_KEYS before storing real tokens.",
        path,
        extra={"event": "demo_key_generated"},
    )
    return key


def cipher_from_settings(settings: Settings) -> TokenCipher:
    keys = [key.get_secret_value() for key in settings.TOKEN_ENCRYPTION_KEYS]
    if keys:
        return TokenCipher(keys)
    if settings.APP_ENV is AppEnv.PRODUCTION:  # settings refuse this already; belt and braces
        raise RuntimeError("TOKEN_ENCRYPTION_KEYS is required in production")
    return TokenCipher([_demo_key(settings.DATA_DIR)])
