from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from portal.models import Role, Tenant
from portal.services import member_add


class Command(BaseCommand):
    help = "Add a user to a tenant with a role (creates the user; idempotent)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("username")
        parser.add_argument("--tenant", required=True, help="slug of the tenant")
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument(
            "--department", action="append", default=[], help="department name (repeatable)"
        )
        parser.add_argument("--email", default="")
        parser.add_argument("--password", default=None)

    def handle(self, *args, **options):
        tenant = Tenant.objects.filter(slug=options["tenant"]).first()
        if tenant is None:
            raise CommandError(f"No tenant with slug {options['tenant']!r}.")
        try:
            membership, created = member_add(
                tenant=tenant,
                username=options["username"],
                role=options["role"],
                department_names=options["department"],
                email=options["email"],
                password=options["password"],
            )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        verb = "Added" if created else "Updated"
        self.stdout.write(f"{verb} {options['username']} as {options['role']} in {tenant.slug}")
