"""How the measurements are stored on PostgreSQL (migration kpis 0006): pages kept 30 % free,
so the nightly rewrite of the open periods' rows are HOT updates that touch no index.

Runs in the PostgreSQL run of `make test` (marked integration: SQLite has no fillfactor)."""

from __future__ import annotations

import pytest
from django.db import connection

from kpis.models import Measurement

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def test_measurement_pages_keep_room_for_the_nightly_updates():
    if connection.vendor != "postgresql":
        pytest.fail("runs on PostgreSQL (make test runs it there)")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reloptions FROM pg_class WHERE oid = %s::regclass",
            [Measurement._meta.db_table],
        )
        (options,) = cursor.fetchone()
    assert "fillfactor=70" in (options or [])


def test_no_column_the_nightly_update_writes_is_indexed():
    """A HOT update needs every changed column to be outside every index."""
    if connection.vendor != "postgresql":
        pytest.fail("runs on PostgreSQL (make test runs it there)")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT a.attname FROM pg_index i "
            "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) "
            "WHERE i.indrelid = %s::regclass",
            [Measurement._meta.db_table],
        )
        indexed = {name for (name,) in cursor.fetchall()}
    written = {"value", "previous_value", "last_year_value", "job_id", "computed_at"}
    assert indexed and not (indexed & written)
