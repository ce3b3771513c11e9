"""Writing measurements in bulk: the recompute's one upsert, set-based on each database.

PostgreSQL: COPY into a temporary table, then one INSERT ... SELECT ... ON CONFLICT DO UPDATE
(about ten times faster than Django's bulk_create for tens of thousands of rows, and no
model instance per row). Elsewhere: bulk_create with update_conflicts. Both run inside the
caller's transaction, so a killed worker leaves nothing half-written.
"""

from __future__ import annotations

from datetime import date, datetime

from django.db import connection

from kpis.models import Measurement

# One row: the columns below, in this order.
COLUMNS = (
    "tenant_id",
    "kpi_id",
    "scope",
    "member",
    "grain",
    "period_start",
    "value",
    "previous_value",
    "last_year_value",
    "job_id",
    "computed_at",
)
KEY = ("tenant_id", "kpi_id", "scope", "member", "grain", "period_start")
Row = tuple[
    int, int, str, str, str, date, float | None, float | None, float | None, int | None, datetime
]
STAGE = "koers_measurement_stage"


def measurements_upsert(rows: list[Row]) -> int:
    """Insert or update measurements by (tenant, KPI, scope, member, grain, period start)."""
    if not rows:
        return 0
    if connection.vendor == "postgresql":
        return _postgres_upsert(rows)
    Measurement.objects.bulk_create(
        [Measurement(**dict(zip(COLUMNS, row, strict=True))) for row in rows],
        batch_size=2000,
        update_conflicts=True,
        unique_fields=["tenant", "kpi", "scope", "member", "grain", "period_start"],
        update_fields=["value", "previous_value", "last_year_value", "job", "computed_at"],
    )
    return len(rows)


def _postgres_upsert(rows: list[Row]) -> int:
    columns = ", ".join(COLUMNS)
    updated = [c for c in COLUMNS if c not in KEY]
    table = Measurement._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {STAGE}")
        cursor.execute(
            f"CREATE TEMP TABLE {STAGE} ON COMMIT DROP AS "
            f"SELECT {columns} FROM {table} WITH NO DATA"
        )
        with cursor.cursor.copy(f"COPY {STAGE} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        cursor.execute(
            f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {STAGE} "
            f"ON CONFLICT ({', '.join(KEY)}) DO UPDATE SET "
            + ", ".join(f"{c} = excluded.{c}" for c in updated)
        )
        cursor.execute(f"DROP TABLE {STAGE}")
    return len(rows)
