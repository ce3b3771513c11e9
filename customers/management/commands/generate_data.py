"""`generate_data`: realistic, reproducible synthetic data for one tenant."""

from __future__ import annotations

import sys
import time
from datetime import date

from django.core.management.base import CommandError
from tqdm import tqdm

from customers.generator import DEFAULT_END, TenantHasData, generate
from portal.management.base import TenantCommand
from portal.models import Tenant


class Command(TenantCommand):
    help = (
        "Generate customers, contacts, orders (with returns and lines), web activity, funnel "
        "events, surveys and platform samples for one tenant. The same seed and arguments give "
        "the same data. Refuses when the tenant has data, unless --replace."
    )

    def add_arguments(self, parser) -> None:
        super().add_arguments(parser)
        parser.add_argument("--customers", type=int, default=1_000, help="default 1000")
        parser.add_argument(
            "--orders", type=int, default=50_000, help="about this many orders (default 50000)"
        )
        parser.add_argument("--months", type=int, default=36, help="window length (default 36)")
        parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
        parser.add_argument(
            "--reps",
            type=int,
            default=None,
            help="number of sales reps; existing reps are reused, missing ones are added as "
            "rep-<n> (default: max(3, departments, customers // 400))",
        )
        parser.add_argument(
            "--end",
            type=date.fromisoformat,
            default=DEFAULT_END,
            help="end of the window, exclusive, YYYY-MM-DD (default "
            f"{DEFAULT_END.isoformat()}: fixed, so runs on different days give the same data)",
        )
        parser.add_argument(
            "--replace",
            action="store_true",
            help="first delete the tenant's customers, contacts, orders, web activity, funnel "
            "events, surveys and platform samples (channels, departments and members stay)",
        )
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle_tenant(self, tenant: Tenant, *args, **options):
        bar = tqdm(
            total=0,
            unit="rows",
            unit_scale=True,
            file=sys.stderr,
            disable=options["no_progress"] or not sys.stderr.isatty(),
        )
        began = time.monotonic()
        try:
            counts = generate(
                tenant=tenant,
                customers=options["customers"],
                orders=options["orders"],
                months=options["months"],
                seed=options["seed"],
                reps=options["reps"],
                end=options["end"],
                replace=options["replace"],
                progress=bar,
            )
        except (TenantHasData, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        finally:
            bar.close()
        seconds = time.monotonic() - began
        self.stdout.write(
            self.style.SUCCESS(
                f"Generated data for {tenant.slug} (seed {options['seed']}, "
                f"{options['months']} months up to {options['end'].isoformat()}) "
                f"in {seconds:.1f} s:"
            )
        )
        for name, count in counts.items():
            self.stdout.write(f"  {name.replace('_', ' '):<18} {count:>12,}")
