"""Thin Celery wrappers: the nightly fan-out and the tenant recompute."""

from __future__ import annotations

import logging
from datetime import date

from celery import shared_task
from django.utils import timezone

from kpis.services import recompute_run
from portal.models import JobRun, Tenant
from portal.pagecache import flush_writes
from portal.pagewarm import pages_warm
from portal.tasks import TenantTask
from portal.tenancy import unscoped

logger = logging.getLogger(__name__)


@shared_task(name="kpis.recompute_all_tenants")
def recompute_all_tenants() -> int:
    """Nightly: one recompute task per tenant (the one place that crosses tenants)."""
    with unscoped():
        tenant_ids = list(Tenant.objects.values_list("id", flat=True))
    for tenant_id in tenant_ids:
        recompute_tenant_task.delay(tenant_id)
    return len(tenant_ids)


@shared_task(base=TenantTask, bind=True, name="kpis.recompute_tenant")
def recompute_tenant_task(
    self,
    tenant_id: int,
    job_id: int | None = None,
    as_of: str | None = None,
    force_closed: bool = False,
) -> str:
    tenant = Tenant.objects.get(pk=tenant_id)
    job = (
        JobRun.objects.get(tenant=tenant, pk=job_id)
        if job_id
        else JobRun.objects.create(
            tenant=tenant, kind="recompute", counts={"force_closed": force_closed}
        )
    )
    if job.status in {JobRun.Status.SUCCEEDED, JobRun.Status.SKIPPED}:
        return job.status  # a redelivered task whose work is done
    recompute_run(
        tenant=tenant,
        job=job,
        as_of=date.fromisoformat(as_of) if as_of else None,
        force_closed=force_closed,
    )
    job.refresh_from_db()
    if job.status == JobRun.Status.SUCCEEDED:
        # The new data gets its version first; then each member's page is rendered under it,
        # so the morning's first visit comes from the cache (portal.pagewarm).
        flush_writes()
        try:
            pages_warm(tenant=tenant)
        except Exception:  # noqa: BLE001 - a page that fails to render is not a failed recompute
            logger.exception("Warming the pages of %s failed", tenant.slug)
    return job.status


@shared_task(name="kpis.weekly_digests_all_tenants")
def weekly_digests_all_tenants() -> int:
    """Monday morning: one digest task per tenant."""
    with unscoped():
        tenant_ids = list(Tenant.objects.values_list("id", flat=True))
    for tenant_id in tenant_ids:
        weekly_digests_task.delay(tenant_id)
    return len(tenant_ids)


@shared_task(base=TenantTask, bind=True, name="kpis.weekly_digests")
def weekly_digests_task(self, tenant_id: int) -> int:
    from kpis.digest import digests_send

    tenant = Tenant.objects.get(pk=tenant_id)
    return digests_send(tenant=tenant, as_of=timezone.localdate(timezone=tenant.tzinfo))


@shared_task(name="kpis.board_packs_all_tenants")
def board_packs_all_tenants() -> int:
    """On the first of the month: last month's board pack to every tenant's board."""
    with unscoped():
        tenant_ids = list(Tenant.objects.values_list("id", flat=True))
    for tenant_id in tenant_ids:
        board_pack_task.delay(tenant_id)
    return len(tenant_ids)


@shared_task(base=TenantTask, bind=True, name="kpis.board_pack")
def board_pack_task(self, tenant_id: int, month: str | None = None) -> int:
    from kpis.digest import board_packs_send
    from kpis.periods import add_months

    tenant = Tenant.objects.get(pk=tenant_id)
    today = timezone.localdate(timezone=tenant.tzinfo)
    chosen = date.fromisoformat(month) if month else add_months(today.replace(day=1), -1)
    return board_packs_send(tenant=tenant, month=chosen, today=today)
