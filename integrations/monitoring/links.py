"""The dashboard's pages that the domain points people at, by the file the web app serves.

A notification stores the page it links to (`Notification.link`); the web app's navigation
(`app.PAGES`) registers these files, and the notifications page opens them. The domain names them
here, so that it never imports `pages` and a page that moves is renamed in one place
(`tests/ui/test_links.py` checks each is a page the app serves).
"""

from __future__ import annotations

GOOGLE_CONNECTION = "pages/google_connection.py"
HEALTH = "pages/health.py"
TRAINERS = "pages/trainers.py"
