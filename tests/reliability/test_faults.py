"""Faults: the database connection dropped in the middle of an import, and the job queue
(Redis) unavailable when a user starts a job. Nothing is left half-written or stuck as
"queued", the user reads a clear error, and the next run completes. (A Celery worker killed
mid-recompute: tests/integration/test_recompute_worker.py.)"""

from __future__ import annotations

import psycopg
import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.db.utils import Error as DatabaseError

from customers import services as customer_services
from customers.models import Customer, ImportBatch
from koers.celery import app
from kpis.models import Kpi
from portal.models import JobRun
from portal.tenancy import tenant_context

ROWS = 25_000  # the importer reports progress every 10,000 rows: the fault strikes mid-file


def customers_csv(n: int) -> bytes:
    lines = ["external_id,name,country", *(f"K{i:06d},Klant {i},NL" for i in range(n))]
    return ("\n".join(lines) + "\n").encode()


def checked_batch(tenant) -> ImportBatch:
    """A batch as the preview leaves it: checked, valid, confirmed, its import job queued."""
    with tenant_context(tenant):
        job = JobRun.objects.create(tenant=tenant, kind="import:customers")
        batch = ImportBatch(
            tenant=tenant, kind="customers", filename="klanten.csv", job=job, status="importing"
        )
        batch.file.save("klanten.csv", ContentFile(customers_csv(ROWS)), save=False)
        batch.save()
    return batch


def terminate(pid: int) -> None:
    """End a backend from a second connection, as a failover or an admin would."""
    db = connection.settings_dict
    with psycopg.connect(
        host=db["HOST"] or "127.0.0.1",
        port=db["PORT"] or 5432,
        user=db["USER"],
        password=db["PASSWORD"] or None,
        dbname=db["NAME"],
        autocommit=True,
    ) as killer:
        killer.execute("SELECT pg_terminate_backend(%s)", [pid])


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_a_dropped_connection_mid_import_writes_nothing_and_a_retry_completes(tenant, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.fail("runs on PostgreSQL (make test runs it there)")
    batch = checked_batch(tenant)
    real_progress = customer_services.jobrun_progress
    calls = []

    def progress_then_drop(**kwargs):
        calls.append(kwargs["done"])
        if len(calls) == 1:  # 10,000 rows in, half-way through the COPY
            terminate(connection.connection.info.backend_pid)
            return
        real_progress(**kwargs)

    monkeypatch.setattr(customer_services, "jobrun_progress", progress_then_drop)
    with tenant_context(tenant), pytest.raises((DatabaseError, psycopg.Error)):
        customer_services.import_batch_run(batch=batch, apply=True)
    assert calls, "the fault was injected mid-import"

    with tenant_context(tenant):
        assert Customer.objects.count() == 0  # nothing half-written
        batch = ImportBatch.objects.select_related("job").get(pk=batch.pk)
        assert batch.status == ImportBatch.Status.FAILED
        assert batch.job.status == JobRun.Status.FAILED
        assert "terminat" in batch.job.error.lower() or "connection" in batch.job.error.lower()
        assert batch.job.finished_at is not None

    # The retry (a redelivered task runs the same service) imports everything.
    monkeypatch.setattr(customer_services, "jobrun_progress", real_progress)
    with tenant_context(tenant):
        batch = customer_services.import_batch_run(batch=batch, apply=True)
        assert batch.status == ImportBatch.Status.IMPORTED
        assert Customer.objects.count() == ROWS
        assert Customer.objects.get(external_id="K012345").name == "Klant 12345"


@pytest.fixture
def queue_down(monkeypatch):
    """The broker URL points at a closed port: Redis is unavailable."""
    saved = app.conf.broker_url, app.conf.task_always_eager
    monkeypatch.setenv("CELERY_BROKER_URL", "redis://127.0.0.1:1/0")  # Celery reads it first
    app.conf.broker_url = "redis://127.0.0.1:1/0"
    app.conf.task_always_eager = False
    app._pool = None
    app.amqp._producer_pool = None
    yield
    app.conf.broker_url, app.conf.task_always_eager = saved
    app._pool = None
    app.amqp._producer_pool = None


@pytest.mark.django_db(transaction=True)  # on_commit runs: the task is really queued
def test_recompute_now_with_the_queue_down_says_so_and_leaves_no_queued_job(
    tenant, admin_client_, queue_down
):
    with tenant_context(tenant):
        Kpi.objects.create(tenant=tenant, name="Revenue", metric_key="revenue")
    response = admin_client_.post("/t/acme/recompute/")
    assert response.status_code == 503
    assert "job queue could not be reached" in response.content.decode()
    with tenant_context(tenant):
        job = JobRun.objects.get(kind="recompute")
    assert job.status == JobRun.Status.FAILED and "job queue" in job.error
    # Not "already running": the next click, with the queue back, starts a new job.
    app.conf.task_always_eager = True
    response = admin_client_.post("/t/acme/recompute/")
    assert response.status_code == 302
    with tenant_context(tenant):
        assert JobRun.objects.filter(kind="recompute").count() == 2
        assert JobRun.objects.latest("created_at").status == JobRun.Status.SUCCEEDED


@pytest.mark.django_db(transaction=True)
def test_an_upload_with_the_queue_down_says_so_and_the_batch_is_failed_not_stuck(
    tenant, admin_client_, queue_down
):
    upload = SimpleUploadedFile("klanten.csv", customers_csv(3), content_type="text/csv")
    response = admin_client_.post("/t/acme/imports/", {"kind": "customers", "file": upload})
    assert response.status_code == 503
    assert "nothing was started" in response.content.decode()
    with tenant_context(tenant):
        batch = ImportBatch.objects.select_related("job").get()
        assert batch.status == ImportBatch.Status.FAILED
        assert batch.job.status == JobRun.Status.FAILED and "job queue" in batch.job.error
        assert Customer.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_an_htmx_click_with_the_queue_down_reloads_the_page_with_the_message(
    tenant, admin_client_, queue_down
):
    response = admin_client_.post("/t/acme/recompute/", headers={"HX-Request": "true"})
    assert response.status_code == 200 and response["HX-Refresh"] == "true"
    page = admin_client_.get("/t/acme/jobs/").content.decode()
    assert "job queue could not be reached" in page
