"""The README is the newcomer's map: every picture it shows exists, and every browser screenshot is
shown there."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
SCREENSHOTS = ROOT / "docs" / "screenshots"


def test_every_image_in_the_readme_exists() -> None:
    shown = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", README)
    assert shown, "the README shows no screenshots"
    missing = [path for path in shown if not (ROOT / path).is_file()]
    assert not missing, missing


def test_every_screenshot_is_shown_in_the_readme_in_both_languages() -> None:
    taken = {path.name for path in SCREENSHOTS.glob("*.png")}
    not_shown = sorted(name for name in taken if f"docs/screenshots/{name}" not in README)
    assert not not_shown, not_shown
    pages = {re.sub(r"-(he|en)\.png$", "", name) for name in taken}
    one_language = sorted(
        page for page in pages if not {f"{page}-he.png", f"{page}-en.png"} <= taken
    )
    # Two moments of a journey rather than pages: each is shown once.
    assert one_language == ["health-alert", "trainer-synced"], one_language


def test_every_test_the_readme_names_for_a_claim_exists() -> None:
    """The reliability table backs each claim with a test: a renamed or removed test would leave
    the claim unbacked, so the names must resolve to test functions."""
    named = re.findall(r"`(tests/[\w/]+\.py)::(test_\w+)`", README)
    assert len(named) >= 10, "the README's reliability table names no tests"
    missing = [
        f"{path}::{name}"
        for path, name in named
        if not (ROOT / path).is_file()
        or not re.search(rf"^def {name}\(", (ROOT / path).read_text(encoding="utf-8"), re.M)
    ]
    assert not missing, missing
