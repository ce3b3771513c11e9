"""Fail-closed tenancy: no active tenant, no rows; every model keeps the tenant in its keys."""

import pytest
from django.apps import apps
from django.db import connection, models

from portal.models import Department, GlossaryTerm, JobRun, Membership, Tenant
from portal.tenancy import ScopeError, current_tenant, tenant_context, unscoped
from tests.factories import GlossaryTermFactory

pytestmark = pytest.mark.django_db


def tenant_owned_models() -> list[type[models.Model]]:
    found = []
    for model in apps.get_models():
        field = next((f for f in model._meta.fields if f.name == "tenant"), None)
        if field is not None and field.related_model is Tenant:
            found.append(model)
    return found


def test_the_sweep_finds_the_tenant_owned_models():
    found = set(tenant_owned_models())
    assert {Membership, Department, GlossaryTerm, JobRun} <= found


@pytest.mark.parametrize("model", tenant_owned_models(), ids=lambda m: m._meta.label)
def test_querying_a_tenant_owned_model_without_active_tenant_raises(model):
    with pytest.raises(ScopeError):
        list(model.objects.all())
    with pytest.raises(ScopeError):
        model.objects.filter(pk=1).exists()
    with pytest.raises(ScopeError):
        model.objects.count()


def test_active_tenant_sees_only_its_own_rows(tenant, other_tenant):
    GlossaryTermFactory(tenant=tenant, term="Customer")
    GlossaryTermFactory(tenant=other_tenant, term="Klant")
    with tenant_context(tenant):
        assert [t.term for t in GlossaryTerm.objects.all()] == ["Customer"]
        assert current_tenant() == tenant
    with tenant_context(other_tenant):
        assert [t.term for t in GlossaryTerm.objects.all()] == ["Klant"]


def test_tenant_context_refuses_a_missing_tenant():
    with pytest.raises(ScopeError), tenant_context(None):
        pass
    with pytest.raises(ScopeError), tenant_context(Tenant(slug="unsaved")):
        pass


def test_current_tenant_raises_outside_a_tenant_context():
    with pytest.raises(ScopeError):
        current_tenant()


def test_the_scope_ends_with_the_block(tenant):
    with tenant_context(tenant):
        pass
    with pytest.raises(ScopeError):
        GlossaryTerm.objects.count()


def test_unscoped_crosses_tenants_explicitly(tenant, other_tenant):
    GlossaryTermFactory(tenant=tenant)
    GlossaryTermFactory(tenant=other_tenant)
    with unscoped():
        # On PostgreSQL row-level security still hides both rows from the application role
        # (tests/test_rls.py); SQLite has the application-level scoping only.
        assert GlossaryTerm.objects.count() == (0 if connection.vendor == "postgresql" else 2)
        with pytest.raises(ScopeError):
            current_tenant()


@pytest.mark.parametrize("model", tenant_owned_models(), ids=lambda m: m._meta.label)
def test_every_unique_key_of_a_tenant_owned_model_starts_with_tenant(model):
    meta = model._meta
    for constraint in meta.constraints:
        if isinstance(constraint, models.UniqueConstraint):
            assert constraint.fields[0] == "tenant", f"{meta.label}: {constraint.name}"
    for fields in meta.unique_together:
        assert fields[0] == "tenant", f"{meta.label}: unique_together {fields}"
    for field in meta.fields:
        if field.unique and not field.primary_key:
            pytest.fail(f"{meta.label}.{field.name} is unique without the tenant")


@pytest.mark.parametrize("model", tenant_owned_models(), ids=lambda m: m._meta.label)
def test_every_index_of_a_tenant_owned_model_leads_with_tenant(model):
    for index in model._meta.indexes:
        assert index.fields[0].lstrip("-") == "tenant", f"{model._meta.label}: {index.name}"


@pytest.mark.parametrize("model", tenant_owned_models(), ids=lambda m: m._meta.label)
def test_every_tenant_owned_model_has_a_fail_closed_default_manager(model):
    with pytest.raises(ScopeError):
        model._default_manager.exists()
    with pytest.raises(ScopeError):
        model._default_manager.exclude(pk=0).first()


@pytest.mark.parametrize("model", tenant_owned_models(), ids=lambda m: m._meta.label)
def test_every_tenant_owned_table_has_an_index_that_leads_with_tenant(model):
    meta = model._meta
    leading = [i.fields[0].lstrip("-") for i in meta.indexes] + [
        c.fields[0] for c in meta.constraints if isinstance(c, models.UniqueConstraint)
    ]
    assert "tenant" in leading, f"{meta.label} has no index starting with tenant"
