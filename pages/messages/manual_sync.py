"""Strings of the manual sync page, in English and Hebrew."""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    "page.manual_sync": {"en": "Manual sync", "he": "סנכרון ידני"},
    "manual.all": {"en": "All trainers", "he": "כל המאמנים"},
    "manual.pick": {"en": "Trainers to sync", "he": "מאמנים לסנכרון"},
    "manual.pick_placeholder": {"en": "Choose trainers", "he": "בחרו מאמנים"},
    "manual.explain": {
        "en": "Each sync runs in the background; you can leave this page and come back.",
        "he": "כל סנכרון רץ ברקע; אפשר לעזוב את הדף ולחזור.",
    },
    "manual.start": {"en": "Start sync", "he": "התחלת סנכרון"},
    "manual.progress": {"en": "{done} of {total} finished", "he": "{done} מתוך {total} הסתיימו"},
    "manual.state": {"en": "State", "he": "מצב"},
    "manual.state.waiting": {"en": "Waiting", "he": "ממתין"},
    "manual.state.running": {"en": "Running", "he": "בתהליך"},
    "manual.state.success": {"en": "Done", "he": "הושלם"},
    "manual.state.partial": {"en": "Partly done", "he": "הושלם חלקית"},
    "manual.state.failed": {"en": "Failed", "he": "נכשל"},
    "manual.state.not_connected": {"en": "Google not connected", "he": "Google לא מחובר"},
    "manual.fetched": {"en": "Read from Google", "he": "נקראו מ-Google"},
    "manual.changed": {"en": "Changed here", "he": "שונו כאן"},
    "manual.pushed": {"en": "Sent to Google", "he": "נשלחו ל-Google"},
    "manual.conflicts": {"en": "Conflicts", "he": "התנגשויות"},
    "manual.seconds": {"en": "Seconds", "he": "שניות"},
    "manual.error": {"en": "Error", "he": "שגיאה"},
    "manual.retry": {
        "en": "Retry the {count} that failed",
        "he": "ניסיון נוסף ל-{count} שנכשלו",
    },
    "manual.finished": {"en": "All finished at {at}.", "he": "הכול הסתיים ב-{at}."},
}
