"""Which integrations this product has: the built-in ones, loaded on first use, and any a test
registers for itself.

What is registered is code, not data: every process (web, api, worker) loads the same built-in
list, so nothing here needs sharing between processes. Built-ins are named by import path and
loaded when first asked for, so that importing the core imports no integration (and no SDK).
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from integrations.core.failures import Classified, classify_network_error
from integrations.core.integration import IntegrationPort

#: "module:attribute" of each built-in integration, in the order pages show them.
BUILT_IN = ("integrations.google_calendar.integration:GOOGLE_CALENDAR",)

_lock = threading.Lock()
_registered: dict[str, IntegrationPort] = {}
_loaded = False


def _load_built_in() -> None:
    global _loaded
    if _loaded:
        return
    with _lock:
        if _loaded:
            return
        found: dict[str, IntegrationPort] = {}
        for entry in BUILT_IN:
            module_name, _, attribute = entry.partition(":")
            integration = getattr(importlib.import_module(module_name), attribute)
            found[integration.name] = integration
        # Built-ins first, in their order; anything registered before the first use follows.
        _registered.update({**found, **_registered})
        _loaded = True


def integrations() -> tuple[IntegrationPort, ...]:
    """Every registered integration, built-ins first."""
    _load_built_in()
    return tuple(_registered.values())


def get(name: str) -> IntegrationPort | None:
    _load_built_in()
    return _registered.get(name)


def register(integration: IntegrationPort) -> None:
    """Add an integration; its name must be new."""
    if not isinstance(integration, IntegrationPort):
        raise TypeError(f"{integration!r} does not provide every IntegrationPort member")
    _load_built_in()
    with _lock:
        if integration.name in _registered:
            raise ValueError(f"an integration named {integration.name!r} is registered already")
        _registered[integration.name] = integration


def unregister(name: str) -> None:
    with _lock:
        _registered.pop(name, None)


@contextmanager
def registered(integration: IntegrationPort) -> Iterator[IntegrationPort]:
    """`integration` registered for the length of a `with` block (tests)."""
    register(integration)
    try:
        yield integration
    finally:
        unregister(integration.name)


def classify(error: BaseException) -> Classified:
    """Name any error: the first registered integration that knows it answers, else the network's
    own failures are transient and the rest unknown. Providers raise their own SDK's types, so
    at most one integration claims an error."""
    for integration in integrations():
        found = integration.classify_error(error)
        if found is not None:
            return found
    return classify_network_error(error)
