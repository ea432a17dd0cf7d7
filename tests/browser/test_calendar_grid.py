"""The events page's week and month grids measured in Debian's Chromium: short sessions keep
their title on one line cut by an ellipsis at its logical end (the left end in Hebrew, also when
the title mixes Hebrew and Latin words), a session at the first hour starts on that hour's line,
and a busy day in the month says how many sessions it did not list."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import BrowserContext, Locator, Page, expect
from sqlmodel import Session, col, delete, select

from db.engine import get_engine
from db.models import CalendarEvent, EventOrigin, Role, SyncState, Trainer, User, utcnow
from integrations.crm.schedule import week_containing
from tests.support.browser import demo_email, log_in, text
from tests.support.stack import Stack

pytestmark = pytest.mark.browser

MIXED = "אימון עם Dana בפארק הירקון"
LONG_ENGLISH = "Strength and mobility session with Daniel at the studio"
FIRST_HOUR = "Sunrise run by the sea"
#: Three weeks on: after every demo session (they end two weeks from the day the stack started).
WEEKS_AHEAD = 3
#: Title, start and length in minutes of each session on the Wednesday of that week; six of them,
#: so that the month cell lists four and says "+2 more".
SESSIONS: tuple[tuple[str, time, int], ...] = (
    (FIRST_HOUR, time(6), 60),
    (MIXED, time(9), 30),
    (LONG_ENGLISH, time(11), 30),
    ("פילאטיס", time(13), 60),
    ("HIIT", time(15), 60),
    ("אימון כוח", time(17), 60),
)


def database(stack: Stack) -> Session:
    return Session(get_engine(f"sqlite:///{stack.data_dir / 'newym.db'}"))


@pytest.fixture
def busy_wednesday(stack: Stack) -> Iterator[date]:
    """The demo trainer's six sessions on one Wednesday, removed again afterwards."""
    with database(stack) as session:
        user = session.exec(select(User).where(User.email == demo_email(Role.TRAINER))).one()
        trainer = session.get(Trainer, user.trainer_id)
        assert trainer is not None
        zone = ZoneInfo(trainer.timezone)
        today = utcnow().astimezone(zone).date()
        sunday, _ = week_containing(today + timedelta(days=7 * WEEKS_AHEAD))
        wednesday = sunday + timedelta(days=3)
        ids = []
        for title, start, minutes in SESSIONS:
            begins = datetime.combine(wednesday, start, tzinfo=zone)
            event = CalendarEvent(
                trainer_id=trainer.id,
                title=title,
                start_at=begins,
                end_at=begins + timedelta(minutes=minutes),
                timezone=trainer.timezone,
                origin=EventOrigin.CRM,
                sync_state=SyncState.LOCAL_ONLY,
            )
            session.add(event)
            ids.append(event.id)
        session.commit()
    yield wednesday
    with database(stack) as session:
        session.exec(delete(CalendarEvent).where(col(CalendarEvent.id).in_(ids)))
        session.commit()


def idle(page: Page) -> None:
    """The script has finished its run (not `wait_until_idle`: the table waits unpainted in its
    tab until someone opens it)."""
    expect(page.get_by_test_id("stApp")).to_have_attribute("data-test-script-state", "notRunning")
    expect(page.get_by_test_id("stSkeleton")).to_have_count(0)


def open_week(page: Page, stack: Stack, wednesday: date) -> None:
    """The events page, moved on to the week of the busy Wednesday.

    "Next" is pressed until the week shown starts on that week's Sunday, reading the range the
    page prints after each press: a press that lands while the page is still rerunning (the
    grid refreshes itself while bookings wait for Google) can be dropped, and is then repeated.
    """
    page.set_viewport_size({"width": 1400, "height": 1300})
    log_in(page, stack, account=demo_email(Role.TRAINER))
    page.get_by_test_id("stSidebarNav").get_by_text(text("page.events", "he"), exact=True).click()
    target = wednesday - timedelta(days=3)
    for _ in range(WEEKS_AHEAD * 4):
        idle(page)
        shown = week_shown(page)
        if shown >= target:
            break
        page.get_by_role("button", name=text("events.next", "he")).click()
        try:
            expect(range_text(page, shown + timedelta(days=7))).to_be_visible(timeout=15_000)
        except AssertionError:
            continue  # the press was dropped: press again
    assert week_shown(page) == target
    expect(event_block(page, FIRST_HOUR)).to_be_visible()


