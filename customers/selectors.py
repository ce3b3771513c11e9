"""Read side of the customers app."""

from __future__ import annotations

import tempfile

from django.db.models import QuerySet

from customers.models import ImportBatch
from portal.models import Tenant


def import_batch_list(*, tenant: Tenant) -> QuerySet[ImportBatch]:
    return (
        ImportBatch.objects.filter(tenant=tenant)
        .select_related("uploaded_by", "job")
        .order_by("-created_at", "-id")
    )


def export_buffer():
    """A temporary file for an export: small exports stay in memory, large ones spill to disk."""
    return tempfile.SpooledTemporaryFile(max_size=16 * 1024 * 1024)
