"""A CRM session booked, changed or cancelled through the domain, with no page involved (the
command line, the future API), reaches a realtime trainer's Google calendar through the worker."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session

from db.models import SyncTrigger
from integrations.core import registry
from integrations.core.access import Actor
from integrations.crm import bookings
from integrations.google_calendar.status import update_google_calendar_sync_settings
from integrations.processes import worker
from tests.support.google_world import NEXT_WEEK, Trainer
from tests.support.noop_integration import NoopIntegration


def _run_queued_sync() -> None:
    """What a worker does with the one task the change queued, once it is due (it is queued a
    second ahead, so that a burst of edits shares one sync)."""
    task = worker.huey.dequeue()
    assert task is not None and task.name.endswith("sync_trainer"), task
    assert task.eta is not None
    result = worker.huey.execute(task, timestamp=task.eta)
    assert result is not None and result["outcome"] == "success", result
    assert worker.huey.dequeue() is None


def test_a_session_booked_changed_and_cancelled_without_a_page_reaches_google(
    trainer: Trainer,
) -> None:
    trainer.sync()  # the first sync, done: nothing of Google's is waiting
    worker.huey.flush()
    booked = trainer.book("Strength", NEXT_WEEK)
    _run_queued_sync()
    assert [e["summary"] for e in trainer.google()] == ["Strength"]

    trainer.session.expire_all()  # a new action, as each caller's own session would see it
    bookings.update_booking(
        trainer.actor, booked.id, {"title": "Strength, longer"}, session=trainer.session
    )
    _run_queued_sync()
    assert [e["summary"] for e in trainer.google()] == ["Strength, longer"]

    trainer.session.expire_all()
    bookings.delete_booking(trainer.actor, booked.id, session=trainer.session)
    _run_queued_sync()
    assert trainer.google() == []


def test_a_trainer_who_syncs_hourly_waits_for_the_schedule(trainer: Trainer) -> None:
    update_google_calendar_sync_settings(
        trainer.actor, trainer.id, {"syncFrequency": "hourly"}, session=trainer.session
    )
    worker.huey.flush()
    trainer.book("Strength", NEXT_WEEK + timedelta(days=1))
    assert worker.huey.dequeue() is None
    assert worker.enqueue_sync(trainer.id, SyncTrigger.MANUAL)  # nothing marked as waiting
    worker.huey.flush()


class _Broken(NoopIntegration):
    def after_local_change(self, session: Session, trainer_id: str) -> None:
        raise ConnectionError("the queue is down")


def test_every_integration_hears_of_a_change_and_one_that_fails_loses_no_booking(
    session: Session, people: dict[str, Actor], caplog: pytest.LogCaptureFixture
) -> None:
    dana = people["trainer"]
    assert dana.trainer_id is not None
    listening = NoopIntegration(name="listening")
    with registry.registered(_Broken(name="broken")), registry.registered(listening):
        booked = bookings.create_booking(
            dana,
            dana.trainer_id,
            {"title": "Run", "start_at": NEXT_WEEK, "end_at": NEXT_WEEK + timedelta(hours=1)},
            session=session,
        )
    assert listening.local_changes == [dana.trainer_id]
    assert (
        bookings.get_google_calendar_events(
            dana, dana.trainer_id, NEXT_WEEK, NEXT_WEEK + timedelta(hours=1), session=session
        )[0].id
        == booked.id
    )
    assert "broken could not act on a change to trainer" in caplog.text
