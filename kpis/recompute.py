"""The tenant recompute: every metric-backed KPI, every scope, the open periods (and the
trailing 24 months on the first run), upserted as measurements in one transaction.

Idempotent (upserts of the same values), never overlapping (a per-tenant lock), all or
nothing (one transaction: a killed worker leaves no partial period), recorded in a JobRun.
Closed periods are frozen; recomputing them needs `force_closed`, which the JobRun records.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date

from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from kpis.metrics import CATALOGUE
from kpis.metrics.facts import load_facts
from kpis.metrics.registry import compute_series
from kpis.metrics.store import measurements_upsert
from kpis.models import Kpi, Measurement
from kpis.periods import GRAINS, add_months, is_closed, period_start, periods_between
from portal.locks import tenant_lock
from portal.models import JobRun, Tenant

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
    steps: dict = field(default_factory=dict)

    def as_counts(self) -> dict:
        return self.__dict__.copy()


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
    measured = set(
        Measurement.objects.filter(tenant=tenant, kpi__in=kpis)
        .values_list("kpi_id", flat=True)
        .distinct()
    )
    fresh = {k.pk for k in kpis if k.pk not in measured}
    result.first_run = bool(fresh)
    keys = sorted({k.metric_key for k in kpis})
    rows: list[tuple] = []
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
    # The facts are loaded once, for the earliest period any grain needs, and then measured
    # in months, quarters and years without touching the database again.
    needs = frozenset().union(*(CATALOGUE[k].needs for k in keys))
    all_facts = load_facts(
        tenant=tenant,
        grain="month",
        first=min(first for *_, first in plans),
        last=as_of,
        as_of=as_of,
        needs=needs,
    )
    if progress is not None:
        progress(1, steps)
    for step, (grain, candidates, open_, periods, first) in enumerate(plans, start=2):
        result.periods += len(periods)
        facts = all_facts.regrain(grain, first)
        # {metric key: {(scope, member): [value per period of facts.periods]}}
        series = compute_series(keys=keys, facts=facts)
        position = {period: index for index, period in enumerate(facts.periods)}
        every, still_open = set(candidates), set(open_)
        now = timezone.now()
        job_id = job.pk if job is not None else None
        for kpi in kpis:
            wanted = every if (force_closed or kpi.pk in fresh) else still_open
            # (period, its index, the previous period's index, last year's index)
            slots = [
                (period, index, index - 1 if index else None, position.get(add_months(period, -12)))
                for index, period in enumerate(facts.periods)
                if period in wanted
            ]
            by_member = series.get(kpi.metric_key, {})
            for scope, member in sorted(by_member):
                values = by_member[(scope, member)]
                for period, index, previous, last_year in slots:
                    rows.append(  # the columns of kpis.metrics.store.COLUMNS
                        (
                            tenant.pk,
                            kpi.pk,
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
        if progress is not None:
            progress(step, steps)
    with transaction.atomic():
        measurements_upsert(rows)
    result.measurements = len(rows)
    return result
