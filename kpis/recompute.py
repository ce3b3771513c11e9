"""The tenant recompute: every metric-backed KPI, every scope, the open periods (and the
trailing 24 months on the first run), upserted as measurements in one transaction.

Idempotent (upserts of the same values), never overlapping (a per-tenant lock), all or
nothing (one transaction: a killed worker leaves no partial period), recorded in a JobRun.
Closed periods are frozen; recomputing them needs `force_closed`, which the JobRun records.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from datetime import date, datetime

from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from kpis.metrics import CATALOGUE, snapshot
from kpis.metrics.facts import TRAILING_MONTHS, load_facts
from kpis.metrics.registry import compute_series
from kpis.metrics.store import MeasurementWriter
from kpis.models import Kpi, Measurement
from kpis.periods import (
    GRAINS,
    MONTHS_IN,
    add_months,
    is_closed,
    month_index,
    period_start,
    periods_between,
)
from portal.db import background
from portal.locks import tenant_lock
from portal.memory import arrays_reuse_memory
from portal.models import JobRun, Tenant
from portal.pagecache import note_write

logger = logging.getLogger(__name__)

FIRST_RUN_MONTHS = 24
LOCK = "recompute"

# The tenant steps that run inside the same lock before the KPIs, in this order: customer
# scores (CLV, churn, RFM, signals) feed the persona rules, and both feed KPIs and pages.
# Each is called with `tenant=` and `as_of=`; what it returns is recorded in the JobRun.
TENANT_STEPS = (
    ("customers", "customers.analytics.scoring.customer_analytics_refresh"),
    ("personas", "personas.services.personas_assign"),
)

Progress = Callable[[int, int], None]


@dataclass
class RecomputeResult:
    measurements: int = 0
    periods: int = 0
    kpis: int = 0
    skipped_closed: int = 0
    first_run: bool = False
    force_closed: bool = False
    # Where the closed months' facts came from: "snapshot" (stored, only the open month's rows
    # read) or "rows" (every row read; a snapshot stored for the next runs).
    facts_from: str = ""
    snapshot_bytes: int = 0
    steps: dict = field(default_factory=dict)

    def as_counts(self) -> dict:
        counts = self.__dict__.copy()
        if self.facts_from == "snapshot":
            del counts["snapshot_bytes"]  # read from a snapshot, none stored: nothing to say
        return counts


def target_periods(*, tenant: Tenant, grain: str, as_of: date) -> tuple[list[date], list[date]]:
    """(every period of the trailing 24 months, the open ones among them)."""
    first = add_months(as_of.replace(day=1), -(FIRST_RUN_MONTHS - 1))
    candidates = periods_between(first, as_of, grain, tenant.fiscal_year_start_month)
    open_ = [p for p in candidates if not is_closed(p, grain, tenant.period_close_day, as_of)]
    return candidates, open_


def measurements_recompute(
    *,
    tenant: Tenant,
    as_of: date | None = None,
    force_closed: bool = False,
    job: JobRun | None = None,
    progress: Progress | None = None,
    lock_wait: float = 0,
) -> RecomputeResult:
    """Recompute the tenant's metric-backed KPIs. Raises LockBusy when a run is going on."""
    as_of = as_of or timezone.localdate(timezone=tenant.tzinfo)
    arrays_reuse_memory()  # the arrays' pages reused, not faulted in again (portal.memory)
    with tenant_lock(LOCK, tenant.pk, wait=lock_wait):
        steps = {
            name: _counts(import_string(path)(tenant=tenant, as_of=as_of))
            for name, path in TENANT_STEPS
        }
        result = _recompute(tenant, as_of, force_closed, job, progress)
        result.steps = steps
        return result


def _counts(value) -> dict:
    if value is None:
        return {}
    if isinstance(value, dict):
        return value
    try:
        return asdict(value)
    except TypeError:
        return {"result": str(value)}


