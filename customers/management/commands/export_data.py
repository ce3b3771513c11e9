from pathlib import Path

from django.core.management.base import CommandError

from customers.exporting import FORMATS, write_export
from customers.importing.kinds import KINDS
from portal.management.base import TenantCommand


class Command(TenantCommand):
    help = "Export one kind of data in its import format (re-imports unchanged)."

    def add_arguments(self, parser) -> None:
        super().add_arguments(parser)
        parser.add_argument("--kind", required=True, choices=sorted(KINDS))
        parser.add_argument("--format", default=None, choices=FORMATS)
        parser.add_argument("file")

    def handle_tenant(self, tenant, *args, **options):
        path = Path(options["file"])
        fmt = options["format"] or ("xlsx" if path.suffix.lower() == ".xlsx" else "csv")
        if not path.parent.is_dir():
            raise CommandError(f"No such directory: {path.parent}")
        with path.open("wb") as out:
            count = write_export(tenant=tenant, kind=options["kind"], fmt=fmt, out=out)
        self.stdout.write(f"Wrote {count:,} {options['kind']} rows to {path} ({fmt}).")
