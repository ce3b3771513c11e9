"""The triggers that mark a tenant's facts snapshot stale (kpis.FactsSnapshot).

A statement that inserts, changes or deletes an order or a web-activity row dated before the
snapshot's boundary sets `stale`: the snapshot no longer holds the facts of those months.
Rows dated from the boundary on (the open month: every day's imports) leave it alone.

PostgreSQL: statement-level triggers with transition tables (one aggregate per statement, so
a million-row import pays once). SQLite: row-level triggers (tests and the demo).
Used by migration kpis.0005; `create(schema_editor)` / `drop(schema_editor)`.
"""

from __future__ import annotations

SNAPSHOT = "kpis_factssnapshot"
TABLES = (("customers_order", "placed_at"), ("customers_webactivity", "occurred_at"))
EVENTS = {  # event -> the transition tables it has
    "INSERT": ("new_rows",),
    "UPDATE": ("old_rows", "new_rows"),
    "DELETE": ("old_rows",),
}


def _name(table: str, event: str) -> str:
    return f"koers_stale_{table.split('_', 1)[1]}_{event.lower()}"


def _postgres(table: str, column: str, event: str) -> tuple[str, str]:
    name = _name(table, event)
    rows = " UNION ALL ".join(f"SELECT tenant_id, {column} AS at FROM {t}" for t in EVENTS[event])
    referencing = " ".join(
        f"{'OLD' if t == 'old_rows' else 'NEW'} TABLE AS {t}" for t in EVENTS[event]
    )
    create = f"""
CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE {SNAPSHOT} AS s SET stale = true
  FROM (SELECT tenant_id, min(at) AS earliest FROM ({rows}) AS r GROUP BY tenant_id) AS c
  WHERE s.tenant_id = c.tenant_id AND NOT s.stale AND c.earliest < s.boundary_at;
  RETURN NULL;
END $$;
CREATE TRIGGER {name} AFTER {event} ON {table} REFERENCING {referencing}
  FOR EACH STATEMENT EXECUTE FUNCTION {name}();
"""
    drop = f"DROP TRIGGER IF EXISTS {name} ON {table}; DROP FUNCTION IF EXISTS {name}();"
    return create, drop


def _sqlite(table: str, column: str, event: str) -> list[tuple[str, str]]:
    name = _name(table, event)
    out = []
    for side in {"INSERT": ("NEW",), "UPDATE": ("OLD", "NEW"), "DELETE": ("OLD",)}[event]:
        trigger = f"{name}_{side.lower()}"
        out.append(
            (
                f"CREATE TRIGGER {trigger} AFTER {event} ON {table} BEGIN "
                f"UPDATE {SNAPSHOT} SET stale = 1 WHERE tenant_id = {side}.tenant_id "
                f"AND stale = 0 AND {side}.{column} < boundary_at; END",
                f"DROP TRIGGER IF EXISTS {trigger}",
            )
        )
    return out


def statements(vendor: str) -> list[tuple[str, str]]:
    """(create, drop) statements for the vendor; none for other databases."""
    out = []
    for table, column in TABLES:
        for event in EVENTS:
            if vendor == "postgresql":
                out.append(_postgres(table, column, event))
            elif vendor == "sqlite":
                out.extend(_sqlite(table, column, event))
    return out


def create(apps, schema_editor) -> None:
    for sql, _ in statements(schema_editor.connection.vendor):
        schema_editor.execute(sql)
    if schema_editor.connection.vendor == "postgresql":
        # Stored as it is: the arrays are packed already, and pglz would cost more time to
        # (de)compress tens of megabytes than it saves in reading them.
        schema_editor.execute(f"ALTER TABLE {SNAPSHOT} ALTER COLUMN data SET STORAGE EXTERNAL")


def drop(apps, schema_editor) -> None:
    for _, sql in statements(schema_editor.connection.vendor):
        schema_editor.execute(sql)
