"""Read side of the KPI app."""

from __future__ import annotations

from datetime import date

from django.utils.translation import gettext as _

from kpis.metrics import CATALOGUE
from kpis.models import Kpi, Measurement, Target
from kpis.periods import GRAINS, period_start
from kpis.status import elapsed_share, evaluate
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
