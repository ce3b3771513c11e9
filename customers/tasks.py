"""Thin Celery wrappers around customers.services (ids in, scope opened by TenantTask)."""

from celery import shared_task

from customers.models import ImportBatch
from customers.services import import_batch_run
from portal.tasks import TenantTask


@shared_task(base=TenantTask, bind=True, autoretry_for=())
def import_batch_check_task(self, tenant_id: int, batch_id: int) -> str:
    batch = ImportBatch.objects.get(tenant_id=tenant_id, pk=batch_id)
    return import_batch_run(batch=batch, apply=False).status


@shared_task(base=TenantTask, bind=True, autoretry_for=())
def import_batch_apply_task(self, tenant_id: int, batch_id: int) -> str:
    batch = ImportBatch.objects.get(tenant_id=tenant_id, pk=batch_id)
    return import_batch_run(batch=batch, apply=True).status
