"""Hand-made data for the department, board and KPI page tests (and the browser tests):
a department with a head and reps, a super-KPI with a band, a paced revenue KPI, a manual
KPI without target, the funnel, countries and channels, check-ins and top-10 movers.

Every number the pages show is set here, so the tests can work out what to expect."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal
from types import SimpleNamespace

from django.utils import timezone

from customers.models import Customer, Signal
from kpis.models import BoardConclusion, CheckIn, Kpi, Measurement, Target
from kpis.status import elapsed_share
from kpis.templatetags.kpi_format import change
from portal.models import Department, DepartmentMember, Role
from portal.tenancy import tenant_context
from tests.factories import MembershipFactory, UserFactory

FUNNEL = [
    ("funnel_sessions", 1000),
    ("funnel_first_identifier", 200),
    ("funnel_second_identifier", 100),
    ("funnel_mql", 50),
    ("funnel_sql", 20),
    ("funnel_won", 5),
]


def measure(tenant, kpi, value, *, scope="company", member="", month=None, prev=None, ly=None):
    return Measurement.objects.create(
        tenant=tenant,
        kpi=kpi,
        scope=scope,
        member=member,
        grain="month",
        period_start=month or timezone.localdate().replace(day=1),
        value=value,
        previous_value=prev,
        last_year_value=ly,
    )


def band(tenant, kpi, minimum, stretch, *, scope="company", member="", month=None):
    return Target.objects.create(
        tenant=tenant,
        kpi=kpi,
        scope=scope,
        member=member,
        grain="month",
        period_start=month or timezone.localdate().replace(day=1),
        minimum=Decimal(str(minimum)),
        stretch=Decimal(str(stretch)),
    )


def paced_status(value: float, minimum: float, stretch: float, today: date) -> str:
    """The revenue KPI's expected words, worked out here from the pacing rule itself."""
    share = elapsed_share(today.replace(day=1), "month", today)
    if value >= stretch * share:
        return "On track"
    return "At risk" if value >= minimum * share else "Off track"


def row_text(html: str, kpi_id: int) -> str:
    """A department KPI tree row as a person reads it: tags dropped, whitespace collapsed."""
    match = re.search(rf'<tr id="kpi-row-{kpi_id}".*?</tr>', html, re.S)
    assert match, f"no row for KPI {kpi_id}"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(0)))


def paced_change(value: float, earlier: float, today: date) -> str:
    """The ▲▼ text of an additive KPI in the running month against an earlier whole period,
    worked out here from the rule: the earlier value scaled by the elapsed share."""
    share = elapsed_share(today.replace(day=1), "month", today)
    delta = (value - earlier * share) / abs(earlier * share) * 100
    arrow = "▲" if delta > 0 else "▼" if delta < 0 else "="
    if abs(abs(delta) * 10 % 1 - 0.5) < 1e-6:
        # A tie at one decimal (on 4 December the change is 481.25 %): the last bit of the
        # float decides, so the page's own rounding of this change is what it shows.
        return change(value, earlier, "currency", SimpleNamespace(pace=share))
    return f"{arrow} {abs(delta):.1f} %"


