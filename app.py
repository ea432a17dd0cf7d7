"""The dashboard's entry: login gate, then `st.navigation` with only the pages the role may see.

Login is Streamlit's own OIDC (`st.login`): its signed cookie survives the full page load that the
Google consent redirect causes, which session state alone would not.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from db.models import Role
from integrations.config import ConfigurationError, get_settings
from integrations.core.logging import configure_logging
from integrations.core.notifications import unread_count
from integrations.crm import accounts
from integrations.messages import LANGUAGES
from integrations.runtime import session as open_session
from pages._plain import plain
from pages._shell import ACTOR_KEY, LANG_KEY, LOCALE_LOADED_KEY, apply_direction, t

st.set_page_config(page_title="NEWYM Integrations", page_icon="🔗", layout="wide")

DEACTIVATED_KEY = "shell_login_deactivated"
REFUSAL_KEY = "shell_login_refusal"


@st.cache_resource
def _configure_process() -> bool:
    """Once per web process: structured, redacted logging like the api and the worker."""
    configure_logging(get_settings(), process="web")
    return True


PAGES: dict[str, tuple[str, str, str, frozenset[Role]]] = {
    # key: (file, icon, url path, roles)
    "my_integrations": (
        "pages/my_integrations.py",
        "🔌",
        "my_integrations",
        frozenset({Role.TRAINER}),
    ),
    "google_connection": (
        "pages/google_connection.py",
        "📅",
        "google_connection",
        frozenset({Role.TRAINER}),
    ),
    "sync_settings": (
        "pages/sync_settings.py",
        "⚙️",
        "sync_settings",
        frozenset({Role.TRAINER}),
    ),
    "trainers": ("pages/trainers.py", "👥", "trainers", frozenset({Role.STAFF, Role.MANAGER})),
    "events": (
        "pages/events.py",
        "🗓️",
        "events",
        frozenset({Role.TRAINER, Role.STAFF, Role.MANAGER}),
    ),
    "manual_sync": (
        "pages/manual_sync.py",
        "🔄",
        "manual_sync",
        frozenset({Role.STAFF, Role.MANAGER}),
    ),
    "users": ("pages/users.py", "🛡️", "users", frozenset({Role.MANAGER})),
    "health": ("pages/health.py", "📈", "health", frozenset({Role.MANAGER})),
    "notifications": (
        "pages/notifications.py",
        "🔔",
        "notifications",
        frozenset({Role.TRAINER, Role.STAFF, Role.MANAGER}),
    ),
}


def role_pages(role: Role) -> list[Any]:
    """The role's pages, the first one its home. Streamlit serves the home at "/" only and
    answers the home's own address (a bookmark of `/trainers`) with "Page not found": the same
    page, hidden from the menu, answers there too. The home itself is given a path no link
    uses, since two pages may not share one."""
    allowed = [
        (key, path, icon, url) for key, (path, icon, url, roles) in PAGES.items() if role in roles
    ]
    home_key, home_path, home_icon, home_url = allowed[0]
    return [
        st.Page(
            home_path, title=t(f"page.{home_key}"), icon=home_icon, url_path="home", default=True
        ),
        *(
            st.Page(path, title=t(f"page.{key}"), icon=icon, url_path=url)
            for key, path, icon, url in allowed[1:]
        ),
        st.Page(
            home_path,
            title=t(f"page.{home_key}"),
            icon=home_icon,
            url_path=home_url,
            visibility="hidden",
        ),
    ]


def language_switch() -> None:
    choice = st.sidebar.segmented_control(
        t("shell.language"),
        options=list(LANGUAGES),
        format_func=LANGUAGES.__getitem__,
        default=st.session_state[LANG_KEY],
        key="shell_lang_choice",
    )
    if choice and choice != st.session_state[LANG_KEY]:
        st.session_state[LANG_KEY] = choice
        actor = st.session_state.get(ACTOR_KEY)
        if actor is not None:
            with open_session() as session:
                accounts.set_locale(actor, choice, session=session)
        st.rerun()


def show_demo_banner(slot: Any, demo_mode: bool) -> None:
    if demo_mode:
        slot.info(t("app.demo_banner"), icon="🧪")


def login_screen() -> None:
    st.title(t("login.heading"))
    st.write(t("login.intro"))
    if st.button(t("login.button"), type="primary", key="login_button"):
        st.login()
    if get_settings().demo_mode:
        st.caption(t("login.demo_hint"))


def not_invited_screen() -> None:
    email = plain(str(st.user.get("email") or "?"))
    refusal: accounts.LoginRefusal | None = st.session_state.get(REFUSAL_KEY)
    if st.session_state.get(DEACTIVATED_KEY):
        st.title(t("deactivated.heading"))
        st.warning(t("deactivated.body", email=email))
    else:
        st.title(t("not_invited.heading"))
        bodies = {
            accounts.LoginRefusal.OTHER_IDENTITY: "login.other_identity.body",
            accounts.LoginRefusal.UNVERIFIED: "login.unverified.body",
        }
        body = bodies.get(refusal, "not_invited.body") if refusal else "not_invited.body"
        st.warning(t(body, email=email))
    if st.button(t("shell.logout"), key="not_invited_logout"):
        st.logout()


def main() -> None:
    try:
        settings = get_settings()
    except ConfigurationError:
        st.error(t("app.config_error"))
        st.stop()
    _configure_process()
    st.session_state.setdefault(LANG_KEY, "he")

    # Reserved at the top, filled once the language is known (a saved choice applies at login).
    banner = st.empty()

    if not st.user.is_logged_in:
        show_demo_banner(banner, settings.demo_mode)
        language_switch()
        apply_direction()
        st.navigation([st.Page(login_screen, title=t("login.button"), url_path="login")]).run()
        return

    # The ID token's claims: a verified address, and the provider's issuer and subject, which
    # the first login binds to the user (`accounts.log_in`).
    claims = {name: st.user.get(name) for name in ("email", "email_verified", "iss", "sub")}
    with open_session() as session:
        login = accounts.log_in(claims, session=session)
        actor = login.actor
        unread = unread_count(actor, session=session) if actor else 0
        deactivated = login.refusal is accounts.LoginRefusal.DEACTIVATED
    if actor is None:
        st.session_state.pop(ACTOR_KEY, None)
        st.session_state[DEACTIVATED_KEY] = deactivated
        st.session_state[REFUSAL_KEY] = login.refusal
        show_demo_banner(banner, settings.demo_mode)
        language_switch()
        apply_direction()
        st.navigation([st.Page(not_invited_screen, title=t("not_invited.heading"))]).run()
        return

    if not st.session_state.get(LOCALE_LOADED_KEY):
        st.session_state[LANG_KEY] = actor.locale  # the user's saved language wins at login
        st.session_state[LOCALE_LOADED_KEY] = True
    st.session_state[ACTOR_KEY] = actor
    show_demo_banner(banner, settings.demo_mode)

    with st.sidebar:
        # Names are typed by managers and people: shown as typed, never read as Markdown.
        st.markdown(
            f"**{plain(actor.name or actor.email)}**  \n{plain(actor.email)}  \n"
            f"{t('role.' + actor.role)}"
        )
        st.caption(t("shell.unread", count=unread) if unread else t("shell.no_unread"))
        if st.button(t("shell.logout"), key="shell_logout"):
            st.session_state.pop(ACTOR_KEY, None)
            st.logout()
    language_switch()
    apply_direction()

    st.navigation(role_pages(actor.role)).run()


main()
