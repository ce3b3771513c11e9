"""Celery plumbing shared by every app: the tenant task base (STYLE.md §3, §6)."""

from __future__ import annotations

from celery import Task
from django.db import DatabaseError

from portal.models import Tenant
from portal.tenancy import tenant_context


class TenantTask(Task):
    """Base for tenant tasks: the first argument is a tenant id; the body runs in its scope.

    Tasks take ids, never model instances. Acks late with prefetch 1 (settings), so a task
    whose worker dies is redelivered; bodies must therefore be idempotent.
    """

    abstract = True
    acks_late = True
    autoretry_for = (DatabaseError,)
    retry_backoff = 5
    retry_backoff_max = 300
    retry_jitter = True
    max_retries = 5

    def __call__(self, tenant_id: int, *args, **kwargs):
        tenant = Tenant.objects.get(pk=tenant_id)
        with tenant_context(tenant):
            return self.run(tenant_id, *args, **kwargs)
