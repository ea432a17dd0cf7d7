"""Strings of the alerts, in English and Hebrew: the notifications the alert engine writes (in each
recipient's own language) and the rule names the health page shows."""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    "alert.rule.needs_reauth": {
        "en": "Google Calendar needs reconnecting",
        "he": "נדרש חיבור מחדש ליומן Google",
    },
    "alert.rule.sync_failing": {
        "en": "Google sync keeps failing",
        "he": "הסנכרון עם Google נכשל שוב ושוב",
    },
    "alert.rule.sync_stale": {
        "en": "No recent good Google sync",
        "he": "אין סנכרון תקין עם Google לאחרונה",
    },
    "alert.rule.channel_down": {
        "en": "Realtime updates stopped",
        "he": "העדכונים בזמן אמת נעצרו",
    },
    "alert.title": {"en": "{rule}: {trainer}", "he": "{rule}: {trainer}"},
    "alert.needs_reauth.body": {
        "en": "Google no longer accepts this connection, so syncing has stopped. "
        "Reconnect on the Google connection page.",
        "he": "Google כבר לא מקבל את החיבור הזה, ולכן הסנכרון נעצר. "
        "יש להתחבר מחדש בדף החיבור ל-Google.",
    },
    "alert.needs_reauth.body.others": {
        "en": "Google no longer accepts {trainer}'s connection, so their syncing has stopped. "
        "{trainer} has to reconnect on their Google connection page.",
        "he": "Google כבר לא מקבל את החיבור של {trainer}, ולכן הסנכרון שלו/ה נעצר. "
        "{trainer} צריך/ה להתחבר מחדש בדף החיבור ל-Google.",
    },
    "alert.sync_failing.body": {
        "en": "The last {count} syncs failed. The latest error: {error}",
        "he": "הסנכרון נכשל {count} פעמים ברציפות. השגיאה האחרונה: {error}",
    },
    "alert.sync_stale.body": {
        "en": "No sync has succeeded for {hours} hours; one is expected at least every "
        "{expected} hours.",
        "he": "כבר {hours} שעות אין סנכרון מוצלח, אף שצפוי סנכרון לפחות כל {expected} שעות.",
    },
    "alert.channel_down.expired": {
        "en": "Google's push channel expired and was not renewed, so changes made in Google "
        "arrive only with the periodic check.",
        "he": "ערוץ העדכונים של Google פג ולא חודש, ולכן שינויים שנעשים ב-Google מגיעים רק "
        "בבדיקה התקופתית.",
    },
    "alert.channel_down.silent": {
        "en": "Google's push channel has gone quiet: {count} periodic checks since its last "
        "message found changes in Google that it never announced.",
        "he": "ערוץ העדכונים של Google השתתק: {count} בדיקות תקופתיות מאז ההודעה האחרונה שלו "
        "מצאו ב-Google שינויים שהוא לא דיווח עליהם.",
    },
    "alert.resolved.title": {
        "en": "Resolved: {rule}: {trainer}",
        "he": "נפתר: {rule}: {trainer}",
    },
    "alert.resolved.body": {
        "en": "This no longer applies; it lasted {duration}.",
        "he": "הבעיה נפתרה; היא נמשכה {duration}.",
    },
    "alert.duration.minutes": {"en": "{count} minutes", "he": "{count} דקות"},
    "alert.duration.minutes.one": {"en": "a minute", "he": "דקה אחת"},
    "alert.duration.hours": {"en": "{count} hours", "he": "{count} שעות"},
    "alert.duration.hours.one": {"en": "an hour", "he": "שעה אחת"},
    "alert.duration.days": {"en": "{count} days", "he": "{count} ימים"},
    "alert.duration.days.one": {"en": "a day", "he": "יום אחד"},
}
