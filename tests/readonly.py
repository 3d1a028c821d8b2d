"""Test classes that share one database state instead of wiping after every test.

conftest wipes the database after each test that uses `app` (a TRUNCATE of every table on
PostgreSQL, a good part of each test's time there). Tests that only read can share what a
class-scoped fixture built once:

    @pytest.fixture(scope="class")
    def shop(app):
        with app.app_context():
            ...  # factories
        yield ids
        wipe(app)             # once, after the last test of the class

    class TestSomething(ReadOnly):
        def test_a(self, client, shop): ...

A test in such a class must not write to the database.
"""
from __future__ import annotations

import pytest

from tests.conftest import _wipe as wipe  # noqa: F401 — re-exported for the class fixtures


class ReadOnly:
    @pytest.fixture(autouse=True)
    def _clean_database(self):
        """Replaces conftest's wipe after each test: the tests of this class only read."""
        yield
