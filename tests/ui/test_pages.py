"""What each page shows and what its forms do with good and bad input."""

from __future__ import annotations

from collections.abc import Callable

from sqlmodel import Session, select
from streamlit.testing.v1 import AppTest

from db.engine import get_engine
from db.models import Notification, User
from integrations.core.notifications import notify
from integrations.crm import accounts
from tests.support.apptest import EMAILS, logged_in


def _user_id(store: str, email: str) -> str:
    with Session(get_engine(store)) as session:
        return session.exec(select(User.id).where(User.email == email)).one()


def test_staff_see_every_trainer_with_their_google_state(app_as: Callable[..., AppTest]) -> None:
    at = app_as(EMAILS["staff"]).run()
    table = at.dataframe[0].value
    assert sorted(table["Name"]) == sorted(["דנה כהן", "יוסי לוי", "נועה מזרחי"])
    assert set(table["Google Calendar"]) == {"Not connected"}
    assert [m.value for m in at.metric] == ["3", "0", "0"]


def test_a_trainer_sees_their_upcoming_sessions_in_their_time_zone(
    app_as: Callable[..., AppTest],
) -> None:
    at = app_as(EMAILS["trainer"]).run()
    assert not at.exception
    assert any("Asia/Jerusalem" in caption.value for caption in at.caption)
    sessions = at.dataframe[0].value
    assert len(sessions) > 0
    assert all("דנה" not in title for title in sessions["Session"])  # client names, not her own
    # Demo sessions are at 07, 09, 17 or 19 o'clock Israel time.
    hours = {when.split()[-1].split(":")[0] for when in sessions["When"]}
    assert hours <= {"07", "09", "17", "19"}


def test_a_manager_invites_a_trainer_who_can_then_log_in(
    app_as: Callable[..., AppTest], demo_store: str
) -> None:
    at = app_as(EMAILS["manager"]).run()
    at.switch_page("pages/users.py").run()
    at.text_input(key="users_invite_email").input("New.Trainer@Example.com")
    at.text_input(key="users_invite_name").input("New Trainer")
    at.selectbox(key="users_invite_role").select("trainer")
    at.button[0].click()  # the form's submit button
    at.run()
    assert not at.error
    assert any("new.trainer@example.com" in toast.value for toast in at.toast)
    emails = list(at.dataframe[0].value["Email"])
    assert "new.trainer@example.com" in emails
    # The form is emptied for the next invitation.
    assert at.text_input(key="users_invite_email").value == ""
    assert at.text_input(key="users_invite_name").value == ""
    newcomer = app_as("new.trainer@example.com").run()
    assert [t.value for t in newcomer.title] == ["My integrations"]


def test_a_bad_invitation_shows_an_error_and_keeps_what_was_typed(
    app_as: Callable[..., AppTest],
) -> None:
    at = app_as(EMAILS["manager"]).run()
    at.switch_page("pages/users.py").run()
    at.text_input(key="users_invite_email").input("not an email")
    at.text_input(key="users_invite_name").input("Somebody")
    at.button[0].click()
    at.run()
    assert "is not an email address" in at.error[0].value
    assert at.text_input(key="users_invite_email").value == "not an email"
    assert at.text_input(key="users_invite_name").value == "Somebody"


def test_a_manager_deactivates_a_user_who_then_cannot_log_in(
    app_as: Callable[..., AppTest],
) -> None:
    at = app_as(EMAILS["manager"]).run()
    at.switch_page("pages/users.py").run()
    at.selectbox(key="users_pick").select_index(
        next(
            i for i, o in enumerate(at.selectbox(key="users_pick").options) if EMAILS["staff"] in o
        )
    ).run()
    at.button(key="users_toggle_active").click().run()
    assert not at.error
    locked_out = app_as(EMAILS["staff"]).run()
    assert [t.value for t in locked_out.title] == ["Your access is turned off"]
    assert EMAILS["staff"] in locked_out.warning[0].value