def build(tenant, members, *, reps: int = 1, extra_kpis: int = 0, extra_customers: int = 0):
    """The page data set; `reps`, `extra_kpis` and `extra_customers` scale it up."""
    head, rep = members[Role.HEAD], members[Role.REP]
    head.user.first_name, head.user.last_name = "Hanna", "Bakker"
    head.user.save()
    rep.user.first_name, rep.user.last_name = "Ruben", "Visser"
    rep.user.save()
    today = timezone.localdate()
    month = today.replace(day=1)
    with tenant_context(tenant):
        dept = Department.objects.create(tenant=tenant, name="Installateurs", head=head)
        all_reps = [rep]
        for i in range(reps - 1):
            user = UserFactory(username=f"extra-rep-{i}", first_name="Extra", last_name=f"{i}")
            all_reps.append(MembershipFactory(tenant=tenant, user=user, role=Role.REP))
        for member in [head, *all_reps]:
            DepartmentMember.objects.create(tenant=tenant, membership=member, department=dept)
        share = Kpi.objects.create(
            tenant=tenant,
            name="E-commerce share",
            metric_key="ecommerce_share",
            unit="percent",
            layer="goal",
            owner=head,
            is_super=True,
            review_date=today + timedelta(days=60),
            position=0,
        )
        measure(tenant, share, 41.5, prev=39.0, ly=30.0)
        band(tenant, share, 40, 45)
        for i in range(12):  # a year of history for the sparkline and the trend chart
            measure(tenant, share, 30.0 + i, month=add_month(month, -(12 - i)))
        revenue = Kpi.objects.create(
            tenant=tenant,
            name="Revenue",
            metric_key="revenue",
            unit="currency",
            layer="objective",
            owner=head,
            parent=share,
            review_date=today - timedelta(days=3),  # due for review
            position=1,
        )
        measure(tenant, revenue, 600000.0, prev=800000.0, ly=500000.0)
        band(tenant, revenue, 900000, 1000000)
        visits = Kpi.objects.create(
            tenant=tenant,
            name="Customer visits",
            unit="count",
            layer="interaction",
            department=dept,
            owner=rep,
            position=2,
        )
        rep_values = [46.0, 38.0] + [42.0] * max(0, reps - 2)
        for member, value in zip(all_reps, rep_values, strict=False):
            measure(tenant, share, value, scope="rep", member=str(member.pk))
            band(tenant, share, 40, 45, scope="rep", member=str(member.pk))
        measure(tenant, share, 45.0, scope="country", member="NL")
        measure(tenant, share, 30.0, scope="country", member="BE")
        for key, value in FUNNEL:
            kpi = Kpi.objects.create(
                tenant=tenant, name=key, metric_key=key, unit="count", owner=head, position=50
            )
            measure(tenant, kpi, float(value))
        channels = Kpi.objects.create(
            tenant=tenant,
            name="Revenue per channel",
            metric_key="revenue_by_channel",
            unit="currency",
            owner=head,
            position=60,
        )
        measure(tenant, channels, 300.0, scope="channel", member="web")
        measure(tenant, channels, 100.0, scope="channel", member="phone")
        for i in range(extra_kpis):
            kpi = Kpi.objects.create(
                tenant=tenant,
                name=f"Extra KPI {i}",
                metric_key="online_adoption",
                unit="percent",
                owner=head,
                parent=share,
                position=10 + i,
            )
            measure(tenant, kpi, 50.0 + i, prev=49.0, ly=40.0)
            band(tenant, kpi, 40, 60)
            measure(tenant, kpi, 12.0, scope="country", member=f"C{i}")
            for member in all_reps:
                measure(tenant, kpi, 33.0, scope="rep", member=str(member.pk))
            CheckIn.objects.create(
                tenant=tenant, kpi=kpi, action="continue", comment=f"More {i}", author=head.user
            )
        CheckIn.objects.create(
            tenant=tenant,
            kpi=share,
            action="start",
            comment="Call the ten biggest phone customers about the web shop",
            author=head.user,
        )
        BoardConclusion.objects.create(
            tenant=tenant,
            month=month,
            text="Online share grows; revenue lags the plan.",
            author=members[Role.BOARD].user,
        )
        movers = [("Van Dijk Installatie", Signal.Kind.TOP_RISER, 1, 4, 250000.0)]
        movers += [("Bakker Techniek", Signal.Kind.TOP_FALLER, 6, 2, 90000.0)]
        movers += [
            (f"Klant {i}", Signal.Kind.TOP_NEW, 3, None, 1000.0 + i) for i in range(extra_customers)
        ]
        for n, (name, kind, rank, last_rank, revenue_now) in enumerate(movers):
            customer = Customer.objects.create(
                tenant=tenant, external_id=f"C{n}", name=name, account_manager=rep, department=dept
            )
            details = {"rank": rank, "revenue": revenue_now, "last_year_revenue": 120000.0}
            if last_rank:
                details["last_year_rank"] = last_rank
            Signal.objects.create(
                tenant=tenant, kind=kind, customer=customer, as_of=today, details=details
            )
    return {
        "department": dept,
        "share": share,
        "revenue": revenue,
        "visits": visits,
        "reps": all_reps,
        "today": today,
    }


def add_month(day: date, months: int) -> date:
    from kpis.periods import add_months

    return add_months(day, months)
