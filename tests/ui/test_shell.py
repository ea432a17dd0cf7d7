"""The login gate and the navigation: each role sees only its pages, in Hebrew or English."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from streamlit.testing.v1 import AppTest

from tests.support.apptest import EMAILS, ROOT

PAGE_FILES = {
    "my_integrations": "pages/my_integrations.py",
    "google_connection": "pages/google_connection.py",
    "sync_settings": "pages/sync_settings.py",
    "trainers": "pages/trainers.py",
    "events": "pages/events.py",
    "manual_sync": "pages/manual_sync.py",
    "users": "pages/users.py",
    "health": "pages/health.py",
    "notifications": "pages/notifications.py",
}
TITLES = {
    "my_integrations": "My integrations",
    "google_connection": "Google connection",
    "sync_settings": "Sync settings",
    "trainers": "Trainers",
    "events": "Events",
    "manual_sync": "Manual sync",
    "users": "Users",
    "health": "Health",
    "notifications": "Notifications",
}
ALLOWED = {
    "trainer": {
        "my_integrations",
        "google_connection",
        "sync_settings",
        "events",
        "notifications",
    },
    "staff": {"trainers", "events", "manual_sync", "notifications"},
    "manager": {"trainers", "events", "manual_sync", "users", "health", "notifications"},
}
HOME = {"trainer": "my_integrations", "staff": "trainers", "manager": "trainers"}


def _titles(at: AppTest) -> list[str]:
    return [title.value for title in at.title]


def test_a_visitor_sees_the_login_button_and_the_demo_banner(
    app_as: Callable[..., AppTest],
) -> None:
    at = app_as(None).run()
    assert not at.exception
    assert [b.label for b in at.button] == ["Log in"]
    assert any("Demo mode" in info.value for info in at.info)


def test_hebrew_is_the_default_and_lays_out_right_to_left(app_as: Callable[..., AppTest]) -> None:
    at = AppTest.from_file(app_as(None)._script_path, default_timeout=30)
    at.user = {"is_logged_in": False}
    at.run()
    assert [b.label for b in at.button] == ["התחברות"]
    assert any("direction: rtl" in str(html.proto) for html in at.get("html"))


def test_an_uninvited_email_gets_the_not_invited_page(app_as: Callable[..., AppTest]) -> None:
    at = app_as("stranger@example.com").run()
    assert not at.exception
    assert _titles(at) == ["You have not been invited yet"]
    assert "stranger@example.com" in at.warning[0].value


@pytest.mark.parametrize("role", ["trainer", "staff", "manager"])
def test_each_role_lands_on_its_home_page(app_as: Callable[..., AppTest], role: str) -> None:
    at = app_as(EMAILS[role]).run()
    assert not at.exception
    assert _titles(at) == [TITLES[HOME[role]]]


@pytest.mark.parametrize("role", ["trainer", "staff", "manager"])
@pytest.mark.parametrize("page", list(PAGE_FILES))
def test_each_role_reaches_only_its_pages(
    app_as: Callable[..., AppTest], role: str, page: str
) -> None:
    """A page outside the role's navigation cannot be reached by its path either."""
    at = app_as(EMAILS[role]).run()
    if page in ALLOWED[role]:
        at.switch_page(PAGE_FILES[page]).run()
        assert not at.exception
        assert _titles(at)[0] == TITLES[page]
    else:
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            at.switch_page(PAGE_FILES[page])


@pytest.mark.parametrize("page", list(PAGE_FILES))
def test_every_page_refuses_a_visitor_who_is_not_logged_in(page: str, demo_store: str) -> None:
    """Pages check who is looking themselves, not only the navigation."""
    at = AppTest.from_file(str(ROOT / PAGE_FILES[page]), default_timeout=30)
    at.session_state["shell_lang"] = "en"
    at.run()
    assert [e.value for e in at.error] == ["This page is not available to your role."]


@pytest.mark.parametrize("role", ["trainer", "staff"])
def test_a_page_outside_the_role_refuses_even_when_run_directly(demo_store: str, role: str) -> None:
    from sqlmodel import Session

    from db.engine import get_engine
    from integrations.crm import accounts

    with Session(get_engine(demo_store)) as session:
        actor = accounts.resolve_login(EMAILS[role], session=session)
    forbidden = (
        set(PAGE_FILES) - ALLOWED[role] - ({"my_integrations"} if role == "staff" else set())
    )
    for page in forbidden:
        at = AppTest.from_file(str(ROOT / PAGE_FILES[page]), default_timeout=30)
        at.session_state["shell_lang"] = "en"
        at.session_state["shell_actor"] = actor
        at.run()
        assert [e.value for e in at.error] == ["This page is not available to your role."], page


def test_an_unverified_email_is_not_let_in_even_if_invited(app_as: Callable[..., AppTest]) -> None:
    """Some OIDC providers let users claim any address; only a verified one counts."""
    at = app_as(EMAILS["manager"])
    at.user = {**at.user, "email_verified": False}
    at.run()
    assert _titles(at) == ["You have not been invited yet"]
