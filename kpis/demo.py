"""Demo content for the department and board pages: funnel and per-channel KPIs, department
targets, check-ins, board conclusions and review dates (idempotent; `seed_demo` calls it
before the recompute, which then measures the new KPIs)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.utils import timezone, translation

from kpis.department import FUNNEL_KEYS
from kpis.metrics import CATALOGUE
from kpis.models import BoardConclusion, CheckIn, Kpi, Scope, Target
from kpis.periods import add_months
from kpis.services import target_split
from portal.models import Department, Membership, Role, Tenant

CHECKINS = [
    # metric, action, comment, days ago, author role
    (
        "ecommerce_share",
        "start",
        "Call the twenty biggest phone customers and offer a web shop walk-through.",
        75,
        Role.HEAD,
    ),
    (
        "online_adoption",
        "continue",
        "Keep the monthly web shop webinar for installers; 34 attended in September.",
        40,
        Role.HEAD,
    ),
    (
        "aov",
        "stop",
        "Stop free delivery below € 150 for web orders: it splits orders.",
        20,
        Role.HEAD,
    ),
    (
        "active_web_users_share",
        "start",
        "Send every new contact a web account on their first order.",
        10,
        Role.HEAD,
    ),
]

CONCLUSIONS = [
    (
        -1,
        "E-commerce share rose again and stays above the stretch target.\n"
        "Revenue is behind plan: fewer large project orders by phone.\n"
        "NPS is low after the delivery problems in the north; follow up per account.",
    ),
    (
        0,
        "The online share keeps growing; online adoption is on track in both departments.\n"
        "Average order value falls as small orders move online: agree on a minimum order.\n"
        "Decision: the app launch moves forward to the next quarter.",
    ),
]


def demo_pages_create(*, tenant: Tenant, as_of: date) -> dict[str, int]:
    with translation.override(tenant.locale):
        return _create(tenant=tenant, as_of=as_of)


def _create(*, tenant: Tenant, as_of: date) -> dict[str, int]:
    head = Membership.objects.filter(tenant=tenant, role=Role.HEAD).order_by("id").first()
    board = Membership.objects.filter(tenant=tenant, role=Role.BOARD).order_by("id").first()
    counts = {"kpis": 0, "checkins": 0, "conclusions": 0, "targets": 0}
    for position, key in enumerate([*FUNNEL_KEYS, "revenue_by_channel"], start=100):
        metric = CATALOGUE[key]
        _kpi, created = Kpi.objects.get_or_create(
            tenant=tenant,
            name=str(metric.label),
            defaults={
                "metric_key": key,
                "description": metric.description.splitlines()[0],
                "layer": Kpi.Layer.INTERACTION,
                "journey_phase": Kpi.Phase.ORIENTATION,
                "kind": Kpi.Kind.LEADING,
                "unit": metric.unit,
                "direction": metric.direction,
                "owner": head,
                "position": position,
                "review_date": add_months(as_of.replace(day=1), 3),
            },
        )
        counts["kpis"] += created
    kpis = {k.metric_key: k for k in Kpi.objects.filter(tenant=tenant)}
    # Reviews: the revenue KPI was due last week, the manual KPI has never had one.
    revenue = kpis.get("revenue")
    if revenue is not None and revenue.reviewed_at is None:
        revenue.review_date = as_of - timedelta(days=7)
        revenue.save(update_fields=["review_date"])
    # Department KPIs are measured per department: split the company targets over them.
    departments = [
        str(pk) for pk in Department.objects.filter(tenant=tenant).values_list("pk", flat=True)
    ]
    for kpi in kpis.values():
        if kpi.department_id is None:
            continue
        company = Target.objects.filter(tenant=tenant, kpi=kpi, scope=Scope.COMPANY, member="")
        for target in company:
            if Target.objects.filter(
                tenant=tenant, kpi=kpi, scope=Scope.DEPARTMENT, period_start=target.period_start
            ).exists():
                continue
            counts["targets"] += len(
                target_split(
                    tenant=tenant,
                    kpi=kpi,
                    grain=target.grain,
                    period_start=target.period_start,
                    to_scope=Scope.DEPARTMENT,
                    members=departments,
                    method="last_year",
                )
            )
    if head is not None and not CheckIn.objects.filter(tenant=tenant).exists():
        for key, action, comment, days, _role in CHECKINS:
            kpi = kpis.get(key)
            if kpi is None:
                continue
            CheckIn.objects.create(
                tenant=tenant,
                kpi=kpi,
                action=action,
                comment=comment,
                author=head.user,
                created_at=timezone.make_aware(
                    datetime.combine(as_of - timedelta(days=days), time(9, 30))
                ),
            )
            counts["checkins"] += 1
    if board is not None and not BoardConclusion.objects.filter(tenant=tenant).exists():
        for months_back, text in CONCLUSIONS:
            BoardConclusion.objects.create(
                tenant=tenant,
                month=add_months(as_of.replace(day=1), months_back),
                text=text,
                author=board.user,
            )
            counts["conclusions"] += 1
    return counts
