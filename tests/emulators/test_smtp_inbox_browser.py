"""The web inbox in Debian's Chromium: a Hebrew message is laid out right to left inside its
frame, and a script in a message never runs (the frame's sandbox and the page's CSP each stop
it; the test fails only when both are gone).

Playwright runs in a child process: its sync API allows one driver per process, and the
browser tests hold theirs for the whole session.
"""

from __future__ import annotations

import json
import subprocess
import sys
from email.message import EmailMessage
from pathlib import Path

import httpx
import pytest

from tests.support.ci import need
from tests.support.mail_emulator import MailEmulatorClient

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = Path("/usr/bin/chromium")

#: Opens the page, then reports what the browser made of the message's frame.
INSPECT = """
import json, sys
from playwright.sync_api import sync_playwright

url = sys.argv[1]
with sync_playwright() as playwright:
    browser = playwright.chromium.launch(
        executable_path="/usr/bin/chromium", headless=True,
        args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    )
    page = browser.new_page()
    errors = []
    page.on("console", lambda message: errors.append(message.text))
    page.goto(url)
    page.wait_for_load_state("load")
    frame = page.frame_locator("iframe").locator("h1")
    frame.wait_for()
    handle = page.query_selector("iframe").content_frame()
    report = {
        "frameDirection": handle.evaluate("getComputedStyle(document.body).direction"),
        "headingRightEdge": handle.evaluate(
            "(() => { const r = document.querySelector('h1').getBoundingClientRect();"
            " return [r.right, document.documentElement.clientWidth]; })()"
        ),
        "scriptRan": handle.evaluate("window.ran === true"),
        "topTitle": page.title(),
        "textDirection": page.eval_on_selector("pre", "e => getComputedStyle(e).direction"),
    }
    browser.close()
print(json.dumps(report))
"""


def test_chromium_shows_a_hebrew_message_right_to_left_and_runs_none_of_its_script(
    mail_emulator: MailEmulatorClient,
) -> None:
    need(CHROMIUM.exists(), f"{CHROMIUM} is missing (apt-get install chromium)")
    message = EmailMessage()
    message["From"] = "דנה כהן <dana@newym.test>"
    message["To"] = "shira@example.com"
    message["Subject"] = "ברוכה הבאה"
    message.set_content("שלום שירה, נתראה ביום ראשון.")
    message.add_alternative(
        "<h1 style='display:inline-block'>ברוכה הבאה</h1><p>שלום שירה, נתראה ביום ראשון.</p>"
        "<script>window.ran = true; top.document.title = 'taken';</script>",
        subtype="html",
    )
    with mail_emulator.smtp() as client:
        client.send_message(message)
    [stored] = mail_emulator.messages()
    url = f"{mail_emulator.http_url}/messages/{stored['id']}"
    assert httpx.get(url, timeout=10).status_code == 200

    done = subprocess.run(
        [sys.executable, "-c", INSPECT, url],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["frameDirection"] == "rtl"
    right, width = report["headingRightEdge"]
    assert width - right < 20  # the heading starts at the right edge
    assert report["scriptRan"] is False
    assert report["topTitle"] == "ברוכה הבאה"
    assert report["textDirection"] == "rtl"
