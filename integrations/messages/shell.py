"""Strings of the shell (login, navigation, the small pages), in English and Hebrew.

The larger pages' strings are in the modules beside this one; `integrations.messages` merges
them all into one catalogue (a key may be defined once only).
"""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    # Shell
    "app.title": {"en": "NEWYM Integrations", "he": "האינטגרציות של NEWYM"},
    "app.demo_banner": {
        "en": "Demo mode: Google, email, SMS and payments are local emulators. "
        "No real account is contacted and no real message or money is sent.",
        "he": "מצב הדגמה: Google, הדוא״ל, ה-SMS והתשלומים מדומים כאן במחשב. "
        "אין פנייה לחשבונות אמיתיים, לא נשלחות הודעות אמיתיות ולא עובר כסף אמיתי.",
    },
    "app.config_error": {
        "en": "The server is misconfigured; an operator must fix its settings.",
        "he": "הגדרות השרת שגויות; על מפעיל המערכת לתקן אותן.",
    },
    "login.heading": {
        "en": "Welcome to NEWYM Integrations",
        "he": "ברוכים הבאים לאינטגרציות של NEWYM",
    },
    "login.intro": {
        "en": "Connect your Google Calendar, keep your sessions in sync and watch every "
        "integration's health. Log in with the account you were invited with.",
        "he": "חברו את יומן Google, שמרו על סנכרון האימונים ועקבו אחר תקינות כל "
        "האינטגרציות. התחברו עם החשבון שאליו הוזמנתם.",
    },
    "login.button": {"en": "Log in", "he": "התחברות"},
    "login.demo_hint": {
        "en": "Demo: the emulated Google account chooser lists the demo manager, staff member "
        "and three trainers.",
        "he": "הדגמה: במסך בחירת החשבון המדומה של Google מופיעים המנהלת, איש הצוות ושלושה מאמנים.",
    },
    "not_invited.heading": {"en": "You have not been invited yet", "he": "עדיין לא הוזמנתם"},
    "not_invited.body": {
        "en": "{email} is not on the list of people who may use this console, or its access "
        "was turned off. Ask your manager to invite this address, then log in again.",
        "he": "הכתובת {email} אינה ברשימת המורשים להשתמש במערכת, או שהגישה שלה הושבתה. "
        "בקשו ממנהל/ת להזמין את הכתובת הזו, ואז התחברו שוב.",
    },
    "login.other_identity.body": {
        "en": "{email} is already linked to another account at the login provider, not to the "
        "one you logged in with. Log out and log in with the account you used before, or ask "
        "your manager for help.",
        "he": "הכתובת {email} כבר מקושרת לחשבון אחר אצל ספק ההתחברות, לא לחשבון שבו התחברתם. "
        "התנתקו והתחברו עם החשבון שבו השתמשתם קודם, או פנו למנהל/ת לעזרה.",
    },
    "login.unverified.body": {
        "en": "The login provider did not confirm that {email} is yours, so it cannot be let "
        "in. Confirm the address with the provider, then log in again.",
        "he": "ספק ההתחברות לא אישר שהכתובת {email} שייכת לכם, ולכן אי אפשר להיכנס. אשרו את "
        "הכתובת אצל הספק, ואז התחברו שוב.",
    },
    "deactivated.heading": {"en": "Your access is turned off", "he": "הגישה שלכם הושבתה"},
    "deactivated.body": {
        "en": "A manager turned off the access of {email} to this console. If you still need "
        "it, ask your manager to turn it back on, then log in again.",
        "he": "מנהל/ת השבית/ה את הגישה של {email} למערכת. אם הגישה עדיין נחוצה לכם, בקשו "
        "ממנהל/ת להפעיל אותה מחדש, ואז התחברו שוב.",
    },
    "shell.logout": {"en": "Log out", "he": "התנתקות"},
    "shell.language": {"en": "Language", "he": "שפה"},
    "shell.required": {"en": "(required)", "he": "(חובה)"},
    "shell.unread": {"en": "{count} unread notifications", "he": "{count} התראות שלא נקראו"},
    "shell.unread.one": {"en": "One unread notification", "he": "התראה אחת שלא נקראה"},
    "shell.no_unread": {"en": "No unread notifications", "he": "אין התראות שלא נקראו"},
    "shell.times_in": {"en": "Times in {zone}", "he": "השעות מוצגות לפי אזור הזמן {zone}"},
    "shell.denied": {
        "en": "This page is not available to your role.",
        "he": "הדף הזה אינו זמין בתפקיד שלכם.",
    },
    "shell.access_off": {
        "en": "Your access to this console was turned off, so nothing more is shown. If you "
        "still need it, ask your manager to turn it back on, then log in again.",
        "he": "הגישה שלכם למערכת הושבתה, ולכן לא מוצג כאן דבר נוסף. אם הגישה עדיין נחוצה "
        "לכם, בקשו ממנהל/ת להפעיל אותה מחדש, ואז התחברו שוב.",
    },
    "role.trainer": {"en": "Trainer", "he": "מאמן/ת"},
    "role.staff": {"en": "Staff", "he": "צוות"},
    "role.manager": {"en": "Manager", "he": "מנהל/ת"},
    # Page titles
    "page.my_integrations": {"en": "My integrations", "he": "האינטגרציות שלי"},
    "page.trainers": {"en": "Trainers", "he": "מאמנים"},
    "page.users": {"en": "Users", "he": "משתמשים"},
    "page.notifications": {"en": "Notifications", "he": "התראות"},
    # Integrations
    "integration.google_calendar": {"en": "Google Calendar", "he": "יומן Google"},
    "integration.email": {"en": "Email", "he": "דוא״ל"},
    "integration.sms": {"en": "SMS", "he": "SMS"},
    "integration.payments": {"en": "Payments", "he": "תשלומים"},
    "status.connected": {"en": "Connected", "he": "מחובר"},
    "status.needs_reauth": {"en": "Needs reconnecting", "he": "נדרש חיבור מחדש"},
    "status.disconnected": {"en": "Disconnected", "he": "מנותק"},
    "status.error": {"en": "Error", "he": "שגיאה"},
    "status.not_connected": {"en": "Not connected", "he": "לא מחובר"},
    "status.not_available": {"en": "Coming soon", "he": "בקרוב"},
    "outcome.success": {"en": "Succeeded", "he": "הצליח"},
    "outcome.partial": {"en": "Partly succeeded", "he": "הצליח חלקית"},
    "outcome.failed": {"en": "Failed", "he": "נכשל"},
    "outcome.running": {"en": "Running", "he": "בתהליך"},
    # My integrations
    "mine.no_trainer": {
        "en": "Your account is not linked to a trainer profile. Ask a manager to fix it.",
        "he": "החשבון שלכם אינו מקושר לפרופיל מאמן. בקשו ממנהל/ת לתקן זאת.",
    },
    "mine.account": {"en": "Account: {account}", "he": "חשבון: {account}"},
    "mine.last_sync": {
        "en": "Last sync: {when} ({outcome})",
        "he": "סנכרון אחרון: {when} ({outcome})",
    },
    "mine.never_synced": {"en": "Never synced", "he": "טרם סונכרן"},
    # A part of a page that follows the sync by itself (pages/_live.py)
    "live.queued": {"en": "A sync is waiting for its turn…", "he": "סנכרון ממתין לתורו…"},
    "live.running": {"en": "Syncing with Google…", "he": "מסנכרנים עם Google…"},
    "live.pushing": {"en": "Sending changes to Google…", "he": "שולחים את השינויים ל-Google…"},
    "mine.upcoming": {"en": "Upcoming sessions", "he": "אימונים קרובים"},
    "mine.no_upcoming": {
        "en": "No sessions in the next 7 days.",
        "he": "אין אימונים בשבעת הימים הקרובים.",
    },
    "col.when": {"en": "When", "he": "מתי"},
    "col.title": {"en": "Session", "he": "אימון"},
    "col.client": {"en": "Client", "he": "מתאמן/ת"},
    "col.sync_state": {"en": "Sync", "he": "סנכרון"},
    # Trainers
    "trainers.count": {"en": "Trainers", "he": "מאמנים"},
    "trainers.connected": {"en": "Google connected", "he": "מחוברים ל-Google"},
    "trainers.attention": {"en": "Need attention", "he": "דורשים טיפול"},
    "trainers.empty": {
        "en": "No trainers yet. Invite one on the Users page.",
        "he": "אין עדיין מאמנים. הזמינו מאמן בדף המשתמשים.",
    },
    "col.name": {"en": "Name", "he": "שם"},
    "col.email": {"en": "Email", "he": "דוא״ל"},
    "col.trainer": {"en": "Trainer profile", "he": "פרופיל מאמן"},
    "col.google": {"en": "Google Calendar", "he": "יומן Google"},
    "col.google_account": {"en": "Google account", "he": "חשבון Google"},
    "col.last_sync": {"en": "Last sync", "he": "סנכרון אחרון"},
    "col.outcome": {"en": "Outcome", "he": "תוצאה"},
    "col.clients": {"en": "Clients", "he": "מתאמנים"},
    "col.upcoming": {"en": "Sessions, next 7 days", "he": "אימונים בשבעת הימים הקרובים"},
    # Users
    "users.invite": {"en": "Invite someone", "he": "הזמנת משתמש"},
    "users.email": {"en": "Email", "he": "דוא״ל"},
    "users.name": {"en": "Name", "he": "שם"},
    "users.role": {"en": "Role", "he": "תפקיד"},
    "users.submit_invite": {"en": "Send invitation", "he": "שליחת הזמנה"},
    "users.invited": {
        "en": "{email} is invited as {role}. They can log in now at {url}.",
        "he": "הכתובת {email} הוזמנה בתפקיד {role}, ואפשר להתחבר איתה כבר עכשיו בכתובת {url}",
    },
    "users.list": {"en": "People", "he": "רשימת המשתמשים"},
    "users.active": {"en": "Active", "he": "פעיל"},
    "users.deactivated": {"en": "Deactivated", "he": "מושבת"},
    "users.last_login": {"en": "Last login", "he": "התחברות אחרונה"},
    "users.never": {"en": "never", "he": "אף פעם"},
    "users.change": {"en": "Change a user", "he": "עריכת משתמש"},
    "users.pick": {"en": "User", "he": "משתמש"},
    "users.new_role": {"en": "New role", "he": "תפקיד חדש"},
    "users.save_role": {"en": "Save role", "he": "שמירת תפקיד"},
    "users.deactivate": {"en": "Deactivate", "he": "השבתה"},
    "users.reactivate": {"en": "Reactivate", "he": "הפעלה מחדש"},
    "users.role_saved": {"en": "Role saved.", "he": "התפקיד נשמר."},
    "users.status_saved": {"en": "Access updated.", "he": "הגישה עודכנה."},
    "users.invalid.email": {
        "en": "This is not an email address: check it and try again.",
        "he": "זו אינה כתובת דוא״ל תקינה: בדקו אותה ונסו שוב.",
    },
    "users.invalid.email.taken": {
        "en": "This address is already invited: find it in the list below to change its role "
        "or turn its access back on.",
        "he": "הכתובת הזו כבר הוזמנה: אפשר למצוא אותה ברשימה למטה כדי לשנות תפקיד או להפעיל "
        "מחדש את הגישה.",
    },
    "users.invalid.email.control": {
        "en": "The address holds an invisible control character (often pasted along with it): "
        "type it again.",
        "he": "הכתובת מכילה תו בקרה בלתי נראה (שהודבק יחד איתה, לרוב): הקלידו אותה מחדש.",
    },
    "users.invalid.email.formula": {
        "en": "An email address cannot start with = + - or @: check the address and try again.",
        "he": "כתובת דוא״ל אינה יכולה להתחיל ב-= + - או @: בדקו את הכתובת ונסו שוב.",
    },
    "users.invalid.name": {
        "en": "The name is too long (200 characters at most).",
        "he": "השם ארוך מדי (עד 200 תווים).",
    },
    "users.invalid.role": {"en": "Choose one of the roles.", "he": "בחרו אחד מהתפקידים."},
    "users.change.invalid.role": {
        "en": "The last active manager cannot lose the manager role: make someone else a "
        "manager first.",
        "he": "אי אפשר להסיר את תפקיד הניהול מהמנהל/ת הפעיל/ה האחרון/ה: קודם מנו מנהל/ת נוסף/ת.",
    },
    "users.change.invalid.is_active": {
        "en": "You cannot deactivate yourself, nor the last active manager.",
        "he": "אי אפשר להשבית את החשבון שלכם, וגם לא את המנהל/ת הפעיל/ה האחרון/ה.",
    },
    # Notifications
    "notifications.empty": {"en": "Nothing here yet.", "he": "אין התראות עדיין."},
    "notifications.mark_read": {"en": "Mark read", "he": "סימון כנקראה"},
    "notifications.mark_all": {"en": "Mark all read", "he": "סימון כל ההתראות כנקראו"},
    "notifications.open": {"en": "Open", "he": "פתיחה"},
    "notifications.unread": {"en": "Unread", "he": "לא נקראה"},
    # Google connection
    "page.google_connection": {"en": "Google connection", "he": "חיבור ל-Google"},
    "google.finishing": {
        "en": "Finishing the connection with Google…",
        "he": "משלימים את החיבור ל-Google…",
    },
    "google.connected_as": {
        "en": "Connected to {account}; {count} calendars found.",
        "he": "החיבור ל-{account} הושלם; נמצאו {count} יומנים.",
    },
    "google.connected_as.one": {
        "en": "Connected to {account}; one calendar found.",
        "he": "החיבור ל-{account} הושלם; נמצא יומן אחד.",
    },
    "google.needs_reauth": {
        "en": "Google no longer accepts this connection (the access was removed or expired). "
        "Syncing has stopped: reconnect to resume it. Your settings are kept.",
        "he": "Google כבר לא מקבל את החיבור הזה (הגישה בוטלה או שפג תוקפה). הסנכרון נעצר: "
        "חברו את החשבון מחדש כדי להמשיך. ההגדרות שלכם נשמרו.",
    },
    "google.account": {"en": "Account", "he": "חשבון"},
    "google.token_expires": {"en": "Access token valid until", "he": "אסימון הגישה בתוקף עד"},
    "google.last_sync": {"en": "Last sync", "he": "סנכרון אחרון"},
    "google.next_sync": {"en": "Next scheduled sync", "he": "הסנכרון המתוזמן הבא"},
    "google.channel_expires": {
        "en": "Realtime channel until",
        "he": "ערוץ העדכונים בזמן אמת בתוקף עד",
    },
    "google.calendars": {"en": "Calendars", "he": "יומנים"},
    "google.scopes": {"en": "Permissions granted", "he": "הרשאות שניתנו"},
    # The card's access line agrees with the connection (a refused grant is never "valid").
    "google.token": {"en": "Access to Google", "he": "הגישה ל-Google"},
    "google.token_renews": {
        "en": "renewed automatically at the next sync",
        "he": "תחודש אוטומטית בסנכרון הבא",
    },
    "google.token_refused": {
        "en": "Google refuses it; reconnect below",
        "he": "Google מסרב לה; יש לחבר מחדש למטה",
    },
    "google.frequency": {"en": "Syncs", "he": "תדירות הסנכרון"},
    "google.auto_off": {
        "en": "Only when asked (automatic sync off)",
        "he": "רק לפי בקשה (הסנכרון האוטומטי כבוי)",
    },
    "google.channel_pending": {
        "en": "opens with the next sync",
        "he": "ייפתח בסנכרון הבא",
    },
    # Google's permissions by what they let us do (SCOPE_NAMES in google_calendar/status.py).
    "google.scope.openid": {
        "en": "Sign you in with your Google account",
        "he": "לזהות אותך באמצעות חשבון Google שלך",
    },
    "google.scope.email": {
        "en": "See your primary Google account email address",
        "he": "לראות את כתובת האימייל הראשית של חשבון Google שלך",
    },
    "google.scope.profile": {
        "en": "See your personal info, such as your name",
        "he": "לראות את הפרטים האישיים שלך, כמו השם שלך",
    },
    "google.scope.calendar": {
        "en": "See, edit, share and delete all your calendars",
        "he": "לראות, לערוך, לשתף ולמחוק את כל היומנים שלך",
    },
    "google.scope.calendar_readonly": {
        "en": "See and download any calendar you can access",
        "he": "לראות ולהוריד כל יומן שיש לך גישה אליו",
    },
    "google.scope.calendar_events": {
        "en": "See and edit events on your calendars",
        "he": "לראות ולערוך אירועים ביומנים שלך",
    },
    "google.scope.calendar_events_readonly": {
        "en": "See events on your calendars",
        "he": "לראות אירועים ביומנים שלך",
    },
    "google.scope.calendar_list": {
        "en": "See the list of calendars you are subscribed to",
        "he": "לראות את רשימת היומנים שנרשמת אליהם",
    },
    "google.scope.unknown": {
        "en": "A permission with no name here yet:",
        "he": "הרשאה שעדיין אין לה שם כאן:",
    },
    "google.connect": {"en": "Connect Google Calendar", "he": "חיבור יומן Google"},
    "google.reconnect": {"en": "Reconnect Google Calendar", "he": "חיבור מחדש של יומן Google"},
    "google.continue": {"en": "Continue to Google", "he": "מעבר ל-Google"},
    "google.disconnect": {"en": "Disconnect", "he": "ניתוק"},
    "google.disconnect_explain": {
        "en": "Disconnecting revokes this console's access to your Google account and stops "
        "syncing. Your CRM sessions stay.",
        "he": "הניתוק מבטל את הגישה של המערכת לחשבון Google שלכם ועוצר את הסנכרון. "
        "האימונים שבמערכת נשארים.",
    },
    "google.keep_question": {
        "en": "What about the events that came from Google?",
        "he": "מה לעשות עם האירועים שהגיעו מ-Google?",
    },
    "google.keep_events": {"en": "Keep them here", "he": "להשאיר אותם כאן"},
    "google.remove_events": {"en": "Remove them", "he": "להסיר אותם"},
    "google.confirm_disconnect": {"en": "Yes, disconnect Google", "he": "כן, לנתק את Google"},
    "google.disconnected": {
        "en": "Google disconnected; {removed} events from Google removed.",
        "he": "החיבור ל-Google נותק; הוסרו {removed} אירועים שהגיעו ממנו.",
    },
    "google.consent.state_unknown": {
        "en": "This sign-in link is not one we issued. Press Connect to start again.",
        "he": "קישור ההתחברות הזה לא נוצר במערכת. לחצו על חיבור כדי להתחיל מחדש.",
    },
    "google.consent.state_used": {
        "en": "This sign-in link was already used. Press Connect to start again.",
        "he": "קישור ההתחברות הזה כבר נוצל. לחצו על חיבור כדי להתחיל מחדש.",
    },
    "google.consent.state_expired": {
        "en": "The sign-in took longer than 10 minutes. Press Connect to start again.",
        "he": "ההתחברות נמשכה יותר מ-10 דקות. לחצו על חיבור כדי להתחיל מחדש.",
    },
    "google.consent.wrong_user": {
        "en": "This sign-in was started by someone else. Press Connect to start your own.",
        "he": "את ההתחברות הזו התחיל משתמש אחר. לחצו על חיבור כדי להתחיל התחברות משלכם.",
    },
    "google.consent.access_denied": {
        "en": "The Google consent was cancelled; nothing was connected.",
        "he": "ההסכמה ב-Google בוטלה; לא חובר דבר.",
    },
    "google.consent.missing_scopes": {
        "en": "Google did not grant every permission sync needs (missing: {missing}). "
        "Press Connect again and leave every box ticked.",
        "he": "Google לא העניק את כל ההרשאות שהסנכרון צריך (חסרות: {missing}). "
        "לחצו שוב על חיבור והשאירו את כל התיבות מסומנות.",
    },
    "google.consent.exchange_failed": {
        "en": "Google refused to finish the connection. Press Connect to try again.",
        "he": "Google סירב להשלים את החיבור. לחצו על חיבור כדי לנסות שוב.",
    },
    "google.failed": {
        "en": "The connection with Google could not be finished. Press Connect to try again.",
        "he": "לא ניתן היה להשלים את החיבור ל-Google. לחצו על חיבור כדי לנסות שוב.",
    },
    "google.sync_now": {"en": "Sync now", "he": "סנכרון עכשיו"},
    "google.sync_queued": {
        "en": "Sync started; this page shows the outcome.",
        "he": "הסנכרון התחיל; התוצאה תופיע בדף זה.",
    },
    "google.sync_already_queued": {
        "en": "A sync is already on its way.",
        "he": "כבר יש סנכרון בתור.",
    },
    # Errors
    "error.denied": {"en": "You may not do that.", "he": "אין לכם הרשאה לפעולה הזו."},
    "error.not_found": {"en": "It no longer exists.", "he": "הפריט כבר אינו קיים."},
    "error.failed": {
        "en": "That did not work. Try again; if it keeps failing, tell a manager.",
        "he": "הפעולה לא הצליחה. נסו שוב, ואם זה חוזר על עצמו, פנו למנהל/ת.",
    },
}
