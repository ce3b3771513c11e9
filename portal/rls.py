"""PostgreSQL row-level security: the second wall behind the application-level scoping.

Every tenant-owned table (every concrete model with a `tenant` foreign key to `portal.Tenant`,
through tables included) has row-level security ENABLEd and FORCEd and one policy:

    tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::bigint

A connection without the setting (or with it empty) compares with NULL: no rows are visible and
no row can be written. Never all rows. The setting is maintained by the database backend
(`portal.db.base.DatabaseWrapper.rls_sync`) from the active tenant of `portal.tenancy` before
every cursor: transaction-local (`set_config(..., true)`) inside a transaction, session-level in
autocommit, re-checked after every commit, rollback and reconnect, so a reused connection never
keeps another tenant's value.

Memberships have one addition: with *no* tenant active, a user's own memberships are visible
(`app.user_id`), so the page that lists a user's tenants works. Writes still need the tenant.

The policies are created by the migration `portal.0007_row_level_security` and, for tables that
later migrations of any app create, by a `post_migrate` handler (`rls_apply`), both idempotent.
The application connects as a role that neither owns the tables nor has BYPASSRLS
(docs/security.md); migrations run as the owner.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.apps import apps as global_apps
from django.db import models

POLICY = "koers_tenant_isolation"
TENANT = "NULLIF(current_setting('app.tenant_id', true), '')::bigint"
USER = "NULLIF(current_setting('app.user_id', true), '')::bigint"
TENANT_RULE = f"tenant_id = {TENANT}"
# Rows visible to a user outside any tenant: their own memberships (choosing a tenant).
EXTRA_READ_RULES = {
    "portal_membership": f"({TENANT} IS NULL AND user_id = {USER})",
}


def tenant_owned_tables(apps=global_apps) -> list[str]:
    """The database tables of every concrete model that carries its own tenant."""
    tables = []
    for model in apps.get_models(include_auto_created=True):
        meta = model._meta
        if meta.abstract or meta.proxy or not meta.managed:
            continue
        field = next((f for f in meta.concrete_fields if f.name == "tenant"), None)
        if field is None or not isinstance(field, models.ForeignKey):
            continue
        target = field.related_model
        if (target._meta.app_label, target._meta.model_name) != ("portal", "tenant"):
            continue
        tables.append(meta.db_table)
    return sorted(set(tables))


def policy_sql(table: str, quote) -> list[str]:
    using = TENANT_RULE
    if table in EXTRA_READ_RULES:
        using = f"{TENANT_RULE} OR {EXTRA_READ_RULES[table]}"
    name = quote(table)
    return [
        f"ALTER TABLE {name} ENABLE ROW LEVEL SECURITY",
        f"ALTER TABLE {name} FORCE ROW LEVEL SECURITY",
        f"DROP POLICY IF EXISTS {POLICY} ON {name}",
        f"CREATE POLICY {POLICY} ON {name} USING ({using}) WITH CHECK ({TENANT_RULE})",
    ]


def rls_status(connection, tables: Iterable[str]) -> dict[str, tuple[bool, bool, bool]]:
    """(enabled, forced, has our policy) per existing table."""
    tables = list(tables)
    if not tables:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity,
                   EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = c.oid AND p.polname = %s)
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = current_schema() AND c.relkind = 'r' AND c.relname = ANY(%s)
            """,
            [POLICY, tables],
        )
        return {row[0]: (row[1], row[2], row[3]) for row in cursor.fetchall()}


def rls_apply(connection, apps=global_apps, *, force: bool = False) -> list[str]:
    """Enable, force and attach the policy on every existing tenant-owned table that lacks it.

    Idempotent; returns the tables changed. `force` recreates every policy (after a change of
    the rule itself). A no-op on other databases than PostgreSQL.
    """
    if connection.vendor != "postgresql":
        return []
    wanted = tenant_owned_tables(apps)
    status = rls_status(connection, wanted)
    todo = [t for t, state in status.items() if force or not all(state)]
    if todo:
        with connection.cursor() as cursor:
            for table in todo:
                for sql in policy_sql(table, connection.ops.quote_name):
                    cursor.execute(sql)
    return todo


def app_role_grant(connection, role: str) -> None:
    """Let the application role read and write rows (no DDL, no TRUNCATE, not the owner)."""
    if connection.vendor != "postgresql" or not role:
        return
    role = connection.ops.quote_name(role)
    with connection.cursor() as cursor:
        cursor.execute(
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}"
        )
        cursor.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}")
