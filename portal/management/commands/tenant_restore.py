"""`manage.py tenant_restore --tenant EMPTY_SLUG FILE.zip`: a tenant_export zip into a tenant
that holds no data yet (create it first with create_tenant). All or nothing."""

from __future__ import annotations

from django.core.management.base import CommandError

from portal.management.base import TenantCommand
from portal.models import Tenant
from portal.tenant_transfer import RestoreError, tenant_restore


class Command(TenantCommand):
    help = "Restore a tenant_export zip into an empty tenant (all or nothing)."

    def add_arguments(self, parser) -> None:
        super().add_arguments(parser)
        parser.add_argument("file", help="a zip written by tenant_export")

    def handle_tenant(self, tenant: Tenant, *args, file: str, **options) -> None:
        try:
            with open(file, "rb") as fileobj:
                counts = tenant_restore(tenant=tenant, fileobj=fileobj)
        except (OSError, RestoreError) as exc:
            raise CommandError(f"Nothing was restored: {exc}") from None
        for name, rows in counts.items():
            self.stdout.write(f"{name:<32} {rows:>10,} rows")
        self.stdout.write(self.style.SUCCESS(f"Restored {file} into {tenant.slug}"))
        self.stdout.write(
            "Derived data (measurements, scores, personas' members) come with the next "
            "recompute: manage.py recompute --tenant " + tenant.slug
        )
