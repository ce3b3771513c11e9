"""Thin Celery wrappers around customers.services (ids in, scope opened by TenantTask)."""

from celery import shared_task

from customers.models import ImportBatch
from customers.services import import_batch_run
from portal.tasks import TenantTask, on_enqueue_failure


@shared_task(base=TenantTask, bind=True, autoretry_for=())
def import_batch_check_task(self, tenant_id: int, batch_id: int) -> str:
    batch = ImportBatch.objects.get(tenant_id=tenant_id, pk=batch_id)
    return import_batch_run(batch=batch, apply=False).status


@shared_task(base=TenantTask, bind=True, autoretry_for=())
def import_batch_apply_task(self, tenant_id: int, batch_id: int) -> str:
    batch = ImportBatch.objects.get(tenant_id=tenant_id, pk=batch_id)
    return import_batch_run(batch=batch, apply=True).status


@on_enqueue_failure(import_batch_check_task.name, import_batch_apply_task.name)
def _batch_not_queued(args: tuple, kwargs: dict, message: str) -> None:
    """The broker is down: the batch fails with the reason instead of waiting forever."""
    from portal.services import jobrun_finish

    batch = ImportBatch.objects.filter(tenant_id=args[0], pk=args[1]).first()
    if batch is None:
        return
    batch.status = ImportBatch.Status.FAILED
    batch.save(update_fields=["status"])
    if batch.job is not None and batch.job.finished_at is None:
        jobrun_finish(job=batch.job, error=message)
