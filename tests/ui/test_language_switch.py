"""A switch of language keeps every choice made on a page and shows it in the new language.

The browser holds a choice widget's label, not its value: the page must hand it the label in
the new language (`set_value` with the new `raw_value`), or it keeps showing the old one. The
sidebar's switch sets the language and reruns; after a page interaction AppTest reruns only
the page, so these tests set the language the way the switch does.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlmodel import Session, select
from streamlit.testing.v1 import AppTest

from db.engine import get_engine
from db.models import IntegrationCredential, User
from tests.support.apptest import EMAILS


def _switch(at: AppTest, lang: str) -> AppTest:
    at.session_state["shell_lang"] = lang
    return at.run()


def _user_id(store: str, email: str) -> str:
    with Session(get_engine(store)) as session:
        return session.exec(select(User.id).where(User.email == email)).one()


def _connect(store: str, email: str) -> None:
    with Session(get_engine(store)) as session:
        trainer_id = session.exec(select(User.trainer_id).where(User.email == email)).one()
        session.add(
            IntegrationCredential(
                trainer_id=trainer_id,
                integration="google_calendar",
                account_email="dana@gmail.com",
                calendars=[
                    {"id": "dana@gmail.com", "summary": "Dana", "access_role": "owner"},
                ],
            )
        )
        session.commit()


def test_the_users_page_keeps_the_picked_user_and_role_with_labels_in_the_new_language(
    app_as: Callable[..., AppTest], demo_store: str
) -> None:
    staff_id = _user_id(demo_store, EMAILS["staff"])
    at = app_as(EMAILS["manager"]).run()
    at.switch_page("pages/users.py").run()
    at.selectbox(key="users_pick").set_value(staff_id).run()
    at.selectbox(key=f"users_role_{staff_id}").set_value("manager").run()

    at = _switch(at, "he")
    assert not at.exception
    assert at.title[0].value == "משתמשים"
    pick = at.selectbox(key="users_pick")
    assert pick.value == staff_id
    assert f"{EMAILS['staff']} (צוות)" in pick.options
    assert (pick.proto.set_value, pick.proto.raw_value) == (True, f"{EMAILS['staff']} (צוות)")
    role = at.selectbox(key=f"users_role_{staff_id}")
    assert role.value == "manager"
    assert role.options == ["מאמן/ת", "צוות", "מנהל/ת"]
    assert (role.proto.set_value, role.proto.raw_value) == (True, "מנהל/ת")

    at = _switch(at, "en")
    pick = at.selectbox(key="users_pick")
    assert (pick.value, pick.proto.raw_value) == (staff_id, f"{EMAILS['staff']} (Staff)")


def test_a_saved_role_change_relabels_the_user_picker_without_losing_the_user(
    app_as: Callable[..., AppTest], demo_store: str
) -> None:
    staff_id = _user_id(demo_store, EMAILS["staff"])
    at = app_as(EMAILS["manager"]).run()
    at.switch_page("pages/users.py").run()
    at.selectbox(key="users_pick").set_value(staff_id).run()
    at.selectbox(key=f"users_role_{staff_id}").set_value("manager").run()
    at.button(key="users_save_role").click().run()
    assert not at.error
    pick = at.selectbox(key="users_pick")
    assert (pick.value, pick.proto.raw_value) == (staff_id, f"{EMAILS['staff']} (Manager)")


def test_manual_sync_keeps_the_picked_trainers_with_hebrew_labels(
    app_as: Callable[..., AppTest], demo_store: str
) -> None:
    with Session(get_engine(demo_store)) as session:
        dana, yossi = (
            session.exec(select(User.trainer_id).where(User.email == email)).one()
            for email in (EMAILS["trainer"], "yossi@demo.newym.co.il")
        )
    at = app_as(EMAILS["staff"]).run()
    at.switch_page("pages/manual_sync.py").run()
    at.toggle(key="manual_sync_all").set_value(False).run()
    at.multiselect(key="manual_sync_pick").set_value([dana, yossi]).run()
    at = _switch(at, "he")
    picker = at.multiselect(key="manual_sync_pick")
    assert picker.value == [dana, yossi]
    assert picker.proto.set_value
    assert list(picker.proto.raw_values) == ["דנה כהן (לא מחובר)", "יוסי לוי (לא מחובר)"]


def test_the_disconnect_choice_on_google_connection_follows_the_language(
    app_as: Callable[..., AppTest], demo_store: str
) -> None:
    _connect(demo_store, EMAILS["trainer"])
    at = app_as(EMAILS["trainer"]).run()
    at.switch_page("pages/google_connection.py").run()
    at.radio(key="google_keep_choice").set_value("remove").run()
    at = _switch(at, "he")
    keep = at.radio(key="google_keep_choice")
    assert keep.value == "remove"
    assert keep.options == ["להשאיר אותם כאן", "להסיר אותם"]
    assert (keep.proto.set_value, keep.proto.raw_value) == (True, "להסיר אותם")


def test_saved_sync_settings_show_in_the_new_language(
    app_as: Callable[..., AppTest], demo_store: str
) -> None:
    _connect(demo_store, EMAILS["trainer"])
    at = app_as(EMAILS["trainer"]).run()
    at.switch_page("pages/sync_settings.py").run()
    at.radio(key="sync_settings_frequency").set_value("hourly")
    at.button[0].click().run()  # the form's submit button
    assert not at.exception
    at = _switch(at, "he")
    frequency = at.radio(key="sync_settings_frequency")
    assert frequency.value == "hourly"
    assert (frequency.proto.set_value, frequency.proto.raw_value) == (True, "כל שעה")
    assert not at.exception
