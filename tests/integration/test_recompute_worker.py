"""The recompute through real Celery workers on Redis: never overlapping, and a worker killed
mid-run leaves no partial period while the next run completes."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import close_old_connections

from customers.models import Customer, Order
from customers.services import channels_ensure
from kpis.models import Kpi, Measurement
from kpis.services import recompute_job_create
from portal.models import JobRun
from portal.tenancy import tenant_context
from tests.factories import TenantFactory
from tests.integration.conftest import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

KEYS = [
    "revenue",
    "ecommerce_share",
    "online_adoption",
    "active_customers",
    "churned_customers",
    "returns_only_customers",
]


def make_tenant(orders: int, customers: int):
    tenant = TenantFactory(slug="worker-co", name="Worker Co")
    rng = random.Random(5)
    with tenant_context(tenant):
        channels = list(channels_ensure(tenant=tenant).values())
        people = Customer.objects.bulk_create(
            [
                Customer(tenant=tenant, external_id=f"C{i}", name=f"C{i}", country="NL")
                for i in range(customers)
            ]
        )
        start = datetime.now(UTC) - timedelta(days=720)
        Order.objects.bulk_create(
            [
                Order(
                    tenant=tenant,
                    external_id=f"O{i}",
                    customer=rng.choice(people),
                    placed_at=start + timedelta(minutes=rng.randrange(720 * 24 * 60)),
                    amount=Decimal(rng.randrange(1000, 100000)) / 100,
                    channel=rng.choice(channels),
                )
                for i in range(orders)
            ],
            batch_size=5000,
        )
        for key in KEYS:
            Kpi.objects.create(tenant=tenant, name=key, metric_key=key)
    return tenant


def job_of(tenant, pk):
    close_old_connections()
    with tenant_context(tenant):
        return JobRun.objects.get(pk=pk)


def measurement_count(tenant) -> int:
    with tenant_context(tenant):
        return Measurement.objects.count()


def test_a_killed_worker_leaves_no_partial_period_and_the_next_run_completes(start_worker):
    tenant = make_tenant(orders=120_000, customers=4_000)
    worker = start_worker("doomed")
    with tenant_context(tenant):
        job = recompute_job_create(tenant=tenant)
    # Kill it after the first of three grains is computed, before anything is written.
    wait_for(lambda: job_of(tenant, job.pk).progress_done >= 1, what="first grain", interval=0.05)
    worker.kill()
    assert job_of(tenant, job.pk).status == "running"  # it never finished
    assert measurement_count(tenant) == 0  # and wrote nothing

    start_worker("survivor")
    with tenant_context(tenant):
        next_job = recompute_job_create(tenant=tenant)
    finished = wait_for(
        lambda: (
            job_of(tenant, next_job.pk).status in {"succeeded", "failed", "skipped"}
            and job_of(tenant, next_job.pk)
        ),
        what="the next run",
    )
    assert finished.status == "succeeded", finished.error
    # Every KPI has its 24 months for the company, none more.
    with tenant_context(tenant):
        company_months = Measurement.objects.filter(scope="company", grain="month")
        assert company_months.count() == 24 * len(KEYS)
        assert finished.counts["measurements"] == Measurement.objects.count()


def test_two_workers_never_recompute_one_tenant_at_the_same_time(start_worker):
    tenant = make_tenant(orders=60_000, customers=2_000)
    start_worker("one")
    start_worker("two")
    with tenant_context(tenant):
        jobs = [recompute_job_create(tenant=tenant) for _ in range(2)]
    done = wait_for(
        lambda: (
            all(job_of(tenant, j.pk).status in {"succeeded", "skipped", "failed"} for j in jobs)
            and [job_of(tenant, j.pk) for j in jobs]
        ),
        what="both runs",
    )
    statuses = sorted(j.status for j in done)
    assert "failed" not in statuses, [j.error for j in done]
    succeeded = [j for j in done if j.status == "succeeded"]
    assert succeeded
    if len(succeeded) == 2:  # the second started after the first had finished
        first, second = sorted(succeeded, key=lambda j: j.started_at)
        assert first.finished_at <= second.started_at
    else:
        skipped = next(j for j in done if j.status == "skipped")
        assert "running" in skipped.error
    assert date.today()  # measurements are consistent whatever the interleaving
    with tenant_context(tenant):
        assert Measurement.objects.filter(scope="company", grain="month").count() == 24 * len(KEYS)
