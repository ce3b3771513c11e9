import sys
from pathlib import Path

from django.core.management.base import CommandError
from tqdm import tqdm

from customers.importing.engine import import_file
from customers.importing.kinds import KINDS
from portal.management.base import TenantCommand


class Command(TenantCommand):
    help = (
        "Import a CSV/XLSX file (formats: docs/data-formats.md). All rows or none: one bad row "
        "writes nothing and every bad row is listed. Re-importing a file changes nothing."
    )

    def add_arguments(self, parser) -> None:
        super().add_arguments(parser)
        parser.add_argument("--kind", required=True, choices=sorted(KINDS))
        parser.add_argument("file")
        parser.add_argument("--dry-run", action="store_true", help="validate only; write nothing")
        parser.add_argument("--no-progress", action="store_true")

    def handle_tenant(self, tenant, *args, **options):
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        bar = tqdm(
            total=path.stat().st_size,
            unit="B",
            unit_scale=True,
            desc=f"{options['kind']}",
            disable=options["no_progress"] or not sys.stderr.isatty(),
            file=sys.stderr,
        )

        def progress(rows: int, position: int, size: int) -> None:
            bar.total = size
            bar.n = position
            bar.set_postfix(rows=f"{rows:,}")
            bar.refresh()

        with path.open("rb") as fileobj:
            report = import_file(
                tenant=tenant,
                kind=options["kind"],
                fileobj=fileobj,
                filename=path.name,
                dry_run=options["dry_run"],
                progress=progress,
            )
        bar.close()
        for warning in report.warnings:
            self.stderr.write(f"warning: {warning}")
        if not report.ok:
            for error in report.errors:
                self.stderr.write(str(error))
            hidden = report.error_count - len(report.errors)
            if hidden:
                self.stderr.write(f"... and {hidden:,} more errors")
            raise CommandError(
                f"{report.error_count:,} error(s) in {report.rows:,} rows; nothing was written."
            )
        if report.dry_run:
            self.stdout.write(f"{report.rows:,} rows valid; nothing written (--dry-run).")
        else:
            self.stdout.write(
                f"{report.rows:,} rows: {report.created:,} created, {report.updated:,} updated, "
                f"{report.unchanged:,} unchanged."
            )
