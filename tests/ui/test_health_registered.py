"""The health page draws a tile for every registered integration: a fifth one, registered by
this test alone, appears beside the specification's four without the page's code changing."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from integrations.core import registry
from tests.support.apptest import EMAILS
from tests.support.noop_integration import NoopIntegration


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    st.cache_data.clear()
    yield
    st.cache_data.clear()


def test_a_registered_integration_has_its_tile_on_the_health_page(
    app_as: Callable[..., AppTest],
) -> None:
    with registry.registered(NoopIntegration()):
        at = app_as(EMAILS["manager"]).run()
        at.switch_page("pages/health.py").run()
    assert not at.exception, at.exception
    tiles = [m.value for m in at.markdown if m.value.startswith("#### ")]
    # "integration.noop": the message catalogue has no name for a test's integration.
    assert tiles == [
        "#### Google Calendar",
        "#### Email",
        "#### SMS",
        "#### Payments",
        "#### integration.noop",
    ]
    assert [m.value for m in at.markdown].count("⚪ Not configured") == 3
    assert "🟢 Working" in [m.value for m in at.markdown]  # the noop tile's own state
