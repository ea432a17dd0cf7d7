"""Fixtures and builders shared by the test packages: tests/conftest.py registers the fixture
modules once (`pytest_plugins`); a test module imports builders from here, never from another
test module or a conftest."""
