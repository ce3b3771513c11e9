"""Write side of the customers app."""

from __future__ import annotations

import uuid
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from customers.importing.kinds import KINDS
from customers.models import DEFAULT_CHANNELS, Channel, ImportBatch
from portal.models import JobRun, Tenant
from portal.services import jobrun_finish, jobrun_progress, jobrun_start


def channels_ensure(*, tenant: Tenant) -> dict[str, Channel]:
    """Make sure the default channels exist (labels and flags admins changed are kept)."""
    existing = {c.code: c for c in Channel.objects.filter(tenant=tenant)}
    missing = [
        Channel(tenant=tenant, code=code, label=str(label), is_online=online)
        for code, label, online in DEFAULT_CHANNELS
        if code not in existing
    ]
    if missing:
        Channel.objects.bulk_create(missing, ignore_conflicts=True)
        existing = {c.code: c for c in Channel.objects.filter(tenant=tenant)}
    return existing


def import_batch_create(*, tenant: Tenant, kind: str, upload, user) -> ImportBatch:
    """Store an uploaded file and queue its validation (preview + every error)."""
    if kind not in KINDS:
        raise ValidationError({"kind": gettext("Unknown kind %(kind)s.") % {"kind": repr(kind)}})
    job = JobRun.objects.create(tenant=tenant, kind=f"import-check:{kind}", triggered_by=user)
    batch = ImportBatch(
        tenant=tenant, kind=kind, filename=upload.name[:255], uploaded_by=user, job=job
    )
    batch.file.save(f"{uuid.uuid4().hex}{Path(upload.name).suffix.lower()[:8]}", upload, save=False)
    batch.save()
    from customers.tasks import import_batch_check_task

    transaction.on_commit(lambda: import_batch_check_task.delay(tenant.pk, batch.pk))
    return batch


def import_batch_confirm(*, batch: ImportBatch, user) -> ImportBatch:
    """Queue the import of a checked batch (validated again while writing: all or nothing)."""
    if batch.status != ImportBatch.Status.VALID:
        raise ValidationError(gettext("Only a checked file without errors can be imported."))
    job = JobRun.objects.create(tenant=batch.tenant, kind=f"import:{batch.kind}", triggered_by=user)
    batch.status = ImportBatch.Status.IMPORTING
    batch.job = job
    batch.confirmed_by = user
    batch.confirmed_at = timezone.now()
    batch.save(update_fields=["status", "job", "confirmed_by", "confirmed_at"])
    from customers.tasks import import_batch_apply_task

    transaction.on_commit(lambda: import_batch_apply_task.delay(batch.tenant_id, batch.pk))
    return batch


def import_batch_run(*, batch: ImportBatch, apply: bool) -> ImportBatch:
    """Check (apply=False) or apply a batch, recording progress on its JobRun."""
    from customers.importing.engine import import_file  # the engine uses channels_ensure

    job = batch.job
    if job is not None:
        jobrun_start(job=job, total=batch.file.size)

    def progress(rows: int, position: int, size: int) -> None:
        if job is not None:
            jobrun_progress(job=job, done=position, total=size)

    try:
        with batch.file.open("rb") as fileobj:
            report = import_file(
                tenant=batch.tenant,
                kind=batch.kind,
                fileobj=fileobj,
                filename=batch.filename,
                dry_run=not apply,
                progress=progress,
            )
    except Exception as exc:  # recorded for the user, then re-raised for the worker's log
        batch.status = ImportBatch.Status.FAILED
        batch.save(update_fields=["status"])
        if job is not None:
            jobrun_finish(job=job, error=f"{type(exc).__name__}: {exc}")
        raise
    data = report.as_dict()
    if not report.ok:
        batch.status = ImportBatch.Status.INVALID
    elif apply:
        batch.status = ImportBatch.Status.IMPORTED
    else:
        batch.status = ImportBatch.Status.VALID
    if apply and not report.ok:
        # Someone changed reference data between check and import; keep the first preview.
        data["preview"] = batch.report.get("preview", [])
    batch.report = data
    batch.save(update_fields=["status", "report"])
    if job is not None:
        counts = {k: data[k] for k in ("rows", "created", "updated", "unchanged", "error_count")}
        jobrun_finish(
            job=job,
            counts=counts,
            error="" if report.ok else f"{report.error_count} error(s); nothing was written",
        )
    return batch
