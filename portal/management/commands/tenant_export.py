"""`manage.py tenant_export --tenant SLUG FILE.zip`: all of a tenant's own data in one zip."""

from __future__ import annotations

from pathlib import Path

from portal.management.base import TenantCommand
from portal.models import Tenant
from portal.tenant_transfer import tenant_export


class Command(TenantCommand):
    help = "Write all of a tenant's data to a zip: a CSV per kind (portal/tenant_transfer.py)."

    def add_arguments(self, parser) -> None:
        super().add_arguments(parser)
        parser.add_argument("file", help="the zip to write, e.g. acme-2026-11-23.zip")

    def handle_tenant(self, tenant: Tenant, *args, file: str, **options) -> None:
        path = Path(file)
        with path.open("wb") as out:
            counts = tenant_export(tenant=tenant, out=out)
        for name, rows in counts.items():
            self.stdout.write(f"{name:<32} {rows:>10,} rows")
        self.stdout.write(self.style.SUCCESS(f"Wrote {path} ({path.stat().st_size:,} bytes)"))
