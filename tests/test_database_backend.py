"""The suite runs on the backend it was asked for (CONSOLE_TEST_DB), never silently on another."""

from __future__ import annotations

import pytest
from django.db import connection

from tests.conftest import TEST_DB


@pytest.mark.django_db
def test_the_suite_runs_on_the_requested_database() -> None:
    assert connection.vendor == {"sqlite": "sqlite", "postgres": "postgresql"}[TEST_DB]
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)