def range_text(page: Page, sunday: date) -> Locator:
    """The line above the grid that says which dates it shows ("... מ-27/12/2026 עד ...")."""
    return page.get_by_text(re.compile(rf"מ-{sunday:%d/%m/%Y} עד"))


def week_shown(page: Page) -> date:
    line = page.get_by_text(re.compile(r"מ-\d\d/\d\d/\d{4} עד")).inner_text()
    found = re.search(r"מ-(\d\d)/(\d\d)/(\d{4})", line)
    assert found is not None, line
    return date(int(found[3]), int(found[2]), int(found[1]))


def event_block(page: Page, title: str) -> Locator:
    return page.locator(".nyev-event").filter(has=page.get_by_text(title, exact=True))


def in_language(page: Page, lang: str) -> None:
    languages = page.get_by_test_id("stSidebar").get_by_role("radiogroup")
    languages.get_by_role("radio", name="English" if lang == "en" else "עברית").click()
    expect(page.get_by_test_id("stSidebarNav")).to_contain_text(text("page.events", lang))
    idle(page)


#: What the reader sees of a title element: its box, its style, and which of its characters are
#: drawn (inside the box and clear of the ellipsis), in the title's logical order, at its own
#: width and at every narrower one.
MEASURE_TITLE = """element => {
    const measure = () => {
        const box = element.getBoundingClientRect();
        const style = getComputedStyle(element);
        const range = document.createRange();
        const clipped = element.scrollWidth > element.clientWidth + 1;
        const ellipsis = clipped ? parseFloat(style.fontSize) : 0;
        const rtl = style.direction === "rtl";
        const shown = [];
        const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
        for (let node = walker.nextNode(); node; node = walker.nextNode()) {
            for (let i = 0; i < node.data.length; i++) {
                if (!node.data[i].trim()) continue;
                range.setStart(node, i);
                range.setEnd(node, i + 1);
                // A run in the other direction is one inline block, which a browser draws
                // whole or not at all: it is drawn when all of it fits.
                const run = node.parentElement.closest(".nyev-run");
                const r = run ? run.getBoundingClientRect() : range.getBoundingClientRect();
                const left = box.left + (rtl ? ellipsis : 0);
                const right = box.right - (rtl ? 0 : ellipsis);
                shown.push([node.data[i], r.left >= left - 0.5 && r.right <= right + 0.5]);
            }
        }
        return {box: box, style: style, clipped: clipped, shown: shown};
    };
    const now = measure();
    // The same title cut at every width from 30 px to its whole length: wherever the cut
    // falls (in a Hebrew word or in the Latin name), what is drawn must be its beginning.
    const widths = [];
    const before = element.getAttribute("style");
    const full = element.scrollWidth;
    element.style.flex = "none";
    element.style.maxWidth = "none";
    for (let width = 30; width < full; width += 2) {
        element.style.width = width + "px";
        widths.push([width, measure().shown]);
    }
    if (before === null) element.removeAttribute("style");
    else element.setAttribute("style", before);
    const holder = name => element.closest("[" + name + "]");
    return {
        top: now.box.top, bottom: now.box.bottom, height: now.box.height, clipped: now.clipped,
        lineHeight: parseFloat(now.style.lineHeight) || parseFloat(now.style.fontSize) * 1.25,
        textOverflow: now.style.textOverflow, whiteSpace: now.style.whiteSpace,
        direction: now.style.direction, shown: now.shown, widths: widths,
        tooltip: holder("title") ? holder("title").title : null,
        label: holder("aria-label") ? holder("aria-label").getAttribute("aria-label") : null,
    };
}"""


def shown_prefix(shown: list[tuple[str, bool]]) -> str:
    """The characters drawn, which must be the title's beginning: none hidden before one drawn."""
    flags = [drawn for _, drawn in shown]
    first_hidden = flags.index(False) if False in flags else len(flags)
    assert not any(flags[first_hidden:]), f"drawn after a hidden one: {shown}"
    return "".join(char for char, _ in shown[:first_hidden])


def assert_cut_at_its_end(title: Locator, full: str) -> None:
    measured = title.evaluate(MEASURE_TITLE)
    assert measured["textOverflow"] == "ellipsis"
    assert measured["whiteSpace"] == "nowrap"
    assert measured["clipped"], "the test needs a title longer than its box"
    first_word = full.split()[0]
    assert shown_prefix(measured["shown"]).startswith(first_word), (measured["shown"], full)
    assert measured["widths"], "the title is wider than 30 px"
    for width, shown in measured["widths"]:
        assert full.replace(" ", "").startswith(shown_prefix(shown)), (width, shown)
    assert measured["tooltip"] is not None and full in measured["tooltip"]
    assert measured["label"] is not None and full in measured["label"]


