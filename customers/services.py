"""Write side of the customers app."""

from __future__ import annotations

from customers.models import DEFAULT_CHANNELS, Channel
from portal.models import Tenant


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
