"""Writing measurements in bulk: the recompute's one upsert, set-based on each database.

PostgreSQL: COPY into a temporary table, then one INSERT ... SELECT ... ON CONFLICT DO UPDATE
(about ten times faster than Django's bulk_create for tens of thousands of rows, and no
model instance per row). Elsewhere: bulk_create with update_conflicts. Both run inside the
caller's transaction, so a killed worker leaves nothing half-written.

MeasurementWriter takes the rows of a run batch by batch: on PostgreSQL outside a
transaction it stores each batch on a second connection while the caller computes the next
(the database works on the other core), all in that connection's one transaction.
"""

from __future__ import annotations

from datetime import date, datetime

from django.db import IntegrityError, connection, transaction

from kpis.models import Kpi, Measurement
from portal.db import background
from portal.db.copytext import NULL, copy_value

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


def measurements_upsert(rows: list[Row], *, new: bool = False) -> int:
    """Insert or update measurements by (tenant, KPI, scope, member, grain, period start).

    `new`: the caller knows none of these rows exists yet (a KPI's first run, under the
    recompute's lock), so they are inserted without the conflict check, which costs about as
    much as the insert itself; the unique constraint still refuses a duplicate."""
    if not rows:
        return 0
    _kpis_hold(rows)
    if connection.vendor == "postgresql":
        return _postgres_upsert(rows, new=new)
    Measurement.objects.bulk_create(
        [Measurement(**dict(zip(COLUMNS, row, strict=True))) for row in rows],
        batch_size=2000,
        update_conflicts=True,
        unique_fields=["tenant", "kpi", "scope", "member", "grain", "period_start"],
        update_fields=["value", "previous_value", "last_year_value", "job", "computed_at"],
    )
    return len(rows)


class KpiGone(IntegrityError):
    """A batch names a KPI that no longer exists (deleted while the run computed)."""


def _kpis_hold(rows: list[Row]) -> None:
    """Check that every (tenant, KPI) of the batch exists and, on PostgreSQL, hold a key-share
    lock on those KPI rows until the transaction ends: what the foreign keys' checks did for
    each row (Measurement has no database constraint on them), once per batch. A KPI being
    deleted waits for the run; one deleted before fails the batch like the constraint."""
    wanted = {(r[0], r[1]) for r in rows}
    kpi_ids = sorted({kpi for _, kpi in wanted})
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT tenant_id, id FROM {Kpi._meta.db_table} WHERE id = ANY(%s) "
                "ORDER BY id FOR KEY SHARE",
                [kpi_ids],
            )
            found = set(cursor.fetchall())
    else:
        found = set(Kpi.objects.filter(pk__in=kpi_ids).values_list("tenant_id", "pk"))
    gone = sorted(kpi for tenant, kpi in wanted - found)
    if gone:
        raise KpiGone(
            f"KPI {', '.join(map(str, gone))} no longer exists (deleted during the run?): "
            "no measurement of this run is stored."
        )


STAGE = "koers_measurement_stage"


def _copy_text(rows: list[Row]) -> bytes:
    """The rows in COPY text format, formatted here with one f-string per row (psycopg's
    write_row costs several times more). Tenant, job and time are the run's constants and
    are formatted once; floats are written exactly (repr)."""

    def number(value) -> str:  # also numpy floats, whose str names the type
        return NULL if value is None else float.__repr__(float(value))

    def middle(r) -> str:
        return (
            f"{r[1]}\t{copy_value(r[2])}\t{copy_value(r[3])}\t{copy_value(r[4])}\t"
            f"{r[5].isoformat()}\t{number(r[6])}\t{number(r[7])}\t{number(r[8])}"
        )

    def tail(r) -> str:
        return f"\t{copy_value(r[9])}\t{r[10].isoformat()}\n"

    first = rows[0]
    if all((r[0], r[9], r[10]) == (first[0], first[9], first[10]) for r in rows):
        head, end = f"{first[0]}\t", tail(first)
        lines = (f"{head}{middle(r)}{end}" for r in rows)
    else:
        lines = (f"{r[0]}\t{middle(r)}{tail(r)}" for r in rows)
    return "".join(lines).encode()


def _postgres_upsert(rows: list[Row], *, new: bool) -> int:
    columns = ", ".join(COLUMNS)
    updated = [c for c in COLUMNS if c not in KEY]
    table = Measurement._meta.db_table
    conflict = (
        ""
        if new
        else f" ON CONFLICT ({', '.join(KEY)}) DO UPDATE SET "
        + ", ".join(f"{c} = excluded.{c}" for c in updated)
    )
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {STAGE}")
        cursor.execute(
            f"CREATE TEMP TABLE {STAGE} ON COMMIT DROP AS "
            f"SELECT {columns} FROM {table} WITH NO DATA"
        )
        with cursor.cursor.copy(f"COPY {STAGE} ({columns}) FROM STDIN") as copy:
            copy.write(_copy_text(rows))
        cursor.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {STAGE}{conflict}")
        cursor.execute(f"DROP TABLE {STAGE}")
    return len(rows)


class MeasurementWriter:
    """Upsert a run's measurements, batch by batch, all or nothing.

    write() hands over a batch; close() commits them all and raises the first error;
    abort() rolls them all back. On PostgreSQL in autocommit the batches are stored on a
    second connection while the caller computes the next (portal.db.background); inside a
    transaction (tests) or on SQLite they are kept and stored at close() in the caller's own
    transaction."""

    def __init__(self) -> None:
        self.count = 0
        self._kept: list[tuple[list[Row], bool]] = []
        self._beside = (
            background.BackgroundTransaction(name="koers-measurements")
            if (background.available())
            else None
        )

    def write(self, rows: list[Row], *, new: bool = False) -> None:
        if not rows:
            return
        self.count += len(rows)
        if self._beside is None:
            self._kept.append((rows, new))
        else:
            self._beside.submit(measurements_upsert, rows, new=new)

    def close(self) -> int:
        """Commit every batch; the number of rows written."""
        if self._beside is None:
            with transaction.atomic():
                for rows, new in self._kept:
                    measurements_upsert(rows, new=new)
        else:
            self._beside.commit()
        return self.count

    def abort(self) -> None:
        """Roll back every batch (the caller failed)."""
        self._kept = []
        if self._beside is not None:
            self._beside.abort()