def test_notifications_list_unread_first_and_mark_read(
    app_as: Callable[..., AppTest], demo_store: str
) -> None:
    user_id = _user_id(demo_store, EMAILS["trainer"])
    with Session(get_engine(demo_store)) as session:
        notify(
            [user_id], "sync_failed", "Google sync failed", body="Reconnect Google", session=session
        )
        session.commit()
    at = app_as(EMAILS["trainer"]).run()
    assert "One unread notification" in [caption.value for caption in at.sidebar.caption]
    at.switch_page("pages/notifications.py").run()
    assert "Google sync failed" in at.markdown[0].value
    read_buttons = [b for b in at.button if b.key and b.key.startswith("notifications_read_")]
    read_buttons[0].click().run()
    with Session(get_engine(demo_store)) as session:
        note = session.exec(select(Notification).where(Notification.user_id == user_id)).one()
    assert note.read_at is not None
    assert not any("🔵" in m.value for m in at.markdown)
    fresh = app_as(EMAILS["trainer"]).run()
    assert [c.value for c in fresh.sidebar.caption] == ["No unread notifications"]


def test_each_person_gets_their_saved_language_at_login(
    app_as: Callable[..., AppTest], demo_store: str
) -> None:
    """Hebrew by default; a person who chose English gets English after the next login."""
    at = AppTest.from_file(app_as(None)._script_path, default_timeout=30)
    at.user = logged_in(EMAILS["staff"])
    at.run()
    assert at.title[0].value == "מאמנים"
    with Session(get_engine(demo_store)) as session:
        actor = accounts.resolve_login(EMAILS["staff"], session=session)
    assert actor is not None
    with Session(get_engine(demo_store)) as session:
        accounts.set_locale(actor, "en", session=session)
    again = AppTest.from_file(app_as(None)._script_path, default_timeout=30)
    again.user = logged_in(EMAILS["staff"])
    again.run()
    assert again.title[0].value == "Trainers"
    assert again.segmented_control(key="shell_lang_choice").value == "en"


def test_a_manager_told_about_a_trainers_google_opens_the_trainers_page(
    app_as: Callable[..., AppTest], demo_store: str
) -> None:
    """The link leads somewhere the reader may go, not to a page outside their role."""
    manager_id = _user_id(demo_store, EMAILS["manager"])
    with Session(get_engine(demo_store)) as session:
        notify(
            [manager_id],
            "alert:needs_reauth",
            "Google Calendar needs reconnecting: Dana",
            link="pages/google_connection.py",
            session=session,
        )
        session.commit()
    at = app_as(EMAILS["manager"]).run()
    at.switch_page("pages/notifications.py").run()
    assert not at.exception
    [open_button] = [b for b in at.button if b.key and b.key.startswith("notifications_open_")]
    open_button.click().run()
    assert not at.exception
    assert at.title[0].value == "Trainers"
    # Opening it was reading it.
    with Session(get_engine(demo_store)) as session:
        note = session.exec(select(Notification).where(Notification.user_id == manager_id)).one()
        assert note.read_at is not None


def test_a_refused_invitation_is_explained_in_hebrew(app_as: Callable[..., AppTest]) -> None:
    """Not with the service's English words, which are meant for the logs."""
    at = app_as(EMAILS["manager"], "he").run()
    at.switch_page("pages/users.py").run()
    at.text_input(key="users_invite_email").input(EMAILS["staff"])  # already invited
    at.button[0].click()
    at.run()
    assert [e.value for e in at.error] == [
        "הכתובת הזו כבר הוזמנה: אפשר למצוא אותה ברשימה למטה כדי לשנות תפקיד או להפעיל "
        "מחדש את הגישה."
    ]
    # A malformed address is told apart from one already invited.
    at.text_input(key="users_invite_email").input("not-an-email")
    at.button[0].click()
    at.run()
    assert [e.value for e in at.error] == ["זו אינה כתובת דוא״ל תקינה: בדקו אותה ונסו שוב."]


def test_the_last_manager_keeps_the_role_with_the_reason_given(
    app_as: Callable[..., AppTest], demo_store: str
) -> None:
    manager_id = _user_id(demo_store, EMAILS["manager"])
    at = app_as(EMAILS["manager"]).run()
    at.switch_page("pages/users.py").run()
    at.selectbox(key="users_pick").set_value(manager_id).run()
    at.selectbox(key=f"users_role_{manager_id}").set_value("staff").run()
    at.button(key="users_save_role").click().run()
    assert [e.value for e in at.error] == [
        "The last active manager cannot lose the manager role: make someone else a manager first."
    ]