def _recompute(tenant, as_of, force_closed, job, progress) -> RecomputeResult:
    kpis = [k for k in Kpi.objects.filter(tenant=tenant) if k.metric_key in CATALOGUE]
    result = RecomputeResult(kpis=len(kpis), force_closed=force_closed)
    # A KPI without measurements (first run, or a KPI added since) gets 24 months of history.
    # (A DISTINCT over the index: 15-25 ms whatever the statistics. A semi-join per KPI was
    # tried: right after a first run, with the statistics of an empty table, PostgreSQL
    # scanned the table once per KPI, 0.3 s.)
    measured = set(
        Measurement.objects.filter(tenant=tenant, kpi__in=kpis)
        .values_list("kpi_id", flat=True)
        .distinct()
    )
    fresh = {k.pk for k in kpis if k.pk not in measured}
    result.first_run = bool(fresh)
    keys = sorted({k.metric_key for k in kpis})
    plans = []
    for grain in GRAINS:
        candidates, open_ = target_periods(tenant=tenant, grain=grain, as_of=as_of)
        periods = candidates if (fresh or force_closed) else open_
        if not force_closed and len(fresh) < len(kpis):
            result.skipped_closed += len(candidates) - len(open_)
        if periods and keys:
            # One year more than written, for the change vs the previous period and last year.
            first = period_start(add_months(periods[0], -12), grain, tenant.fiscal_year_start_month)
            plans.append((grain, candidates, open_, periods, first))
    steps = len(plans) + 1
    if not plans:
        return result
    now = timezone.now()  # one time and job for every row of the run
    job_id = job.pk if job is not None else None
    # The facts are loaded once, for the earliest period any grain needs, and then measured
    # in months, quarters and years without touching the database again.
    needs = frozenset().union(*(CATALOGUE[k].needs for k in keys))
    first = min(first for *_, first in plans)
    # The months before this one come from the stored snapshot when it is fresh; a first run,
    # a forced one or a stale snapshot read every row and store a new snapshot.
    closed = generation = None
    if not (fresh or force_closed):
        closed = snapshot.usable(
            tenant=tenant, as_of=as_of, month0=month_index(first) - TRAILING_MONTHS, needs=needs
        )
    if closed is None:
        generation = snapshot.begin(tenant=tenant, as_of=as_of)
    all_facts = load_facts(
        tenant=tenant,
        grain="month",
        first=first,
        last=as_of,
        as_of=as_of,
        needs=needs,
        closed=closed,
    )
    result.facts_from = "rows" if closed is None else "snapshot"
    storing = None
    if generation is not None:
        # Stored beside the computation when a second connection may be used (the blob is
        # packed and written while the metrics are computed), else here.
        facts_now = replace(all_facts, arrays=dict(all_facts.arrays), extra=dict(all_facts.extra))

        def store() -> int:
            with transaction.atomic():  # a failure rolls back this alone
                return snapshot.store(facts_now, generation=generation, needs=needs)

        if background.available():
            storing = background.beside(store, name="koers-snapshot-store")
        else:
            result.snapshot_bytes = _stored(store)
    if progress is not None:
        progress(1, steps)
    run = _Run(tenant, kpis, fresh, force_closed, job_id, now, MeasurementWriter())
    try:
        for step, (grain, candidates, open_, periods, first) in enumerate(plans, start=2):
            result.periods += len(periods)
            facts = all_facts.regrain(grain, first, only=_needed(grain, periods))
            _measure_grain(run, grain=grain, candidates=candidates, open_=open_, facts=facts)
            if progress is not None:
                progress(step, steps)
    except BaseException:
        run.writer.abort()
        if storing is not None:
            storing.exception()  # let it finish before the error goes up
        raise
    result.measurements = run.writer.close()
    if storing is not None:
        result.snapshot_bytes = _stored(storing.result)
    if result.measurements:
        note_write()  # written on the writer's connection: the pages' data changed
    return result


def _stored(store) -> int:
    """The snapshot's size, or 0 when storing it failed: it only saves the next runs time (they
    read every row without it), so its failure is logged and does not fail the run."""
    try:
        return store()
    except Exception:
        logger.exception("storing the facts snapshot failed; the next run reads every row")
        return 0


BATCH = 5000  # rows handed to the writer at a time


def _needed(grain, periods: list[date]) -> set[date]:
    """The periods to measure: those written, the ones before them and the same ones a year
    earlier (for the changes). A night with no fresh KPI measures a handful of periods."""
    length = MONTHS_IN[grain]
    return {q for p in periods for q in (p, add_months(p, -length), add_months(p, -12))}


@dataclass
class _Run:
    """What every grain of one recompute shares."""

    tenant: Tenant
    kpis: list[Kpi]
    fresh: set[int]  # KPIs without measurements: every candidate period, inserted
    force_closed: bool
    job_id: int | None
    now: datetime
    writer: MeasurementWriter


def _measure_grain(run: _Run, *, grain, candidates, open_, facts) -> None:
    """Compute one grain's metrics, KPI by KPI, handing the rows to the writer in batches (it
    stores one batch while the next is computed)."""
    fresh, writer, job_id, now = run.fresh, run.writer, run.job_id, run.now
    tenant_id = run.tenant.pk
    length = MONTHS_IN[grain]
    position = {period: index for index, period in enumerate(facts.periods)}
    every, still_open = set(candidates), set(open_)
    series: dict[str, dict] = {}  # metric key -> {(scope, member): [value per period]}
    rows: list[tuple] = []  # of KPIs measured before: upserted
    new_rows: list[tuple] = []  # of fresh KPIs (none stored yet): inserted
    for kpi in sorted(run.kpis, key=lambda k: (k.metric_key, k.pk)):
        if kpi.metric_key not in series:
            series[kpi.metric_key] = compute_series(keys=[kpi.metric_key], facts=facts)[
                kpi.metric_key
            ]
        wanted = every if (run.force_closed or kpi.pk in fresh) else still_open
        # (period, its index, the previous period's index, last year's index)
        slots = [
            (
                period,
                index,
                position.get(add_months(period, -length)),
                position.get(add_months(period, -12)),
            )
            for index, period in enumerate(facts.periods)
            if period in wanted
        ]
        by_member = series[kpi.metric_key]
        kpi_id = kpi.pk  # a property: read once, not per row
        out = new_rows if kpi_id in fresh else rows
        for scope, member in sorted(by_member):
            values = by_member[(scope, member)]
            for period, index, previous, last_year in slots:
                out.append(  # the columns of kpis.metrics.store.COLUMNS
                    (
                        tenant_id,
                        kpi_id,
                        scope,
                        member,
                        grain,
                        period,
                        values[index],
                        None if previous is None else values[previous],
                        None if last_year is None else values[last_year],
                        job_id,
                        now,
                    )
                )
        for batch, new in ((rows, False), (new_rows, True)):
            if len(batch) >= BATCH:
                writer.write(batch[:], new=new)
                batch.clear()
    writer.write(rows)
    writer.write(new_rows, new=True)
