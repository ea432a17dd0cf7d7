"""Strings of the sync settings page, in English and Hebrew."""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {}
