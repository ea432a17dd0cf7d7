"""The login gate lets in only a verified address, bound to one account at the provider, and shows
people's names as typed."""

from __future__ import annotations

import re
from collections.abc import Callable

from sqlmodel import Session, select
from streamlit.testing.v1 import AppTest

from db.engine import get_engine
from db.models import IntegrationLog, User
from pages._plain import plain
from tests.support.apptest import EMAILS, logged_in


def _titles(at: AppTest) -> list[str]:
    return [title.value for title in at.title]


def test_a_login_without_email_verified_is_not_let_in(app_as: Callable[..., AppTest]) -> None:
    """A provider that does not say the address is verified has proved nothing."""
    at = app_as(EMAILS["manager"])
    at.user = {key: value for key, value in at.user.items() if key != "email_verified"}
    at.run()
    assert _titles(at) == ["You have not been invited yet"]
    assert "did not confirm that" in at.warning[0].value


def test_a_second_account_with_the_managers_address_is_refused_and_logged(
    app_as: Callable[..., AppTest], demo_store: str
) -> None:
    first = app_as(EMAILS["manager"]).run()
    assert "You have not been invited yet" not in _titles(first)
    intruder = app_as(EMAILS["manager"])
    intruder.user = logged_in(EMAILS["manager"], sub="someone-else")
    intruder.run()
    assert _titles(intruder) == ["You have not been invited yet"]
    assert "already linked to another account" in intruder.warning[0].value
    with Session(get_engine(demo_store)) as session:
        line = session.exec(
            select(IntegrationLog).where(IntegrationLog.event == "login_identity_mismatch")
        ).one()
    assert EMAILS["manager"] in line.message and "someone-else" not in line.message


def test_a_name_with_markdown_html_and_latex_shows_in_the_sidebar_as_typed(
    app_as: Callable[..., AppTest], demo_store: str
) -> None:
    name = "**x** <img src=x onerror=alert(1)> $x^2$ :red[boo]"
    with Session(get_engine(demo_store)) as session:
        manager = session.exec(select(User).where(User.email == EMAILS["manager"])).one()
        manager.name = name
        session.add(manager)
        session.commit()
    at = app_as(EMAILS["manager"]).run()
    shown = at.sidebar.markdown[0].value
    assert shown.startswith(f"**{plain(name)}**")
    inside = shown.split("\n")[0].removeprefix("**").removesuffix("**  ")
    assert not re.search(r"(?<!\\)[<>$*\[\]:]", inside)  # nothing left for Markdown to read
