"""Strings of the events page, in English and Hebrew."""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    "page.events": {"en": "Events", "he": "אירועים"},
    # Whose sessions, and in which zone
    "events.trainer": {"en": "Trainer", "he": "מאמן/ת"},
    "events.zone": {"en": "Times in {zone}", "he": "השעות מוצגות לפי אזור הזמן {zone}"},
    "events.zone_unknown": {
        "en": "This trainer's time zone, {zone}, is not a time zone this system knows, so times "
        "are shown in {fallback}. Correct it in the trainer's profile.",
        "he": "אזור הזמן של המאמן/ת, {zone}, אינו מוכר למערכת, ולכן השעות מוצגות לפי {fallback}. "
        "יש לתקן אותו בפרופיל המאמן/ת.",
    },
    "events.view_only": {
        "en": "You can look at this trainer's sessions. Booking, changing or deleting them, "
        "and resolving conflicts, is for the trainer or a manager.",
        "he": "אפשר לצפות באימונים של המאמן/ת. קביעה, שינוי ומחיקה של אימונים, וכן פתרון "
        "התנגשויות, שמורים למאמן/ת או למנהל/ת.",
    },
    # Dates and views
    "events.view": {"en": "View", "he": "תצוגה"},
    "events.view.week": {"en": "Week", "he": "שבוע"},
    "events.view.month": {"en": "Month", "he": "חודש"},
    "events.range": {"en": "Dates", "he": "תאריכים"},
    "events.previous": {"en": "◀ Previous", "he": "→ הקודם"},
    "events.today": {"en": "Today", "he": "היום"},
    "events.next": {"en": "Next ▶", "he": "הבא ←"},
    "events.range_shortened": {
        "en": "Showing at most three months at a time: {first} to {last}.",
        "he": "מוצגים עד שלושה חודשים בכל פעם: מ-{first} עד {last}.",
    },
    # Events, not sessions: Google's own events (a dentist, a family dinner) are counted too.
    "events.count": {
        "en": "{count} events from {first} to {last}",
        "he": "{count} אירועים מ-{first} עד {last}",
    },
    "events.count.one": {
        "en": "One event from {first} to {last}",
        "he": "אירוע אחד מ-{first} עד {last}",
    },
    "events.count.split": {
        "en": "{count} events from {first} to {last}: {crm} from the CRM and {google} from Google",
        "he": "{count} אירועים מ-{first} עד {last}: {crm} מה-CRM ו-{google} מ-Google",
    },
    "events.none": {
        "en": "No events in these dates match the filters.",
        "he": "אין אירועים בתאריכים האלה שמתאימים לסינון.",
    },
    "events.tab.calendar": {"en": "Calendar", "he": "לוח שנה"},
    "events.tab.table": {"en": "Table", "he": "טבלה"},
    "events.all_day": {"en": "All day", "he": "כל היום"},
    "events.more": {"en": "+{count} more", "he": "עוד {count}"},
    # Filters
    "events.filter.calendar": {"en": "Calendar", "he": "יומן"},
    "events.filter.client": {"en": "Client", "he": "מתאמן/ת"},
    "events.filter.origin": {"en": "Made in", "he": "מקור"},
    "events.filter.state": {"en": "Sync state", "he": "מצב סנכרון"},
    "events.filter.any": {"en": "All", "he": "הכול"},
    "events.calendar.crm_only": {"en": "CRM only (not in Google)", "he": "רק ב-CRM (לא ב-Google)"},
    "events.origin.crm": {"en": "CRM", "he": "CRM"},
    "events.origin.google": {"en": "Google", "he": "Google"},
    # Sync states
    "events.state.synced": {"en": "Synced", "he": "מסונכרן"},
    "events.state.pending": {"en": "Waiting to sync", "he": "ממתין לסנכרון"},
    "events.state.conflict": {"en": "Conflict", "he": "התנגשות"},
    "events.state.error": {"en": "Sync error", "he": "שגיאת סנכרון"},
    "events.state.local_only": {"en": "Only in the CRM", "he": "רק ב-CRM"},
    # Table
    "events.col.day": {"en": "Day", "he": "יום"},
    "events.col.time": {"en": "Time", "he": "שעה"},
    "events.col.origin": {"en": "Made in", "he": "מקור"},
    "events.col.calendar": {"en": "Calendar", "he": "יומן"},
    # Conflicts
    "events.conflicts": {"en": "Conflicts to review ({count})", "he": "התנגשויות לבדיקה ({count})"},
    "events.conflict.explain": {
        "en": "This session was changed both here and in Google. On {when} the sync kept the "
        "{kept} for now; choose the version to keep on both sides.",
        "he": "האימון שונה גם כאן וגם ב-Google. ב-{when} הסנכרון שמר בינתיים את {kept}; "
        "בחרו איזו גרסה לשמור בשני הצדדים.",
    },
    "events.conflict.local": {"en": "CRM version", "he": "הגרסה ב-CRM"},
    "events.conflict.google": {"en": "Google version", "he": "הגרסה ב-Google"},
    "events.conflict.kept_now": {"en": "kept for now", "he": "נשמרה בינתיים"},
    "events.conflict.deleted": {"en": "Deleted", "he": "נמחק"},
    "events.conflict.keep_local": {"en": "Keep the CRM version", "he": "לשמור את הגרסה ב-CRM"},
    "events.conflict.keep_google": {
        "en": "Keep the Google version",
        "he": "לשמור את הגרסה ב-Google",
    },
    "events.conflict.resolved": {
        "en": "Kept the {side}; Google gets it at the next sync.",
        "he": "נשמרה {side}; שני הצדדים יתעדכנו בה בסנכרון הבא.",
    },
    "events.book_elsewhere": {
        "en": "Book, change or delete sessions on the Events page",
        "he": "קביעה, שינוי ומחיקה של אימונים בדף האירועים",
    },
    # Forms
    "events.new": {"en": "New session", "he": "אימון חדש"},
    "events.edit": {"en": "Change or delete a session", "he": "שינוי או מחיקה של אימון"},
    "events.field.title": {"en": "Session", "he": "אימון"},
    "events.default_title": {"en": "Personal training", "he": "אימון אישי"},
    "events.field.client": {"en": "Client", "he": "מתאמן/ת"},
    "events.no_client": {"en": "No client", "he": "ללא מתאמן/ת"},
    "events.field.day": {"en": "Day", "he": "יום"},
    "events.field.start": {"en": "Starts", "he": "התחלה"},
    "events.field.end": {"en": "Ends", "he": "סיום"},
    "events.field.location": {"en": "Location (optional)", "he": "מיקום (לא חובה)"},
    "events.field.notes": {"en": "Notes (optional)", "he": "הערות (לא חובה)"},
    "events.create": {"en": "Book session", "he": "קביעת אימון"},
    "events.save": {"en": "Save changes", "he": "שמירת שינויים"},
    "events.pick": {"en": "Session to change", "he": "האימון לשינוי"},
    "events.pick_none": {
        "en": "No session in these dates and filters to change.",
        "he": "אין אימון לשינוי בתאריכים ובסינון שנבחרו.",
    },
    "events.whole_days": {
        "en": "This event takes whole days: change its dates in Google Calendar. Its title, "
        "client, location and notes can be changed here.",
        "he": "האירוע הזה נמשך ימים שלמים: את התאריכים משנים ביומן Google. את הכותרת, "
        "המתאמן/ת, המיקום וההערות אפשר לשנות כאן.",
    },
    "events.delete_explain": {
        "en": "A session that is in Google Calendar is deleted there too at the next sync.",
        "he": "אימון שנמצא ביומן Google יימחק גם שם בסנכרון הבא.",
    },
    "events.delete_confirm": {"en": "Yes, delete this session", "he": "כן, למחוק את האימון"},
    "events.delete": {"en": "Delete session", "he": "מחיקת האימון"},
    "events.created": {"en": "Session booked.", "he": "האימון נקבע."},
    "events.saved": {"en": "Changes saved.", "he": "השינויים נשמרו."},
    "events.deleted": {"en": "Session deleted.", "he": "האימון נמחק."},
    "events.unchanged": {"en": "Nothing was changed.", "he": "לא שונה דבר."},
    "events.overlap": {
        "en": "Saved, but this session overlaps with:",
        "he": "האימון נשמר, אבל הוא חופף לאימונים האלה:",
    },
    "events.invalid.title": {"en": "Give the session a title.", "he": "תנו לאימון כותרת."},
    "events.invalid.start_at": {
        "en": "Choose when the session starts.",
        "he": "בחרו מתי האימון מתחיל.",
    },
    "events.invalid.end_at": {
        "en": "The session must end after it starts.",
        "he": "האימון חייב להסתיים אחרי שהוא מתחיל.",
    },
    "events.invalid.start_at_missing": {
        "en": "Choose when the session starts.",
        "he": "בחרו מתי האימון מתחיל.",
    },
    "events.invalid.end_at_missing": {
        "en": "Choose when the session ends.",
        "he": "בחרו מתי האימון מסתיים.",
    },
    "events.invalid.title.too_long": {
        "en": "The title is {length} characters long; at most {limit} fit. Shorten it and book "
        "again: what you typed is kept.",
        "he": "הכותרת באורך {length} תווים, והמקסימום הוא {limit}. קצרו אותה וקבעו שוב: מה "
        "שהקלדתם נשמר.",
    },
    "events.invalid.title.control": {
        "en": "The title holds an invisible control character (often pasted along with the "
        "text): remove it or type the title again.",
        "he": "הכותרת מכילה תו בקרה בלתי נראה (שהודבק יחד עם הטקסט, לרוב): מחקו אותו או "
        "הקלידו את הכותרת מחדש.",
    },
    "events.invalid.location.too_long": {
        "en": "The location is {length} characters long; at most {limit} fit.",
        "he": "המיקום באורך {length} תווים, והמקסימום הוא {limit}.",
    },
    "events.invalid.location.control": {
        "en": "The location holds an invisible control character: remove it or type it again.",
        "he": "המיקום מכיל תו בקרה בלתי נראה: מחקו אותו או הקלידו אותו מחדש.",
    },
    "events.invalid.description.too_long": {
        "en": "The notes are {length} characters long; at most {limit} fit.",
        "he": "ההערות באורך {length} תווים, והמקסימום הוא {limit}.",
    },
    "events.invalid.description.control": {
        "en": "The notes hold an invisible control character: remove it or type them again.",
        "he": "ההערות מכילות תו בקרה בלתי נראה: מחקו אותו או הקלידו אותן מחדש.",
    },
    "events.invalid.start_at.out_of_range": {
        "en": "Choose a day between {first} and {last}.",
        "he": "בחרו יום בין {first} ל-{last}.",
    },
    "events.invalid.end_at.out_of_range": {
        "en": "Choose a day between {first} and {last}.",
        "he": "בחרו יום בין {first} ל-{last}.",
    },
    "events.invalid.end_at.too_long": {
        "en": "A session lasts at most 24 hours: check when it ends.",
        "he": "אימון נמשך עד 24 שעות: בדקו מתי הוא מסתיים.",
    },
    "events.invalid.range": {
        "en": "Choose dates between {first} and {last}; showing this week.",
        "he": "בחרו תאריכים בין {first} ל-{last}; מוצג השבוע הנוכחי.",
    },
    "events.past": {
        "en": "This session starts in the past, on {when}, and would be sent to Google like "
        "any other. Check the day; to book it as it is, press “{button}” again.",
        "he": "האימון הזה מתחיל בעבר, ב-{when}, ויישלח ל-Google כמו כל אימון אחר. בדקו את "
        "היום; כדי לקבוע אותו כך, לחצו שוב על „{button}”.",
    },
    "events.invalid.client_id": {
        "en": "Choose one of this trainer's clients.",
        "he": "בחרו אחד מהמתאמנים של המאמן/ת.",
    },
}
