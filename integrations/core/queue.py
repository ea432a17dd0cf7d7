"""The task queue: Huey on SQLite under DATA_DIR by default, on Redis when REDIS_URL is set."""

from __future__ import annotations

from typing import Any

from huey import RedisHuey, SqliteHuey

from db.engine import private_sqlite_file
from integrations.config import Settings

QUEUE_NAME = "newym"


def make_huey(settings: Settings, *, immediate: bool = False) -> Any:
    """A Huey instance for these settings; `immediate` runs tasks in-process (tests only).

    Results are not stored: nobody reads a task's return value back from the queue (pages follow
    the runs in the store), and stored results would pile up unread in Redis or queue.db.
    """
    if settings.REDIS_URL:
        return RedisHuey(
            QUEUE_NAME, url=settings.REDIS_URL, immediate=immediate, utc=True, results=False
        )
    private_sqlite_file(settings.DATA_DIR / "queue.db")
    return SqliteHuey(
        QUEUE_NAME,
        filename=str(settings.DATA_DIR / "queue.db"),
        immediate=immediate,
        utc=True,
        results=False,
        timeout=10,
    )


def queue_backend(huey: Any) -> str:
    return "redis" if isinstance(huey, RedisHuey) else "sqlite"


def check_queue(huey: Any) -> dict[str, Any]:
    """Reach the queue's storage: the count of pending tasks proves a round trip."""
    try:
        pending = huey.pending_count()
    except Exception as error:
        return {"ok": False, "backend": queue_backend(huey), "error": type(error).__name__}
    return {"ok": True, "backend": queue_backend(huey), "pending": int(pending)}
