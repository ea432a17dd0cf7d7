"""Notices about a trainer's integration, written in each recipient's own language.

The alert engine (`integrations.monitoring.alerts`) tells people about incidents; no integration's
engine
does. A notification is stored as the text its reader was sent, so it is written in the language
that reader chose (a manager who reads English and a trainer who reads Hebrew get one
notification each, about one incident).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from sqlmodel import Session, col, select

from db.models import Notification, Role, User
from integrations.core.notifications import notify
from integrations.messages import MESSAGES
from integrations.messages import text as text  # the pages' own lookup (`pages._shell.t`)
from integrations.monitoring import links

#: Where a notice about a trainer's connection takes each role; others go to the health page.
LINKS = {Role.TRAINER: links.GOOGLE_CONNECTION}
DEFAULT_LINK = links.HEALTH
TITLE_LIMIT = 300

#: (title, body) of a notice in the given language, for a reader of the given role.
Compose = Callable[[str, Role], tuple[str, str]]


def for_reader(key: str, role: Role) -> str:
    """`key.others` for a reader who is not the trainer concerned, when the catalogue has one:
    "reconnect on your page" is for the trainer; a manager is told that the trainer must."""
    others = f"{key}.others"
    return others if role is not Role.TRAINER and others in MESSAGES else key


def notify_in_their_language(
    user_ids: Iterable[str],
    kind: str,
    compose: Compose,
    *,
    session: Session,
    trainer_id: str | None = None,
    incident_key: str | None = None,
) -> list[Notification]:
    """One notification per person, in the order given, written in their language and linking to
    a page their role has."""
    ordered = list(dict.fromkeys(user_ids))
    people = {
        person.id: person
        for person in session.exec(select(User).where(col(User.id).in_(ordered))).all()
    }
    written: dict[tuple[str, Role], tuple[str, str]] = {}
    created: list[Notification] = []
    for user_id in ordered:
        person = people.get(user_id)
        if person is None:
            continue
        reader = (person.locale, person.role)
        if reader not in written:
            written[reader] = compose(*reader)
        title, body = written[reader]
        created += notify(
            [user_id],
            kind,
            title[:TITLE_LIMIT],
            body=body,
            link=LINKS.get(person.role, DEFAULT_LINK),
            trainer_id=trainer_id,
            incident_key=incident_key,
            session=session,
        )
    return created
