"""PostgreSQL row-level security, the second wall (portal.rls, docs/security.md).

Runs in the PostgreSQL run of `make test` (marked integration: SQLite has no RLS)."""

from __future__ import annotations

import pytest
from django.db import connection, connections, transaction
from django.db.utils import ProgrammingError
from django_scopes import scopes_disabled

from portal import rls
from portal.models import GlossaryTerm
from portal.tenancy import tenant_context, unscoped
from tests.tenant_objects import TenantObjects, tenant_owned_models

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.fail("row-level security tests run on PostgreSQL (make test runs them there)")


@pytest.fixture
def two_tenants(tenant, other_tenant):
    return TenantObjects(tenant, "aaa"), TenantObjects(other_tenant, "bbb")


def raw_tenant_ids(table: str) -> set[int]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT DISTINCT tenant_id FROM {connection.ops.quote_name(table)}")  # noqa: S608
        return {row[0] for row in cursor.fetchall()}


def test_every_tenant_owned_table_has_row_level_security_forced_with_the_policy():
    tables = {model._meta.db_table for model in tenant_owned_models()}
    assert tables == set(rls.tenant_owned_tables())
    status = rls.rls_status(connection, tables)
    assert set(status) == tables, "every tenant-owned table exists"
    missing = sorted(t for t, state in status.items() if state != (True, True, True))
    assert not missing, f"row-level security is not enabled+forced with {rls.POLICY}: {missing}"
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tablename, qual, with_check FROM pg_policies WHERE policyname = %s",
            [rls.POLICY],
        )
        for table, qual, with_check in cursor.fetchall():
            assert "current_setting('app.tenant_id'::text, true)" in qual, table
            assert "current_setting('app.tenant_id'::text, true)" in with_check, table


def test_the_application_role_owns_nothing_and_cannot_bypass_row_level_security():
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
        assert cursor.fetchone() == (False, False)
        cursor.execute(
            "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tableowner = current_user"
        )
        assert cursor.fetchone()[0] == 0
        with pytest.raises(ProgrammingError), transaction.atomic():
            cursor.execute("ALTER TABLE portal_glossaryterm DISABLE ROW LEVEL SECURITY")


def test_row_level_security_alone_hides_the_other_tenants_rows(two_tenants, tenant, other_tenant):
    """Application-level scoping off (scopes_disabled, no tenant filter in the SQL): every
    tenant-owned table still shows the active tenant's rows only."""
    with tenant_context(tenant), scopes_disabled():
        for model in tenant_owned_models():
            assert raw_tenant_ids(model._meta.db_table) == {tenant.pk}, model._meta.label
            assert {o.tenant_id for o in model.objects.all()} == {tenant.pk}, model._meta.label
    with tenant_context(other_tenant), scopes_disabled():
        assert {t.tenant_id for t in GlossaryTerm.objects.all()} == {other_tenant.pk}


def test_without_a_tenant_no_row_is_visible(two_tenants):
    with unscoped():  # application-level scoping off, no tenant: RLS sees nothing at all
        for model in tenant_owned_models():
            assert raw_tenant_ids(model._meta.db_table) == set(), model._meta.label
            assert model.objects.count() == 0, model._meta.label
    with connection.cursor() as cursor:  # even when set by hand to nothing
        cursor.execute("SELECT set_config('app.tenant_id', '', false)")
        cursor.execute("SELECT count(*) FROM portal_glossaryterm")
        assert cursor.fetchone()[0] == 0


def test_a_row_of_another_tenant_cannot_be_written(two_tenants, tenant, other_tenant):
    refused = pytest.raises(ProgrammingError, match="row-level security")
    with tenant_context(tenant), refused, transaction.atomic():
        GlossaryTerm(tenant=other_tenant, term="sneaky", definition="x").save()
    term = two_tenants[1].objects[GlossaryTerm]
    with tenant_context(tenant), scopes_disabled():
        # An UPDATE or DELETE aimed at the other tenant's row touches nothing.
        assert GlossaryTerm.objects.filter(pk=term.pk).update(term="changed") == 0
        assert GlossaryTerm.objects.filter(pk=term.pk).delete()[0] == 0
    with tenant_context(other_tenant):
        assert GlossaryTerm.objects.get(pk=term.pk).term == term.term


def current_setting() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('app.tenant_id', true)")
        return cursor.fetchone()[0] or ""


def test_the_setting_follows_the_active_tenant_and_is_cleared_after_it(tenant, other_tenant):
    with tenant_context(tenant):
        assert current_setting() == str(tenant.pk)
        with tenant_context(other_tenant):
            assert current_setting() == str(other_tenant.pk)
        assert current_setting() == str(tenant.pk)
    assert current_setting() == ""


@pytest.mark.django_db(transaction=True)
def test_a_reused_connection_never_keeps_a_previous_tenants_setting(tenant, other_tenant):
    # Autocommit: the value is set for the session; the next user of the connection resets it.
    with tenant_context(tenant):
        assert current_setting() == str(tenant.pk)
    assert current_setting() == ""
    # Inside a transaction that rolls back, the transaction-local value goes with it.
    with tenant_context(other_tenant):
        with transaction.atomic():
            assert current_setting() == str(other_tenant.pk)
            transaction.set_rollback(True)
        assert current_setting() == str(other_tenant.pk)
    # A dropped connection is reopened inside the tenant: the new one gets the value too.
    with tenant_context(tenant):
        connection.close()
        assert current_setting() == str(tenant.pk)
    assert current_setting() == ""


@pytest.mark.django_db(transaction=True, databases="__all__")
def test_post_migrate_puts_back_a_missing_policy():
    owner = connections["owner"]
    with owner.cursor() as cursor:
        cursor.execute(f"DROP POLICY {rls.POLICY} ON portal_glossaryterm")
        cursor.execute("ALTER TABLE portal_glossaryterm NO FORCE ROW LEVEL SECURITY")
    assert rls.rls_status(owner, ["portal_glossaryterm"])["portal_glossaryterm"] == (
        True,
        False,
        False,
    )
    assert rls.rls_apply(owner) == ["portal_glossaryterm"]
    assert rls.rls_status(owner, ["portal_glossaryterm"])["portal_glossaryterm"] == (
        True,
        True,
        True,
    )


def test_the_system_check_passes_for_the_application_role():
    from portal.checks import rls_applies_to_the_application_role

    assert rls_applies_to_the_application_role(databases=["default"]) == []