def check_week(page: Page, lang: str) -> None:
    # The first hour: the 06:00 session's top is on the line of the 06:00 label, which is shown
    # whole under the all-day row.
    week = page.locator(".nyev-week").first
    label = week.locator(".nyev-hour").filter(has_text="06:00")
    expect(label).to_be_visible()
    label_box, block_box = label.bounding_box(), event_block(page, FIRST_HOUR).bounding_box()
    all_day = week.locator(".nyev-allday-label").bounding_box()
    assert label_box is not None and block_box is not None and all_day is not None
    line = label_box["y"] + label_box["height"] / 2
    assert abs(block_box["y"] - line) <= 1.5, (block_box, label_box)
    assert label_box["y"] >= all_day["y"] + all_day["height"] - 0.5
    seven = week.locator(".nyev-hour").filter(has_text="07:00").bounding_box()
    assert seven is not None
    assert abs(seven["y"] + seven["height"] / 2 - (block_box["y"] + block_box["height"])) <= 3

    # Thirty minutes: one line, inside the block, cut at the title's logical end.
    for full in (MIXED, LONG_ENGLISH):
        block = event_block(page, full)
        title = block.locator(".nyev-title")
        outer, inner = block.bounding_box(), title.bounding_box()
        assert outer is not None and inner is not None
        assert inner["y"] >= outer["y"] - 0.5
        assert inner["y"] + inner["height"] <= outer["y"] + outer["height"] + 0.5, (lang, full)
        measured = title.evaluate(MEASURE_TITLE)
        assert measured["height"] <= measured["lineHeight"] * 1.5
        assert_cut_at_its_end(title, full)


def check_month(page: Page, lang: str, wednesday: date) -> None:
    cell = page.locator(".nyev-cell").filter(
        has=page.locator(".nyev-date", has_text=str(wednesday.day))
    )
    cell = cell.filter(has=page.get_by_text(FIRST_HOUR, exact=True))
    expect(cell).to_have_count(1)
    chips = cell.locator(".nyev-chip")
    expect(chips).to_have_count(4)
    expect(cell.locator(".nyev-more")).to_have_text(text("events.more", lang).format(count=2))
    box = cell.bounding_box()
    assert box is not None
    for index in range(4):
        chip = chips.nth(index).bounding_box()
        assert chip is not None
        assert box["x"] - 0.5 <= chip["x"] and chip["x"] + chip["width"] <= box["x"] + box["width"]
    for full in (MIXED, LONG_ENGLISH):
        title = cell.locator(".nyev-chip").filter(has_text=full.split()[0]).locator(".nyev-title")
        assert_cut_at_its_end(title.first, full)


def test_short_sessions_and_the_first_hour_read_well_in_the_week_grid(
    stack: Stack, context: BrowserContext, busy_wednesday: date, tmp_path: Path
) -> None:
    """In Hebrew and in English: a 30-minute session shows its title on one line inside its
    block, cut with an ellipsis at the title's logical end (a Hebrew title with a Latin name
    shows its first words, not the end of the name), its whole title on hover and to a screen
    reader; a session at 06:00 starts on the 06:00 line, not above the first label."""
    page = context.new_page()
    open_week(page, stack, busy_wednesday)
    check_week(page, "he")
    page.screenshot(path=tmp_path / "week-he.png", full_page=True)
    in_language(page, "en")
    try:
        check_week(page, "en")
        page.screenshot(path=tmp_path / "week-en.png", full_page=True)
    finally:
        in_language(page, "he")


def test_a_busy_day_in_the_month_grid_lists_four_cut_titles_and_counts_the_rest(
    stack: Stack, context: BrowserContext, busy_wednesday: date, tmp_path: Path
) -> None:
    """Six sessions on one day: four chips, each inside its cell with its title cut at its
    logical end, and "+2 more" ("עוד 2"), in Hebrew and in English."""
    page = context.new_page()
    open_week(page, stack, busy_wednesday)
    page.get_by_test_id("stButtonGroup").get_by_text(text("events.view.month", "he")).click()
    idle(page)
    check_month(page, "he", busy_wednesday)
    page.screenshot(path=tmp_path / "month-he.png", full_page=True)
    in_language(page, "en")
    try:
        check_month(page, "en", busy_wednesday)
        page.screenshot(path=tmp_path / "month-en.png", full_page=True)
    finally:
        in_language(page, "he")
