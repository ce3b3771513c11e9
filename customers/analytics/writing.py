"""Writing tens of thousands of analytics rows at once.

The nightly run writes one row per customer; through the ORM (`bulk_create` with
`update_conflicts`) 20,000 rows cost seconds of SQL compilation alone. On PostgreSQL the
columns are streamed with COPY into a temporary table and upserted from there in one
statement; other databases (SQLite in development and tests) use `bulk_create`.

Columns are given by attribute name (`customer_id`, not `customer`), each a list of Python
values of equal length (None for NULL).
"""

from __future__ import annotations

import json

from django.db import connection, models


def _db_columns(model: type[models.Model], columns: dict[str, list]) -> list[str]:
    return [model._meta.get_field(name).column for name in columns]


def _copy(cursor, table: str, names: list[str], model, columns: dict[str, list]) -> None:
    json_columns = {
        name for name in columns if isinstance(model._meta.get_field(name), models.JSONField)
    }
    values = [
        [json.dumps(v) for v in column] if name in json_columns else column
        for name, column in columns.items()
    ]
    quoted = ", ".join(connection.ops.quote_name(n) for n in names)
    with cursor.copy(f"COPY {table} ({quoted}) FROM STDIN") as copy:
        for row in zip(*values, strict=True):
            copy.write_row(row)


def _objects(model, columns: dict[str, list]) -> list[models.Model]:
    names = list(columns)
    return [
        model(**dict(zip(names, row, strict=True))) for row in zip(*columns.values(), strict=True)
    ]


def rows_insert(model: type[models.Model], columns: dict[str, list]) -> int:
    """Insert the rows; returns how many."""
    count = len(next(iter(columns.values()), []))
    if not count:
        return 0
    if connection.vendor != "postgresql":
        model.objects.bulk_create(_objects(model, columns), batch_size=2000)
        return count
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    stage = quote(f"stage_{model._meta.db_table}")
    names = _db_columns(model, columns)
    quoted = ", ".join(quote(n) for n in names)
    # Row-level security refuses COPY FROM into the table itself: COPY into a temporary table.
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {stage}")
        cursor.execute(
            f"CREATE TEMPORARY TABLE {stage} AS SELECT {quoted} FROM {table} WITH NO DATA"
        )
        _copy(cursor.cursor, stage, names, model, columns)
        cursor.execute(f"INSERT INTO {table} ({quoted}) SELECT {quoted} FROM {stage}")
        cursor.execute(f"DROP TABLE {stage}")
    return count


def rows_upsert(
    model: type[models.Model], columns: dict[str, list], *, unique: tuple[str, ...]
) -> int:
    """Insert the rows, or update every given column of the row with the same `unique`
    columns (which must carry a unique constraint); returns how many."""
    count = len(next(iter(columns.values()), []))
    if not count:
        return 0
    updates = [name for name in columns if name not in unique]
    if connection.vendor != "postgresql":
        field = model._meta.get_field
        model.objects.bulk_create(
            _objects(model, columns),
            batch_size=2000,
            update_conflicts=True,
            unique_fields=[field(name).name for name in unique],
            update_fields=[field(name).name for name in updates],
        )
        return count
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    stage = quote(f"stage_{model._meta.db_table}")
    names = _db_columns(model, columns)
    quoted = ", ".join(quote(n) for n in names)
    conflict = ", ".join(quote(model._meta.get_field(n).column) for n in unique)
    assignments = ", ".join(
        f"{quote(model._meta.get_field(n).column)} = EXCLUDED.{quote(model._meta.get_field(n).column)}"
        for n in updates
    )
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {stage}")
        cursor.execute(
            f"CREATE TEMPORARY TABLE {stage} AS SELECT {quoted} FROM {table} WITH NO DATA"
        )
        _copy(cursor.cursor, stage, names, model, columns)
        cursor.execute(
            f"INSERT INTO {table} ({quoted}) SELECT {quoted} FROM {stage} "
            f"ON CONFLICT ({conflict}) DO UPDATE SET {assignments}"
        )
        cursor.execute(f"DROP TABLE {stage}")
    return count
