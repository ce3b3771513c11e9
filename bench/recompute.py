"""Full and nightly (incremental) recompute beside one GROUP BY scan of the orders table.

Data: 1,000,000 orders / 20,000 customers / 50 reps (generated once into the scratch
database and reused). KPIs: one per catalogue metric, the heaviest realistic set.
Targets (issue 5): full recompute <= 10x the scan; nightly incremental <= 2x.
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import date

from bench.setup import big_tenant, use_scratch_database

TARGET_FULL, TARGET_INCREMENTAL = 10.0, 2.0
AS_OF = date(2026, 10, 20)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench recompute")
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--fresh", action="store_true", help="drop the scratch database first")
    args = parser.parse_args(argv)
    use_scratch_database(fresh=args.fresh)
    from django.db import connection

    from kpis.metrics import CATALOGUE
    from kpis.models import Kpi, Measurement
    from kpis.recompute import measurements_recompute
    from portal.tenancy import tenant_context

    tenant = big_tenant(orders=args.orders, customers=args.customers)
    with tenant_context(tenant):
        for key, metric in CATALOGUE.items():
            Kpi.objects.get_or_create(
                tenant=tenant, name=key, defaults={"metric_key": key, "unit": metric.unit}
            )

        def scan() -> float:
            started = time.perf_counter()
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT date_trunc('month', placed_at), channel_id, sum(amount) FROM customers_order "
                    "WHERE tenant_id = %s GROUP BY 1, 2",
                    [tenant.pk],
                )
                cursor.fetchall()
            return time.perf_counter() - started

        scan()  # warm the cache the same way for both sides
        scans = [scan() for _ in range(3)]
        baseline = statistics.median(scans)

        Measurement.objects.filter(tenant=tenant).delete()
        started = time.perf_counter()
        full = measurements_recompute(tenant=tenant, as_of=AS_OF)
        full_seconds = time.perf_counter() - started
        started = time.perf_counter()
        nightly = measurements_recompute(tenant=tenant, as_of=AS_OF)
        nightly_seconds = time.perf_counter() - started

    full_ratio, nightly_ratio = full_seconds / baseline, nightly_seconds / baseline
    print(f"{'measure':<44}{'seconds':>9}{'ratio':>8}{'target':>8}")
    print(f"{'GROUP BY month, channel scan (baseline)':<44}{baseline:>9.2f}{1:>8.2f}{'':>8}")
    print(
        f"{f'full recompute ({full.measurements:,} measurements)':<44}{full_seconds:>9.2f}{full_ratio:>8.2f}{TARGET_FULL:>8.0f}"
    )
    print(
        f"{f'nightly recompute ({nightly.measurements:,})':<44}{nightly_seconds:>9.2f}{nightly_ratio:>8.2f}{TARGET_INCREMENTAL:>8.0f}"
    )
    ok = full_ratio <= TARGET_FULL and nightly_ratio <= TARGET_INCREMENTAL
    print("recompute " + ("meets" if ok else "MISSES") + " its targets")
    return 0 if ok else 1
