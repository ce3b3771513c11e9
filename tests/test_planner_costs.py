"""The application's PostgreSQL connections plan for SSDs (koers/settings.py,
DB_RANDOM_PAGE_COST; docs/scaling.md): a rep's portfolio joins its accounts' scores by index
instead of scanning the tenant's whole score table.

Runs in the PostgreSQL run of `make test` (marked integration: SQLite has no planner costs)."""

from __future__ import annotations

import pytest
from django.db import connection

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def test_the_application_plans_with_the_ssd_random_page_cost():
    if connection.vendor != "postgresql":
        pytest.fail("runs on PostgreSQL (make test runs it there)")
    with connection.cursor() as cursor:
        cursor.execute("SHOW random_page_cost")
        (cost,) = cursor.fetchone()
    assert float(cost) == pytest.approx(1.1)
