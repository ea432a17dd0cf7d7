"""Helpers and fixtures shared by test packages (import the fixtures a module uses)."""
