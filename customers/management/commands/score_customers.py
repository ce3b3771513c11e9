"""`score_customers`: the nightly customer analytics for one tenant, on demand."""

from __future__ import annotations

import json
import time
from datetime import date

from django.core.management.base import CommandError

from customers.analytics.scoring import customer_analytics_refresh
from kpis.recompute import LOCK
from portal.locks import LockBusy, tenant_lock
from portal.management.base import TenantCommand
from portal.models import Tenant


class Command(TenantCommand):
    help = (
        "Fit the CLV models and store a score per customer (P(alive), expected purchases and "
        "order value, 12-month CLV, churn risk, RFM, share of wallet, koesterklant), then "
        "refresh the signals. Waits for a running recompute of the tenant (up to --wait "
        "seconds), which does the same as its first step."
    )

    def add_arguments(self, parser) -> None:
        super().add_arguments(parser)
        parser.add_argument("--as-of", type=date.fromisoformat, help="default: today")
        parser.add_argument("--json", action="store_true", help="print the counts as JSON")
        parser.add_argument(
            "--wait", type=float, default=60, help="seconds to wait for a running recompute"
        )

    def handle_tenant(self, tenant: Tenant, *args, **options):
        started = time.perf_counter()
        try:
            with tenant_lock(LOCK, tenant.pk, wait=options["wait"]):
                result = customer_analytics_refresh(tenant=tenant, as_of=options["as_of"])
        except LockBusy as exc:
            raise CommandError(
                f"A recompute of {tenant.slug} is running; try again when it has finished."
            ) from exc
        total = round(time.perf_counter() - started, 2)
        counts = result.as_counts() | {"total_seconds": total}
        if options["json"]:
            self.stdout.write(json.dumps(counts))
            return
        self.stdout.write(
            f"Scored {result.scored} customers, {result.signals} signals in {total} s "
            f"({', '.join(f'{stage} {s:.2f}' for stage, s in result.seconds.items())})."
        )
        if result.fit_error:
            self.stderr.write(f"No CLV: {result.fit_error}")
