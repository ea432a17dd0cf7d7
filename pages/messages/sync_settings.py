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
        "en": "Off: nothing syncs until you press Sync now.",
        "he": 'כשהאפשרות כבויה, דבר לא מסתנכרן עד שתלחצו על "סנכרון עכשיו".',
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
    "settings.invalid.import_calendar_ids": {
        "en": "Choose calendars from this account's list.",
        "he": "בחרו יומנים מהרשימה של החשבון הזה.",
    },
}
