"""Strings of the sync settings page, in English and Hebrew."""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    "page.sync_settings": {"en": "Sync settings", "he": "הגדרות סנכרון"},
    "settings.connect_first": {
        "en": "Connect your Google account first; then choose here how it syncs.",
        "he": "קודם חברו את חשבון Google, ואז בחרו כאן איך לסנכרן אותו.",
    },
    "settings.saved": {"en": "Settings saved.", "he": "ההגדרות נשמרו."},
    "settings.auto": {"en": "Sync automatically", "he": "סנכרון אוטומטי"},
    "settings.auto_help": {
        "en": "On: syncs by itself, as often as chosen below. "
        "Off: nothing syncs until you press Sync now.",
        "he": "מופעל: הסנכרון רץ מעצמו, בתדירות שנבחרה למטה. "
        'כבוי: דבר לא מסתנכרן עד שתלחצו על "סנכרון עכשיו".',
    },
    "settings.direction": {"en": "Direction", "he": "כיוון הסנכרון"},
    "settings.direction.bidirectional": {
        "en": "Both ways (recommended)",
        "he": "דו-כיווני (מומלץ)",
    },
    "settings.direction.bidirectional.help": {
        "en": "Sessions go to Google and Google's events come here; the latest change wins.",
        "he": "אימונים עוברים ל-Google ואירועי Google מגיעים לכאן; השינוי האחרון גובר.",
    },
    "settings.direction.to_google": {"en": "From the CRM to Google", "he": "מהמערכת ל-Google"},
    "settings.direction.to_google.help": {
        "en": "Your sessions appear in Google; nothing from Google comes back.",
        "he": "האימונים שלכם מופיעים ב-Google; שינויים שנעשים ב-Google לא מגיעים לכאן.",
    },
    "settings.direction.from_google": {"en": "From Google to the CRM", "he": "מ-Google למערכת"},
    "settings.direction.from_google.help": {
        "en": "Google's events appear here; the CRM never writes to your Google Calendar.",
        "he": "אירועי Google מופיעים כאן; המערכת לעולם לא כותבת ליומן Google שלכם.",
    },
    "settings.frequency": {"en": "How often", "he": "תדירות"},
    "settings.frequency.realtime": {"en": "Realtime (recommended)", "he": "בזמן אמת (מומלץ)"},
    "settings.frequency.realtime.help": {
        "en": "Google tells us about each change; it arrives within seconds.",
        "he": "Google מודיע לנו על כל שינוי, והשינוי מגיע לכאן תוך שניות.",
    },
    "settings.frequency.hourly": {"en": "Every hour", "he": "כל שעה"},
    "settings.frequency.hourly.help": {
        "en": "Changes arrive within the hour.",
        "he": "שינויים מגיעים תוך שעה.",
    },
    "settings.frequency.daily": {"en": "Once a day", "he": "פעם ביום"},
    "settings.frequency.daily.help": {
        "en": "Changes arrive within a day.",
        "he": "שינויים מגיעים תוך יום.",
    },
    "settings.default_calendar": {"en": "Calendar for new sessions", "he": "יומן לאימונים חדשים"},
    "settings.default_calendar_help": {
        "en": "Only calendars you can write to are offered.",
        "he": "מוצגים רק יומנים שאפשר לכתוב אליהם.",
    },
    "settings.import": {"en": "Calendars to bring in", "he": "יומנים לייבוא"},
    "settings.import_placeholder": {"en": "Choose calendars", "he": "בחרו יומנים"},
    "settings.import_help": {
        "en": "Events of these calendars appear in the CRM.",
        "he": "האירועים של יומנים אלה יופיעו במערכת.",
    },
    "settings.save": {"en": "Save settings", "he": "שמירת הגדרות"},
    "settings.invalid.default_calendar_id": {
        "en": "Choose a calendar of this account that you can write to.",
        "he": "בחרו יומן של החשבון הזה שאפשר לכתוב אליו.",
    },
    # The Google connection page following a sync it asked for.
    "google.sync_waiting": {
        "en": "The sync is waiting for its turn…",
        "he": "הסנכרון ממתין לתורו…",
    },
    "google.sync_running": {"en": "Syncing with Google…", "he": "מסנכרנים עם Google…"},
    "google.sync_done": {"en": "Sync finished at {at}.", "he": "הסנכרון הסתיים ב-{at}."},
    "google.sync_partial": {
        "en": "Sync finished at {at}, but some changes did not go through ({reason}). "
        "The next sync tries them again.",
        "he": "הסנכרון הסתיים ב-{at}, אבל חלק מהשינויים לא עברו ({reason}). "
        "הסנכרון הבא ינסה אותם שוב.",
    },
    "google.sync_failed": {
        "en": "The sync failed at {at}: {reason}.",
        "he": "הסנכרון נכשל ב-{at}: {reason}.",
    },
    "google.sync_slow": {
        "en": "The sync is taking longer than usual. Its outcome will show under Last sync "
        "when it ends; reload this page to see it.",
        "he": 'הסנכרון נמשך יותר מהרגיל. התוצאה תופיע תחת "סנכרון אחרון" כשיסתיים; '
        "טענו את הדף מחדש כדי לראות אותה.",
    },
    "settings.invalid.import_empty": {
        "en": "Choose at least one calendar to bring in: with none, Google's events cannot "
        'come here. To only send your sessions to Google, choose "From the CRM to Google".',
        "he": "בחרו לפחות יומן אחד לייבוא: בלי יומן, אירועי Google לא יכולים להגיע לכאן. "
        'כדי רק לשלוח את האימונים ל-Google, בחרו "מהמערכת ל-Google".',
    },
    "settings.invalid.import_calendar_ids": {
        "en": "Choose calendars from this account's list.",
        "he": "בחרו יומנים מהרשימה של החשבון הזה.",
    },
}
