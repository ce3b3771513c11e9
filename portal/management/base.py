"""Shared base for tenant-bound management commands: `--tenant SLUG` opens the scope."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from portal.models import Tenant
from portal.tenancy import acting_as, tenant_context


class TenantCommand(BaseCommand):
    """Subclasses implement `handle_tenant(tenant, **options)` (the Tenant object; the slug is
    not repeated in options); it runs in the tenant's scope."""

    def add_arguments(self, parser) -> None:
        parser.add_argument("--tenant", required=True, help="slug of the tenant")

    def handle(self, *args, **options):
        slug = options.pop("tenant")
        tenant = Tenant.objects.filter(slug=slug).first()
        if tenant is None:
            raise CommandError(f"No tenant with slug {slug!r}. Create it with create_tenant.")
        command = type(self).__module__.rsplit(".", 1)[-1]
        with tenant_context(tenant), acting_as(label=f"command {command}"):
            return self.handle_tenant(tenant, *args, **options)

    def handle_tenant(self, tenant: Tenant, *args, **options):
        raise NotImplementedError
