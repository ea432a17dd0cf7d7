"""AppTest fixtures: the real app.py against a seeded SQLite store, as a given person."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from unittest import mock

import pytest
from sqlmodel import Session
from streamlit.testing.v1 import AppTest, local_script_runner

from db.engine import get_engine
from db.models import utcnow
from integrations.config import reset_settings_cache
from integrations.processes import demo
from tests.support.store import empty_tables

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")
#: The login provider of the AppTest runs (the demo emulator's issuer).
ISSUER = "http://localhost:8765"


def logged_in(email: str, **claims: object) -> dict[str, object]:
    """`st.user` as Streamlit fills it from the provider's ID token: a verified address, the
    provider's issuer and this person's subject there."""
    return {
        "is_logged_in": True,
        "email": email,
        "name": email.split("@")[0],
        "email_verified": True,
        "iss": ISSUER,
        "sub": f"sub-{email}",
        **claims,
    }


EMAILS = {
    "manager": "manager@demo.newym.co.il",
    "staff": "staff@demo.newym.co.il",
    "trainer": "dana@demo.newym.co.il",
}


@pytest.fixture
def demo_store(_sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    engine = get_engine(_sqlite_url)
    empty_tables(engine)
    with Session(engine) as session:
        demo.seed_demo(session=session, now=utcnow())
    monkeypatch.setenv("DATABASE_URL", _sqlite_url)
    reset_settings_cache()
    return _sqlite_url


@pytest.fixture
def app_as(demo_store: str) -> Callable[..., AppTest]:
    """An AppTest of app.py for a logged-in email (None: logged out), in a language."""

    def make(email: str | None, lang: str = "en") -> AppTest:
        at = AppTest.from_file(APP, default_timeout=30)
        at.user = {"is_logged_in": False} if email is None else logged_in(email)
        at.session_state["shell_lang"] = lang
        at.session_state["shell_locale_loaded"] = True
        return at

    return make


def run_fragments(at: AppTest) -> AppTest:
    """Run only the page's fragments, as their own `run_every` timer does in a browser: the
    entry script (login gate, sidebar) and the page's top are skipped, and only what the
    fragments draw is in the tree afterwards. AppTest has no public way to do this, so its
    rerun request is given the queue of fragments a timer would send."""
    fragments = list(at._fragment_storage._fragments)
    assert fragments, "the page drew no fragment"
    scoped = functools.partial(
        local_script_runner.RerunData, fragment_id_queue=fragments, is_auto_rerun=True
    )
    with mock.patch.object(local_script_runner, "RerunData", scoped):
        at.run()
    return at
