"""A starter KPI set for a new tenant (and the demo): about a dozen KPIs over the layers,
one super-KPI, and targets derived from last year's values so that statuses mean something."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.utils import translation
from django.utils.translation import gettext_lazy as _

from kpis.metrics import CATALOGUE, compute
from kpis.models import Kpi, Scope
from kpis.periods import add_months, period_start, periods_between
from kpis.services import target_set
from portal.models import Department, Membership, Role, Tenant


@dataclass(frozen=True)
class Starter:
    name: str  # lazily translated: stored in the tenant's language
    metric: str
    layer: str
    phase: str
    kind: str = "lagging"
    # Target = last year's value changed by these (relative for currency/count, points for %).
    minimum_change: float = 0.02
    stretch_change: float = 0.08
    description: str = ""


STARTERS = [
    Starter(
        _("E-commerce share"),
        "ecommerce_share",
        "goal",
        "purchase",
        "lagging",
        3,
        6,
        _("Share of net revenue ordered online. The super-KPI: are we moving online?"),
    ),
    Starter(_("Revenue"), "revenue", "goal", "purchase", "lagging", 0.02, 0.06),
    Starter(
        _("Online adoption"),
        "online_adoption",
        "objective",
        "purchase",
        "leading",
        3,
        8,
        _("Share of active customers that ordered online in the last 12 months."),
    ),
    Starter(
        _("Online adoption (revenue-weighted)"),
        "online_adoption_revenue",
        "objective",
        "purchase",
        "leading",
        3,
        6,
    ),
    Starter(_("Online revenue"), "online_revenue", "objective", "purchase", "lagging", 0.08, 0.15),
    Starter(
        _("Active customers"), "active_customers", "objective", "loyalty", "lagging", 0.0, 0.03
    ),
    Starter(_("Average order value"), "aov", "objective", "purchase", "lagging", 0.0, 0.04),
    Starter(_("Churn rate"), "churn_rate", "objective", "loyalty", "lagging", 0.0, -0.5),
    Starter(_("Net Promoter Score"), "nps", "objective", "loyalty", "leading", 2, 6),
    Starter(_("Customer Effort Score"), "ces", "interaction", "purchase", "leading", 0.0, -0.2),
    Starter(_("Active web users"), "active_web_users_share", "interaction", "use", "leading", 2, 6),
    Starter(
        _("Web-influenced offline revenue"),
        "web_influenced_revenue",
        "interaction",
        "orientation",
        "leading",
        0.05,
        0.12,
    ),
    Starter(_("Returns rate"), "returns_rate", "interaction", "use", "lagging", 0.0, -0.5),
]
MANUAL = (
    _("Customer visits by field sales"),
    _("Visits to koesterklanten, counted by the sales team."),
)


def _target(value: float, starter: Starter, unit: str, direction: str) -> tuple[Decimal, Decimal]:
    if unit in {"percent", "score"}:
        low, high = value + starter.minimum_change, value + starter.stretch_change
    else:
        low, high = value * (1 + starter.minimum_change), value * (1 + starter.stretch_change)
    if direction == "down":
        low, high = max(low, high), min(low, high)
    return Decimal(str(round(low, 4))), Decimal(str(round(high, 4)))


def starter_kpis_create(*, tenant: Tenant, as_of: date) -> list[Kpi]:
    """Create the starter KPIs (idempotent by name) and this year's monthly targets, named in
    the tenant's language."""
    with translation.override(tenant.locale):
        return _starter_kpis_create(tenant=tenant, as_of=as_of)


def _starter_kpis_create(*, tenant: Tenant, as_of: date) -> list[Kpi]:
    head = Membership.objects.filter(tenant=tenant, role=Role.HEAD).order_by("id").first()
    department = Department.objects.filter(tenant=tenant).order_by("name").first()
    reps = [
        str(pk)
        for pk in Membership.objects.filter(tenant=tenant, role=Role.REP).values_list(
            "id", flat=True
        )
    ]
    year_start = period_start(as_of, "year", tenant.fiscal_year_start_month)
    months = periods_between(year_start, add_months(year_start, 11), "month")
    last_year = compute(
        tenant=tenant,
        keys=[s.metric for s in STARTERS],
        grain="month",
        first=add_months(year_start, -12),
        last=add_months(year_start, -1),
        as_of=as_of,
        scopes=["company"],
    )
    history = {(v.key, v.period): v.value for v in last_year}
    kpis = []
    super_kpi = None
    for position, starter in enumerate(STARTERS):
        metric = CATALOGUE[starter.metric]
        kpi, _ = Kpi.objects.get_or_create(
            tenant=tenant,
            name=str(starter.name),
            defaults={
                "metric_key": starter.metric,
                "description": str(starter.description) or metric.description.splitlines()[0],
                "layer": starter.layer,
                "journey_phase": starter.phase,
                "kind": starter.kind,
                "unit": metric.unit,
                "direction": metric.direction,
                "owner": head,
                "department": department if starter.layer == "interaction" else None,
                "position": position,
                "review_date": add_months(as_of.replace(day=1), 3),
            },
        )
        if starter.metric == "ecommerce_share":
            super_kpi = kpi
        kpis.append(kpi)
        for month in months:
            base = history.get((starter.metric, add_months(month, -12)))
            if base is None:
                continue
            minimum, stretch = _target(base, starter, metric.unit, metric.direction)
            target_set(
                tenant=tenant,
                kpi=kpi,
                scope=Scope.COMPANY,
                member="",
                grain="month",
                period_start=month,
                minimum=minimum,
                stretch=stretch,
            )
            if starter.metric in {"online_adoption", "ecommerce_share"}:
                for rep in reps:
                    target_set(
                        tenant=tenant,
                        kpi=kpi,
                        scope=Scope.REP,
                        member=rep,
                        grain="month",
                        period_start=month,
                        minimum=minimum,
                        stretch=stretch,
                    )
    for kpi in kpis:
        if kpi is not super_kpi and kpi.parent_id is None and kpi.layer != "goal" and super_kpi:
            kpi.parent = super_kpi
            kpi.save(update_fields=["parent"])
    if super_kpi and not Kpi.objects.filter(tenant=tenant, is_super=True).exists():
        super_kpi.is_super = True
        super_kpi.save(update_fields=["is_super"])
    manual, _ = Kpi.objects.get_or_create(
        tenant=tenant,
        name=str(MANUAL[0]),
        defaults={
            "description": str(MANUAL[1]),
            "layer": "interaction",
            "journey_phase": "use",
            "kind": "leading",
            "unit": "count",
            "owner": head,
            "position": len(STARTERS),
        },
    )
    kpis.append(manual)
    return kpis
