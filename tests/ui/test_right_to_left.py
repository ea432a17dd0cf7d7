"""Hebrew reads right to left everywhere: in tables drawn left to right, and around the date,
time and number fields whose parts must not swap places."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from streamlit.testing.v1 import AppTest

from pages._shell import PDI, RLI, isolate_rtl
from tests.support.apptest import EMAILS


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("נקראו מ-Google", f"{RLI}נקראו מ-Google{PDI}"),
        ("Google לא מחובר", f"{RLI}Google לא מחובר{PDI}"),
        ("מועד תפוגה", "מועד תפוגה"),  # plain Hebrew words read right as they are
        ("Read from Google", "Read from Google"),
        ("dana@gmail.com", "dana@gmail.com"),
    ],
)
def test_hebrew_mixed_with_latin_is_isolated_right_to_left(text: str, shown: str) -> None:
    assert isolate_rtl(text) == shown


def _styles(at: AppTest) -> str:
    return "\n".join(str(html.proto) for html in at.get("html"))


def test_in_hebrew_table_headers_and_texts_that_mix_in_latin_read_right_to_left(
    app_as: Callable[..., AppTest],
) -> None:
    at = app_as(EMAILS["staff"], "he").run()
    at.switch_page("pages/manual_sync.py").run()
    at.button(key="manual_sync_start").click().run()
    progress = at.dataframe[0].value
    assert f"{RLI}נקראו מ-Google{PDI}" in progress.columns
    assert "שם" in progress.columns
    assert set(progress["מצב"]) == {f"{RLI}Google לא מחובר{PDI}"}
    english = app_as(EMAILS["staff"]).run()
    english.switch_page("pages/manual_sync.py").run()
    english.button(key="manual_sync_start").click().run()
    assert "Read from Google" in english.dataframe[0].value.columns


def test_in_hebrew_date_time_and_number_fields_keep_their_parts_left_to_right(
    app_as: Callable[..., AppTest],
) -> None:
    """On every page (the shell styles them all), not only those with such fields."""
    at = app_as(EMAILS["manager"], "he").run()
    styles = _styles(at)
    assert '[data-testid=\\"stDateInput\\"]' in styles
    assert '[data-testid=\\"stTimeInput\\"]' in styles
    assert '[data-testid=\\"stNumberInputField\\"] { direction: ltr;' in styles
    assert 'content: \\"(חובה)\\"' in styles  # not Streamlit's own "(required)"
    english = app_as(EMAILS["manager"]).run()
    assert "stDateInput" not in _styles(english)


def _table_script() -> None:
    import streamlit as st

    from pages._shell import LANG_KEY, apply_direction, table

    st.session_state[LANG_KEY] = "en"
    apply_direction()
    table([{"Trainer": "Dana", "Pushed": 3}, {"Trainer": "Yossi", "Pushed": None}])


def test_a_gap_in_a_column_of_numbers_shows_a_dash_not_none() -> None:
    at = AppTest.from_function(_table_script).run()
    assert not at.exception
    [grid] = at.dataframe
    assert grid.proto.placeholder == "—"
    assert grid.value["Pushed"].dtype.kind == "f"  # still numbers: they sort and align as such


def test_a_toast_is_laid_out_like_its_page() -> None:
    """Hebrew toasts right to left with the page; English pages add no direction at all."""
    at = AppTest.from_function(_table_script).run()
    assert "stToast" not in _styles(at)


def _places(at: AppTest) -> list[tuple[int, str]]:
    return [(index, node.type) for index, node in at.main.children.items()]


def test_the_hebrew_layout_takes_no_place_in_the_page(app_as: Callable[..., AppTest]) -> None:
    """A page's elements stand at the same places in Hebrew and in English: the right-to-left
    styles go to Streamlit's event container, not the page. An element the page has in one
    language only (a script's `st.html`, once) shifts every element after it by one at each
    switch, and in the browser a switch then now and then left the other language's heading,
    metrics and table on the page, the run never finishing (bec7015, reverted in a4599e9)."""
    for email in (EMAILS["staff"], EMAILS["trainer"]):
        hebrew = app_as(email, "he").run()
        english = app_as(email).run()
        assert not hebrew.exception and not english.exception
        assert hebrew.title[0].value != english.title[0].value  # the same page, two languages
        assert _places(hebrew) == _places(english)
