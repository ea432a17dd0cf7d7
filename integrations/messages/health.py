"""Strings of the health page, in English and Hebrew."""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    "page.health": {"en": "Health", "he": "תקינות"},
    "health.intro": {
        "en": "How every integration is doing. Times in {zone}; refreshes every {seconds} s.",
        "he": "מצב כל האינטגרציות. השעות לפי אזור הזמן {zone}; הדף מתעדכן כל {seconds} שניות.",
    },
    "health.refreshed": {"en": "Updated at {time}", "he": "עודכן ב-{time}"},
    # Tiles
    "health.tile.status": {"en": "Status: {status}", "he": "מצב: {status}"},
    "health.tile.connected": {"en": "Connected", "he": "מחוברים"},
    "health.tile.attention": {"en": "Need attention", "he": "דורשים טיפול"},
    "health.tile.not_connected": {"en": "Not connected", "he": "לא מחוברים"},
    "health.tile.breakdown": {
        "en": "Needs reconnecting: {needs_reauth} · error: {error} · "
        "last sync failed: {failing} · disconnected: {disconnected}",
        "he": "נדרש חיבור מחדש: {needs_reauth} · שגיאה: {error} · "
        "הסנכרון האחרון נכשל: {failing} · מנותקים: {disconnected}",
    },
    "health.tile.last_sync": {"en": "Last good sync: {when}", "he": "סנכרון תקין אחרון: {when}"},
    "health.tile.errors": {
        "en": "Errors in the last 24 hours: {count}",
        "he": "שגיאות ב-24 השעות האחרונות: {count}",
    },
    "health.tile.not_configured": {
        "en": "Not configured yet: this integration is not built.",
        "he": "לא מוגדר: האינטגרציה הזו עוד לא זמינה.",
    },
    "health.state.connected": {"en": "🟢 Working", "he": "🟢 תקין"},
    "health.state.error": {"en": "🔴 Errors", "he": "🔴 יש שגיאות"},
    "health.state.disconnected": {"en": "⚪ Disconnected", "he": "⚪ מנותק"},
    "health.state.not_configured": {"en": "⚪ Not configured", "he": "⚪ לא מוגדר"},
    # Alerts
    "health.alerts": {"en": "Open alerts", "he": "התראות פתוחות"},
    "health.no_alerts": {"en": "No open alerts.", "he": "אין התראות פתוחות."},
    "health.alert_line": {
        "en": "**{rule}**: {trainer}, since {when}",
        "he": "**{rule}**: {trainer}, מאז {when}",
    },
    # Charts
    "health.window": {"en": "Period", "he": "תקופה"},
    "health.window.24h": {"en": "24 hours", "he": "24 שעות"},
    "health.window.48h": {"en": "48 hours", "he": "48 שעות"},
    "health.window.7d": {"en": "7 days", "he": "7 ימים"},
    "health.window.30d": {"en": "30 days", "he": "30 יום"},
    "health.chart.runs": {"en": "Sync runs by outcome", "he": "ריצות סנכרון לפי תוצאה"},
    "health.chart.kinds": {"en": "Errors by kind", "he": "שגיאות לפי סוג"},
    "health.chart.duration": {
        "en": "Sync duration (median and 95th percentile)",
        "he": "משך הסנכרון (חציון ואחוזון 95)",
    },
    "health.chart.requests": {
        "en": "Google requests and rate-limit hits",
        "he": "בקשות ל-Google וחריגות ממגבלת הקצב",
    },
    "health.chart.channels": {
        "en": "Realtime channels expiring in the next 7 days",
        "he": "ערוצי זמן אמת שפגים בשבעת הימים הקרובים",
    },
    "health.chart.freshness": {
        "en": "Hours since each trainer's last good sync (longest first)",
        "he": "שעות מאז הסנכרון התקין האחרון של כל מאמן (הארוך ביותר קודם)",
    },
    "health.axis.time": {"en": "Time", "he": "זמן"},
    "health.axis.day": {"en": "Day", "he": "יום"},
    "health.axis.runs": {"en": "Runs", "he": "ריצות"},
    "health.axis.errors": {"en": "Failed runs", "he": "ריצות שנכשלו"},
    "health.axis.seconds": {"en": "Seconds", "he": "שניות"},
    "health.axis.requests": {"en": "Requests", "he": "בקשות"},
    "health.axis.rate_limited": {"en": "Rate-limit hits", "he": "חריגות קצב"},
    "health.axis.channels": {"en": "Channels", "he": "ערוצים"},
    "health.axis.hours": {"en": "Hours", "he": "שעות"},
    "health.axis.expired": {"en": "Expired", "he": "פגו"},
    "health.series.p50": {"en": "Median (p50)", "he": "חציון (p50)"},
    "health.series.p95": {"en": "95th percentile (p95)", "he": "אחוזון 95 (p95)"},
    "health.series.expired": {"en": "Already expired", "he": "כבר פגו"},
    "health.series.expiring": {"en": "Expiring", "he": "יפוגו"},
    "health.no_runs": {
        "en": "No sync runs in this period.",
        "he": "אין ריצות סנכרון בתקופה הזו.",
    },
    "health.no_errors": {
        "en": "No failed runs in this period.",
        "he": "אין ריצות שנכשלו בתקופה הזו.",
    },
    "health.no_channels": {
        "en": "No realtime channel expires in the next 7 days.",
        "he": "אף ערוץ זמן אמת לא יפוג בשבעת הימים הקרובים.",
    },
    "health.no_trainers": {
        "en": "No trainer has connected Google Calendar yet.",
        "he": "אף מאמן עדיין לא חיבר את יומן Google.",
    },
    "health.never": {"en": "never", "he": "אף פעם"},
    "health.kind.rate_limited": {"en": "Rate limited", "he": "מגבלת קצב"},
    "health.kind.transient": {"en": "Temporary failure", "he": "תקלה זמנית"},
    "health.kind.quota_exceeded": {"en": "Daily quota used up", "he": "המכסה היומית נוצלה"},
    "health.kind.needs_reauth": {"en": "Needs reconnecting", "he": "נדרש חיבור מחדש"},
    "health.kind.forbidden": {"en": "Not permitted", "he": "אין הרשאה"},
    "health.kind.not_found": {"en": "Not found", "he": "לא נמצא"},
    "health.kind.gone": {"en": "Gone (full sync needed)", "he": "לא קיים (נדרש סנכרון מלא)"},
    "health.kind.conflict": {"en": "Conflict", "he": "התנגשות"},
    "health.kind.precondition_failed": {"en": "Changed meanwhile", "he": "השתנה בינתיים"},
    "health.kind.invalid": {"en": "Refused request", "he": "בקשה שנדחתה"},
    "health.kind.interrupted": {"en": "Interrupted", "he": "נקטע באמצע"},
    "health.kind.internal": {"en": "Unexpected error", "he": "שגיאה לא צפויה"},
    "health.kind.unknown": {"en": "Unknown", "he": "לא ידוע"},
    # Per-trainer and channel tables
    "health.trainers_table": {"en": "Every trainer", "he": "כל המאמנים"},
    "health.channels_table": {"en": "Channels expiring soonest", "he": "הערוצים שיפוגו ראשונים"},
    "health.col.trainer": {"en": "Trainer", "he": "מאמן/ת"},
    "health.col.status": {"en": "Connection", "he": "חיבור"},
    "health.col.frequency": {"en": "Frequency", "he": "תדירות"},
    "health.col.last_good": {"en": "Last good sync", "he": "סנכרון תקין אחרון"},
    "health.col.hours_since": {"en": "Hours since", "he": "שעות מאז"},
    "health.col.failures": {"en": "Failures in a row", "he": "כישלונות ברצף"},
    "health.col.zone": {"en": "Time zone", "he": "אזור זמן"},
    "health.col.calendar": {"en": "Calendar", "he": "יומן"},
    "health.col.expires": {"en": "Expires", "he": "מועד תפוגה"},
    "health.col.last_message": {"en": "Last message", "he": "הודעה אחרונה"},
    "health.frequency.realtime": {"en": "Realtime", "he": "זמן אמת"},
    "health.frequency.hourly": {"en": "Hourly", "he": "כל שעה"},
    "health.frequency.daily": {"en": "Daily", "he": "פעם ביום"},
    # Error log
    "health.log": {"en": "Error log", "he": "יומן שגיאות"},
    "health.filter.levels": {"en": "Levels", "he": "רמות"},
    "health.filter.integration": {"en": "Integration", "he": "אינטגרציה"},
    "health.filter.trainer": {"en": "Trainer", "he": "מאמן/ת"},
    "health.filter.dates": {"en": "Dates", "he": "תאריכים"},
    "health.filter.text": {"en": "Text contains", "he": "הטקסט מכיל"},
    "health.filter.all": {"en": "All", "he": "הכול"},
    "health.filter.page": {"en": "Page", "he": "עמוד"},
    "health.level.error": {"en": "Error", "he": "שגיאה"},
    "health.level.warning": {"en": "Warning", "he": "אזהרה"},
    "health.level.info": {"en": "Information", "he": "מידע"},
    "health.log.count": {
        "en": "{count} entries · page {page} of {pages}",
        "he": "{count} רשומות · עמוד {page} מתוך {pages}",
    },
    "health.log.count.one": {
        "en": "One entry · page {page} of {pages}",
        "he": "רשומה אחת · עמוד {page} מתוך {pages}",
    },
    "health.log.empty": {
        "en": "Nothing matches these filters.",
        "he": "אין רשומות שמתאימות לסינון.",
    },
    "health.col.when": {"en": "When", "he": "מתי"},
    "health.col.level": {"en": "Level", "he": "רמה"},
    "health.col.integration": {"en": "Integration", "he": "אינטגרציה"},
    "health.col.event": {"en": "Event", "he": "אירוע"},
    "health.col.event_code": {"en": "Event code", "he": "קוד האירוע"},
    "health.col.message": {"en": "Message", "he": "הודעה"},
    "health.col.run": {"en": "Sync run", "he": "ריצת סנכרון"},
    "health.csv": {"en": "Download as CSV", "he": "הורדה כ-CSV"},
    "health.csv.help": {
        "en": "Every entry matching the filters (up to {limit}), times in {zone}.",
        "he": "כל הרשומות שמתאימות לסינון (עד {limit}), השעות לפי אזור הזמן {zone}.",
    },
    # What the log's events mean; a name missing here is shown as it is.
    "health.event.alert_raised": {"en": "Alert raised", "he": "נפתחה התראה"},
    "health.event.alert_resolved": {"en": "Alert resolved", "he": "התראה נפתרה"},
    "health.event.channel_failed": {
        "en": "Realtime channel not opened",
        "he": "ערוץ זמן אמת לא נפתח",
    },
    "health.event.conflict_overridden": {
        "en": "Conflict settled by the trainer",
        "he": "התנגשות הוכרעה בידי המאמן/ת",
    },
    "health.event.demo_seeded": {"en": "Demo data created", "he": "נוצרו נתוני הדגמה"},
    "health.event.google_account_changed": {
        "en": "Reconnected with another Google account",
        "he": "חובר מחדש עם חשבון Google אחר",
    },
    "health.event.google_event_skipped": {
        "en": "A Google event could not be stored and was skipped",
        "he": "אירוע מ-Google לא נשמר ודולג עליו",
    },
    "health.event.login_identity_bound": {
        "en": "Login tied to the person's account at the login provider",
        "he": "הכניסה נקשרה לחשבון של האדם אצל ספק ההתחברות",
    },
    "health.event.login_identity_mismatch": {
        "en": "Login refused: another account with the same address",
        "he": "הכניסה נדחתה: חשבון אחר עם אותה כתובת",
    },
    "health.event.google_connected": {
        "en": "Google Calendar connected",
        "he": "יומן Google חובר",
    },
    "health.event.google_reconnected": {
        "en": "Google Calendar reconnected",
        "he": "יומן Google חובר מחדש",
    },
    "health.event.google_disconnected": {
        "en": "Google Calendar disconnected",
        "he": "יומן Google נותק",
    },
    "health.event.google_consent_refused": {
        "en": "Google consent not given",
        "he": "לא ניתנה הסכמה ב-Google",
    },
    "health.event.google_needs_reauth": {
        "en": "Google needs reconnecting",
        "he": "נדרש חיבור מחדש ל-Google",
    },
    "health.event.google_sync_settings_changed": {
        "en": "Sync settings changed",
        "he": "הגדרות הסנכרון שונו",
    },
    "health.event.push_failed": {
        "en": "A change was not sent to Google",
        "he": "שינוי לא נשלח ל-Google",
    },
    "health.event.sync_failed": {"en": "Sync failed", "he": "הסנכרון נכשל"},
    "health.event.sync_finished": {"en": "Sync finished", "he": "הסנכרון הסתיים"},
    "health.event.user_invited": {"en": "Person invited", "he": "הוזמן/ה משתמש/ת"},
    "health.event.user_activated": {"en": "Access turned on", "he": "הגישה הופעלה"},
    "health.event.user_deactivated": {"en": "Access turned off", "he": "הגישה הושבתה"},
    "health.event.user_role_changed": {"en": "Role changed", "he": "התפקיד שונה"},
    # Messages that are only a code, as Google's consent page sends them back (OAuth 2.0 errors).
    "health.message.access_denied": {
        "en": "The trainer declined access on Google's consent page",
        "he": "המאמן/ת סירב/ה לתת גישה בדף ההסכמה של Google",
    },
    "health.message.invalid_scope": {
        "en": "Google refused the permissions asked for",
        "he": "Google דחה את ההרשאות שהתבקשו",
    },
    "health.message.invalid_request": {
        "en": "Google refused the consent request as malformed",
        "he": "Google דחה את בקשת ההסכמה כשגויה",
    },
    "health.message.unauthorized_client": {
        "en": "Google does not allow this app to ask for access",
        "he": "Google אינו מתיר לאפליקציה הזו לבקש גישה",
    },
    "health.message.admin_policy_enforced": {
        "en": "The Google Workspace administrator does not allow this app",
        "he": "מנהל/ת Google Workspace אינו/ה מתיר/ה את האפליקציה הזו",
    },
    "health.message.server_error": {
        "en": "Google had an error on its consent page",
        "he": "אירעה שגיאה בדף ההסכמה של Google",
    },
    "health.message.unknown": {
        "en": "Google's consent page sent back an error that is not one of its codes",
        "he": "דף ההסכמה של Google החזיר שגיאה שאינה אחד הקודים שלו",
    },
    "health.message.temporarily_unavailable": {
        "en": "Google's consent page was temporarily unavailable",
        "he": "דף ההסכמה של Google לא היה זמין באופן זמני",
    },
    # What a log line or a failed run says, for a person: by the error kind stored with it
    # (never by reading the English message, which stays in the technical details and the CSV).
    "health.says.kind.rate_limited": {
        "en": "Google asked us to slow down (too many requests); the sync tries again shortly.",
        "he": "Google ביקש להאט (יותר מדי בקשות); הסנכרון ינסה שוב בקרוב.",
    },
    "health.says.kind.transient": {
        "en": "Google could not be reached or had a passing fault; the next sync tries again.",
        "he": "לא ניתן היה להגיע ל-Google או שהייתה אצלו תקלה חולפת; הסנכרון הבא ינסה שוב.",
    },
    "health.says.kind.quota_exceeded": {
        "en": "Today's Google quota is used up; syncing resumes when Google renews it.",
        "he": "המכסה היומית של Google נוצלה; הסנכרון יתחדש כש-Google יחדש אותה.",
    },
    "health.says.kind.needs_reauth": {
        "en": "Google refuses this trainer's access; the trainer must reconnect Google Calendar.",
        "he": "Google מסרב לגישה של המאמן/ת; עליו/ה לחבר מחדש את יומן Google.",
    },
    "health.says.kind.forbidden": {
        "en": "Google does not allow this change (for example, an event someone else organises).",
        "he": "Google אינו מתיר את השינוי הזה (למשל אירוע שמישהו אחר מארגן).",
    },
    "health.says.kind.not_found": {
        "en": "Google no longer has this calendar or event.",
        "he": "היומן או האירוע כבר לא קיימים ב-Google.",
    },
    "health.says.kind.gone": {
        "en": "Google asked for a full sync; the next sync reads the calendar again from scratch.",
        "he": "Google ביקש סנכרון מלא; הסנכרון הבא יקרא את היומן מחדש מההתחלה.",
    },
    "health.says.kind.conflict": {
        "en": "Google already has this event.",
        "he": "האירוע הזה כבר קיים ב-Google.",
    },
    "health.says.kind.precondition_failed": {
        "en": "The event changed in Google meanwhile; the next sync settles it.",
        "he": "האירוע השתנה ב-Google בינתיים; הסנכרון הבא יכריע.",
    },
    "health.says.kind.invalid": {
        "en": "Google refused the request as invalid.",
        "he": "Google דחה את הבקשה כלא תקינה.",
    },
    "health.says.kind.interrupted": {
        "en": "The sync stopped midway (its worker went away); the next sync starts it again.",
        "he": "הסנכרון נעצר באמצע (התהליך שהריץ אותו נעלם); הסנכרון הבא יתחיל אותו מחדש.",
    },
    "health.says.kind.internal": {
        "en": "The sync stopped on an unexpected error; the worker's log has the details.",
        "he": "הסנכרון נעצר בשגיאה לא צפויה; הפרטים ביומן של תהליך הרקע.",
    },
    "health.says.kind.unknown": {
        "en": "Something went wrong that has no name yet; the technical details say what.",
        "he": "משהו השתבש ואין לו עדיין שם; הפרטים הטכניים מפרטים מה.",
    },
    # ... or, with no kind, by the event itself.
    "health.says.event.sync_finished": {
        "en": "The sync finished without errors.",
        "he": "הסנכרון הסתיים ללא שגיאות.",
    },
    "health.says.event.sync_failed": {
        "en": "The sync failed.",
        "he": "הסנכרון נכשל.",
    },
    "health.says.event.channel_failed": {
        "en": "Google's realtime channel could not be opened; the hourly check still picks up "
        "changes.",
        "he": "לא ניתן היה לפתוח את ערוץ זמן האמת של Google; הבדיקה השעתית עדיין קולטת שינויים.",
    },
    "health.says.event.google_needs_reauth": {
        "en": "Google refuses this trainer's access; the trainer must reconnect Google Calendar.",
        "he": "Google מסרב לגישה של המאמן/ת; עליו/ה לחבר מחדש את יומן Google.",
    },
    "health.says.event.google_event_skipped": {
        "en": "One event from Google could not be stored and was left out; the others synced.",
        "he": "אירוע אחד מ-Google לא נשמר ונותר בחוץ; השאר סונכרנו.",
    },
    "health.says.event.push_failed": {
        "en": "A change made here did not reach Google.",
        "he": "שינוי שנעשה כאן לא הגיע ל-Google.",
    },
    "health.says.event.alert_raised": {
        "en": "An alert was opened and the people concerned were told.",
        "he": "נפתחה התראה והגורמים הרלוונטיים עודכנו.",
    },
    "health.says.event.alert_resolved": {
        "en": "The alert's cause is gone; the alert was closed.",
        "he": "הגורם להתראה נעלם; ההתראה נסגרה.",
    },
    "health.says.event.google_connected": {
        "en": "The trainer connected a Google account.",
        "he": "המאמן/ת חיבר/ה חשבון Google.",
    },
    "health.says.event.google_reconnected": {
        "en": "The trainer connected Google again.",
        "he": "המאמן/ת חיבר/ה את Google מחדש.",
    },
    "health.says.event.google_disconnected": {
        "en": "The trainer disconnected Google.",
        "he": "המאמן/ת ניתק/ה את Google.",
    },
    "health.says.event.google_account_changed": {
        "en": "A different Google account was connected: the old account's calendar choices, "
        "sync state and channels were reset.",
        "he": "חובר חשבון Google אחר: בחירות היומנים, מצב הסנכרון והערוצים של החשבון הקודם אופסו.",
    },
    "health.says.event.google_sync_settings_changed": {
        "en": "The sync settings were changed.",
        "he": "הגדרות הסנכרון שונו.",
    },
    "health.says.event.conflict_overridden": {
        "en": "The trainer chose which version of a conflicting event to keep.",
        "he": "המאמן/ת בחר/ה איזו גרסה של אירוע מתנגש לשמור.",
    },
    "health.says.event.demo_seeded": {
        "en": "The demo organisation was created.",
        "he": "ארגון ההדגמה נוצר.",
    },
    "health.says.event.login_identity_bound": {
        "en": "This person's login was tied to their account at the login provider.",
        "he": "הכניסה של האדם נקשרה לחשבון שלו אצל ספק ההתחברות.",
    },
    "health.says.event.login_identity_mismatch": {
        "en": "A login with this address came from another account at the provider; refused.",
        "he": "כניסה עם הכתובת הזו הגיעה מחשבון אחר אצל הספק; נדחתה.",
    },
    "health.says.event.user_invited": {
        "en": "A person was invited.",
        "he": "הוזמן/ה משתמש/ת.",
    },
    "health.says.event.user_role_changed": {
        "en": "A person's role was changed.",
        "he": "התפקיד של משתמש/ת שונה.",
    },
    "health.log.details": {
        "en": "Technical details (as logged)",
        "he": "פרטים טכניים (כפי שנרשמו)",
    },
    # What started a sync run
    "health.trigger.manual": {"en": "by hand", "he": "ידנית"},
    "health.trigger.schedule": {"en": "on schedule", "he": "לפי התזמון"},
    "health.trigger.webhook": {"en": "a change announced by Google", "he": "שינוי שדווח מ-Google"},
    # Drill-down
    "health.drill": {"en": "Open a sync run", "he": "פתיחת ריצת סנכרון"},
    "health.drill.none": {"en": "—", "he": "—"},
    "health.drill.no_runs": {
        "en": "No entry on this page belongs to a sync run.",
        "he": "אף רשומה בעמוד הזה אינה שייכת לריצת סנכרון.",
    },
    "health.run.title": {
        "en": "Sync run of {trainer}, {when}",
        "he": "ריצת הסנכרון של {trainer}, {when}",
    },
    "health.run.outcome": {"en": "Outcome", "he": "תוצאה"},
    "health.run.duration": {"en": "Duration", "he": "משך"},
    "health.run.seconds": {"en": "{seconds} s", "he": "{seconds} שנ׳"},
    "health.run.requests": {"en": "Google requests", "he": "בקשות ל-Google"},
    "health.run.rate_limited": {"en": "Rate-limit hits", "he": "חריגות קצב"},
    "health.run.error": {"en": "Error ({kind}): {error}", "he": "שגיאה ({kind}): {error}"},
    "health.run.counts": {
        "en": "Fetched {fetched}, created {created}, updated {updated}, deleted {deleted}, "
        "pushed {pushed}, conflicts {conflicts}; trigger: {trigger}, calendar: {calendar}",
        "he": "נקראו {fetched}, נוצרו {created}, עודכנו {updated}, נמחקו {deleted}, "
        "נשלחו {pushed}, התנגשויות {conflicts}; הפעלה: {trigger}, יומן: {calendar}",
    },
    "health.run.log": {"en": "Log lines of this run", "he": "שורות היומן של הריצה"},
    "health.run.no_log": {"en": "This run wrote no log lines.", "he": "הריצה לא כתבה שורות ביומן."},
    "health.run.gone": {
        "en": "This run no longer exists.",
        "he": "הריצה הזו כבר לא קיימת.",
    },
}
