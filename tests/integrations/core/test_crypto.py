"""Tokens are stored encrypted, and keys can be rotated without losing a single token."""

from __future__ import annotations

import logging
import stat
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from integrations.config import load_settings
from integrations.core.crypto import DecryptionError, TokenCipher, cipher_from_settings


def test_a_token_round_trips_and_the_ciphertext_does_not_contain_it() -> None:
    cipher = TokenCipher([Fernet.generate_key().decode()])
    secret = "ya29.a0AfH6SMBexample-access-token"
    stored = cipher.encrypt(secret)
    assert secret not in stored
    assert cipher.decrypt(stored) == secret


def test_adding_a_new_key_keeps_old_tokens_readable_and_rotation_frees_the_old_key() -> None:
    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    stored = TokenCipher([old_key]).encrypt("1//refresh-token")
    both = TokenCipher([new_key, old_key])
    assert both.decrypt(stored) == "1//refresh-token"
    rotated = both.rotate(stored)
    assert TokenCipher([new_key]).decrypt(rotated) == "1//refresh-token"


def test_a_token_from_an_unknown_key_gives_a_clear_error() -> None:
    stored = TokenCipher([Fernet.generate_key().decode()]).encrypt("secret")
    with pytest.raises(DecryptionError, match="TOKEN_ENCRYPTION_KEYS"):
        TokenCipher([Fernet.generate_key().decode()]).decrypt(stored)


def test_the_cipher_never_shows_its_keys() -> None:
    key = Fernet.generate_key().decode()
    assert key not in repr(TokenCipher([key]))


def test_demo_mode_generates_one_private_key_file_and_warns(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = load_settings(DATA_DIR=tmp_path / "data")
    with caplog.at_level(logging.WARNING):
        first = cipher_from_settings(settings)
    key_file = tmp_path / "data" / "encryption.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert "TOKEN_ENCRYPTION_KEYS is not set" in caplog.text
    # The same key is used again after a restart: tokens stored before stay readable.
    assert cipher_from_settings(settings).decrypt(first.encrypt("kept")) == "kept"
