"""The schema rules that let the database be distributed by tenant on Citus (docs/scaling.md).

Citus shards a distributed table by one column (here `tenant_id`) and enforces a primary or
unique key, or a foreign key between distributed tables, only when it includes that column;
a reference table (copied to every node) may not point at a distributed one. So:

1. every tenant-owned model carries a non-null `tenant` (the distribution column);
2. every unique key of a tenant-owned table includes `tenant_id`; the one documented
   exception is the surrogate `id` primary key, which becomes (tenant_id, id) when the
   table is distributed (see EXCEPTIONS);
3. no foreign key crosses from a tenant's rows to shared rows other than the documented
   global (reference) tables, and no global table points at tenant-owned rows;
4. many-to-many links between tenant-owned models go through tenant-owned tables.

Checked twice: on the models, and on the constraints of the migrated database (whatever the
migrations created, raw SQL included), on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import pytest
from django.apps import apps
from django.db import connection

from portal.tenancy import TenantOwned

# Tables shared by all tenants: reference tables on Citus (or, for Django's own bookkeeping,
# tables kept on the coordinator). Tenant-owned rows may point at these, never the reverse.
GLOBAL_MODELS = {
    "portal.Tenant": "the tenants themselves: the distribution key's own table, a reference table",
    "auth.User": "one login may be a member of several tenants; a reference table",
    "auth.Group": "Django's permissions (admin only)",
    "auth.Permission": "Django's permissions (admin only)",
    "auth.User_groups": "Django's permissions (admin only)",
    "auth.User_user_permissions": "Django's permissions (admin only)",
    "auth.Group_permissions": "Django's permissions (admin only)",
    "contenttypes.ContentType": "Django's model registry",
    "admin.LogEntry": "Django admin history of superusers, across tenants",
    "sessions.Session": "login sessions, not tenant data",
    "axes.AccessAttempt": "failed logins by user name and address, before a tenant is known",
    "axes.AccessAttemptExpiration": "failed logins by user name and address (django-axes)",
    "axes.AccessFailureLog": "failed logins by user name and address (django-axes)",
    "axes.AccessLog": "logins by user name and address (django-axes)",
}

# Unique keys of tenant-owned tables without tenant_id, and why they are acceptable.
EXCEPTIONS = {
    "primary key (id)": (
        "Every table keeps Django's surrogate `id` as its primary key (ids come from one "
        "sequence, so they are unique across tenants). When a table is distributed, its "
        "primary key is re-declared as (tenant_id, id) and foreign keys between tenant "
        "tables as (tenant_id, x_id) -> (tenant_id, id): docs/scaling.md, step 3."
    ),
}


def tenant_models():
    return [m for m in apps.get_models(include_auto_created=True) if issubclass(m, TenantOwned)]


def global_models():
    return [m for m in apps.get_models(include_auto_created=True) if not issubclass(m, TenantOwned)]


GLOBAL_TABLES = {m._meta.db_table for m in global_models() if m._meta.label in GLOBAL_MODELS}


def test_the_tenant_owned_models_are_the_data_of_the_portal():
    labels = {m._meta.label for m in tenant_models()}
    # A sample that must stay tenant-owned (a model moved out of TenantOwned would escape
    # every rule below): the customers' data, the KPIs and their measurements, memberships.
    assert {
        "customers.Order",
        "customers.Customer",
        "customers.WebActivity",
        "kpis.Measurement",
        "kpis.Kpi",
        "portal.Membership",
        "personas.Persona",
        "roadmap.RoadmapItem",
    } <= labels
    # Everything else is global and documented.
    undocumented = {m._meta.label for m in global_models()} - set(GLOBAL_MODELS)
    assert not undocumented, f"global models without a documented reason: {undocumented}"


@pytest.mark.parametrize("model", tenant_models(), ids=lambda m: m._meta.label)
def test_every_tenant_owned_model_carries_its_tenant(model):
    field = model._meta.get_field("tenant")
    assert field.column == "tenant_id" and not field.null
    assert field.related_model._meta.label == "portal.Tenant"


@pytest.mark.parametrize("model", tenant_models(), ids=lambda m: m._meta.label)
def test_every_unique_key_of_a_model_includes_the_tenant(model):
    opts = model._meta
    keys = [
        tuple(c.fields)
        for c in opts.constraints
        if getattr(c, "fields", None) and c.__class__.__name__ == "UniqueConstraint"
    ]
    keys += [tuple(t) for t in opts.unique_together]
    keys += [(f.name,) for f in opts.concrete_fields if f.unique and not f.primary_key]
    missing = [key for key in keys if "tenant" not in key]
    assert not missing, f"{opts.label}: unique without tenant: {missing}"
    assert opts.pk.name == "id", "a primary key other than id needs its own rule"


@pytest.mark.parametrize("model", tenant_models(), ids=lambda m: m._meta.label)
def test_foreign_keys_stay_inside_the_tenant_or_point_at_global_tables(model):
    for field in model._meta.concrete_fields:
        if not field.is_relation:
            continue
        target = field.related_model
        assert issubclass(target, TenantOwned) or target._meta.label in GLOBAL_MODELS, (
            f"{model._meta.label}.{field.name} points at {target._meta.label}, neither "
            "tenant-owned nor a documented global model"
        )
    for field in model._meta.local_many_to_many:
        through = field.remote_field.through
        if issubclass(field.related_model, TenantOwned):
            assert issubclass(through, TenantOwned), (
                f"{model._meta.label}.{field.name}: the link table {through._meta.label} "
                "needs a tenant to be co-located with both sides"
            )


@pytest.mark.parametrize("model", global_models(), ids=lambda m: m._meta.label)
def test_global_tables_never_point_at_tenant_rows(model):
    for field in model._meta.concrete_fields:
        if field.is_relation:
            assert not issubclass(field.related_model, TenantOwned), (
                f"{model._meta.label}.{field.name}: a reference table cannot point at a "
                "distributed one"
            )


@pytest.mark.django_db
def test_the_migrated_database_follows_the_same_rules():
    """The constraints as the database has them (after every migration, raw SQL included)."""
    tenant_tables = {m._meta.db_table for m in tenant_models()}
    problems = []
    seen = {"primary": 0, "unique": 0, "foreign": 0}
    with connection.cursor() as cursor:
        for table in sorted(tenant_tables):
            constraints = connection.introspection.get_constraints(cursor, table)
            for name, info in constraints.items():
                columns = info["columns"] or []
                for kind, key in (("primary", "primary_key"), ("unique", "unique")):
                    seen[kind] += bool(info[key])
                seen["foreign"] += bool(info["foreign_key"])
                if info["primary_key"]:
                    if columns != ["id"]:
                        problems.append(f"{table}: primary key {columns}")
                    continue  # EXCEPTIONS["primary key (id)"]
                if info["unique"] and "tenant_id" not in columns:
                    problems.append(f"{table}: unique {name} {columns} without tenant_id")
                if info["foreign_key"]:
                    target = info["foreign_key"][0]
                    if target not in tenant_tables and target not in GLOBAL_TABLES:
                        problems.append(f"{table}: {name} points at {target}")
        for table in sorted(GLOBAL_TABLES):
            for name, info in connection.introspection.get_constraints(cursor, table).items():
                if info["foreign_key"] and info["foreign_key"][0] in tenant_tables:
                    problems.append(f"global {table}: {name} points at a tenant table")
    assert not problems, "\n".join(problems)
    # The rules were checked on real constraints: a key per table, and the schema's many
    # tenant-scoped unique keys and foreign keys.
    assert seen["primary"] == len(tenant_tables)
    assert seen["unique"] >= len(tenant_tables) // 2 and seen["foreign"] > len(tenant_tables)


def test_the_exception_list_stays_small_and_explained():
    assert len(EXCEPTIONS) <= 3 and all(len(reason) > 40 for reason in EXCEPTIONS.values())
