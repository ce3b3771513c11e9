"""Full and nightly (incremental) recompute beside one GROUP BY scan of the orders table.

Data: a tenant of bench.dataset (default: the large one, 1,000,000 orders / 20,000
customers / 50 reps), generated once into the scratch database and reused. KPIs: the starter
set plus one per catalogue metric, the heaviest realistic set.
Targets (issue 5): full recompute <= 10x the scan; nightly incremental <= 2x.

Measured (each timed on its own; medians of three rounds, the scan timed in each):
- full: the KPI measurements of a first run (every KPI, every scope, 24 months of months,
  quarters and years), i.e. `kpis.recompute` without the customer-score and persona steps;
- nightly: the same right after, the open periods only (what runs every night), on the
  history's last day: the open month holds a whole month of rows;
- the nightly tenant job as a whole (customer scores, personas, KPIs) for information.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import time
from datetime import date, timedelta

from bench.dataset import END

TARGET_FULL, TARGET_INCREMENTAL = 10.0, 2.0
# The generated history's last day: the open month is then a whole month of orders and web
# activity, the most a nightly run reads. (Runs dated today, a month or more after the
# history, found no rows at all in their open month.)
AS_OF = END - timedelta(days=1)


def scan_seconds(tenant, runs: int = 3) -> list[float]:
    """`runs` timings of the issue's baseline, after one to warm the cache."""
    from django.db import connection

    def scan() -> float:
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT date_trunc('month', placed_at), channel_id, sum(amount) "
                "FROM customers_order WHERE tenant_id = %s GROUP BY 1, 2",
                [tenant.pk],
            )
            cursor.fetchall()
        return time.perf_counter() - started

    scan()
    return [scan() for _ in range(runs)]


@contextlib.contextmanager
def _kpis_only():
    """The recompute without the customer-score and persona steps."""
    from kpis import recompute

    steps, recompute.TENANT_STEPS = recompute.TENANT_STEPS, ()
    try:
        yield
    finally:
        recompute.TENANT_STEPS = steps


def measure(tenant, *, as_of: date, pipeline: bool = True, rounds: int = 3) -> dict:
    """Medians of `rounds` rounds, each: the scan, a full recompute into an emptied table,
    the nightly one after it. The machines drift by tens of percent between minutes, so the
    scan is timed in every round, right beside what it is the baseline of."""
    from django.db import connection

    from kpis import recompute
    from kpis.models import Measurement
    from portal.tenancy import tenant_context

    scans, fulls, nightlies = [], [], []
    # The benchmark before this one (the import) leaves a million rows' worth of dirty pages
    # for the checkpointer to write while this one runs: written out first.
    with connection.cursor() as cursor:
        cursor.execute("CHECKPOINT")
    with tenant_context(tenant):
        with _kpis_only():
            for _ in range(rounds):
                scans += scan_seconds(tenant, runs=2)
                Measurement.objects.filter(tenant=tenant).delete()
                # A first run writes into a table without the dead rows of this benchmark's
                # earlier runs (these machines run PostgreSQL without autovacuum).
                with connection.cursor() as cursor:
                    cursor.execute("VACUUM ANALYZE kpis_measurement")
                started = time.perf_counter()
                full = recompute.measurements_recompute(tenant=tenant, as_of=as_of)
                fulls.append(time.perf_counter() - started)
                started = time.perf_counter()
                nightly = recompute.measurements_recompute(tenant=tenant, as_of=as_of)
                nightlies.append(time.perf_counter() - started)
        scans += scan_seconds(tenant, runs=2)
        job_seconds = None
        if pipeline:
            started = time.perf_counter()
            recompute.measurements_recompute(tenant=tenant, as_of=as_of)
            job_seconds = time.perf_counter() - started
        if as_of != date.today():
            # Untimed: the pages (measured next) show today's periods, which a run of the
            # history's last day does not write.
            with _kpis_only():
                recompute.measurements_recompute(tenant=tenant, as_of=date.today())
        # What autovacuum does in production after a run has rewritten these tables (it is off
        # on these machines): the dead rows of the rewrite become free space that the next
        # rewrite reuses, and the pages measured next plan with the statistics of the data
        # they read. With ANALYZE alone every rewrite of this benchmark grew the tables (the
        # customer scores reached ten times their size), and the pages' joins read the bloat.
        with connection.cursor() as cursor:
            for table in (
                "kpis_measurement",
                "customers_customerscore",
                "customers_signal",
                "personas_personaassignment",
                "personas_personasnapshot",
            ):
                cursor.execute(f"VACUUM ANALYZE {table}")
    return {
        "tenant": tenant.slug,
        "scan": statistics.median(scans),
        "full": statistics.median(fulls),
        "full_runs": fulls,
        "full_measurements": full.measurements,
        "nightly": statistics.median(nightlies),
        "nightly_runs": nightlies,
        "nightly_measurements": nightly.measurements,
        "scans": scans,
        "job": job_seconds,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench recompute")
    parser.add_argument("--tenant", default="bench-big", help="a slug of bench.dataset")
    parser.add_argument(
        "--as-of",
        type=date.fromisoformat,
        default=None,
        help=f"the run's date (default {AS_OF}: the generated history's last day)",
    )
    parser.add_argument("--no-pipeline", action="store_true", help="skip the whole-job run")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)

    from bench.setup import use_scratch_database

    use_scratch_database()
    from bench.dataset import SPECS, tenant_ensure

    spec = next(s for s in SPECS if s.slug == args.tenant)
    tenant = tenant_ensure(spec)
    figures = measure(tenant, as_of=args.as_of or AS_OF, pipeline=not args.no_pipeline)
    if args.json:
        print(json.dumps(figures))
        return 0
    full_ratio = figures["full"] / figures["scan"]
    nightly_ratio = figures["nightly"] / figures["scan"]
    print(f"{'measure':<44}{'seconds':>9}{'ratio':>8}{'target':>8}")
    print(f"{'GROUP BY month, channel scan (baseline)':<44}{figures['scan']:>9.2f}{1:>8.2f}")
    for label, seconds, ratio, target in (
        (f"full recompute ({figures['full_measurements']:,})", figures["full"], full_ratio, 10),
        (f"nightly ({figures['nightly_measurements']:,})", figures["nightly"], nightly_ratio, 2),
    ):
        print(f"{label:<44}{seconds:>9.2f}{ratio:>8.2f}{target:>8}")
    runs = lambda key: " / ".join(f"{v:.2f}" for v in figures[key])  # noqa: E731
    print(f"runs: scan {runs('scans')}; full {runs('full_runs')}; nightly {runs('nightly_runs')}")
    if figures["job"] is not None:
        job = figures["job"]
        print(f"{'nightly tenant job (scores, personas, KPIs)':<44}{job:>9.2f}")
    ok = full_ratio <= TARGET_FULL and nightly_ratio <= TARGET_INCREMENTAL
    print("recompute " + ("meets" if ok else "MISSES") + " its targets")
    return 0 if ok else 1
