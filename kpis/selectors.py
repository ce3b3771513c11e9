"""Read side of the KPI app."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import reduce
from operator import or_

from django.db.models import Q
from django.utils.translation import gettext as _

from kpis.metrics import CATALOGUE
from kpis.models import Kpi, Measurement, Target
from kpis.periods import GRAINS, period_start
from kpis.status import Status, elapsed_share, evaluate
from portal.models import Department, Membership, Tenant


def scope_member_names(*, tenant: Tenant) -> dict[str, dict[str, str]]:
    """Readable names for scope members: department names and rep usernames by id."""
    return {
        "department": {
            str(pk): name
            for pk, name in Department.objects.filter(tenant=tenant).values_list("id", "name")
        },
        "rep": {
            str(pk): username
            for pk, username in Membership.objects.filter(tenant=tenant).values_list(
                "id", "user__username"
            )
        },
    }


def smart_gaps(*, kpi: Kpi, has_target: bool) -> list[str]:
    """What a KPI lacks to be SMART: an owner, a target, a period, a measurable source, a review date."""
    gaps = []
    if kpi.owner_id is None:
        gaps.append(_("owner"))
    if not has_target:
        gaps.append(_("target"))
    if not kpi.grain:
        gaps.append(_("period"))
    if not kpi.metric_key:
        gaps.append(_("measurable source (a metric, or values entered each period)"))
    if kpi.review_date is None:
        gaps.append(_("review date"))
    return gaps


def kpi_list(*, tenant: Tenant, as_of: date) -> list[dict]:
    """Every KPI with its company value, target and status for the current period of its grain.

    Reads stored measurements and targets only: a constant number of queries.
    """
    kpis = list(
        Kpi.objects.filter(tenant=tenant)
        .select_related("owner__user", "department", "parent")
        .order_by("position", "name")
    )
    starts = {g: period_start(as_of, g, tenant.fiscal_year_start_month) for g in GRAINS}
    measurements = {
        (m.kpi_id, m.grain, m.period_start): m
        for m in Measurement.objects.filter(
            tenant=tenant, scope="company", member="", period_start__in=set(starts.values())
        )
    }
    targets = {
        (t.kpi_id, t.grain, t.period_start): t
        for t in Target.objects.filter(
            tenant=tenant, scope="company", member="", period_start__in=set(starts.values())
        )
    }
    with_targets = set(
        Target.objects.filter(tenant=tenant).values_list("kpi_id", flat=True).distinct()
    )
    rows = []
    for kpi in kpis:
        start = starts[kpi.grain]
        measurement = measurements.get((kpi.pk, kpi.grain, start))
        target = targets.get((kpi.pk, kpi.grain, start))
        metric = CATALOGUE.get(kpi.metric_key)
        value = measurement.value if measurement else None
        status = evaluate(
            value=value,
            minimum=target.minimum if target else None,
            stretch=target.stretch if target else None,
            direction=kpi.direction,
            additive=bool(metric and metric.additive),
            elapsed=elapsed_share(start, kpi.grain, as_of),
        )
        rows.append(
            {
                "kpi": kpi,
                "period": start,
                "measurement": measurement,
                "target": target,
                "status": status,
                "gaps": smart_gaps(kpi=kpi, has_target=kpi.pk in with_targets),
            }
        )
    return rows


def kpi_history(*, tenant: Tenant, kpi: Kpi, periods: int = 24) -> list[dict]:
    """The KPI's company measurements and targets, newest first (stored values only)."""
    measurements = list(
        Measurement.objects.filter(
            tenant=tenant, kpi=kpi, scope="company", member="", grain=kpi.grain
        )
        .select_related("entered_by")
        .order_by("-period_start")[:periods]
    )
    targets = {
        t.period_start: t
        for t in Target.objects.filter(
            tenant=tenant,
            kpi=kpi,
            scope="company",
            member="",
            grain=kpi.grain,
            period_start__in=[m.period_start for m in measurements],
        )
    }
    metric = CATALOGUE.get(kpi.metric_key)
    today = date.today()
    rows = []
    for m in measurements:
        target = targets.get(m.period_start)
        rows.append(
            {
                "measurement": m,
                "target": target,
                "status": evaluate(
                    value=m.value,
                    minimum=target.minimum if target else None,
                    stretch=target.stretch if target else None,
                    direction=kpi.direction,
                    additive=bool(metric and metric.additive),
                    elapsed=elapsed_share(m.period_start, kpi.grain, today),
                ),
            }
        )
    return rows


