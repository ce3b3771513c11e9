import sys
from datetime import date

from django.core.management.base import CommandError
from tqdm import tqdm

from kpis.services import recompute_run
from portal.management.base import TenantCommand
from portal.models import JobRun


class Command(TenantCommand):
    help = (
        "Recompute the tenant's KPI measurements (the nightly job's code): open periods, or "
        "the trailing 24 months on the first run. Closed periods need --force-closed."
    )

    def add_arguments(self, parser) -> None:
        super().add_arguments(parser)
        parser.add_argument("--as-of", dest="as_of", type=date.fromisoformat, default=None)
        parser.add_argument(
            "--force-closed", action="store_true", help="recompute closed periods too"
        )
        parser.add_argument(
            "--wait", type=float, default=0, help="seconds to wait for a running recompute"
        )
        parser.add_argument("--no-progress", action="store_true")

    def handle_tenant(self, tenant, *args, **options):
        job = JobRun.objects.create(
            tenant=tenant, kind="recompute", counts={"force_closed": options["force_closed"]}
        )
        bar = tqdm(
            total=3,
            desc="recompute",
            unit="grain",
            file=sys.stderr,
            disable=options["no_progress"] or not sys.stderr.isatty(),
        )
        result = recompute_run(
            tenant=tenant,
            job=job,
            as_of=options["as_of"],
            force_closed=options["force_closed"],
            lock_wait=options["wait"],
        )
        bar.update(3)
        bar.close()
        if result is None:
            raise CommandError(
                "Another recompute of this tenant is running; try again later or use --wait."
            )
        self.stdout.write(
            f"{result.measurements:,} measurements for {result.kpis} KPIs over {result.periods} periods"
            + (" (first run: 24 months)" if result.first_run else "")
            + (
                f"; {result.skipped_closed} closed periods left as they are"
                if result.skipped_closed
                else ""
            )
            + (" (closed periods forced)" if result.force_closed else "")
            + f". Job #{job.pk}."
        )
