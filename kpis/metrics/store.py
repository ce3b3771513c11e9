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

import struct
from datetime import UTC, date, datetime, timedelta

from django.db import IntegrityError, connection, transaction

from kpis.models import Kpi, Measurement
from portal.db import background

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


# COPY's binary format (PostgreSQL's "Binary Format" of COPY): a header, per row the field
# count and each field as its length and bytes (-1: NULL), a trailer.
_HEADER = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)
_TRAILER = struct.pack(">h", -1)
_NULL = struct.pack(">i", -1)
_PG_EPOCH = date(2000, 1, 1)
_PG_EPOCH_TIME = datetime(2000, 1, 1, tzinfo=UTC)
_INT8 = struct.Struct(">iq")
_DATE = struct.Struct(">ii")
_FLOAT8 = struct.Struct(">id")
_DATE_3FLOAT8 = struct.Struct(">iiididid")  # a period start and three values, none NULL


def _copy_binary(rows: list[Row]) -> bytes:
    """The rows in COPY's binary format. Each (tenant, KPI, scope, member, grain) prefix is
    packed once (a member's periods follow each other) and so is the run's (job, time); per
    row one struct call packs the period and the three values (floats as they are, no text).
    The text format's per-value repr() cost a full run's writer a third of a second."""
    prefixes: dict[tuple, bytes] = {}
    suffixes: dict[tuple, bytes] = {}
    out = [_HEADER]
    append = out.append
    for r in rows:
        key = r[:5]
        prefix = prefixes.get(key)
        if prefix is None:
            prefix = prefixes[key] = b"".join(
                [struct.pack(">h", len(COLUMNS)), _INT8.pack(8, r[0]), _INT8.pack(8, r[1])]
                + [_text(value) for value in r[2:5]]
            )
        append(prefix)
        day = (r[5] - _PG_EPOCH).days
        value, previous, last_year = r[6], r[7], r[8]
        if value is None or previous is None or last_year is None:
            append(_DATE.pack(4, day))
            for number in (value, previous, last_year):
                append(_NULL if number is None else _FLOAT8.pack(8, number))
        else:
            append(_DATE_3FLOAT8.pack(4, day, 8, value, 8, previous, 8, last_year))
        end = r[9:11]
        suffix = suffixes.get(end)
        if suffix is None:
            job, at = end
            micros = (at - _PG_EPOCH_TIME) // timedelta(microseconds=1)
            suffix = suffixes[end] = (_NULL if job is None else _INT8.pack(8, job)) + _INT8.pack(
                8, micros
            )
        append(suffix)
    append(_TRAILER)
    return b"".join(out)


def _text(value: str) -> bytes:
    data = value.encode()
    return struct.pack(">i", len(data)) + data


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
        with cursor.cursor.copy(f"COPY {STAGE} ({columns}) FROM STDIN (FORMAT binary)") as copy:
            copy.write(_copy_binary(rows))
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
