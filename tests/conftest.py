"""What every test starts from: the defaults of the settings, its own DATA_DIR, and the
fixtures of tests/support, registered here once (`pytest_plugins`) for the whole suite.

Test modules import helpers and builders from tests.support, never from another test module
or a conftest (tests/test_import_rules.py keeps that).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from integrations.config import reset_settings_cache

# Modules that build their queue at import (integrations.processes.worker) must not touch the
# checkout's
# data/ folder: point them at a throwaway folder before any test module is imported.
os.environ["DATA_DIR"] = tempfile.mkdtemp(prefix="newym-tests-")
#: The fixtures every test package shares, registered once for the suite.
pytest_plugins = [
    "tests.support.store",
    "tests.support.google_emulator",
    "tests.support.google_world",
    "tests.support.apptest",
    "tests.support.browser",
    "tests.support.mail_emulator",
]
# Settings this process may have inherited that would change what the tests see.
_SETTINGS_TO_CLEAR = (
    "APP_ENV",
    "DATABASE_URL",
    "REDIS_URL",
    "TOKEN_ENCRYPTION_KEYS",
    "GOOGLE_CLIENT_ID",
    "GOOGLE_CLIENT_SECRET",
    "GOOGLE_REDIRECT_URI",
    "AUTH_SERVER_METADATA_URL",
    "AUTH_CLIENT_ID",
    "AUTH_CLIENT_SECRET",
    "AUTH_COOKIE_SECRET",
    "PUBLIC_URL",
    "API_PUBLIC_URL",
    "WEB_PORT",
    "API_PORT",
    "EMULATOR_PORT",
)


@pytest.fixture(autouse=True)
def _isolated_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every test starts from the defaults, with its own DATA_DIR and no .env of the developer."""
    for name in _SETTINGS_TO_CLEAR:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("APP_ENV", "test")
    monkeypatch.setenv("LOG_FORMAT", "text")
    monkeypatch.chdir(tmp_path)  # no stray .env is read from the checkout
    reset_settings_cache()
    yield
    reset_settings_cache()
