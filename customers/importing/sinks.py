"""Where validated rows go: one upsert per import, set-based on each database.

PostgreSQL: COPY into a temporary table, then one UPDATE of the rows whose values differ and
one INSERT of the new ones (so a repeated import changes nothing).
SQLite: batched executemany of the same upsert.
Both run inside the caller's transaction: an error anywhere writes nothing.
"""

from __future__ import annotations

from contextlib import AbstractContextManager

from django.db import connection

from customers.importing.kinds import Kind
from portal.db.copytext import copy_value
from portal.models import Tenant

BATCH = 5000


def make_sink(kind: Kind, *, tenant: Tenant, dry_run: bool) -> AbstractContextManager:
    if dry_run:
        return NullSink()
    if connection.vendor == "postgresql":
        return PostgresSink(kind, tenant)
    return SqliteSink(kind, tenant)


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def upsert_sql(kind: Kind, source: str, distinct_op: str) -> str:
    columns = kind.target_columns()
    conflict = ["tenant_id", *kind.key]
    updated = [c for c in columns if c not in conflict]
    table = _q(kind.table)
    changed = " OR ".join(f"{table}.{_q(c)} {distinct_op} excluded.{_q(c)}" for c in updated)
    return (
        f"INSERT INTO {table} ({', '.join(map(_q, columns))}) {source} "
        f"ON CONFLICT ({', '.join(map(_q, conflict))}) DO UPDATE SET "
        + ", ".join(f"{_q(c)} = excluded.{_q(c)}" for c in updated)
        + f" WHERE {changed}"
    )


class NullSink(AbstractContextManager):
    def add(self, row: tuple) -> None:
        pass

    def finish(self) -> tuple[int, int]:
        return 0, 0

    def __exit__(self, *exc) -> None:
        return None


class PostgresSink(AbstractContextManager):
    """COPY into a temporary table in chunks, then merge into the real table: one UPDATE of
    the rows whose values differ and one INSERT of the new ones (instead of one INSERT ...
    ON CONFLICT, whose speculative insertion costs about as much again per row). Imports of
    one kind for one tenant wait for each other (a lock until commit), so no other import
    adds the same keys in between.

    PostgreSQL refuses COPY FROM into a table with row-level security for a role subject to it,
    hence the temporary table. Each chunk is its own short COPY, so that between chunks the
    connection is free for other statements (the import's progress is saved on its JobRun while
    rows are read: an open COPY would hold the connection and deadlock that save).
    """

    STAGE = "koers_import_stage"
    CHUNK = 5000

    def __init__(self, kind: Kind, tenant: Tenant):
        self.kind = kind
        self.tenant_id = tenant.pk
        self.columns = kind.target_columns()

    def __enter__(self):
        self.cursor = connection.cursor()
        self.cols = ", ".join(map(_q, self.columns))
        self.cursor.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))",
            [f"koers-import:{self.kind.name}:{self.tenant_id}"],
        )
        self.cursor.execute(f"DROP TABLE IF EXISTS {self.STAGE}")
        self.cursor.execute(
            f"CREATE TEMP TABLE {self.STAGE} ON COMMIT DROP AS "
            f"SELECT {self.cols} FROM {_q(self.kind.table)} WITH NO DATA"
        )
        self.buffer: list[str] = []
        return self

    def add(self, row: tuple) -> None:
        self.buffer.append("\t".join(map(copy_value, row)))
        if len(self.buffer) >= self.CHUNK:
            self._write_buffer()

    def _write_buffer(self) -> None:
        if self.buffer:
            with self.cursor.cursor.copy(f"COPY {self.STAGE} ({self.cols}) FROM STDIN") as copy:
                copy.write("\n".join(self.buffer) + "\n")
            self.buffer = []

    def finish(self) -> tuple[int, int]:
        """Merge the staged rows into the table: (created, updated)."""
        self._write_buffer()
        kind, stage, cursor = self.kind, self.STAGE, self.cursor
        table = _q(kind.table)
        key = ["tenant_id", *kind.key]
        updated_columns = [c for c in self.columns if c not in key]
        match = " AND ".join(f"t.{_q(c)} = s.{_q(c)}" for c in key)
        cursor.execute(f"ANALYZE {stage}")
        updated = 0
        if updated_columns:
            changed = " OR ".join(f"t.{_q(c)} IS DISTINCT FROM s.{_q(c)}" for c in updated_columns)
            cursor.execute(
                f"WITH up AS (UPDATE {table} t SET "
                + ", ".join(f"{_q(c)} = s.{_q(c)}" for c in updated_columns)
                + f" FROM {stage} s WHERE {match} AND ({changed}) RETURNING 1) "
                "SELECT count(*) FROM up"
            )
            updated = cursor.fetchone()[0]
        cursor.execute(
            f"INSERT INTO {table} ({self.cols}) SELECT {self.cols} FROM {stage} s "
            f"WHERE NOT EXISTS (SELECT 1 FROM {table} t WHERE {match})"
        )
        return cursor.rowcount, updated

    def __exit__(self, exc_type, exc, tb) -> None:
        self.cursor.close()
        return None


class SqliteSink(AbstractContextManager):
    def __init__(self, kind: Kind, tenant: Tenant):
        self.kind = kind
        self.batch: list[tuple] = []
        self.created = 0
        self.updated = 0
        self.existing = set(kind.model.objects.filter(tenant=tenant).values_list(*kind.key))
        columns = kind.target_columns()
        self.key_positions = [columns.index(k) for k in kind.key]
        fields = {f.column: f for f in kind.model._meta.concrete_fields}
        # The ORM's own conversion (aware datetimes to UTC, decimals to text) for raw SQL.
        self.prepare = [fields[c].get_db_prep_save for c in columns]
        placeholders = ", ".join(["%s"] * len(columns))
        self.sql = upsert_sql(kind, f"VALUES ({placeholders})", "IS NOT")

    def __enter__(self):
        self.cursor = connection.cursor()
        return self

    def add(self, row: tuple) -> None:
        self.batch.append(row)
        if len(self.batch) >= BATCH:
            self._flush()

    def _flush(self) -> None:
        if not self.batch:
            return
        new = sum(
            1
            for row in self.batch
            if tuple(row[p] for p in self.key_positions) not in self.existing
        )
        prepared = [
            tuple(prep(value, connection) for prep, value in zip(self.prepare, row, strict=True))
            for row in self.batch
        ]
        before = connection.connection.total_changes
        self.cursor.executemany(self.sql, prepared)
        changes = connection.connection.total_changes - before
        self.created += new
        self.updated += changes - new
        self.batch = []

    def finish(self) -> tuple[int, int]:
        self._flush()
        return self.created, self.updated

    def __exit__(self, *exc) -> None:
        self.cursor.close()
        return None
