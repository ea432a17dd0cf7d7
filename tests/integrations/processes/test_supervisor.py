"""What the processes expose on this machine and to visitors: no tracebacks in the browser, no
store, queue or demo secret that another user of the machine can read."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
import sqlalchemy as sa
from streamlit.config import ShowErrorDetailsConfigOptions

from db.engine import get_engine
from integrations.config import load_settings
from integrations.core.crypto import cipher_from_settings
from integrations.core.queue import make_huey
from integrations.processes.supervisor import auth_secrets, web_command


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_web_process_shows_visitors_no_traceback(tmp_path: Path) -> None:
    command = web_command(load_settings(DATA_DIR=tmp_path))
    value = command[command.index("--client.showErrorDetails") + 1]
    assert value == ShowErrorDetailsConfigOptions.NONE.value


def test_a_new_sqlite_store_and_its_directory_are_readable_by_this_user_only(
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "data"
    engine = get_engine(f"sqlite:///{data_dir / 'newym.db'}")
    with engine.begin() as connection:
        connection.execute(sa.text("CREATE TABLE notes (body TEXT)"))
        connection.execute(sa.text("INSERT INTO notes VALUES ('050-1234567')"))
    assert _mode(data_dir) == 0o700
    assert _mode(data_dir / "newym.db") == 0o600
    for companion in ("newym.db-wal", "newym.db-shm"):
        if (data_dir / companion).exists():
            assert _mode(data_dir / companion) & 0o077 == 0


def test_a_store_left_world_readable_is_made_private_at_start(tmp_path: Path) -> None:
    store = tmp_path / "old.db"
    store.touch()
    store.chmod(0o644)
    get_engine(f"sqlite:///{store}")
    assert _mode(store) == 0o600


def test_the_queue_file_and_demo_secrets_are_readable_by_this_user_only(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    settings = load_settings(DATA_DIR=data_dir)
    huey = make_huey(settings)
    huey.pending_count()
    cipher_from_settings(settings)
    auth_secrets(settings)
    assert _mode(data_dir) == 0o700
    for name in ("queue.db", "encryption.key", "cookie_secret"):
        assert _mode(data_dir / name) == 0o600, name


@pytest.mark.parametrize("umask", [0o022, 0o002])
def test_a_loose_umask_does_not_open_the_store(tmp_path: Path, umask: int) -> None:
    import os

    previous = os.umask(umask)
    try:
        get_engine(f"sqlite:///{tmp_path / f'u{umask:o}' / 'store.db'}")
    finally:
        os.umask(previous)
    assert _mode(tmp_path / f"u{umask:o}" / "store.db") == 0o600
    assert _mode(tmp_path / f"u{umask:o}") == 0o700
