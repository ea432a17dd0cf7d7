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
    "manual.state.needs_reconnect": {
        "en": "Needs reconnecting",
        "he": "נדרש חיבור מחדש",
    },
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
    "manual.retry.one": {
        "en": "Retry the one that failed",
        "he": "ניסיון נוסף לסנכרון שנכשל",
    },
    "manual.finished": {"en": "All finished at {at}.", "he": "הכול הסתיים ב-{at}."},
    "manual.finished_failed": {
        "en": "Finished at {at}, but {count} of {total} failed. See below what to do.",
        "he": "הסתיים ב-{at}, אבל {count} מתוך {total} נכשלו. מה לעשות מופיע למטה.",
    },
    "manual.finished_failed.one": {
        "en": "Finished at {at}, but 1 of {total} failed. See below what to do.",
        "he": "הסתיים ב-{at}, אבל 1 מתוך {total} נכשל. מה לעשות מופיע למטה.",
    },
    "manual.finished_partial": {
        "en": "Finished at {at}, but {count} of {total} synced only in part. See below.",
        "he": "הסתיים ב-{at}, אבל {count} מתוך {total} סונכרנו רק בחלקם. פרטים למטה.",
    },
    "manual.finished_partial.one": {
        "en": "Finished at {at}, but 1 of {total} synced only in part. See below.",
        "he": "הסתיים ב-{at}, אבל 1 מתוך {total} סונכרן רק בחלקו. פרטים למטה.",
    },
    "manual.finished_skipped": {
        "en": "Finished at {at}: {synced} of {total} synced. {count} have not connected "
        "Google, so nothing was synced for them.",
        "he": "הסתיים ב-{at}: {synced} מתוך {total} סונכרנו. {count} לא חיברו את Google, "
        "ולכן לא סונכרן עבורם דבר.",
    },
    "manual.finished_skipped.one": {
        "en": "Finished at {at}: {synced} of {total} synced. One has not connected Google, "
        "so nothing was synced for them.",
        "he": "הסתיים ב-{at}: {synced} מתוך {total} סונכרנו. מאמן/ת אחד/ת לא חיבר/ה את "
        "Google, ולכן לא סונכרן עבורו/ה דבר.",
    },
    "manual.finished_nothing": {
        "en": "Nothing was synced: none of the chosen trainers has connected Google.",
        "he": "לא סונכרן דבר: אף אחד מהמאמנים שנבחרו לא חיבר את Google.",
    },
    "manual.problems": {"en": "What went wrong, and what to do", "he": "מה השתבש ומה לעשות"},
    "manual.details": {
        "en": "Technical details (for support)",
        "he": "פרטים טכניים (לצוות התמיכה)",
    },
    # What to do about a failed run, by its error kind (the labels are health.kind.*).
    "manual.fix.rate_limited": {
        "en": "Google asked us to slow down. Retry in a few minutes.",
        "he": "Google ביקש להאט את קצב הבקשות. נסו שוב בעוד כמה דקות.",
    },
    "manual.fix.transient": {
        "en": "Google or the network failed for a moment. Retry; it usually works.",
        "he": "Google או הרשת כשלו לרגע. נסו שוב; בדרך כלל זה עובד.",
    },
    "manual.fix.quota_exceeded": {
        "en": "Google's daily request quota is used up. Syncing resumes by itself when Google "
        "resets it, within a day; retrying now fails again.",
        "he": "המכסה היומית של בקשות ל-Google נוצלה. הסנכרון יתחדש מעצמו כש-Google יאפס אותה, "
        "תוך יום; ניסיון נוסף עכשיו ייכשל שוב.",
    },
    "manual.fix.needs_reauth": {
        "en": "Google no longer accepts this trainer's connection. The trainer must reconnect "
        "Google on their Google connection page; retrying before that fails again.",
        "he": "Google כבר לא מקבל את החיבור של המאמן/ת. על המאמן/ת לחבר מחדש את Google בדף "
        '"חיבור ל-Google" שלהם; ניסיון נוסף לפני כן ייכשל שוב.',
    },
    "manual.fix.forbidden": {
        "en": "Google refused access to one of the trainer's calendars. The trainer should "
        "check the calendars chosen in their sync settings.",
        "he": "Google סירב לגשת לאחד מהיומנים של המאמן/ת. על המאמן/ת לבדוק את היומנים "
        "שנבחרו בהגדרות הסנכרון שלהם.",
    },
    "manual.fix.not_found": {
        "en": "A calendar no longer exists in Google. The trainer should check the calendars "
        "chosen in their sync settings, then retry.",
        "he": "אחד היומנים כבר לא קיים ב-Google. על המאמן/ת לבדוק את היומנים שנבחרו "
        "בהגדרות הסנכרון שלהם, ואז לנסות שוב.",
    },
    "manual.fix.gone": {
        "en": "Google asked for a full sync. Retry: the next sync reads everything again.",
        "he": "Google ביקש סנכרון מלא. נסו שוב: הסנכרון הבא יקרא הכול מחדש.",
    },
    "manual.fix.conflict": {
        "en": "An event already existed in Google. Retry; the next sync reconciles it.",
        "he": "אירוע כבר היה קיים ב-Google. נסו שוב; הסנכרון הבא יתאם אותו.",
    },
    "manual.fix.precondition_failed": {
        "en": "An event changed in Google while we updated it. Retry; the next sync takes "
        "the change into account.",
        "he": "אירוע השתנה ב-Google בזמן שעדכנו אותו. נסו שוב; הסנכרון הבא יתחשב בשינוי.",
    },
    "manual.fix.invalid": {
        "en": "Google refused a request. Retry; if it fails again, pass the technical "
        "details to support.",
        "he": "Google דחה בקשה. נסו שוב; אם זה נכשל שוב, העבירו את הפרטים הטכניים לתמיכה.",
    },
    "manual.fix.interrupted": {
        "en": "The sync was interrupted (the background worker stopped). Retry.",
        "he": "הסנכרון נקטע באמצע (תהליך הרקע נעצר). נסו שוב.",
    },
    "manual.fix.internal": {
        "en": "The sync stopped on an unexpected error and was recorded. Retry; if it fails "
        "again, pass the technical details to support.",
        "he": "הסנכרון נעצר בשל שגיאה לא צפויה, והיא נרשמה. נסו שוב; אם זה נכשל שוב, העבירו את "
        "הפרטים הטכניים לתמיכה.",
    },
    "manual.fix.unknown": {
        "en": "Something unexpected went wrong. Retry; if it fails again, pass the technical "
        "details to support.",
        "he": "משהו לא צפוי השתבש. נסו שוב; אם זה נכשל שוב, העבירו את הפרטים הטכניים לתמיכה.",
    },
}
