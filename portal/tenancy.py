"""Fail-closed tenancy.

The active tenant lives in a ContextVar (django-scopes' own, plus ours for the tenant object).
It is set in exactly three places: `TenantMiddleware` for pages and the API, the Celery task
base (`portal.tasks.TenantTask`) and management commands (`--tenant`), all through
`tenant_context`. Tenant-owned models declare `objects = TenantManager()`; querying them with
no active tenant raises `ScopeError`. Crossing tenants needs an explicit `unscoped()` block.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING

from django.db import models
from django_scopes import ScopedManager, ScopeError, scope, scopes_disabled
from django_scopes.manager import DisabledQuerySet

from portal.context import (
    Actor,
    current_actor,
    current_actor_var,
    current_tenant_id,
    current_tenant_var,
)
from portal.pagecache import flush_writes

if TYPE_CHECKING:
    from portal.models import Tenant

__all__ = [
    "Actor",
    "ScopeError",
    "TenantManager",
    "TenantOwned",
    "acting_as",
    "current_actor",
    "current_tenant",
    "current_tenant_id",
    "tenant_context",
    "unscoped",
]

_current_tenant: ContextVar[Tenant | None] = current_tenant_var
_current_actor: ContextVar[Actor | None] = current_actor_var


class _FailClosedQuerySet(DisabledQuerySet):
    """django-scopes' disabled queryset, with the few read paths it leaves open closed too."""

    exists = DisabledQuerySet.error
    aexists = DisabledQuerySet.error
    contains = DisabledQuerySet.error
    explain = DisabledQuerySet.error
    in_bulk = DisabledQuerySet.error
    exclude = DisabledQuerySet.error
    bulk_update = DisabledQuerySet.error


def TenantManager(manager_class: type[models.Manager] = models.Manager) -> models.Manager:  # noqa: N802
    """A manager that filters on the active tenant and raises when there is none."""
    scoped = type(ScopedManager(tenant="tenant", _manager_class=manager_class))

    class Manager(scoped):
        def get_queryset(self):
            queryset = super().get_queryset()
            if isinstance(queryset, DisabledQuerySet):
                queryset.__class__ = _FailClosedQuerySet
            return queryset

    return Manager()


class TenantOwned(models.Model):
    """Abstract base: every tenant-owned row carries its own tenant."""

    # No single-column index: every tenant-owned table has indexes that lead with tenant.
    tenant = models.ForeignKey(
        "portal.Tenant", on_delete=models.CASCADE, editable=False, db_index=False
    )

    objects = TenantManager()

    class Meta:
        abstract = True


@contextmanager
def tenant_context(tenant: Tenant) -> Iterator[Tenant]:
    """Make `tenant` the active tenant for the block (requests, tasks, commands)."""
    if tenant is None or getattr(tenant, "pk", None) is None:
        # django-scopes treats a None value as "no filter": refuse it, fail closed.
        raise ScopeError("tenant_context needs a saved tenant")
    token = _current_tenant.set(tenant)
    try:
        with scope(tenant=tenant):
            yield tenant
    finally:
        _current_tenant.reset(token)
        # The block's writes have committed (or rolled back): pages cached for the tenant's
        # previous data version are not served again (portal.pagecache).
        flush_writes()


def current_tenant() -> Tenant:
    """The active tenant; raises when none is active."""
    tenant = _current_tenant.get()
    if tenant is None:
        raise ScopeError("No tenant is active")
    return tenant


@contextmanager
def unscoped() -> Iterator[None]:
    """Cross-tenant access: only for the nightly fan-out, admin tooling and tests."""
    token = _current_tenant.set(None)
    try:
        with scopes_disabled():
            yield
    finally:
        _current_tenant.reset(token)


@contextmanager
def acting_as(*, user_id: int | None = None, label: str = "") -> Iterator[Actor]:
    """Record who acts in the block (the audit trail; on PostgreSQL also `app.user_id`)."""
    actor = Actor(user_id=user_id, label=label)
    token = _current_actor.set(actor)
    try:
        yield actor
    finally:
        _current_actor.reset(token)