@dataclass
class KpiValue:
    """A KPI's value, target and status for one scope member in the current period."""

    kpi: Kpi
    scope: str
    member: str
    period: date
    measurement: Measurement | StoredValue | None
    target: Target | None
    status: Status

    @property
    def value(self) -> float | None:
        return self.measurement.value if self.measurement else None

    @property
    def previous_value(self) -> float | None:
        return self.measurement.previous_value if self.measurement else None

    @property
    def last_year_value(self) -> float | None:
        return self.measurement.last_year_value if self.measurement else None

    @property
    def paced(self) -> bool:
        """True while an additive KPI is compared with where it should be today."""
        metric = CATALOGUE.get(self.kpi.metric_key)
        return bool(metric and metric.additive and self.status.elapsed < 1)


def current_periods(*, tenant: Tenant, as_of: date) -> dict[str, date]:
    return {g: period_start(as_of, g, tenant.fiscal_year_start_month) for g in GRAINS}


@dataclass(frozen=True, slots=True)
class StoredValue:
    """The stored figures of one measurement that the pages show (read with values_list:
    building a Measurement per row cost more than the query)."""

    period_start: date
    value: float | None
    previous_value: float | None
    last_year_value: float | None


def _placements_filter(placements: list[tuple[Kpi, str, str]], starts: dict[str, date]) -> Q:
    """The rows of exactly these placements in the current period of each KPI's grain."""
    members: dict[str, set[str]] = {}
    for _kpi, scope, member in placements:
        members.setdefault(scope, set()).add(member)
    grains = sorted({kpi.grain for kpi, _scope, _member in placements})
    return (
        Q(kpi_id__in=sorted({kpi.pk for kpi, _scope, _member in placements}))
        & reduce(or_, (Q(scope=s, member__in=sorted(m)) for s, m in sorted(members.items())))
        & reduce(or_, (Q(grain=g, period_start=starts[g]) for g in grains))
    )


def kpi_values(
    *, tenant: Tenant, placements: list[tuple[Kpi, str, str]], as_of: date
) -> dict[tuple[int, str, str], KpiValue]:
    """Value, target and status of each (KPI, scope, member) in the current period of the
    KPI's grain: two queries, however many placements, reading only the placements' rows."""
    starts = current_periods(tenant=tenant, as_of=as_of)
    if not placements:
        return {}
    wanted = _placements_filter(placements, starts)
    measurements = {
        (kpi_id, scope, member, grain, start): StoredValue(start, value, previous, last_year)
        for kpi_id, scope, member, grain, start, value, previous, last_year in (
            Measurement.objects.filter(wanted, tenant=tenant).values_list(
                "kpi_id",
                "scope",
                "member",
                "grain",
                "period_start",
                "value",
                "previous_value",
                "last_year_value",
            )
        )
    }
    targets = {
        (t.kpi_id, t.scope, t.member, t.grain, t.period_start): t
        for t in Target.objects.filter(wanted, tenant=tenant)
    }
    out = {}
    for kpi, scope, member in placements:
        start = starts[kpi.grain]
        key = (kpi.pk, scope, member, kpi.grain, start)
        out[(kpi.pk, scope, member)] = kpi_value_of(
            kpi=kpi,
            scope=scope,
            member=member,
            period=start,
            measurement=measurements.get(key),
            target=targets.get(key),
            as_of=as_of,
        )
    return out


def kpi_value_of(
    *,
    kpi: Kpi,
    scope: str,
    member: str,
    period: date,
    measurement: Measurement | StoredValue | None,
    target: Target | None,
    as_of: date,
) -> KpiValue:
    metric = CATALOGUE.get(kpi.metric_key)
    status = evaluate(
        value=measurement.value if measurement else None,
        minimum=target.minimum if target else None,
        stretch=target.stretch if target else None,
        direction=kpi.direction,
        additive=bool(metric and metric.additive),
        elapsed=elapsed_share(period, kpi.grain, as_of),
    )
    return KpiValue(kpi, scope, member, period, measurement, target, status)
