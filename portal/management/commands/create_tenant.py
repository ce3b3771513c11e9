from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from portal.services import tenant_create


class Command(BaseCommand):
    help = "Create a tenant (idempotent: an existing slug is reported, not changed)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("slug")
        parser.add_argument("--name", required=True)
        parser.add_argument("--currency", default="EUR")
        parser.add_argument("--locale", default="nl", choices=["en", "nl", "da"])
        parser.add_argument("--timezone", default="Europe/Amsterdam")

    def handle(self, *args, **options):
        try:
            tenant, created = tenant_create(
                slug=options["slug"],
                name=options["name"],
                currency=options["currency"],
                locale=options["locale"],
                timezone_name=options["timezone"],
            )
        except ValidationError as exc:
            raise CommandError(_format(exc)) from exc
        verb = "Created" if created else "Exists:"
        self.stdout.write(f"{verb} tenant {tenant.slug} ({tenant.name}) at /t/{tenant.slug}/")


def _format(exc: ValidationError) -> str:
    if hasattr(exc, "message_dict"):
        return "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in exc.message_dict.items())
    return " ".join(exc.messages)
